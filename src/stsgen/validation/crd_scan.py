"""Finding the CRDs of a run before custom resources are checked: in --crd paths,
and in the pieces of the input that mention CustomResourceDefinition.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from stsgen.documents import DocumentError, decode_text
from stsgen.errors import UsageError
from stsgen.streams import iter_manifests, split_stream
from stsgen.validation.checker import CRD_KIND, FoundCrd, is_crd
from stsgen.validation.objects import iter_objects
from stsgen.validation.sources import Source, collect_sources, os_reason


def load_crd_paths(paths: Sequence[str]) -> Iterator[FoundCrd]:
    """Read the CRDs of --crd files and folders; unusable paths are usage errors."""
    sources, problems = collect_sources(paths)
    if problems:
        raise UsageError(f"--crd {problems[0]}")
    for source in sources:
        try:
            text = decode_text(source.read(), source.name)
            for doc in iter_manifests(text, source.name):
                for obj in iter_objects(doc):
                    if is_crd(obj):
                        yield FoundCrd(obj.data)
        except OSError as exc:
            raise UsageError(f"--crd {source.name}: {os_reason(exc)}") from None
        except DocumentError as exc:
            where = f"{source.name}:{exc.line}" if exc.line else source.name
            raise UsageError(f"--crd {where}: {exc.message}") from None


Chunk = tuple[str, int, int, str]  # (source name, chunk number, line offset, text)


def iter_crd_chunks(
    sources: Sequence[Source], unreadable: list[str]
) -> Iterator[Chunk]:
    """Yield the pieces of the input that mention CustomResourceDefinition.

    Sources that cannot be read are added to ``unreadable``; those that cannot be
    decoded are left for the main pass to report.
    """
    for source in sources:
        try:
            raw = source.read()
        except OSError as exc:
            unreadable.append(f"{source.name}: {os_reason(exc)}")
            continue
        if CRD_KIND.encode() not in raw:
            continue
        try:
            text = decode_text(raw, source.name)
        except DocumentError:
            continue
        for chunk, line_offset, chunk_text in split_stream(text):
            if CRD_KIND in chunk_text:
                yield source.name, chunk, line_offset, chunk_text
