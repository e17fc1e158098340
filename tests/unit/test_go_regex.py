"""CRD patterns: what RE2 matches, the schema engine must match."""

from __future__ import annotations

import jsonschema_rs
import pytest

from stsgen.schemas import build_validator
from stsgen.validation.go_regex import ecma_pattern


def matches(pattern: str, text: str) -> bool:
    translated = ecma_pattern(pattern)
    assert translated is not None
    validator: jsonschema_rs.Validator = build_validator({"pattern": translated})
    return validator.is_valid(text)


@pytest.mark.parametrize(
    ("pattern", "matching", "other"),
    [
        ("^[[:alpha:]]+$", ["abc", "XyZ"], ["a1", "[:a", ""]),
        ("^[^[:alpha:]]+$", ["123", "-_"], ["a"]),
        ("^[[:^digit:]]+$", ["abc"], ["a1"]),
        ("^[a[:digit:]_]+$", ["a1_"], ["b"]),
        ("^[[:word:][:space:]]+$", ["a b_\t"], ["-"]),
        ("^[[:punct:]]+$", ["!/[]`~{"], ["a", " "]),
        ("^[[:xdigit:]]{2}$", ["aF", "09"], ["g0"]),
        # RE2 reads a "]" first in brackets, and any "[" in them, as themselves.
        ("^[]a]+$", ["]a"], ["b"]),
        ("^[^]a]+$", ["b["], ["]"]),
        ("^[a[]+$", ["a["], ["b"]),
        (r"^\[[a-z]\]$", ["[q]"], ["q"]),
        ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ["my-app"], ["-a", "A"]),
        # "." leaves out "\n" only, or nothing under the s flag, to its group's end.
        ("^.*$", ["a\rb", "a\u2028b"], ["a\nb"]),
        ("(?s)^.+$", ["a\nb"], []),
        ("^(a(?s).)(.)$", ["a\nb"], ["a\n\n"]),
        ("^[a-z.]+$", ["a.b"], ["a\nb"]),
        # RE2's \s is [\t\n\f\r ], its \b an ASCII boundary, its \< a "<".
        ("^\\S+$", ["caf\u00a0x", "a\vb"], ["a b"]),
        ("^[\\s]$", ["\t"], ["\u00a0"]),
        ("^[\\S]+$", ["a\u00a0b"], ["a b"]),
        ("^[^\\S]+$", [" \t"], ["\u00a0"]),
        ("^[^[:^digit:]]$", ["5"], ["a"]),
        ("\\bfoo\\b", ["\u00e9foo\u00e9", "a foo"], ["afoo"]),
        ("^\\<[a-z]+\\>$", ["<abc>"], ["abc"]),
        ("(?i)^abc$", ["ABC"], ["abd"]),
    ],
)
def test_patterns_match_what_re2_matches(
    pattern: str, matching: list[str], other: list[str]
) -> None:
    assert [matches(pattern, text) for text in matching] == [True] * len(matching)
    assert [matches(pattern, text) for text in other] == [False] * len(other)


def test_a_negated_class_beside_other_members_has_no_spelling() -> None:
    assert ecma_pattern("^[a[:^digit:]]$") is None
    assert ecma_pattern("^[[:^alpha:][:^digit:]]$") is None
    assert ecma_pattern("^[\\S ]+$") is None  # not checked, rather than wrongly


def test_patterns_without_brackets_are_left_alone() -> None:
    assert ecma_pattern(r"^\d+(\.\d+)?$") == r"^\d+(\.\d+)?$"
