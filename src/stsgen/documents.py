"""Reading YAML streams the way the Kubernetes API server does, keeping where each
node came from.

A *document* is one YAML document of a stream. Its data is plain Python (dicts,
lists, str, int, float, bool, None) as the API server's YAML 1.1 decoder would see
it; its composed node tree is kept so that a field path can be turned back into a
file, line and column when something is wrong with it.
"""

from __future__ import annotations

import base64
import decimal
import math
import re
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

Path = tuple[str | int, ...]

# An aliased document may expand far beyond its text ("billion laughs"); anything
# past this many nodes, counted with aliases expanded, is refused.
MAX_EXPANDED_NODES = 2_000_000
# The API server rejects requests over 3 MiB; a manifest file a little larger than
# that is still plausible, one a hundred times larger is not.
MAX_FILE_BYTES = 64 * 1024 * 1024


class DocumentError(Exception):
    """Raised when a stream cannot be read as YAML; carries the 1-based position."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Document:
    """One document of a stream, with its data and the node tree it came from."""

    __slots__ = (
        "data",
        "duplicate_keys",
        "index",
        "line_offset",
        "node",
        "non_finite",
        "source",
    )

    def __init__(
        self,
        source: str,
        index: int,
        data: Any,
        node: yaml.Node | None = None,
        duplicate_keys: list[tuple[str, int, int]] | None = None,
        line_offset: int = 0,
        non_finite: bool = False,
    ) -> None:
        self.source = source
        self.index = index
        self.data = data
        self.node = node
        # (key, line, column) of each key given twice in one mapping.
        self.duplicate_keys = [] if duplicate_keys is None else duplicate_keys
        self.line_offset = line_offset
        # Whether some value is infinite or NaN, which no JSON request can carry.
        self.non_finite = non_finite

    def __repr__(self) -> str:
        return f"Document({self.source!r}, {self.index}, line={self.line})"

    def relocated(self, source: str, line_offset: int) -> Document:
        """The same document, placed in another file or at another line."""
        return Document(
            source,
            self.index,
            self.data,
            self.node,
            self.duplicate_keys,
            line_offset,
            self.non_finite,
        )

    @property
    def line(self) -> int:
        start = self.node.start_mark.line if self.node is not None else 0
        return start + 1 + self.line_offset

    def locate(self, path: Sequence[str | int]) -> tuple[int, int]:
        """Return the 1-based line and column of ``path``, or of its nearest ancestor.

        A mapping entry resolves to its key, so ``spec.replicas`` points at the
        ``replicas:`` key; a list item resolves to the item itself.
        """
        node = self.node
        if node is None:
            return 1 + self.line_offset, 1
        mark = node.start_mark
        for step in path:
            child, child_mark = _child(node, step)
            if child is None:
                break
            node, mark = child, child_mark
        return mark.line + 1 + self.line_offset, mark.column + 1


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, Any]:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        # The last entry that sets the key wins, a << entry too (KubeLoader._merge).
        for key_node, value_node in reversed(node.value):
            if _is_merge(key_node):
                for source in _merge_sources(value_node):
                    found = _child(source, step)
                    if found[0] is not None:
                        return found
            elif _key_text(key_node) == step:
                return value_node, key_node.start_mark
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        item = node.value[step]
        return item, item.start_mark
    return None, None


def _is_merge(node: yaml.Node) -> bool:
    # go-yaml's isMerge: a plain << (or a tagged one); !!merge foo is a key.
    return (
        type(node) is yaml.ScalarNode and node.value == "<<" and node.tag == _MERGE_TAG
    )


def _merge_sources(node: yaml.Node) -> list[yaml.Node]:
    """The maps a ``<<`` entry's value names: itself, or those it lists."""
    return node.value if isinstance(node, yaml.SequenceNode) else [node]


def _key_text(node: yaml.Node) -> str:
    try:
        return key_text(node)
    except yaml.YAMLError:
        return ""  # never a key of data that was read


