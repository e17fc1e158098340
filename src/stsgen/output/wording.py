"""How results are put into words, the same way in every format: object names,
locations, finding lines, the summary line, and text made safe to print."""

from __future__ import annotations

from stsgen.validation.findings import Finding, ObjectRef, ObjectResult, Summary


def _build_escapes() -> dict[int, str]:
    # C0 and C1 controls can move the cursor or recolour a terminal, bidi overrides
    # reorder what a reader sees, U+2028/U+2029 break lines, and surrogates and
    # U+FFFE/U+FFFF cannot be encoded or are not allowed in XML: all are shown as
    # Python-style escapes instead.
    table = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
    table.update({ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"})
    bidi = [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    for code in [*bidi, 0x2028, 0x2029, *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]:
        table[code] = f"\\u{code:04x}"
    return table


_ESCAPES = _build_escapes()
_ESCAPES_KEEPING_BREAKS = {
    code: text for code, text in _ESCAPES.items() if code not in (0x0A, 0x0D)
}


def clean(text: str, *, keep_line_breaks: bool = False) -> str:
    """Make ``text`` safe for a terminal, a log or XML: control characters become
    visible escapes, so a finding always stays on one line."""
    if text.isprintable():
        return text
    return text.translate(_ESCAPES_KEEPING_BREAKS if keep_line_breaks else _ESCAPES)


def describe_object(obj: ObjectRef) -> str:
    """``StatefulSet web``, or ``StatefulSet db/web`` when it names a namespace."""
    if not obj.kind:
        return ""
    if obj.name and obj.namespace:
        return f"{obj.kind} {obj.namespace}/{obj.name}"
    return str(obj)


def describe_result(result: ObjectResult) -> str:
    """Name an object for a reader, even one with no kind (an unreadable document)."""
    described = describe_object(result.obj)
    if described:
        return described
    return f"document at line {result.line}" if result.line > 0 else "whole file"


def format_location(line: int, column: int) -> str:
    """``12:5``; ``12`` without a column; ``-`` where the line is unknown (0)."""
    if line <= 0:
        return "-"
    return f"{line}:{column}" if column > 0 else str(line)


def describe_finding(finding: Finding) -> str:
    """The finding's field path and message: ``spec.replicas: -1 is below 0``."""
    return f"{finding.path}: {finding.message}" if finding.path else finding.message


def describe_finding_fully(finding: Finding) -> str:
    """The finding with its object, for formats where it stands alone."""
    described = describe_object(finding.obj)
    text = describe_finding(finding)
    return f"{described}: {text}" if described else text


def order_findings(result: ObjectResult) -> list[Finding]:
    """A result's findings by position, so output never depends on check order."""
    return sorted(result.findings, key=Finding.sort_key)


def normalize_path(file: str) -> str:
    """The path as given, with forward slashes and no leading ``./``."""
    path = file.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path or file


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def describe_summary(summary: Summary) -> str:
    """``3 files, 12 objects: 10 valid, 2 invalid; 3 errors, 1 warning``."""
    statuses = [f"{summary.valid} valid", f"{summary.invalid} invalid"]
    if summary.errors:
        statuses.append(f"{summary.errors} unreadable")
    if summary.skipped:
        statuses.append(f"{summary.skipped} skipped")
    counts = [
        _count(summary.error_findings, "error"),
        _count(summary.warning_findings, "warning"),
    ]
    files = _count(summary.files, "file")
    objects = _count(summary.objects, "object")
    return f"{files}, {objects}: {', '.join(statuses)}; {', '.join(counts)}"
