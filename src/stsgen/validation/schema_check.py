"""Turning jsonschema_rs validation errors into plain, one-per-problem messages.

One bad node gives one message: a value that fails every branch of an anyOf or
oneOf (int-or-string, Quantity) is "must be an integer or a string", not one line
per branch, and an unexpected property is an unknown field with a did-you-mean.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from stsgen.documents import Path
from stsgen.schemas import allowed_properties

log = logging.getLogger(__name__)

UNKNOWN_FIELD = "unknown-field"
SCHEMA = "schema"

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_MAX_SHOWN_CHARS = 60
_MAX_SHOWN_OPTIONS = 8
# The bundled schemas write Go's []byte fields (base64 text) as a pattern.
_BASE64_CHARS = "[A-Za-z0-9+/]"


class SchemaProblem(NamedTuple):
    """One problem found by a schema: rule id, field path and message."""

    rule: str
    path: Path
    message: str
    keyword: str = ""  # the failing keyword: "type", "pattern", ...


def explain_errors(
    errors: Iterable[Any], schema: dict | None, redact: bool = False, data: Any = None
) -> list[SchemaProblem]:
    """Turn a validator's errors into problems, one per bad node.

    ``schema`` is the schema validated against, used to suggest a near-miss field
    name; ``redact`` leaves values out of every message (a Secret's data);
    ``data`` is what was validated, whose values messages show as written.
    """
    problems: list[SchemaProblem] = []
    for error in errors:
        problems.extend(_convert(error, schema, redact, data))

    # A value of the wrong type fails every other keyword too; keep the type.
    typed = {p.path for p in problems if p.keyword == "type"}
    kept: list[SchemaProblem] = []
    seen: set[SchemaProblem] = set()
    for problem in problems:
        if problem in seen:
            continue
        if problem.path in typed and problem.keyword != "type":
            continue
        seen.add(problem)
        kept.append(problem)
    return kept


def _convert(
    error: Any, schema: dict | None, redact: bool, data: Any
) -> list[SchemaProblem]:
    kind = error.kind
    name = type(kind).__name__
    path: Path = tuple(error.instance_path)
    value = _as_written(error, data)

    if name in ("AdditionalProperties", "UnevaluatedProperties"):
        unexpected = getattr(kind, "unexpected", None) or []
        return [
            SchemaProblem(
                UNKNOWN_FIELD, (*path, key), describe_unknown(key, schema, path)
            )
            for key in unexpected
        ]
    if name in ("AnyOf", "OneOfNotValid"):
        return _convert_branches(error, schema, redact, data)
    if name == "Required":
        return [
            SchemaProblem(SCHEMA, (*path, kind.property), "required field is missing")
        ]
    if name == "FalseSchema" and path:
        return [SchemaProblem(UNKNOWN_FIELD, path, "field is not allowed here")]
    message = describe_error(name, kind, value, redact, error)
    return [SchemaProblem(SCHEMA, path, message, name.lower())]


def _as_written(error: Any, data: Any) -> Any:
    """The failing value as the object holds it: jsonschema-rs hands back
    integers past 64 bits as floats, and infinities as null."""
    if data is None:
        return error.instance
    node = data
    for step in error.instance_path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return error.instance
    return node


def _convert_branches(
    error: Any, schema: dict | None, redact: bool, data: Any
) -> list[SchemaProblem]:
    """Explain an anyOf/oneOf failure by what its branches have in common."""
    here = tuple(error.instance_path)
    branches = [list(branch) for branch in (getattr(error.kind, "context", None) or [])]
    wanted: list[str] = []
    specific: list[list[Any]] = []
    for branch in branches:
        if branch and all(
            type(e.kind).__name__ == "Type" and tuple(e.instance_path) == here
            for e in branch
        ):
            for e in branch:
                wanted.extend(t for t in e.kind.types if t not in wanted)
        else:
            specific.append(branch)

    if not specific or not any(specific):
        message = (
            describe_type(wanted, _as_written(error, data))
            if wanted
            else ("does not match any of the allowed forms")
        )
        return [SchemaProblem(SCHEMA, here, message, "type" if wanted else "")]

    if (
        all(e and all(type(x.kind).__name__ == "Required" for x in e) for e in specific)
        and len(specific) > 1
    ):
        names = sorted({x.kind.property for branch in specific for x in branch})
        listed = ", ".join(f'"{n}"' for n in names)
        return [SchemaProblem(SCHEMA, here, f"must set one of the fields {listed}")]

    # The value has the right shape for some branch: report what is wrong inside
    # the branch that came closest (fewest errors, then the deepest ones).
    best = min(
        specific,
        key=lambda branch: (len(branch), -max(len(e.instance_path) for e in branch)),
    )
    problems: list[SchemaProblem] = []
    for inner in best:
        problems.extend(_convert(inner, schema, redact, data))
    return problems


def describe_unknown(key: str, schema: dict | None, parent: Path) -> str:
    """Name an unknown field, suggesting the closest allowed one."""
    message = f'unknown field "{key}"'
    allowed = allowed_fields(schema, parent)
    suggestion = suggest(key, allowed)
    if suggestion:
        message += f'; did you mean "{suggestion}"?'
    return message


def allowed_fields(schema: dict | None, parent: Path) -> list[str]:
    if schema is None:
        return []
    try:
        return list(allowed_properties(schema, list(parent)) or [])
    except Exception:  # a suggestion is a nicety, never a failure
        log.debug("no field names for %s", parent, exc_info=True)
        return []


def suggest(word: str, candidates: Sequence[str]) -> str | None:
    """Return the candidate closest to ``word``, or None if none is close."""
    if not candidates:
        return None
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return close[0] if close else None


def describe_type(types: Sequence[str], value: Any) -> str:
    """``must be an integer or a string, not a list``."""
    words = [_TYPE_WORDS.get(t, t) for t in types if t != "null"] or ["null"]
    expected = (
        words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    )
    message = f"must be {expected}, not {type_word(value)}"
    if words == ["a string"] and isinstance(value, (bool, int, float)):
        # yes, y, on, 0644 or 1.0 written without quotes: YAML reads a scalar
        message += "; quote the value to keep it a string"
    return message


def type_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value"


def show(value: Any, redact: bool = False) -> str:
    """A short, quoted rendering of a value for a message (never a secret)."""
    if redact:
        return "the value"
    if isinstance(value, (dict, list)):
        return type_word(value)
    if isinstance(value, str) and len(value) > _MAX_SHOWN_CHARS:
        value = value[:_MAX_SHOWN_CHARS] + "..."
    text = json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and len(text) > _MAX_SHOWN_CHARS:
        return f"{text[:20]}... ({len(text.lstrip('-'))} digits)"
    return text


def describe_error(name: str, kind: Any, value: Any, redact: bool, error: Any) -> str:
    """The message for one plain keyword failure."""
    shown = show(value, redact)
    limit = getattr(kind, "limit", None)
    if name == "Type":
        return describe_type(kind.types, value)
    if name == "Enum":
        options = list(kind.options)
        listed = ", ".join(show(o) for o in options[:_MAX_SHOWN_OPTIONS])
        if len(options) > _MAX_SHOWN_OPTIONS:
            listed += ", ..."
        return f"{shown} is not one of {listed}"
    if name == "Constant":
        return f"{shown} is not the allowed value {show(kind.expected_value)}"
    if name == "Pattern":
        if _BASE64_CHARS in kind.pattern:
            return f"{shown} is not valid base64"
        if len(kind.pattern) > _MAX_SHOWN_CHARS:
            return f"{shown} does not match the required format"
        return f"{shown} does not match the pattern {kind.pattern}"
    if name == "Format":
        return f"{shown} is not a valid {kind.format}"
    if name == "Minimum":
        return f"{shown} is below the minimum of {limit}"
    if name == "Maximum":
        return f"{shown} is above the maximum of {limit}"
    if name == "ExclusiveMinimum":
        return f"{shown} must be greater than {limit}"
    if name == "ExclusiveMaximum":
        return f"{shown} must be less than {limit}"
    if name == "MultipleOf":
        return f"{shown} is not a multiple of {kind.multiple_of}"
    if name == "MinLength":
        return f"{shown} is shorter than {limit} {_plural(limit, 'character')}"
    if name == "MaxLength":
        return f"{shown} is longer than {limit} {_plural(limit, 'character')}"
    if name == "MinItems":
        return f"must have at least {limit} {_plural(limit, 'item')}"
    if name == "MaxItems":
        return f"must have at most {limit} {_plural(limit, 'item')}"
    if name == "MinProperties":
        return f"must have at least {limit} {_plural(limit, 'field')}"
    if name == "MaxProperties":
        return f"must have at most {limit} {_plural(limit, 'field')}"
    if name == "UniqueItems":
        return "list items must be unique"
    if name == "Not":
        return f"{shown} is not allowed here"
    if name == "OneOfMultipleValid":
        return "matches more than one of the allowed forms; it must match exactly one"
    if name == "FalseSchema":
        return "no value is allowed here"
    if name == "Contains":
        return "has no item of the required form"
    if redact:
        return f"the value does not match the schema ({getattr(kind, 'name', name)})"
    return str(error.message)


def _plural(count: Any, word: str) -> str:
    return word if count == 1 else word + "s"
