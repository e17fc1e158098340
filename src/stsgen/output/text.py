"""The text report for people: findings grouped under their file, one aligned line
each, written as results arrive, then a summary line."""

from __future__ import annotations

from stsgen.output import Reporter
from stsgen.output.wording import (
    clean,
    describe_finding,
    describe_object,
    describe_result,
    describe_summary,
    format_location,
    order_findings,
)
from stsgen.validation.findings import Finding, ObjectResult, Status, Summary

# Columns are fixed rather than measured so each line can be written at once;
# a location longer than 7 characters (past 9999:99) only pushes its own line along.
_LOCATION_WIDTH = 7
_LABEL_WIDTH = 7

_BOLD = "1"
_DIM = "2"
_STYLE_BY_LABEL = {
    "error": "1;31",
    "invalid": "1;31",
    "warning": "33",
    "valid": "32",
    "skipped": _DIM,
}
_ALWAYS_SHOWN = (Status.INVALID, Status.ERROR)
_LABEL_BY_STATUS = {
    Status.VALID: "valid",
    Status.INVALID: "invalid",
    Status.ERROR: "error",
    Status.SKIPPED: "skipped",
}


class TextReporter(Reporter):
    """Findings under a header per file; valid and skipped objects too from
    verbosity 1."""

    _file: str | None = None
    _wrote_rows = False

    def report(self, result: ObjectResult) -> None:
        rows = [self._format_finding(finding) for finding in order_findings(result)]
        if not rows and (self.verbosity >= 1 or result.status in _ALWAYS_SHOWN):
            rows.append(self._format_status(result))
        if not rows:
            return

        if result.file != self._file:
            self._file = result.file
            self.write(self._paint(result.file, _BOLD) + "\n")
        self.write("".join(rows))
        self._wrote_rows = True

    def finish(self, summary: Summary) -> None:
        if self._wrote_rows:
            self.write("\n")
        self.write(describe_summary(summary) + "\n")
        self.stream.flush()

    def _format_finding(self, finding: Finding) -> str:
        cells = [
            self._paint(describe_finding(finding)),
            self._paint(f"[{finding.rule}]", _DIM),
        ]
        described = describe_object(finding.obj)
        if described:
            cells.append(self._paint(described, _DIM))
        location = format_location(finding.line, finding.column)
        return self._format_row(location, finding.severity.value, cells)

    def _format_status(self, result: ObjectResult) -> str:
        cells = [self._paint(describe_result(result))]
        if result.status is Status.ERROR:
            cells.insert(0, "could not be checked")
        return self._format_row(
            format_location(result.line, 0), _LABEL_BY_STATUS[result.status], cells
        )

    def _format_row(self, location: str, label: str, cells: list[str]) -> str:
        # Padding stays outside the colour codes so columns line up either way.
        padding = " " * (_LABEL_WIDTH - len(label))
        label = self._paint(label, _STYLE_BY_LABEL.get(label, "")) + padding
        return "  ".join(["", location.ljust(_LOCATION_WIDTH), label, *cells]) + "\n"

    def _paint(self, text: str, style: str = "") -> str:
        """Make ``text`` safe to print, wrapped in an ANSI style when colour is on."""
        text = clean(text)
        if not self.color or not style:
            return text
        return f"\x1b[{style}m{text}\x1b[0m"
