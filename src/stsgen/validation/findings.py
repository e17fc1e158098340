"""The result model shared by the validation engine, the rules and the reporters.

A *finding* is one problem at one place: a file, a line and column, the object it
belongs to, the field path inside that object, a rule id and a severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple


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


class ObjectRef(NamedTuple):
    """Which object a finding is about; empty strings where the object has none."""

    kind: str = ""
    name: str = ""
    namespace: str = ""
    api_version: str = ""

    def __str__(self) -> str:
        if not self.kind:
            return ""
        return f"{self.kind} {self.name}" if self.name else self.kind


class Finding(NamedTuple):
    """One problem at one place."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int = 0
    column: int = 0
    obj: ObjectRef = ObjectRef()
    path: str = ""

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


class ObjectResult:
    """Every finding for one object, or for one file that could not be read."""

    __slots__ = ("file", "findings", "line", "obj", "status")

    def __init__(
        self,
        file: str,
        obj: ObjectRef,
        line: int = 0,
        findings: list[Finding] | None = None,
        status: Status = Status.VALID,
    ) -> None:
        self.file = file
        self.obj = obj
        self.line = line
        self.findings = [] if findings is None else findings
        self.status = status

    def __repr__(self) -> str:
        where = f"{self.file!r}, line={self.line}"
        return f"ObjectResult({where}, {self.obj}, {self.status.value})"

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        if finding.severity is Severity.ERROR and self.status is not Status.ERROR:
            self.status = Status.INVALID


class Summary:
    """Counts over a run: objects by status, findings by severity."""

    __slots__ = (
        "error_findings",
        "errors",
        "files",
        "invalid",
        "objects",
        "skipped",
        "valid",
        "warning_findings",
    )

    def __init__(
        self,
        files: int = 0,
        objects: int = 0,
        valid: int = 0,
        invalid: int = 0,
        errors: int = 0,
        skipped: int = 0,
        error_findings: int = 0,
        warning_findings: int = 0,
    ) -> None:
        self.files = files
        self.objects = objects
        self.valid = valid
        self.invalid = invalid
        self.errors = errors
        self.skipped = skipped
        self.error_findings = error_findings
        self.warning_findings = warning_findings

    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return self.counts() == other.counts()

    def __repr__(self) -> str:
        counts = (f"{n}={v}" for n, v in zip(self.__slots__, self.counts()))
        return f"Summary({', '.join(counts)})"

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