# Plain scalars that sigs.k8s.io/yaml's copy of go-yaml v2 (behind kubectl, Helm
# and the API server) reads as something other than a string. It differs from
# PyYAML's YAML 1.1 in a few places: `y` and `n` are booleans, `0o17` and `0X1F`
# are integers, `1e3` and `1.` are numbers, `1:30` (base 60) stays a string, and
# `09` is a float.
_GO_WORDS: dict[str, Any] = {
    **dict.fromkeys(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"], True),
    **dict.fromkeys(["on", "On", "ON"], True),
    **dict.fromkeys(["n", "N", "no", "No", "NO", "false", "False", "FALSE"], False),
    **dict.fromkeys(["off", "Off", "OFF"], False),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"]),
    **dict.fromkeys([".nan", ".NaN", ".NAN"], float("nan")),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], float("inf")),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], float("-inf")),
}
# What strconv.ParseInt(text, 0, 64) accepts once go-yaml has removed underscores.
_GO_INT = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)"
)
_GO_OCTAL = re.compile(r"[-+]?0[0-7]+")
# go-yaml's yamlStyleFloat (goyaml.v2/resolve.go): the exponent's sign is optional.
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# What strconv.ParseFloat accepts of a scalar starting with ".".
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
# Python refuses to read longer integers (sys.get_int_max_str_digits).
MAX_INT_DIGITS = 4000


def resolve_plain(text: str) -> Any:
    """Return a plain (unquoted) scalar's value as the API server receives it.

    Timestamps stay strings: go-yaml hands them over as the original text when it
    decodes into untyped data, as sigs.k8s.io/yaml does. Floats without a
    fraction below 1e21 are integers, as Go's JSON encoder writes them on the way
    to the server (Helm templates see ``1.0`` as ``1`` for the same reason).
    """
    if text in _GO_WORDS:
        return _GO_WORDS[text]
    first = text[0]
    if first == ".":
        return as_sent(float(text)) if _GO_DOT_FLOAT.fullmatch(text) else text
    if first not in "+-0123456789":
        return text
    plain = text.replace("_", "")
    beyond_uint = False  # ParseUint's range error: a big integer, if not a float
    if len(plain) > MAX_INT_DIGITS:
        beyond_uint = _GO_INT.fullmatch(plain) is not None and plain[0] not in "+-"
        number: Any = float("inf")  # far past any field's range, whatever its type
    elif _GO_INT.fullmatch(plain):
        if _GO_OCTAL.fullmatch(plain):
            number = int(plain.replace("0", "0o", 1), 0)
        else:
            number = int(plain, 0)
        # ParseInt, then ParseUint (no sign) for the rest of 64 bits.
        if -(2**63) <= number < 2**63 or (plain[0] not in "+-" and number < 2**64):
            return number
        beyond_uint = plain[0] not in "+-"
    if _GO_FLOAT.fullmatch(plain):
        value = float(plain)
        if abs(value) != float("inf"):  # ParseFloat's range error: not a float
            return as_sent(value)
    if beyond_uint:
        return number
    return text


def non_finite_values(data: Any) -> Iterator[tuple[Path, float]]:
    """The path and value of every infinite or NaN number in ``data``."""
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif is_non_finite(value):
            yield path, value


def is_non_finite(value: Any) -> bool:
    """Whether ``value`` is an infinite or NaN float, which JSON cannot carry."""
    # inf - inf and nan - nan are both NaN, which equals nothing.
    return value.__class__ is float and value - value != 0


def describe_non_finite(number: float) -> str:
    # Go's JSON encoder refuses NaN and infinities, so kubectl fails before sending;
    # an integer too long to read reaches the server, which no field accepts it in.
    if math.isnan(number):
        return "NaN cannot be sent: JSON has no NaN, so kubectl refuses the object"
    return (
        "the number is out of range (.inf, or an integer too long to read): "
        "kubectl or the API server refuses the object"
    )


