"""The GitHub Actions report: each finding as an ``::error`` or ``::warning``
workflow command, which the runner turns into an annotation on the file and line,
written as results arrive, then a plain summary line.

Escaping follows the runner's rules: ``%``, CR and LF in the message; those and
``:`` and ``,`` in property values as well.
"""

from __future__ import annotations

from stsgen.output import Reporter
from stsgen.output.wording import (
    clean,
    describe_finding_fully,
    describe_result,
    describe_summary,
    format_location,
    normalize_path,
    order_findings,
)
from stsgen.validation.findings import Finding, ObjectResult, Status, Summary


class GithubReporter(Reporter):
    """Annotations for findings; valid objects as plain log lines with -v."""

    def report(self, result: ObjectResult) -> None:
        lines = [format_annotation(finding) for finding in order_findings(result)]
        if not lines and result.status is Status.ERROR:
            lines.append(
                _format_command(
                    "error",
                    {"file": normalize_path(result.file), "title": "unreadable"},
                    f"{describe_result(result)}: could not be checked",
                )
            )
        elif not lines and self.verbosity >= 1:
            # A fixed word first, so a file name can never start a workflow command.
            where = result.file
            if result.line > 0:
                where += f":{format_location(result.line, 0)}"
            lines.append(
                clean(f"{result.status.value}: {where}: {describe_result(result)}")
            )
        if lines:
            self.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        self.write(f"stsgen: {describe_summary(summary)}\n")
        self.stream.flush()


def format_annotation(finding: Finding) -> str:
    """``::error file=web.yaml,line=12,col=5,title=rule-id::message``."""
    properties = {"file": normalize_path(finding.file)}
    if finding.line > 0:
        properties["line"] = str(finding.line)
        if finding.column > 0:
            properties["col"] = str(finding.column)
    properties["title"] = finding.rule
    return _format_command(
        finding.severity.value, properties, describe_finding_fully(finding)
    )


def _format_command(command: str, properties: dict[str, str], message: str) -> str:
    joined = ",".join(
        f"{name}={escape_property(value)}" for name, value in properties.items()
    )
    return f"::{command} {joined}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Escape a workflow command's message so it stays one command on one line."""
    text = clean(text, keep_line_breaks=True)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, where ``:`` and ``,`` also end the value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
