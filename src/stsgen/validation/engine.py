"""The validation engine: documents in, one ObjectResult per object out.

Each object is checked against its schema (built in, or from a CRD found anywhere
in the input or given with --crd), then by every object rule that applies to its
kind; set rules then see all objects together. Inputs are split at document
markers; a first pass reads the pieces that hold CRDs, a second the rest, both
spread over processes when the input is large. Results come back in input order,
the same bytes as a single-process run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from stsgen.documents import Document, DocumentError, decode_text
from stsgen.errors import UsageError
from stsgen.rules import Rule, load_rules
from stsgen.streams import split_stream
from stsgen.validation import parallel
from stsgen.validation.checker import (
    Checker,
    Entry,
    FoundCrd,
    crds_of_documents,
    file_error,
)
from stsgen.validation.checks import CHECKS_BY_ID
from stsgen.validation.crd_scan import iter_crd_chunks, load_crd_paths
from stsgen.validation.findings import Finding, ObjectResult, Severity, Summary
from stsgen.validation.options import ValidationOptions
from stsgen.validation.schema_check import suggest
from stsgen.validation.set_rules import Relocator, run_set_rules
from stsgen.validation.sources import Source, os_reason

__all__ = [
    "Validation",
    "ValidationOptions",
    "check_skip_ids",
    "describe_checks",
    "failed",
    "known_checks",
    "validate_documents",
    "validate_sources",
]

log = logging.getLogger(__name__)

# Inputs smaller than this are checked in this process: forking a pool costs more
# than it saves below a few hundred documents.
PARALLEL_MIN_BYTES = 512 * 1024
# Documents are handed to worker processes in batches of about this much text.
BATCH_BYTES = 128 * 1024


class Validation(NamedTuple):
    """The outcome of one run: results in input order, their summary, and the
    paths that could not be read at all (each makes the exit code 2)."""

    results: list[ObjectResult]
    summary: Summary
    unreadable_paths: list[str]


def known_checks() -> dict[str, Rule]:
    """Every rule and engine check, by id: what `stsgen rules` lists."""
    catalogue = dict(CHECKS_BY_ID)
    catalogue.update(load_rules())
    return dict(sorted(catalogue.items()))


def describe_checks() -> dict[str, str]:
    """One-line summaries by id, for the reporters."""
    return {rule_id: rule.summary for rule_id, rule in known_checks().items()}


def check_skip_ids(skip: Iterable[str]) -> frozenset[str]:
    """Return the --skip ids as a set; an unknown id is a usage error."""
    known = known_checks()
    for rule_id in skip:
        if rule_id not in known:
            hint = suggest(rule_id, list(known))
            extra = f'; did you mean "{hint}"?' if hint else "; see `stsgen rules`"
            raise UsageError(f'--skip: unknown rule "{rule_id}"{extra}')
    return frozenset(skip)


def failed(summary: Summary, fail_on: Severity) -> bool:
    """Whether the findings make the run fail (exit code 1)."""
    if summary.error_findings or summary.errors or summary.invalid:
        return True
    return fail_on is Severity.WARNING and summary.warning_findings > 0


def validate_documents(
    documents: Sequence[Document], options: ValidationOptions
) -> tuple[list[ObjectResult], Summary]:
    """Validate documents already read (by `stsgen render`); no input files read."""
    checker = Checker(options, crds_of_documents(documents))
    entries = [entry for doc in documents for entry in checker.check_document(doc)]
    _number_objects(entries)
    run_set_rules(entries, checker, lambda obj, path: obj.locate(path))
    results = [entry.result for entry in entries]
    return results, summarize(results, len({doc.source for doc in documents}))


def validate_sources(
    sources: Sequence[Source], options: ValidationOptions
) -> Validation:
    """Read, parse and validate every source; CRDs anywhere apply to all of them."""
    # Here rather than at the top: `stsgen render` validates without processes.
    from concurrent.futures.process import BrokenProcessPool

    workers = options.workers
    if workers <= 0:
        big = sum(source.size() for source in sources) >= PARALLEL_MIN_BYTES
        workers = parallel.available_cores() if big else 1

    checker = Checker(options, list(load_crd_paths(options.crd_paths)))
    relocator = Relocator(sources)
    unreadable: list[str] = []
    try:
        entries = _check_sources(sources, checker, workers, unreadable, relocator)
    except BrokenProcessPool:
        # A worker died (killed for memory, most likely): one process may cope.
        log.warning("a worker process died; checking again in one process")
        unreadable.clear()
        checker = Checker(options, list(load_crd_paths(options.crd_paths)))
        entries = _check_sources(sources, checker, 1, unreadable, relocator)

    _number_objects(entries)
    run_set_rules(entries, checker, relocator.locate)
    results = [entry.result for entry in entries]
    return Validation(results, summarize(results, len(sources)), unreadable)


def _check_sources(
    sources: Sequence[Source],
    checker: Checker,
    workers: int,
    unreadable: list[str],
    relocator: Relocator,
) -> list[Entry]:
    """Check everything in two passes over ``workers`` processes.

    The first pass finds the CRDs (and checks the pieces holding them, unless
    they also hold custom resources); the second checks the rest, with every CRD
    known, so the order of CRDs and custom resources in the input does not
    matter.
    """
    global _WORKER
    _WORKER = checker
    try:
        found: list[FoundCrd] = []
        ready: dict[tuple[str, int], list[Entry]] = {}
        chunks = iter_crd_chunks(sources, unreadable)
        for key, crds, entries in parallel.map_in_order(
            _check_crd_chunk, chunks, workers
        ):
            found.extend(crds)
            if entries is not None:
                ready[key] = entries
        # Forked again below, the workers of the second pass know every CRD.
        checker.add_crds(found)
        _report_crd_problems(ready.values(), checker, relocator)

        checked: list[Entry] = []
        batches = _iter_batches(sources, unreadable, ready)
        for source, done, pieces in parallel.map_in_order(
            _check_batch, batches, workers
        ):
            pieces.extend((chunk, ready[(source, chunk)]) for chunk in done)
            for _, entries in sorted(pieces, key=lambda piece: piece[0]):
                checked.extend(entries)
        return checked
    finally:
        _WORKER = None


def _report_crd_problems(
    groups: Iterable[list[Entry]], checker: Checker, relocator: Relocator
) -> None:
    """Add what makes a CRD unusable to CRDs checked before all CRDs were known."""
    for entries in groups:
        for entry in entries:
            obj = entry.obj
            if obj is None or "crd-unusable" in entry.skip:
                continue
            key = (obj.doc.source, obj.doc.index, obj.prefix)
            for message in checker.crd_problems.get(key, []):
                line, column = relocator.locate(obj, ())
                entry.result.add(
                    Finding(
                        "crd-unusable",
                        Severity.WARNING,
                        message,
                        obj.doc.source,
                        line,
                        column,
                        obj.ref,
                    )
                )


def _number_objects(entries: Sequence[Entry]) -> None:
    """Number objects across the whole input, for set rules that reason on order."""
    objects = (entry.obj for entry in entries if entry.obj is not None)
    for order, obj in enumerate(objects):
        obj.order = order


def summarize(results: Iterable[ObjectResult], files: int) -> Summary:
    summary = Summary(files=files)
    for result in results:
        summary.record(result)
    return summary


# --- batches and workers ---------------------------------------------------------


class Batch(NamedTuple):
    """Consecutive document chunks of one source (or why it could not be read)."""

    source: str
    chunks: list[tuple[int, int, str]]  # (chunk number, line offset, text)
    # Chunks in this stretch that the CRD pass has checked already.
    done: tuple[int, ...] = ()
    # Why the source cannot be decoded: (message, line, column). Exceptions lose
    # their extra attributes on the way to a worker, so this is plain data.
    error: tuple[str, int, int] | None = None


Pieces = list[tuple[int, list[Entry]]]  # entries by chunk number
_WORKER: Checker | None = None


def _check_crd_chunk(
    task: tuple[str, int, int, str],
) -> tuple[tuple[str, int], list[FoundCrd], list[Entry] | None]:
    checker = _WORKER
    assert checker is not None
    source, chunk, line_offset, text = task
    crds, entries = checker.check_crd_chunk(source, chunk, line_offset, text)
    return (source, chunk), crds, entries


def _check_batch(batch: Batch) -> tuple[str, tuple[int, ...], Pieces]:
    """Check one batch with the checker of this process (set before forking)."""
    checker = _WORKER
    assert checker is not None
    if batch.error is not None:
        error = DocumentError(*batch.error)
        return batch.source, (), [(-1, [file_error(batch.source, "unreadable", error)])]
    pieces: Pieces = [
        (chunk, checker.check_chunk(batch.source, chunk, line_offset, text))
        for chunk, line_offset, text in batch.chunks
    ]
    return batch.source, batch.done, pieces


def _iter_batches(
    sources: Sequence[Source],
    unreadable: list[str],
    ready: dict[tuple[str, int], list[Entry]],
) -> Iterator[Batch]:
    """Split every source into batches of about BATCH_BYTES of document chunks."""
    for source in sources:
        try:
            pieces = _read_pieces(source)
        except OSError as exc:
            reason = f"{source.name}: {os_reason(exc)}"
            if reason not in unreadable:
                unreadable.append(reason)
            continue
        except DocumentError as exc:
            yield Batch(source.name, [], error=(exc.message, exc.line, exc.column))
            continue
        batch: list[tuple[int, int, str]] = []
        done: list[int] = []
        size = 0
        # Taken from the end of a reversed list, each piece is let go once it
        # is handed on, so a large file is not held twice while it is checked.
        pieces.reverse()
        while pieces:
            chunk, line_offset, chunk_text = pieces.pop()
            if (source.name, chunk) in ready:
                done.append(chunk)
                continue
            batch.append((chunk, line_offset, chunk_text))
            size += len(chunk_text)
            if size >= BATCH_BYTES:
                yield Batch(source.name, batch, tuple(done))
                batch, done, size = [], [], 0
        if batch or done:
            yield Batch(source.name, batch, tuple(done))


def _read_pieces(source: Source) -> list[tuple[int, int, str]]:
    """Read, decode and split one source, keeping only the pieces."""
    return split_stream(decode_text(source.read(), source.name))
