"""Reading YAML as the API server does: YAML 1.1 values, string keys, duplicate
keys, hostile input, positions; and the direct constructor against PyYAML's own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from stsgen.documents import (
    MAX_EXPANDED_NODES,
    DocumentError,
    KubeLoader,
    iter_documents,
)
from stsgen.streams import split_stream

SHARED = Path(__file__).resolve().parents[3] / "shared"

TRICKY = """\
base: &base {a: 1, b: [x, y]}
merged:
  <<: *base
  b: replaced
list-merge:
  <<: [*base, {c: 3}]
shared: [*base, *base]
yaml11: [yes, no, on, off, y, n, 0644, 0x1f, 1_000, 1:30, .inf, .NaN, ~, null]
go: [0o17, 0X1F, 1e3, 1e+3, 09, 12:30, -0x10, 99999999999999999999, .5, -.NaN]
stamps: [2024-01-02, 2024-01-02T03:04:05Z]
"=": =
keys: {true: 1, 2: two, null: 3, 1.5: x, y: 4, 0x10: 5}
binary: !!binary aGVsbG8=
set: !!set {a, b}
omap: !!omap [{one: 1}, {two: 2}]
quoted: ["yes", '0644', "=", ""]
"""


def load_one(text: str) -> Any:
    (doc,) = iter_documents(textwrap.dedent(text), "in.yaml")
    return doc


def construct_with_pyyaml(text: str) -> list[Any]:
    """The same loader's data built by PyYAML's generic constructor machinery."""
    loader = KubeLoader(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append(yaml.BaseLoader.construct_document(loader, node))
        return documents
    finally:
        loader.dispose()


def test_yaml_1_1_values_and_kubernetes_strings() -> None:
    data = load_one(TRICKY).data

    assert data["yaml11"] == [
        True, False, True, False, True, False, 420, 31, 1000, "1:30",
        float("inf"), data["yaml11"][11], None, None,
    ]  # fmt: skip
    assert data["yaml11"][11] != data["yaml11"][11]  # NaN
    # Where go-yaml v2 and PyYAML part ways, the API server's reading wins; floats
    # without a fraction arrive as integers, as Go's JSON encoder writes them.
    assert data["go"] == [15, 31, 1000, 1000, 9, "12:30", -16, 10**20, 0.5, "-.NaN"]
    assert [type(value) for value in data["go"][:5]] == [int] * 5
    assert data["stamps"] == ["2024-01-02", "2024-01-02T03:04:05Z"]
    assert data["="] == "="
    assert data["keys"] == {"true": 4, "2": "two", "null": 3, "1.5": "x", "16": 5}
    assert data["quoted"] == ["yes", "0644", "=", ""]
    assert data["merged"] == {"a": 1, "b": "replaced"}
    assert data["list-merge"] == {"a": 1, "b": ["x", True], "c": 3}  # y: a boolean
    assert data["binary"] == "aGVsbG8="


def test_the_direct_constructor_builds_what_pyyaml_builds() -> None:
    documents = [doc.data for doc in iter_documents(TRICKY, "in.yaml")]
    expected = construct_with_pyyaml(TRICKY)

    # NaN never equals itself: compare the rest.
    for data in (*documents, *expected):
        data["yaml11"][11] = "nan"
    assert documents == expected
    shared = documents[0]["shared"]
    assert shared[0] is shared[1], "an alias is the same object, as in PyYAML"


@pytest.mark.parametrize("corpus", ["realworld", "realworld-crds"])
def test_the_direct_constructor_agrees_with_pyyaml_on_the_corpus(corpus) -> None:
    folder = SHARED / "corpus" / corpus
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    compared = 0
    for path in sorted(folder.glob("*.yaml")):
        for _, _, chunk in split_stream(path.read_text(encoding="utf-8")):
            ours = [doc.data for doc in iter_documents(chunk, path.name)]
            theirs = [data for data in construct_with_pyyaml(chunk) if data is not None]
            assert ours == theirs, path.name
            compared += len(ours)
    assert compared > 200


def test_duplicate_keys_are_recorded_with_their_position() -> None:
    doc = load_one(
        """\
        metadata:
          name: a
          name: b
        spec: {replicas: 1, replicas: 2}
        """
    )

    assert doc.data == {"metadata": {"name": "b"}, "spec": {"replicas": 2}}
    assert doc.duplicate_keys == [("name", 3, 3), ("replicas", 4, 21)]


def test_locate_points_at_keys_and_items() -> None:
    text = "a: 1\n---\nkind: X\nspec:\n  ports:\n  - port: 80\n  - port: 81\n"
    docs = list(iter_documents(text, "in.yaml"))

    assert [doc.index for doc in docs] == [0, 1]
    assert docs[1].locate(("spec", "ports", 1)) == (7, 5)
    assert docs[1].locate(("spec", "ports", 1, "port")) == (7, 5)
    assert docs[1].locate(("spec", "missing")) == (4, 1)


def test_a_billion_laughs_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")

    with pytest.raises(DocumentError) as caught:
        list(iter_documents("\n".join(lines) + "\n", "laughs.yaml"))

    assert f"{MAX_EXPANDED_NODES:,} nodes" in caught.value.message
    assert caught.value.line > 1


def test_deep_nesting_is_a_document_error() -> None:
    text = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"

    with pytest.raises(DocumentError, match="nests too deeply|not valid YAML"):
        list(iter_documents(text, "deep.yaml"))


def test_a_syntax_error_names_its_line_after_the_offset() -> None:
    with pytest.raises(DocumentError) as caught:
        list(iter_documents("a: [1, 2\n", "bad.yaml", line_offset=10))

    assert caught.value.line == 12
    assert caught.value.message.startswith("not valid YAML")


def test_a_forbidden_character_is_one_line_with_its_place() -> None:
    with pytest.raises(DocumentError) as caught:
        list(iter_documents("a: 1\nb: x\x07y\n", "bell.yaml", line_offset=4))

    assert caught.value.message == "character #x0007 is not allowed in YAML"
    assert (caught.value.line, caught.value.column) == (6, 5)


def test_integers_past_64_bits_resolve_as_go_yaml_resolves_them() -> None:
    from stsgen.documents import resolve_plain

    assert resolve_plain("99999999999999999999") == 10**20  # a float64, sent as 1e20
    assert resolve_plain("0x" + "f" * 20) == int("f" * 20, 16)  # a big integer
    assert resolve_plain("1" * 5000) == float("inf")  # too long even for Python
    assert resolve_plain("-" + "1" * 5000) == "-" + "1" * 5000  # a string in Go too
    assert resolve_plain("1e400") == "1e400"
