"""Real-world inputs: manifests a real API server accepted must not get an error,
and the seed document's examples validate while its field-reference typos do not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stsgen.validation.engine import ValidationOptions, validate_sources
from stsgen.validation.findings import Finding, Severity
from stsgen.validation.sources import Source, collect_sources

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEED = SHARED / "seed" / "000_3c00703bdb0b7089.txt"


def errors_in(sources: list[Source], version: str = "1.36") -> list[Finding]:
    validation = validate_sources(
        sources, ValidationOptions(kubernetes_version=version)
    )
    assert validation.unreadable_paths == []
    return [
        finding
        for result in validation.results
        for finding in result.findings
        if finding.severity is Severity.ERROR
    ]


@pytest.mark.parametrize("corpus", ["realworld", "realworld-crds"])
def test_manifests_accepted_by_kubernetes_1_36_get_no_error(corpus: str) -> None:
    folder = SHARED / "corpus" / corpus
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    sources, problems = collect_sources([str(folder)])

    errors = errors_in(sources)

    assert problems == []
    assert len(sources) == {"realworld": 53, "realworld-crds": 7}[corpus]
    assert [f"{f.file}:{f.line}: {f.rule}: {f.message}" for f in errors] == []


def seed_manifests() -> list[str]:
    """Cut the manifests out of the seed's Markdown: each starts at an apiVersion
    line inside a code block and ends at the next shell prompt or block end."""
    text = SEED.read_text(encoding="utf-8")
    manifests = []
    for block in re.findall(r"^```\w*\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        current: list[str] | None = None
        for line in block.splitlines():
            if line.startswith("[root@"):
                if current:
                    manifests.append("\n".join(current) + "\n")
                current = None
            elif current is None and line.startswith("apiVersion:"):
                current = [line]
            elif current is not None:
                current.append(line)
        if current:
            manifests.append("\n".join(current) + "\n")
    return manifests


def is_field_reference(manifest: str) -> bool:
    # The seed documents fields as `replicas: <integer>`; those blocks are not
    # manifests to apply.
    return bool(re.search(r": <(\[\])?\w+>", manifest))


@pytest.fixture(scope="module")
def seed() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"{SEED} is not available")
    return seed_manifests()


def test_seed_examples_validate_without_errors(seed: list[str]) -> None:
    examples = [m for m in seed if not is_field_reference(m)]
    sources = [
        Source(f"seed-{n}.yaml", data=m.encode()) for n, m in enumerate(examples)
    ]

    errors = errors_in(sources, "1.37")

    kinds = re.findall(r"^kind: (\w+)", "".join(examples), re.MULTILINE)
    assert sorted(set(kinds)) == [
        "ConfigMap",
        "CustomResourceDefinition",
        "Service",
        "StatefulSet",
    ]
    assert [f"{f.file}:{f.line}: {f.rule}: {f.message}" for f in errors] == []


@pytest.mark.parametrize(
    ("kind", "reference_key", "place"),
    [
        ("StatefulSet", r"update\w+", "spec:\n"),
        ("CustomResourceDefinition", r"openAPIV3\w+", "openAPIV3Schema:"),
    ],
    ids=["updateStragegy", "openAPIV3Schame"],
)
def test_seed_field_reference_typos_are_caught_with_did_you_mean(
    seed: list[str], kind: str, reference_key: str, place: str
) -> None:
    [reference] = [m for m in seed if is_field_reference(m) and f"kind: {kind}" in m]
    typo = re.search(rf"^\s+({reference_key}):", reference, re.MULTILINE).group(1)
    example = next(
        m for m in seed if not is_field_reference(m) and f"kind: {kind}\n" in m
    )
    # Write the field as the reference spells it, where a user copying it would.
    head, _, tail = example.partition(f"kind: {kind}\n")
    if place == "spec:\n":
        tail = tail.replace("spec:\n", f"spec:\n  {typo}:\n    type: OnDelete\n", 1)
    else:
        tail = tail.replace(place, f"{typo}:", 1)
    broken = f"{head}kind: {kind}\n{tail}"
    line = broken.splitlines().index(
        next(ln for ln in broken.splitlines() if typo in ln)
    )

    errors = errors_in([Source("copied.yaml", data=broken.encode())], "1.37")
    [finding] = [f for f in errors if f.rule == "unknown-field"]

    correct = {
        "StatefulSet": "updateStrategy",
        "CustomResourceDefinition": "openAPIV3Schema",
    }[kind]
    assert typo != correct
    assert finding.rule == "unknown-field"
    assert finding.line == line + 1
    assert finding.path.endswith(typo)
    assert finding.message == f'unknown field "{typo}"; did you mean "{correct}"?'
