"""The result model shared by the validation engine, the rules and the reporters.

A *finding* is one problem at one place: a file, a line and column, the object it
belongs to, the field path inside that object, a rule id and a severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"  # the API server rejects it, or the file cannot be read
    WARNING = "warning"  # accepted, but broken or risky


class Status(str, Enum):
    """What became of one object (or one file that yielded no object)."""

    VALID = "valid"
    INVALID = "invalid"
    ERROR = "error"  # could not be read or checked at all
    SKIPPED = "skipped"


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path as kubectl does: ``spec.containers[0].ports[1].name``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif text:
            text += f".{step}" if _plain(step) else f"[{step!r}]"
        else:
            text = step if _plain(step) else f"[{step!r}]"
    return text


def _plain(step: str) -> bool:
    return bool(step) and all(c.isalnum() or c in "-_$" for c in step)


@dataclass(frozen=True)
class ObjectRef:
    """Which object a finding is about; empty strings where the object has none."""

    kind: str = ""
    name: str = ""
    namespace: str = ""
    api_version: str = ""

    def __str__(self) -> str:
        if not self.kind:
            return ""
        return f"{self.kind} {self.name}" if self.name else self.kind


@dataclass(frozen=True)
class Finding:
    """One problem at one place."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int = 0
    column: int = 0
    obj: ObjectRef = field(default_factory=ObjectRef)
    path: str = ""

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


@dataclass(slots=True)
class ObjectResult:
    """Every finding for one object, or for one file that could not be read."""

    file: str
    obj: ObjectRef
    line: int = 0
    findings: list[Finding] = field(default_factory=list)
    status: Status = Status.VALID

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        if finding.severity is Severity.ERROR and self.status is not Status.ERROR:
            self.status = Status.INVALID


@dataclass
class Summary:
    files: int = 0
    objects: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0
    error_findings: int = 0
    warning_findings: int = 0

    def record(self, result: ObjectResult) -> None:
        self.objects += 1
        counter = {
            Status.VALID: "valid",
            Status.INVALID: "invalid",
            Status.ERROR: "errors",
            Status.SKIPPED: "skipped",
        }[result.status]
        setattr(self, counter, getattr(self, counter) + 1)
        for finding in result.findings:
            if finding.severity is Severity.ERROR:
                self.error_findings += 1
            else:
                self.warning_findings += 1
