"""The JUnit XML report for CI test views: a testsuite per file, a testcase per
object, a failure per error finding, warnings as the testcase's system-out.

Follows the common Ant/Jenkins dialect (testsuites > testsuite > testcase, with
skipped, error, failure, then system-out); an object that could not be read is an
error rather than a failure. No times or host names, so output is reproducible.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from stsgen.output import Reporter
from stsgen.output.wording import (
    clean,
    describe_finding,
    describe_finding_fully,
    describe_result,
    format_location,
    order_findings,
)
from stsgen.validation.findings import Finding, ObjectResult, Severity, Status, Summary

_COUNTER_BY_STATUS = {
    Status.INVALID: "failures",
    Status.ERROR: "errors",
    Status.SKIPPED: "skipped",
}


class JunitReporter(Reporter):
    """Every object is a testcase, whatever the verbosity: test views need passes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._suites: list[tuple[str, list[ObjectResult]]] = []

    def report(self, result: ObjectResult) -> None:
        if not self._suites or self._suites[-1][0] != result.file:
            self._suites.append((result.file, []))
        self._suites[-1][1].append(result)

    def finish(self, summary: Summary) -> None:
        root = ET.Element("testsuites", name="stsgen")
        for file, results in self._suites:
            suite = ET.SubElement(root, "testsuite", name=clean(file))
            for result in results:
                _add_testcase(suite, result)
            _set_counts(suite, results)
        _set_counts(root, [result for _, results in self._suites for result in results])

        ET.indent(root, space="  ")
        # Character references for anything outside ASCII keep the declared
        # encoding true whatever the stream's own encoding is.
        body = ET.tostring(root, encoding="us-ascii", xml_declaration=False)
        self.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.write(body.decode("ascii") + "\n")
        self.stream.flush()


def _set_counts(element: ET.Element, results: list[ObjectResult]) -> None:
    counts = {"tests": len(results), "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        counter = _COUNTER_BY_STATUS.get(result.status)
        if counter:
            counts[counter] += 1
    for name, number in counts.items():
        element.set(name, str(number))


def _add_testcase(suite: ET.Element, result: ObjectResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=clean(describe_result(result)),
        classname=clean(result.file),
    )
    findings = order_findings(result)
    errors = [finding for finding in findings if finding.severity is Severity.ERROR]
    notes = [finding for finding in findings if finding.severity is not Severity.ERROR]

    if result.status is Status.SKIPPED:
        # A skipped test carries no failure; whatever was found is kept as output.
        reason = describe_finding(findings[0]) if findings else "not checked"
        ET.SubElement(case, "skipped", message=clean(reason))
        notes = findings
    else:
        tag = "error" if result.status is Status.ERROR else "failure"
        if result.status is Status.ERROR and not errors:
            ET.SubElement(case, tag, message="could not be checked")
        for finding in errors:
            element = ET.SubElement(
                case,
                tag,
                message=clean(describe_finding(finding)),
                type=clean(finding.rule),
            )
            element.text = clean(_describe_with_location(finding))

    if notes:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(clean(_describe_with_location(note)) for note in notes)


def _describe_with_location(finding: Finding) -> str:
    """``web.yaml:12:5: warning: StatefulSet web: spec.x: message [rule]``."""
    where = finding.file
    if finding.line > 0:
        where += f":{format_location(finding.line, finding.column)}"
    text = describe_finding_fully(finding)
    return f"{where}: {finding.severity.value}: {text} [{finding.rule}]"
