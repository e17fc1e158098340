"""Manifest streams: split into pieces, and read as JSON or YAML as kubectl does."""

from __future__ import annotations

import pytest

from stsgen.documents import DocumentError
from stsgen.streams import is_json_stream, iter_manifests, split_stream


def test_split_stream_keeps_line_offsets_and_directives() -> None:
    text = "a: 1\n---\nb: 2\n--- # c\nc: 3\n"

    assert split_stream(text) == [
        (0, 0, "a: 1\n"),
        (1, 1, "---\nb: 2\n"),
        (2, 3, "--- # c\nc: 3\n"),
    ]
    assert split_stream("%YAML 1.1\n---\na: 1\n---\nb: 2\n") == [
        (0, 0, "%YAML 1.1\n---\na: 1\n---\nb: 2\n")
    ]


def test_split_stream_leaves_out_pieces_without_a_document() -> None:
    # Numbers and line offsets still count the empty pieces, so documents keep
    # the index and the lines they have in the whole stream.
    text = "# head\n---\n---   # none\n\n---\na: 1\n---\n---#x\n--- |\n  t\n---\n"

    assert split_stream(text) == [
        (3, 4, "---\na: 1\n"),
        (4, 6, "---\n---#x\n"),  # not a marker: a document holding "---#x"
        (5, 8, "--- |\n  t\n"),
    ]


def test_a_stream_starting_with_a_brace_is_json_and_never_split() -> None:
    text = ' \n {"kind": "A"}\n---\n'

    assert is_json_stream(text)
    assert not is_json_stream("# c\n{}")
    assert split_stream(text) == [(0, 0, text)]


def test_json_numbers_arrive_as_kubectl_sends_them() -> None:
    # kubectl decodes to float64 and writes back integral values below 1e21 as
    # integers.
    text = '{"a": 1e3, "b": 1.0, "c": 1.5, "d": -0.0, "e": 1e21, "f": 12}'

    (doc,) = iter_manifests(text, "x.json")

    assert doc.data == {"a": 1000, "b": 1, "c": 1.5, "d": 0, "e": 1e21, "f": 12}
    assert [type(doc.data[k]) for k in "abcdef"] == [int, int, float, int, float, int]


def test_json_values_keep_their_positions_and_duplicate_keys() -> None:
    text = '{"kind": "A",\n\t"spec": {"x": 1,\n\t\t"x": 2}}\n  {"kind": "B", "n": 1}\n'

    first, second = iter_manifests(text, "x.json", line_offset=10)

    assert first.data == {"kind": "A", "spec": {"x": 2}}
    assert first.locate(("spec", "x")) == (13, 3)  # tabs count as one column
    assert first.duplicate_keys == [("x", 3, 3)]
    assert (second.index, second.data["kind"]) == (1, "B")
    assert second.locate(("n",)) == (14, 17)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('{"a": yes}', "not valid JSON: Expecting value", 1),
        ('{"a": 1}\n---\n{"b": 2}', "not valid JSON: Expecting value", 2),
        ('{"a":\n NaN}', "not valid JSON: NaN is not a JSON value", 2),
        ('{"a": 1e999}', "not valid JSON: number 1e999 is out of range", 1),
        ('{"a": ' + "[" * 100_000, "JSON nests too deeply to read", 0),
    ],
)
def test_what_kubectl_cannot_read_as_json_is_a_document_error(
    text: str, message: str, line: int
) -> None:
    with pytest.raises(DocumentError) as caught:
        list(iter_manifests(text, "x.json"))

    assert caught.value.message == message
    assert caught.value.line == line


def test_later_pieces_and_yaml_streams_are_read_as_yaml() -> None:
    # In JSON yes is no value at all; in YAML it is true.
    (piece,) = iter_manifests('{"a": yes}', "x.yaml", number=3)
    (yaml_doc,) = iter_manifests("a: yes\n---\n", "x.yaml")

    assert piece.data == {"a": True}
    assert yaml_doc.data == {"a": True}


def test_surrogate_escapes_keep_positions_and_duplicate_keys() -> None:
    text = '{"a": "\\ud83d\\ude00",\n "b": {"k": 1, "k": 2}, "c": "\\ud800"}'

    (doc,) = iter_manifests(text, "x.json")

    assert doc.data == {"a": "\U0001f600", "b": {"k": 2}, "c": "\ufffd"}
    assert doc.locate(("b", "k")) == (2, 16)
    assert doc.duplicate_keys == [("k", 2, 16)]


def test_huge_json_numbers_are_what_kubectl_makes_of_them() -> None:
    (doc,) = iter_manifests('{"a": 123456789012345678901, "b": 99}', "x.json")
    with pytest.raises(DocumentError) as caught:
        list(iter_manifests('{"a":\n  ' + "9" * 5000 + "}", "x.json"))

    assert doc.data == {"a": 123456789012345678901.0, "b": 99}
    assert caught.value.message.endswith("is out of range")
    assert (caught.value.line, caught.value.column) == (2, 3)
