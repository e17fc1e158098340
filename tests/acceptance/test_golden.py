"""Rendered output compared with reviewed golden files (rewrite: --update-golden)."""

from __future__ import annotations

import pytest
import yaml

from tests.acceptance.helpers import REPO, run_cli

GOLDEN = REPO / "tests" / "golden"


def _cases() -> list[dict]:
    cases = []
    for listing in sorted(GOLDEN.glob("*cases.yaml")):
        cases.extend(yaml.safe_load(listing.read_text(encoding="utf-8")) or [])
    return cases


@pytest.mark.parametrize(
    "case", _cases(), ids=lambda case: f"{case['blueprint']}-{case['name']}"
)
def test_render_matches_golden(
    case: dict, update_golden: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    golden = GOLDEN / case["blueprint"] / f"{case['name']}.yaml"

    run = run_cli("render", case["blueprint"], *map(str, case.get("args", [])))

    assert run.code == 0, run
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(run.stdout, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run pytest --update-golden"
    assert run.stdout == golden.read_text(encoding="utf-8")
