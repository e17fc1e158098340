"""Running set rules, which see every object of a run together, and placing their
findings: node trees are not kept once objects are checked, so the one document
a finding is about is read again to find its line and column.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from stsgen.documents import (
    DocumentError,
    Path,
    decode_text,
    iter_documents,
    split_stream,
)
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
    for rule in checker.set_rules:
        try:
            verdicts = list(rule.check_set(objects, checker.context))
        except Exception as exc:  # noqa: BLE001 - one rule must not stop the run
            log.debug("set rule %s failed", rule.id, exc_info=True)
            if objects:
                _report_crash(by_object[id(objects[0])], rule.id, exc)
            continue
        for obj, problem in verdicts:
            entry = by_object.get(id(obj))
            if entry is None or rule.id in entry.skip:
                continue
            line, column = locate(obj, problem.path)
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
    """Finds where a set rule's finding is by parsing its document once more."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = {source.name: source for source in sources}
        self.texts: dict[str, list[tuple[int, str]]] = {}
        self.found: dict[tuple[str, int, Path], KubeObject | None] = {}

    def locate(self, obj: KubeObject, path: Path) -> tuple[int, int]:
        key = (obj.doc.source, obj.doc.index, obj.prefix)
        if key not in self.found:
            self.found[key] = self._reread(*key)
        again = self.found[key]
        if again is None:
            return obj.doc.line_offset + 1, 1
        return again.locate(path)

    def _reread(self, name: str, chunk: int, prefix: Path) -> KubeObject | None:
        try:
            if name not in self.texts:
                source = self.sources[name]
                self.texts[name] = split_stream(decode_text(source.read(), name))
            line_offset, text = self.texts[name][chunk]
            for doc in iter_documents(text, name, chunk, line_offset):
                for obj in iter_objects(doc):
                    if obj.prefix == prefix:
                        return obj
        except (KeyError, IndexError, OSError, DocumentError):
            log.debug("cannot read %s again to place a finding", name)
        return None
