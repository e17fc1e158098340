"""Where a value came from, so that a value the schema refuses is reported where
the user wrote it: the ``-f`` file and line, or the ``--set`` or flag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from stsgen.documents import Document

ValuePath = Sequence[str | int]


class Origin(NamedTuple):
    """One source of values, in the order they are applied."""

    label: str  # a file name, "--set a=1", "--replicas"
    document: Document | None = None  # a values file's, for positions
    path: tuple[str | int, ...] = ()  # what a --set pair or a flag sets

    def covers(self, path: ValuePath) -> bool:
        """Whether this source set the value at ``path``, or the whole of a map
        or list it is in (lists and scalars replace what came before)."""
        if self.document is None:
            return tuple(path[: len(self.path)]) == self.path
        node: Any = self.document.data
        for step in path:
            if isinstance(node, list):
                return True  # a list is replaced whole: all of it is this file's
            if not isinstance(node, dict) or step not in node:
                return False
            node = node[step]
        return True

    def place(self, path: ValuePath) -> str:
        """``file:line:column`` of the value at ``path`` (or of the nearest
        enclosing one the file sets); the label for a --set or flag."""
        if self.document is None:
            return self.label
        line, column = self.document.locate(path)
        return f"{self.label}:{line}:{column}"


def origin_of(origins: Sequence[Origin], path: ValuePath) -> Origin | None:
    """The last source that set ``path``: later sources win."""
    for origin in reversed(origins):
        if origin.covers(path):
            return origin
    return None
