"""Running set rules, which see every object of a run together, and placing their
findings: node trees are not kept once objects are checked, so the one document
a finding is about is read again to find its line and column.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from stsgen.documents import DocumentError, Path, decode_text
from stsgen.rules import Problem, Rule
from stsgen.streams import iter_manifests, split_stream
from stsgen.validation.checker import Checker, Entry
from stsgen.validation.findings import Finding, Severity, format_path
from stsgen.validation.objects import KubeObject, iter_objects
from stsgen.validation.sources import Source

log = logging.getLogger(__name__)

Locate = Callable[[KubeObject, Path], tuple[int, int]]


def run_set_rules(entries: Sequence[Entry], checker: Checker, locate: Locate) -> None:
    """Run every set rule over all objects and add its findings to their results."""
    by_object = {id(e.obj): e for e in entries if e.obj is not None}
    objects = [e.obj for e in entries if e.obj is not None]
    verdicts: list[tuple[Entry, Rule, KubeObject, Problem]] = []
    for rule in checker.set_rules:
        try:
            found = list(rule.check_set(objects, checker.context))
        except Exception as exc:  # one rule must not stop the run
            log.debug("set rule %s failed", rule.id, exc_info=True)
            if objects:
                _report_crash(by_object[id(objects[0])], rule.id, exc)
            continue
        for obj, problem in found:
            entry = by_object.get(id(obj))
            if entry is not None and rule.id not in entry.skip:
                verdicts.append((entry, rule, obj, problem))

    # Placed in input order, so that each document is read again at most once
    # and dropped before the next; added in the rules' order, as found.
    places: dict[int, tuple[int, int]] = {}
    for number in sorted(range(len(verdicts)), key=lambda n: verdicts[n][2].order):
        _, _, obj, problem = verdicts[number]
        places[number] = locate(obj, problem.path)
    for number, (entry, rule, obj, problem) in enumerate(verdicts):
        line, column = places[number]
        entry.result.add(
            Finding(
                rule.id,
                rule.severity,
                problem.message,
                entry.result.file,
                line,
                column,
                obj.ref,
                format_path(problem.path),
            )
        )
    for entry in entries:
        entry.result.findings.sort(key=Finding.sort_key)


def _report_crash(entry: Entry, rule_id: str, exc: Exception) -> None:
    result = entry.result
    message = f"rule {rule_id} failed ({type(exc).__name__}); this is a bug in stsgen"
    result.add(
        Finding(
            "internal-error",
            Severity.ERROR,
            message,
            result.file,
            result.line,
            obj=result.obj,
        )
    )


class Relocator:
    """Finds where a set rule's finding is by parsing its document once more.

    Only the last source and document read are kept: findings are placed in
    input order, so memory does not grow with the number of findings.
    """

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = {source.name: source for source in sources}
        self.source_name: str | None = None
        self.pieces: dict[int, tuple[int, str]] = {}
        self.key: tuple[str, int, Path] | None = None
        self.found: KubeObject | None = None

    def locate(self, obj: KubeObject, path: Path) -> tuple[int, int]:
        key = (obj.doc.source, obj.doc.index, obj.prefix)
        if key != self.key:
            self.key = key
            self.found = self._reread(*key)
        if self.found is None:
            return obj.doc.line_offset + 1, 1
        return self.found.locate(path)

    def _reread(self, name: str, chunk: int, prefix: Path) -> KubeObject | None:
        try:
            if name != self.source_name:
                self.source_name, self.pieces = name, {}
                source = self.sources[name]
                text = decode_text(source.read(), name)
                self.pieces = {
                    n: (line, piece) for n, line, piece in split_stream(text)
                }
            line_offset, text = self.pieces[chunk]
            for doc in iter_manifests(text, name, chunk, line_offset):
                for obj in iter_objects(doc):
                    if obj.prefix == prefix:
                        return obj
        except (KeyError, IndexError, OSError, DocumentError):
            log.debug("cannot read %s again to place a finding", name)
        return None
