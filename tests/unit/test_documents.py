"""Reading YAML as the API server does: YAML 1.1 values, string keys, duplicate
keys, hostile input, positions; and the direct constructor against PyYAML's own.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from stsgen.documents import (
    MAX_EXPANDED_NODES,
    DocumentError,
    iter_documents,
)

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
keys: {true: 1, 2: two, 1.5: x, y: 4, 0x10: 5}
quoted: ["yes", '0644', "=", ""]
"""


def load_one(text: str) -> Any:
    (doc,) = iter_documents(textwrap.dedent(text), "in.yaml")
    return doc


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
    assert data["keys"] == {"true": 4, "2": "two", "1.5": "x", "16": 5}
    assert data["quoted"] == ["yes", "0644", "=", ""]
    assert data["merged"] == {"a": 1, "b": "replaced"}
    assert data["list-merge"] == {"a": 1, "b": ["x", True], "c": 3}  # y: a boolean


TAGS = """\
set: !!set {a, b}
omap: !!omap [{one: 1}, {two: 2}]
local: !thing {a: 1}
scalar: [!thing text, !!map text, !!seq text, !!timestamp 2024-01-02]
typed: [!!int "8", !!float 1, !!bool "yes", !!null "", !!str 0644, !!str yes]
binary: [!!binary aGVsbG8=, !!binary "/w=="]
merge-value: <<
"""


def test_tags_count_on_scalars_only_as_in_go_yaml() -> None:
    data = load_one(TAGS).data

    assert data["set"] == {"a": None, "b": None}
    assert data["omap"] == [{"one": 1}, {"two": 2}]
    assert data["local"] == {"a": 1}
    assert data["scalar"] == ["text", "text", "text", "2024-01-02"]
    assert data["typed"] == [8, 1, True, None, "0644", "yes"]
    # Decoded, and sent as a string: invalid UTF-8 becomes U+FFFD, as in Go.
    assert data["binary"] == ["hello", "\ufffd"]
    assert data["merge-value"] == "<<"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k: !!int abc\n", "cannot decode !!str `abc` as a !!int"),
        ("k: !!float yes\n", "cannot decode !!bool `yes` as a !!float"),
        ("k: !!null 0\n", "cannot decode !!int `0` as a !!null"),
        ("k: !!int 1e3\n", "cannot decode !!float `1e3` as a !!int"),
        ("k: !!int 09\n", "cannot decode !!float `09` as a !!int"),
        ("k: !!timestamp abc\n", "cannot decode !!str `abc` as a !!timestamp"),
        (
            "k: !!float 18446744073709551615\n",
            "cannot decode !!int `18446744073709551615` as a !!float",
        ),
        ("k: !!binary 'a b'\n", "!!binary value contains invalid base64 data"),
        ("~: v\n", "unsupported map key null"),
        ("18446744073709551615: v\n", "unsupported map key 18446744073709551615"),
        ("[a]: v\n", "a mapping key must be a scalar"),
    ],
)
def test_what_go_yaml_or_the_json_step_refuses_is_a_document_error(
    text: str, message: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        load_one(text)

    assert caught.value.message == f"not valid YAML: {message}"
    assert (caught.value.line, caught.value.column) == (1, 1 if text[0] != "k" else 4)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("1.5", "1.5"),
        ("1e3", "1000"),
        ("1.0", "1"),
        ("3.14159265358979", "3.1415927"),
        ("1e6", "1e+06"),
        ("123456.0", "123456"),
        ("1234567.0", "1.234567e+06"),
        ("0.0001", "0.0001"),
        ("0.00001", "1e-05"),
        ("-2.5e-7", "-2.5e-07"),
        (".inf", ".inf"),
        ("1e39", ".inf"),
        ("!!float 1000000", "1e+06"),
        ("99999999999999999999", "1e+20"),  # past uint64, ParseFloat takes it
    ],
)
def test_float_keys_are_written_as_go_writes_a_32_bit_float(
    key: str, text: str
) -> None:
    assert list(load_one(f"{key}: v\n").data) == [text]


@pytest.mark.parametrize("corpus", ["realworld", "realworld-crds"])
def test_every_corpus_document_reads_as_plain_json_data(corpus) -> None:
    folder = SHARED / "corpus" / corpus
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    read = 0
    for path in sorted(folder.glob("*.yaml")):
        for doc in iter_documents(path.read_text(encoding="utf-8"), path.name):
            # No set, tuple, bytes or NaN: only what a JSON request can carry.
            assert json.loads(json.dumps(doc.data, allow_nan=False)) == doc.data
            read += 1
    assert read > 200


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


def test_merge_keys_apply_where_they_stand_as_in_go_yaml() -> None:
    doc = load_one(
        """\
        base: &base {a: from-base, b: from-base}
        other: &other {b: from-other, c: from-other}
        before: {a: given, <<: *base}
        after: {<<: *base, a: given}
        listed: {<<: [*base, *other]}
        tagged: {!!merge plain: key}
        """
    )

    assert doc.data["before"] == {"a": "from-base", "b": "from-base"}
    assert doc.data["after"] == {"a": "given", "b": "from-base"}
    # Of a list of maps, the first wins.
    assert doc.data["listed"] == {"a": "from-base", "b": "from-base", "c": "from-other"}
    assert doc.data["tagged"] == {"plain": "key"}
    assert doc.duplicate_keys == []
    # A merged value is placed where the map it came from gives it.
    other = "other: &other {b: from-other, c: from-other}"
    base = "base: &base {a: from-base, b: from-base}"
    assert doc.locate(("listed", "c")) == (2, other.index("c:") + 1)
    assert doc.locate(("after", "b")) == (1, base.index("b:") + 1)
    assert doc.locate(("after", "a")) == (4, len("after: {<<: *base, a"))


def test_a_merge_of_no_map_is_a_document_error() -> None:
    with pytest.raises(DocumentError) as caught:
        load_one("a: {<<: text}\n")

    assert "map merge requires map or sequence of maps" in caught.value.message


def test_the_non_specific_tag_keeps_the_text_as_go_yaml_does() -> None:
    # libyaml resolves "! 8080" as if it were plain, even quoted; go-yaml v2
    # resolves no tag it does not know, and hands over the text.
    doc = load_one(
        """\
        a: ! 8080
        b: &anchor ! "true"
        c: !!int "8"
        é€😀: {d: ! 1.5, ! 1.0: key}
        e: "#!/bin/sh"
        """
    )

    assert doc.data == {
        "a": "8080",
        "b": "true",
        "c": 8,
        "é€😀": {"d": "1.5", "1.0": "key"},
        "e": "#!/bin/sh",
    }
