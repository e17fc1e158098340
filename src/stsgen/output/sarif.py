"""The SARIF 2.1.0 report for code scanning (GitHub and other SARIF viewers): one
run, the rules that were described or reported, and a result per finding.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from stsgen import __version__
from stsgen.output import Reporter
from stsgen.output.json_layout import dump_json
from stsgen.output.wording import (
    describe_finding_fully,
    normalize_path,
    order_findings,
)
from stsgen.validation.findings import Finding, ObjectResult, Summary

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
    "sarif-schema-2.1.0.json"
)

# Characters a relative URI reference may hold as they are (RFC 3986: unreserved,
# "/", sub-delims, "@"); ":" is encoded too, or "a:b.yaml" would read as a scheme.
_URI_SAFE = "/!$&'()*+,;=@"


class SarifReporter(Reporter):
    """Every finding is a result; objects without findings leave no trace."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._findings: list[Finding] = []

    def report(self, result: ObjectResult) -> None:
        self._findings.extend(order_findings(result))

    def finish(self, summary: Summary) -> None:
        rule_ids = sorted({*self.rule_descriptions, *(f.rule for f in self._findings)})
        index_by_rule = {rule_id: index for index, rule_id in enumerate(rule_ids)}
        driver = {
            "name": "stsgen",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [self._build_rule(rule_id) for rule_id in rule_ids],
        }
        results = [
            _build_result(finding, index_by_rule[finding.rule])
            for finding in self._findings
        ]
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": driver},
                    # Columns come from the YAML parser, which counts code points.
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                }
            ],
        }

        # One line for each rule and each result, the rest indented.
        self.write(dump_json(log, inline_from=3))
        self.stream.flush()

    def _build_rule(self, rule_id: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"id": rule_id}
        description = self.rule_descriptions.get(rule_id, "").strip()
        if description:
            rule["shortDescription"] = {"text": description.split("\n", 1)[0].strip()}
            rule["fullDescription"] = {"text": description}
        return rule


def _build_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": format_uri(finding.file)}}
    if finding.line > 0:
        region = {"startLine": finding.line}
        if finding.column > 0:
            region["startColumn"] = finding.column
        physical["region"] = region
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": describe_finding_fully(finding)},
        "locations": [{"physicalLocation": physical}],
    }


def format_uri(file: str) -> str:
    """A relative URI reference for a path as given: ``manifests/web%20db.yaml``."""
    return quote(normalize_path(file), safe=_URI_SAFE)