def as_sent(value: float) -> int | float:
    """A float as Go's JSON encoder writes it on the way to the server: without a
    fraction it has none of, below 1e21, so the server reads an integer."""
    if value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_BY_TYPE = {
    str: _STR_TAG,
    bool: "tag:yaml.org,2002:bool",
    int: "tag:yaml.org,2002:int",
    float: "tag:yaml.org,2002:float",
    type(None): "tag:yaml.org,2002:null",
}


# Plain scalars resolved to a tag, shared by every loader: keys and many values
# (names, kinds, ports, booleans) repeat from document to document. Emptied when
# full, so unusual input cannot grow it without bound.
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 50_000


class KubeLoader(yaml.CSafeLoader):
    """PyYAML's C parser with plain scalars resolved as the API server resolves them.

    Plain scalars follow go-yaml v2 (resolve_plain), so timestamps and a plain
    ``=`` stay strings; map keys become strings, as the YAML-to-JSON step makes
    them; duplicate keys are recorded rather than silently overwritten.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[Any, int, int]] = []
        self.non_finite = False
        # Kept only where a "!" tag may stand: see _non_specific.
        self._text = stream if "!" in stream else None
        self._line_starts: list[int] | None = None

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _RESOLVED.get(value)
            if tag is None:
                if value == "<<":
                    tag = _MERGE_TAG
                else:
                    found = _go_tag(value, resolve_plain(value))
                    tag = _TAG_BY_GO_TYPE.get(found, found)
                if len(_RESOLVED) >= _RESOLVED_MAX:
                    _RESOLVED.clear()
                _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: yaml.Node) -> Any:
        """Build a document's data as go-yaml v2 decodes it into untyped values.

        A direct walk, not PyYAML's constructor machinery, which costs about half
        the time of reading a manifest. Tags matter on scalars only: go-yaml
        reads a tagged mapping (``!!set {a, b}``) as a mapping and a tagged
        sequence as a sequence, and hands over the text of a scalar whose tag it
        does not resolve (``!foo bar``).
        """
        self._built: dict[int, Any] = {}
        try:
            return self._build(node)
        finally:
            self._built = {}

    def _build(self, node: yaml.Node) -> Any:
        if type(node) is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            if self._text is not None and self._non_specific(node):
                return node.value
            value = scalar_value(node)
            # is_non_finite, inline: this runs for every typed scalar.
            if value.__class__ is float and value - value != 0:
                self.non_finite = True
            return value
        # An alias is the same node again: build it once, as PyYAML does.
        built = self._built.get(id(node))
        if built is not None:
            return built
        if type(node) is yaml.MappingNode:
            mapping: dict[str, Any] = {}
            self._built[id(node)] = mapping
            given: set[str] = set()
            for key_node, value_node in node.value:
                if _is_merge(key_node):
                    self._merge(value_node, mapping)
                    continue
                if self._text is not None and self._non_specific(key_node):
                    key = key_node.value
                else:
                    key = key_text(key_node)
                if key in given:
                    mark = key_node.start_mark
                    self.duplicate_keys.append((key, mark.line + 1, mark.column + 1))
                given.add(key)
                mapping[key] = self._build(value_node)
            return mapping
        items: list[Any] = []
        self._built[id(node)] = items
        for item in node.value:
            items.append(self._build(item))
        return items

    def _non_specific(self, node: yaml.Node) -> bool:
        """Whether a scalar carries the non-specific tag ``!`` (``! 8080``).

        libyaml resolves such a scalar as if it were plain, quoted or not, and
        the node keeps no trace of the tag; go-yaml v2 resolves no tag it does
        not know and hands over the text. So the tag is looked for in the text.
        """
        if type(node) is not yaml.ScalarNode or node.tag == _STR_TAG:
            return False
        text = self._text
        assert text is not None
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
        mark = node.start_mark
        if mark.line >= len(self._line_starts):
            return False
        index = self._line_starts[mark.line] + mark.column
        if text.startswith("&", index):  # an anchor may come first
            anchor = _ANCHOR_THEN_SPACE.match(text, index)
            index = anchor.end() if anchor else index
        return text.startswith("!", index) and text[index + 1 : index + 2] in _BLANKS

    def _merge(self, node: yaml.Node, mapping: dict[str, Any]) -> None:
        """Apply a ``<<`` entry where it stands, as go-yaml v2 does: its keys
        replace those before it, later keys replace its keys, and of a list of
        maps the first wins. (The YAML spec, and PyYAML, let given keys win
        wherever they stand.)"""
        for source in reversed(_merge_sources(node)):
            if type(source) is not yaml.MappingNode:
                raise _decode_error(
                    "map merge requires map or sequence of maps as the value", node
                )
            mapping.update(self._build(source))


def scalar_value(node: yaml.ScalarNode) -> Any:
    """A scalar's value as go-yaml v2 decodes it into untyped data.

    Nulls, booleans and numbers are resolved from the text, quoted or not, and an
    explicit tag the text does not fit is an error, as in go-yaml's resolve();
    timestamps stay text, and so does any scalar whose tag go-yaml does not
    resolve.
    """
    tag = node.tag
    if tag in _TYPED_TAGS:
        value = resolve_plain(node.value)
        found = _go_tag(node.value, value)
        # go-yaml turns an integer into a float for !!float, if it fits in 64 bits.
        if found == "int64" and tag == _FLOAT_TAG:
            return value
        resolved = _TAG_BY_GO_TYPE.get(found, found)
        if resolved != tag:
            problem = (
                f"cannot decode {_short(resolved)} `{node.value}` as a {_short(tag)}"
            )
            raise _decode_error(problem, node)
        return value
    if tag == _BINARY_TAG:
        return _decode_binary(node)
    if tag == _TIMESTAMP_TAG and not re.fullmatch(_GO_TIMESTAMP, node.value):
        problem = f"cannot decode !!str `{node.value}` as a !!timestamp"
        raise _decode_error(problem, node)
    return node.value


def _go_tag(text: str, value: Any) -> str:
    """The tag go-yaml resolves ``text`` to, integers by Go type ("int64",
    "uint64", "big"): a float without a fraction is an integer here (as_sent),
    not there."""
    if value.__class__ is not int:
        return _TAG_BY_TYPE[type(value)]
    plain = text.replace("_", "")
    if not _GO_INT.fullmatch(plain) and not plain.startswith(("0b", "-0b")):
        return _FLOAT_TAG  # 1e3, 1.0, 09
    if -(2**63) <= value < 2**63:
        return "int64"
    if 0 <= value < 2**64 and plain[0] not in "+-":
        return "uint64"
    # Past 64 bits a decimal is a float if ParseFloat takes it, else a big.Int.
    return _FLOAT_TAG if _GO_FLOAT.fullmatch(plain) else "big"


def key_text(node: yaml.Node) -> str:
    """A mapping key as the YAML-to-JSON step writes it (sigs.k8s.io/yaml), which
    refuses keys that are not strings, integers, floats or booleans."""
    if type(node) is not yaml.ScalarNode:
        raise _decode_error("a mapping key must be a scalar", node)
    if node.tag == _STR_TAG:
        return node.value
    key = scalar_value(node)
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_float32_text(key)
    if isinstance(key, int):
        found = _go_tag(node.value, key)
        if found == "int64" and node.tag != _FLOAT_TAG:
            return str(key)
        if found == "int64":
            return go_float32_text(float(key))
        if found == _FLOAT_TAG:
            # The float64 go-yaml made of the text, before as_sent made it an int.
            return go_float32_text(float(node.value.replace("_", "")))
    shown = "null" if key is None else node.value
    raise _decode_error(f"unsupported map key {shown}", node)


def _decode_error(problem: str, node: yaml.Node) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _decode_binary(node: yaml.ScalarNode) -> str:
    # go-yaml decodes it (base64, where only line breaks may be left out) and
    # hands the bytes over as a string, which JSON then carries as UTF-8.
    try:
        data = base64.b64decode(node.value.translate(_LINE_BREAKS), validate=True)
    except ValueError:
        raise _decode_error(
            "!!binary value contains invalid base64 data", node
        ) from None
    return data.decode("utf-8", "replace")


def go_float32_text(value: float) -> str:
    """A float as sigs.k8s.io/yaml writes a float map key: Go's
    ``strconv.FormatFloat(key, 'g', -1, 32)``, the shortest text of its 32-bit
    value, with an exponent from 1e+06 up and below 1e-04."""
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isnan(single):
        return ".nan"
    if math.isinf(single):
        return ".inf" if single > 0 else "-.inf"
    if single == 0:
        return "-0" if math.copysign(1, single) < 0 else "0"
    for precision in range(9):
        text = f"{single:.{precision}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    if exponent < -4 or exponent >= 6:
        return f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    digits = len(mantissa.lstrip("-").replace(".", ""))
    return f"{decimal.Decimal(text):.{max(digits - exponent - 1, 0)}f}"


_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_TYPED_TAGS = frozenset(
    ["tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", _INT_TAG, _FLOAT_TAG]
)
_LINE_BREAKS = str.maketrans("", "", "\r\n")
# YAML 1.1 line breaks, as libyaml counts lines.
_NEWLINE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_ANCHOR_THEN_SPACE = re.compile(r"&\S+[ \t]+")
_BLANKS = frozenset([" ", "\t", "\r", "\n", ""])
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_TAG_BY_GO_TYPE = {"int64": _INT_TAG, "uint64": _INT_TAG, "big": _INT_TAG}
# go-yaml's allowedTimestampFormats: a date, then a time with a zone after T, or
# one without a zone after a space. Compiled on first use: explicit !!timestamp
# tags are rare, and compiling costs start-up time.
_GO_TIMESTAMP = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?"
)


def decode_text(raw: bytes, source: str) -> str:
    """Decode a file's bytes as UTF-8 text, refusing binary and oversized input."""
    if len(raw) > MAX_FILE_BYTES:
        raise DocumentError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    if b"\x00" in raw[:8192]:
        raise DocumentError("file is binary, not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line, 1
        ) from None
    return text


