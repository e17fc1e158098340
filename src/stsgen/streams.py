"""Manifest streams as kubectl reads them: split into pieces, and read as JSON or
YAML.

kubectl reads a stream as JSON values when its first character other than white
space is ``{`` (apimachinery's GuessJSONStream) and as YAML documents otherwise.
The two differ: ``{a: yes}`` is YAML (``yes`` is true) but not JSON, tabs may
indent JSON and not YAML, and JSON escapes such as ``\\ud83d\\ude00`` mean
nothing to YAML. `stsgen validate` reads its inputs the same way; values
files and rendered templates are always YAML, as Helm reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from stsgen.documents import (
    MAX_INT_DIGITS,
    Document,
    DocumentError,
    as_sent,
    iter_documents,
    place,
)

_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
# The start of a line holding more than a marker, blanks and a comment. A piece
# without one is an empty document at most, which the API server is never sent.
_CONTENT = re.compile(
    r"^(?:---(?=[ \t\r\n]|$)[ \t]*|(?!---(?:[ \t\r\n]|$))[ \t]*)[^ \t\r\n#]",
    re.MULTILINE,
)
# What Go's JSON decoder skips between the values of a stream.
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def is_json_stream(text: str) -> bool:
    """Whether kubectl reads ``text`` as a stream of JSON values."""
    return text.lstrip().startswith("{")


def split_stream(text: str) -> list[tuple[int, int, str]]:
    """Split a stream at document markers into (number, first line offset, text)
    pieces, leaving out pieces that hold no document.

    Used to spread one large stream over several processes. A ``---`` at column 0
    always starts a document in YAML, so the split never cuts a document; JSON
    streams and streams with directives (``%YAML``) are not split. A piece's
    number is its position among all pieces, empty ones included, and the index
    of its document.
    """
    if is_json_stream(text) or "\n%" in text or text.startswith("%"):
        return [(0, 0, text)]
    pieces: list[tuple[int, int, str]] = []
    number = line = begin = 0
    for match in _DOCUMENT_START.finditer(text):
        end = match.start()
        if end == 0:
            continue  # the first piece starts with its marker
        # Searched in place, not sliced: a file of bare markers stays cheap.
        if _CONTENT.search(text, begin, end):
            pieces.append((number, line, text[begin:end]))
        number, line, begin = number + 1, line + text.count("\n", begin, end), end
    if _CONTENT.search(text, begin):
        pieces.append((number, line, text[begin:]))
    return pieces


def iter_manifests(
    piece: str, source: str, number: int = 0, line_offset: int = 0
) -> Iterator[Document]:
    """Yield the documents of one piece of a manifest stream (see split_stream),
    or of a whole stream, as kubectl reads them.

    Raises DocumentError at the first document that cannot be read.
    """
    # Only the first piece can start a stream, and a JSON stream is never split.
    if number == 0 and is_json_stream(piece):
        return _iter_json_values(piece, source, line_offset)
    return iter_documents(piece, source, number, line_offset)


class _NotJson(ValueError):
    """A number or constant that Go's JSON decoder refuses; ``token`` is its text."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.token = token


def _go_integer(text: str) -> int | float:
    """A JSON integer: exact within 64 bits, otherwise a float64 as kubectl's
    decoder makes it."""
    if len(text) <= MAX_INT_DIGITS:
        number = int(text)
        if -(2**63) <= number < 2**63:
            return number
    return _go_number(text)


def _go_number(text: str) -> int | float:
    """A JSON number with a fraction or an exponent, as the API server receives it.

    kubectl decodes it to a float64 and encodes it again for the request, which
    Go writes without a fraction when it has none and is below 1e21: ``1e3`` and
    ``1.0`` arrive as the integers 1000 and 1.
    """
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise _NotJson(f"number {text[:20]} is out of range", text)
    return as_sent(number)


def _no_constant(text: str) -> Any:
    raise _NotJson(f"{text} is not a JSON value", text)


_DECODER = json.JSONDecoder(
    parse_float=_go_number, parse_int=_go_integer, parse_constant=_no_constant
)
# An escaped UTF-16 surrogate, half of a character outside the BMP or alone.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _iter_json_values(text: str, source: str, line_offset: int) -> Iterator[Document]:
    position, index = 0, 0
    while True:
        position = _JSON_SPACE.match(text, position).end()
        if position == len(text):
            return
        try:
            data, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                f"not valid JSON: {exc.msg}", exc.lineno + line_offset, exc.colno
            ) from None
        except _NotJson as exc:
            # The decoder does not say where; the token's first place from here on.
            where = text.find(exc.token, position)
            line, column = place(text, position if where < 0 else where)
            message = f"not valid JSON: {exc}"
            raise DocumentError(message, line + line_offset, column) from None
        except RecursionError:
            raise DocumentError("JSON nests too deeply to read") from None
        if data is not None:
            yield _json_document(text, position, end, data, source, index, line_offset)
        index, position = index + 1, end


def _json_document(
    text: str, start: int, end: int, data: Any, source: str, index: int, offset: int
) -> Document:
    """A document holding ``data``, with the node tree of its text for positions.

    JSON is YAML as far as positions and duplicate keys go, so the YAML reader
    places them; the data is the JSON decoder's. The value's first line is
    padded so that columns stay right when it does not start a line.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line = text.count("\n", 0, line_start)
    padded = " " * (start - line_start) + text[start:end]
    if _SURROGATE_ESCAPE.search(padded):
        # YAML has no surrogate escapes: the same length of a plain one keeps the
        # places, and a lone surrogate becomes U+FFFD, as Go decodes it.
        padded = _SURROGATE_ESCAPE.sub(r"\\u003f", padded)
        data = _replace_lone_surrogates(data)
    try:
        placed = next(iter_documents(padded, source, index, offset + line), None)
    except DocumentError:
        placed = None  # valid JSON the YAML reader refuses: the value's line only
    if placed is None:
        return Document(source, index, data, line_offset=offset + line)
    return Document(
        source, index, data, placed.node, placed.duplicate_keys, offset + line
    )


def _replace_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_replace_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _replace_lone_surrogates(key): _replace_lone_surrogates(item)
            for key, item in value.items()
        }
    return value
