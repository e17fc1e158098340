"""Finding and reading the inputs of `stsgen validate`: files, directories, stdin.

A *source* is one input stream: a file found on the command line or under a
directory, or stdin. Directories are walked in a sorted, machine-independent order.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from stsgen.documents import MAX_FILE_BYTES

log = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "stdin"


class Source(NamedTuple):
    """One input: ``name`` as findings show it, and where its bytes come from."""

    name: str
    path: Path | None = None
    data: bytes | None = None  # stdin is read once, up front

    def size(self) -> int:
        """The size in bytes, or 0 when it cannot be told (it is read later)."""
        if self.data is not None:
            return len(self.data)
        try:
            return self.path.stat().st_size if self.path else 0
        except OSError:
            return 0

    def read(self) -> bytes:
        """Return the raw bytes, at most one byte past MAX_FILE_BYTES.

        Raises OSError when the file cannot be read.
        """
        if self.data is not None:
            return self.data
        assert self.path is not None
        with self.path.open("rb") as stream:
            return stream.read(MAX_FILE_BYTES + 1)


def collect_sources(
    paths: Iterable[str], stdin: object | None = None
) -> tuple[list[Source], list[str]]:
    """Expand command-line paths into sources, plus one message per unusable path.

    ``-`` reads ``stdin`` (a binary or text stream; sys.stdin by default). A file
    named twice, directly or through a directory, is read once.
    """
    sources: list[Source] = []
    problems: list[str] = []
    seen: set[str] = set()

    for given in paths:
        if given == "-":
            if STDIN_NAME not in seen:
                seen.add(STDIN_NAME)
                sources.append(Source(STDIN_NAME, data=read_stdin(stdin)))
            continue
        path = Path(given)
        if path.is_dir():
            found = list(iter_manifest_files(path, given, problems))
        elif path.is_file():
            found = [(path, given)]
        elif path.exists():
            # A pipe or device (<(cmd), /dev/stdin) can be read only once, and the
            # run reads a source more than once: keep its bytes.
            try:
                sources.append(Source(given, data=read_stream(path)))
            except OSError as exc:
                problems.append(f"{given}: {os_reason(exc)}")
            continue
        else:
            problems.append(f"{given}: no such file or directory")
            continue
        for file_path, name in found:
            key = os.path.realpath(file_path)
            if key not in seen:
                seen.add(key)
                sources.append(Source(name, file_path))
    return sources, problems


def os_reason(exc: OSError) -> str:
    """``no such file or directory``: an OSError as a message fragment."""
    return (exc.strerror or type(exc).__name__).lower()


def read_stdin(stdin: object | None = None) -> bytes:
    """Read all of stdin as bytes (at most one byte past MAX_FILE_BYTES)."""
    stream = stdin if stdin is not None else sys.stdin
    buffer = getattr(stream, "buffer", stream)
    data = buffer.read(MAX_FILE_BYTES + 1)
    return data.encode("utf-8") if isinstance(data, str) else data


def read_stream(path: Path) -> bytes:
    """Read a pipe or device to its end (at most one byte past MAX_FILE_BYTES)."""
    with path.open("rb") as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def iter_manifest_files(
    root: Path, shown: str, problems: list[str] | None = None
) -> Iterable[tuple[Path, str]]:
    """Yield (path, display name) for every manifest under ``root``, sorted.

    Hidden files and folders (.git, .github) are skipped, and so are folder links,
    which could loop, and anything but regular files (a named pipe would block the
    walk). Folders that cannot be listed are added to ``problems``.
    """

    def record(exc: OSError) -> None:
        if problems is not None:
            problems.append(f"{exc.filename}: {os_reason(exc)}")

    found: list[tuple[tuple[str, ...], Path]] = []
    for folder, subfolders, files in os.walk(root, onerror=record):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        relative = Path(folder).relative_to(root)
        for file_name in files:
            if file_name.startswith("."):
                continue
            if not file_name.lower().endswith(MANIFEST_SUFFIXES):
                continue
            file_path = Path(folder, file_name)
            if not file_path.is_file():
                log.debug("skipped %s: not a regular file", file_path)
                continue
            found.append(((*relative.parts, file_name), file_path))
    found.sort(key=lambda item: item[0])
    prefix = shown.rstrip("/\\") or shown
    for parts, file_path in found:
        yield file_path, "/".join((prefix, *parts))
