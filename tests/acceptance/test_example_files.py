"""Example cases under tests/example-files/, discovered and run through the CLI.

validate/positive/<case>/: every manifest of the case validates with no error.
validate/negative/<case>/: the manifests plus an expected.yaml naming, for each
error the case is about, its rule id and line (and optionally path and message);
`args` adds command-line options.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.acceptance.conftest import validate_json

EXAMPLES = Path(__file__).resolve().parents[1] / "example-files"
EXPECTED = "expected.yaml"


def cases(kind: str) -> list[Path]:
    folder = EXAMPLES / "validate" / kind
    return sorted(path for path in folder.iterdir() if path.is_dir())


def manifests_of(case: Path) -> list[str]:
    return sorted(str(p) for p in case.iterdir() if p.is_file() and p.name != EXPECTED)


@pytest.mark.parametrize("case", cases("positive"), ids=lambda path: path.name)
def test_positive_validate_case_has_no_error(case: Path) -> None:
    run, report = validate_json(*manifests_of(case))

    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert run.code == 0, run
    assert errors == []
    assert report["summary"]["objects"] > 0


@pytest.mark.parametrize("case", cases("negative"), ids=lambda path: path.name)
def test_negative_validate_case_reports_the_expected_errors(case: Path) -> None:
    expected = yaml.safe_load((case / EXPECTED).read_text(encoding="utf-8"))

    run, report = validate_json(*expected.get("args", []), *manifests_of(case))

    assert run.code == 1, run
    assert run.stderr == ""
    found = report["findings"]
    for wanted in expected["findings"]:
        matches = [
            f
            for f in found
            if f["rule"] == wanted["rule"]
            and f["line"] == wanted["line"]
            and f["severity"] == "error"
            and f["path"] == wanted.get("path", f["path"])
            and f["message"] == wanted.get("message", f["message"])
        ]
        assert len(matches) == 1, f"{wanted} not reported once in\n{run.stdout}"
