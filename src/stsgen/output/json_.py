"""The JSON report for scripts: every finding, a summary of counts and, with
verbosity >= 1, every object and its status, written once at the end with one
finding or object a line.

Keys keep a fixed order; a line or column of 0 and an empty string mean unknown or
absent, as in the result model.
"""

from __future__ import annotations

from typing import Any

from stsgen.output import Reporter
from stsgen.output.json_layout import dump_json
from stsgen.output.wording import order_findings
from stsgen.validation.findings import Finding, ObjectResult, Severity, Summary


class JsonReporter(Reporter):
    """``{"findings": [...], "objects": [...], "summary": {...}}``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._findings: list[dict[str, Any]] = []
        self._objects: list[dict[str, Any]] = []

    def report(self, result: ObjectResult) -> None:
        findings = order_findings(result)
        self._findings.extend(_build_finding(finding) for finding in findings)
        if self.verbosity >= 1:
            self._objects.append(_build_object(result, findings))

    def finish(self, summary: Summary) -> None:
        document: dict[str, Any] = {"findings": self._findings}
        if self.verbosity >= 1:
            document["objects"] = self._objects
        document["summary"] = {
            "files": summary.files,
            "objects": summary.objects,
            "valid": summary.valid,
            "invalid": summary.invalid,
            "error": summary.errors,
            "skipped": summary.skipped,
            "errorFindings": summary.error_findings,
            "warningFindings": summary.warning_findings,
        }

        self.write(dump_json(document, inline_from=2))
        self.stream.flush()


def _build_finding(finding: Finding) -> dict[str, Any]:
    return {
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "kind": finding.obj.kind,
        "name": finding.obj.name,
        "namespace": finding.obj.namespace,
        "apiVersion": finding.obj.api_version,
        "path": finding.path,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
    }


def _build_object(result: ObjectResult, findings: list[Finding]) -> dict[str, Any]:
    errors = sum(1 for finding in findings if finding.severity is Severity.ERROR)
    return {
        "file": result.file,
        "line": result.line,
        "kind": result.obj.kind,
        "name": result.obj.name,
        "namespace": result.obj.namespace,
        "apiVersion": result.obj.api_version,
        "status": result.status.value,
        "errors": errors,
        "warnings": len(findings) - errors,
    }
