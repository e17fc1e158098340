"""Reading YAML streams the way the Kubernetes API server does, keeping where each
node came from.

A *document* is one YAML document of a stream. Its data is plain Python (dicts,
lists, str, int, float, bool, None) as the API server's YAML 1.1 decoder would see
it; its composed node tree is kept so that a field path can be turned back into a
file, line and column when something is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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


@dataclass
class Document:
    """One document of a stream, with its data and the node tree it came from."""

    source: str
    index: int
    data: Any
    node: yaml.Node | None = field(default=None, repr=False)
    duplicate_keys: list[tuple[str, int, int]] = field(default_factory=list)
    line_offset: int = 0

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
        for key_node, value_node in reversed(node.value):
            # PyYAML's flatten_mapping has already copied merged (<<) entries here.
            if _key_text(key_node) == step:
                return value_node, key_node.start_mark
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        if 0 <= step < len(node.value):
            item = node.value[step]
            return item, item.start_mark
    return None, None


def _key_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:bool":
            return "true" if _BOOL_WORDS.get(node.value.lower(), False) else "false"
        if node.tag == "tag:yaml.org,2002:null":
            return "null"
        return node.value
    return ""


_BOOL_WORDS = {
    "yes": True, "true": True, "on": True, "y": True,
    "no": False, "false": False, "off": False, "n": False,
}


class KubeLoader(yaml.CSafeLoader):
    """PyYAML's C loader (YAML 1.1, as the API server reads) with Kubernetes' twists.

    Timestamps stay strings, as they are for every field Kubernetes declares; map
    keys become strings, as the YAML-to-JSON step makes them; a plain ``=`` is the
    string "="; duplicate keys are recorded rather than silently overwritten.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[Any, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key = _json_key(key)
            if key in mapping:
                mark = key_node.start_mark
                self.duplicate_keys.append((key, mark.line + 1, mark.column + 1))
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[dict]:
        data: dict[str, Any] = {}
        yield data
        data.update(self.construct_mapping(node))

    def construct_as_text(self, node: yaml.ScalarNode) -> str:
        return node.value


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, (list, dict, tuple)):
        return str(key)
    return str(key)


KubeLoader.add_constructor("tag:yaml.org,2002:map", KubeLoader.construct_yaml_map)
KubeLoader.add_constructor("tag:yaml.org,2002:timestamp", KubeLoader.construct_as_text)
KubeLoader.add_constructor("tag:yaml.org,2002:value", KubeLoader.construct_as_text)
KubeLoader.add_constructor("tag:yaml.org,2002:binary", KubeLoader.construct_as_text)


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
            data = loader.construct_document(node)
            if data is not None:
                yield Document(
                    source, index, data, node, loader.duplicate_keys, line_offset
                )
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1 + line_offset, mark.column + 1) if mark else (0, 0)
        raise DocumentError(f"not valid YAML: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise DocumentError("YAML nests too deeply to read") from None
    finally:
        loader.dispose()


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
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield key_node
            yield value_node
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def split_stream(text: str) -> list[tuple[int, str]]:
    """Split a stream at document markers into (first line offset, text) chunks.

    Used to spread one large stream over several processes. A ``---`` at column 0
    always starts a document in YAML, so the split never cuts a document; streams
    with directives (``%YAML``) are not split.
    """
    if "\n%" in text or text.startswith("%"):
        return [(0, text)]
    starts = [m.start() for m in _DOCUMENT_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    chunks = []
    line = 0
    for begin, end in zip(starts, [*starts[1:], len(text)]):
        chunk = text[begin:end]
        chunks.append((line, chunk))
        line += chunk.count("\n")
    return chunks