def iter_documents(
    text: str, source: str, first_index: int = 0, line_offset: int = 0
) -> Iterator[Document]:
    """Yield the non-empty documents of a YAML stream.

    Raises DocumentError at the first document that cannot be read; the documents
    before it have been yielded.
    """
    loader = KubeLoader(text)
    index = first_index
    may_alias = "*" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if may_alias:
                check_expansion(node)
            loader.duplicate_keys = []
            loader.non_finite = False
            data = loader.construct_document(node)
            if data is not None:
                yield Document(
                    source,
                    index,
                    data,
                    node,
                    loader.duplicate_keys,
                    line_offset,
                    loader.non_finite,
                )
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (
            (mark.line + 1 + line_offset, mark.column + 1) if mark else (0, 0)
        )
        raise DocumentError(f"not valid YAML: {problem}", line, column) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (a control character, say): placed by hand, as
        # the reader reports only an offset, in a message of two lines.
        line, column = place(text, exc.position)
        message = f"character #x{exc.character:04x} is not allowed in YAML"
        raise DocumentError(message, line + line_offset, column) from None
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise DocumentError(f"not valid YAML: {detail}") from None
    except RecursionError:
        raise DocumentError("YAML nests too deeply to read") from None
    finally:
        loader.dispose()


def place(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` of ``text``."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def check_expansion(root: yaml.Node) -> None:
    """Refuse a node tree whose aliases would expand it past MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk: a node's expanded size is 1 plus its children's,
    # each shared (aliased) node counted once per reference but computed once.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > MAX_EXPANDED_NODES:
                line = node.start_mark.line + 1
                raise DocumentError(
                    "aliases expand this document past "
                    f"{MAX_EXPANDED_NODES:,} nodes (a billion laughs?)",
                    line,
                    node.start_mark.column + 1,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise DocumentError(
                "an alias refers to itself", node.start_mark.line + 1, 1
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend(
            (child, False) for child in _children(node) if id(child) not in sizes
        )


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield key_node
            yield value_node
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value
