"""CRD patterns are Go regular expressions (RE2); the schema engine reads ECMA-262.

The two agree on most of what CRD authors write. Where they part, the pattern is
rewritten so that it matches what RE2 matches:

- inside brackets, RE2 allows POSIX classes (``[[:alpha:]]``), spelled out here
  as the ASCII ranges RE2 gives them, and reads any ``[`` and a ``]`` first as
  themselves;
- ``.`` leaves out only ``\\n`` (everything with the ``s`` flag), where ECMA-262
  also leaves out ``\\r``, U+2028 and U+2029;
- ``\\s`` is ``[\\t\\n\\f\\r ]``, and ``\\b`` and ``\\B`` are ASCII word boundaries;
- ``\\<`` and ``\\>`` are the characters themselves.
"""

from __future__ import annotations

import re

# RE2's POSIX classes (re2/syntax: "ASCII character class"), as ECMA ranges.
POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-\\/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_RE2_SPACE = "\\t\\n\\f\\r "
# Escapes outside brackets whose meaning differs, as RE2 means them.
_ESCAPES = {
    "\\s": f"[{_RE2_SPACE}]",
    "\\S": f"[^{_RE2_SPACE}]",
    "\\b": "(?-u:\\b)",
    "\\B": "(?-u:\\B)",
    "\\<": "<",
    "\\>": ">",
}
# The start of a group that sets flags: (?s), (?i-s), (?s:...).
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")


def ecma_pattern(pattern: str) -> str | None:
    """``pattern`` as the schema engine must read it to match what RE2 matches;
    None when it has no such spelling (a negated class beside other members,
    ``[a[:^digit:]]`` or ``[\\S ]``)."""
    if not any(mark in pattern for mark in "[.\\"):
        return pattern
    out: list[str] = []
    # Whether "." takes "\n" too, per group: a flag holds to its group's end.
    dotall = [False]
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            escape = pattern[index : index + 2]
            out.append(_ESCAPES.get(escape, escape))
            index += 2
        elif char == "[":
            end, members = _bracket(pattern, index)
            if members is None:
                return None
            out.append(members)
            index = end
        elif char == ".":
            out.append("[\\s\\S]" if dotall[-1] else "[^\\n]")
            index += 1
        elif char == "(":
            flags = _FLAGS.match(pattern, index)
            if flags is None or flags[3] == ":":
                dotall.append(dotall[-1])
            if flags is not None:
                on, off = flags[1], flags[2] or ""
                if "s" in on or "s" in off:
                    dotall[-1] = "s" in on and "s" not in off
                out.append(flags[0])
                index = flags.end()
            else:
                out.append(char)
                index += 1
        elif char == ")":
            if len(dotall) > 1:
                dotall.pop()
            out.append(char)
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> tuple[int, str | None]:
    """Translate the bracket expression opening at ``start``; return where it
    ends and its ECMA spelling."""
    index = start + 1
    negated = pattern.startswith("^", index)
    if negated:
        index += 1
    parts: list[str] = []
    negated_classes: list[str] = []
    first = True
    while index < len(pattern):
        char = pattern[index]
        if char == "]" and not first:
            break
        first = False
        if char == "\\":
            escape = pattern[index : index + 2]
            if escape == "\\S":  # all but RE2's spaces, which ECMA has no name for
                negated_classes.append(_RE2_SPACE)
            else:
                parts.append(_RE2_SPACE if escape == "\\s" else escape)
            index += 2
            continue
        if pattern.startswith("[:", index):
            close = pattern.find(":]", index + 2)
            name = pattern[index + 2 : close] if close > 0 else ""
            ranges = POSIX_CLASSES.get(name.lstrip("^"))
            if ranges is not None:
                if name.startswith("^"):
                    negated_classes.append(ranges)
                else:
                    parts.append(ranges)
                index = close + 2
                continue
        # A "[" or "]" that RE2 reads as itself: escaped for ECMA's sake.
        parts.append("\\" + char if char in "[]" else char)
        index += 1
    else:
        return len(pattern), "".join(["[", "^" if negated else "", *parts])
    end = index + 1
    if negated_classes:
        # [[:^digit:]] is [^0-9] and [^\S] is [\t\n\f\r ]; beside other members
        # a negated class has no ECMA spelling.
        if parts or len(negated_classes) > 1:
            return end, None
        return end, f"[{'' if negated else '^'}{negated_classes[0]}]"
    return end, "".join(["[", "^" if negated else "", *parts, "]"])
