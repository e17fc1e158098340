"""The Kubernetes objects found in documents, as the rules see them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stsgen.documents import Document, Path
from stsgen.validation.findings import ObjectRef


class KubeObject:
    """One object: a whole document, or one item of a ``kind: List`` document."""

    __slots__ = ("data", "doc", "order", "prefix", "ref")

    def __init__(
        self, data: dict[str, Any], doc: Document, prefix: Path = (), order: int = 0
    ) -> None:
        self.data = data
        self.doc = doc
        self.prefix = prefix
        # Position in the whole input, so that set rules can reason about order.
        self.order = order
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        self.ref = ObjectRef(
            kind=_text(data.get("kind")),
            name=_text(metadata.get("name")) or _text(metadata.get("generateName")),
            namespace=_text(metadata.get("namespace")),
            api_version=_text(data.get("apiVersion")),
        )

    def __repr__(self) -> str:
        return f"KubeObject({self.ref}, {self.doc.source!r}, order={self.order})"

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def api_version(self) -> str:
        return self.ref.api_version

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def metadata(self) -> dict[str, Any]:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        value = self.data.get("spec")
        return value if isinstance(value, dict) else {}

    def locate(self, path: Path) -> tuple[int, int]:
        return self.doc.locate((*self.prefix, *path))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_list(data: Any) -> bool:
    """Tell whether ``data`` is a v1 List (``kind: List``, or any ``*List``), whose
    items kubectl applies one by one."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and data["kind"].endswith("List")
        and data.get("apiVersion") == "v1"
    )


def iter_objects(doc: Document, first_order: int = 0) -> Iterator[KubeObject]:
    """Yield the objects of a document, unpacking ``kind: List`` one item at a time."""
    data = doc.data
    if is_list(data):
        items = data.get("items")
        # Items that are not objects are the checker's to report.
        for position, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict):
                yield KubeObject(item, doc, ("items", position), first_order + position)
        return
    if isinstance(data, dict):
        yield KubeObject(data, doc, (), first_order)
