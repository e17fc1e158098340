"""Values: a blueprint's defaults, overridden by files, ``--set`` and dedicated flags.

Precedence, lowest first: ``values.yaml`` of the blueprint; each ``-f FILE`` in
order (deep-merged, later wins); ``--set``/``--set-string`` in order; the dedicated
flags (``--name``, ``--replicas`` ...). The merged values are then checked against
the blueprint's ``values.schema.json``.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from stsgen.documents import Document, DocumentError, iter_documents, non_finite_values
from stsgen.errors import ValuesError
from stsgen.rendering.blueprints import Blueprint
from stsgen.rendering.origins import Origin, origin_of

# Guards a `--set a[100000]=x` from allocating a huge list, as Helm does.
MAX_SET_INDEX = 65536


class SetExpression(NamedTuple):
    """One ``--set`` or ``--set-string`` argument, as given."""

    text: str
    as_string: bool = False


def load_values(
    blueprint: Blueprint,
    files: Sequence[str] = (),
    sets: Sequence[SetExpression] = (),
    flags: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge every source of values for ``blueprint`` and check the result."""
    defaults = _read_defaults(blueprint)
    values = defaults.data
    origins: list[Origin] = []
    if not blueprint.bundled:
        # A folder's defaults are its author's to fix; a bundled blueprint's are
        # not the user's. Copied, as --set changes the values in place.
        values = copy.deepcopy(values)
        origins.append(Origin(f"{blueprint.name}/values.yaml", defaults))

    for name in files:
        document = read_values_file(name)
        values = merge(values, document.data)
        origins.append(Origin("<stdin>" if name == "-" else name, document))

    for expression in sets:
        flag = "--set-string" if expression.as_string else "--set"
        for path, value in parse_set(expression.text, expression.as_string):
            assign(values, path, value)
            origins.append(Origin(f"{flag} {_show(path)}", path=tuple(path)))

    for flag, value in (flags or {}).items():
        if value is None:
            continue
        target = blueprint.flags.get(flag)
        if target is None:
            raise ValuesError(f"blueprint {blueprint.name} has no --{flag} option")
        path = parse_key(target)
        assign(values, path, value)
        origins.append(Origin(f"--{flag}", path=tuple(path)))

    check_values(values, _read_schema(blueprint), blueprint, origins)
    return values


def _read_defaults(blueprint: Blueprint) -> Document:
    name = f"{blueprint.name}/values.yaml"
    try:
        text = blueprint.values_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise blueprint.fault(f"{name} is unreadable: {exc}") from None
    return _parse_values(text, name, blueprint.fault)


def _read_schema(blueprint: Blueprint) -> dict[str, Any]:
    try:
        return json.loads(blueprint.schema_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise blueprint.fault(
            f"{blueprint.name}/values.schema.json is unreadable: {exc}"
        ) from None


def read_values_file(name: str) -> Document:
    """Read one ``-f`` file (``-`` is stdin); it must hold a mapping.

    It is read as manifests are (and as Helm reads values, through the same YAML
    decoder as the API server), with the same limits on aliases and nesting; a
    key given twice is an error, since only one of the values would count.
    """
    label = "<stdin>" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else _read_text(name)
    except OSError as exc:
        raise ValuesError(f"{label}: cannot read values file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValuesError(f"{label}: values file is not UTF-8 text") from None
    return _parse_values(text, label, ValuesError)


def _parse_values(text: str, label: str, error: Callable[[str], Exception]) -> Document:
    """The document of a values file, holding a mapping, or ``error`` naming
    where it is wrong."""
    try:
        documents = list(iter_documents(text, label))
    except DocumentError as exc:
        where = f"{label}:{exc.line}:{exc.column}" if exc.line else label
        raise error(f"{where}: {exc.message}") from None
    if len(documents) > 1:
        line = documents[1].line
        raise error(f"{label}:{line}: a values file holds one YAML document")
    if not documents:
        return Document(label, 0, {})
    document = documents[0]
    if document.duplicate_keys:
        key, line, column = document.duplicate_keys[0]
        raise error(f"{label}:{line}:{column}: key {key!r} is given twice")
    data = document.data
    if not isinstance(data, dict):
        raise error(
            f"{label}: values file must hold a mapping, not {type(data).__name__}"
        )
    return document


def _read_text(name: str) -> str:
    with open(name, encoding="utf-8") as handle:
        return handle.read()


def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``: maps merge, the rest replaces.

    A ``null`` in the override removes the key, as it does in Helm.
    """
    result = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


# --set parsing ---------------------------------------------------------------------


def parse_set(text: str, as_string: bool = False) -> list[tuple[list[str | int], Any]]:
    """Parse ``a.b=1,c[0].d=x,e={p,q}`` into (path, typed value) pairs, as Helm does."""
    pairs = []
    items = _split_unescaped(text, ",", respect_braces=True)
    for position, item in enumerate(items):
        if not item:
            # Helm ignores an empty --set and one trailing comma, nothing else.
            if text and position < len(items) - 1:
                raise ValuesError(f"--set {text!r}: an empty pair before a ','")
            continue
        key, sep, raw = _partition_unescaped(item, "=")
        if not sep:
            raise ValuesError(f"--set {text!r}: {item!r} has no '=value'")
        path = parse_key(key)
        if raw.startswith("{") and not raw.endswith("}"):
            raise ValuesError(f"--set {text!r}: the list {raw!r} has no closing '}}'")
        if raw.startswith("{"):
            value: Any = [
                _typed(_unescape(part), as_string)
                for part in _split_unescaped(raw[1:-1], ",")
                if part != ""
            ]
        else:
            value = _typed(_unescape(raw), as_string)
        pairs.append((path, value))
    return pairs


def parse_key(key: str) -> list[str | int]:
    """Turn ``a.b[0].c`` (``\\.`` escapes a dot) into ``["a", "b", 0, "c"]``."""
    path: list[str | int] = []
    for part in _split_unescaped(key, "."):
        match = _KEY_PART.match(part)
        if match is None:
            raise ValuesError(f"--set key {key!r}: cannot read {part!r}")
        if match["name"]:
            path.append(_unescape(match["name"]))
        elif not path or not match["indexes"]:
            raise ValuesError(f"--set key {key!r} has an empty name")
        for index_text in _INDEX.findall(match["indexes"]):
            if not index_text.isdigit():
                raise ValuesError(f"--set key {key!r}: bad list index [{index_text}]")
            if int(index_text) > MAX_SET_INDEX:
                raise ValuesError(
                    f"--set key {key!r}: index {index_text} is over {MAX_SET_INDEX}"
                )
            path.append(int(index_text))
    return path


_KEY_PART = re.compile(r"^(?P<name>(?:\\.|[^\[\]\\])*)(?P<indexes>(?:\[[^\]]*\])*)$")
_INDEX = re.compile(r"\[([^\]]*)\]")


def _typed(raw: str, as_string: bool) -> Any:
    # Helm's rules: true/false/null by name, integers without a leading zero; a
    # float stays a string.
    if as_string:
        return raw
    lowered = raw.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if raw == "0":
        return 0
    if raw and raw[0] != "0":
        try:
            number = int(raw, 10)
        except ValueError:
            return raw
        if -(2**63) <= number < 2**63 and raw.lstrip("+-").isdigit():
            return number
    return raw


def assign(values: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    """Set ``path`` in ``values`` to ``value``, creating maps and lists on the way."""
    node: Any = values
    for position, step in enumerate(path):
        last = position == len(path) - 1
        next_step = None if last else path[position + 1]
        empty: Any = [] if isinstance(next_step, int) else {}
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ValuesError(f"{_show(path[:position])} is not a list")
            while len(node) <= step:
                node.append(None)
            if last:
                node[step] = value
            elif not isinstance(node[step], (dict, list)):
                node[step] = empty
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise ValuesError(f"{_show(path[:position])} is not a map")
            if last:
                if value is None:
                    node.pop(step, None)
                else:
                    node[step] = value
            elif not isinstance(node.get(step), (dict, list)):
                node[step] = empty
            if not last:
                node = node[step]


def _show(path: Sequence[str | int]) -> str:
    from stsgen.validation.findings import format_path

    return format_path(path) or "values"


def _split_unescaped(
    text: str, separator: str, respect_braces: bool = False
) -> list[str]:
    parts, current, depth, escaped = [], [], 0, False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif respect_braces and char == "{":
            depth += 1
            current.append(char)
        elif respect_braces and char == "}":
            depth = max(depth - 1, 0)
            current.append(char)
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _partition_unescaped(text: str, separator: str) -> tuple[str, str, str]:
    parts = _split_unescaped(text, separator)
    if len(parts) == 1:
        return text, "", ""
    head = parts[0]
    return head, separator, text[len(head) + 1 :]


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


# Schema check ----------------------------------------------------------------------


def check_values(
    values: dict[str, Any],
    schema: dict[str, Any],
    blueprint: Blueprint,
    origins: Sequence[Origin] = (),
) -> None:
    """Raise ValuesError naming the first value that breaks the blueprint's schema,
    and where it was given: the values file and line, or the --set or flag."""
    import jsonschema_rs

    try:
        validator = jsonschema_rs.validator_for(schema, offline=True)
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        lines = str(exc).strip().splitlines()
        reason = lines[0] if lines else "invalid"
        raise blueprint.fault(
            f"{blueprint.name}/values.schema.json is not a valid schema: {reason}"
        ) from None
    try:
        errors = sorted(
            validator.iter_errors(values),
            key=lambda error: (list(map(str, error.instance_path)), error.kind.name),
        )
    except ValueError:
        # jsonschema-rs gives up on data nested a few hundred levels deep.
        raise ValuesError("values nest too deeply to be checked") from None
    if not errors:
        return
    for bad, number in non_finite_values(values):
        # jsonschema-rs would see null here.
        problem = "NaN" if math.isnan(number) else ".inf or a number too long"
        raise ValuesError(
            _placed(list(bad), f"{problem} is not a usable value", origins)
        )
    path, problem = describe_error(errors[0], schema)
    kind = errors[0].kind
    # A missing key is blamed on what removed it (a null), else on its map.
    missing = [*path, kind.property] if kind.name == "required" else None
    raise ValuesError(_placed(path, problem, origins, missing))


def _placed(
    path: list[str | int],
    problem: str,
    origins: Sequence[Origin],
    lookup: list[str | int] | None = None,
) -> str:
    origin = (lookup and origin_of(origins, lookup)) or origin_of(origins, path)
    if origin is None:  # a default, or a value missing altogether
        return f"{_where(path)}: {problem}"
    if origin.document is not None:
        return f"{origin.place(lookup or path)}: {_show(path)}: {problem}"
    return f"{_where(path)}: {problem} (from {origin.label})"


def describe_error(error: Any, schema: dict[str, Any]) -> tuple[list[str | int], str]:
    """The value path an error is about, and what was expected there."""
    path = list(error.instance_path)
    kind = error.kind
    if kind.name == "additionalProperties":
        allowed = sorted(
            _schema_at(schema, error.schema_path[:-1]).get("properties", {})
        )
        key = min(kind.unexpected)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return [*path, key], f"unknown key{hint}"
    if kind.name == "propertyNames":
        inner = kind.error
        described = _description(schema, inner)
        return [*path, inner.instance], f"the key is not {described or 'allowed'}"
    if kind.name in ("anyOf", "oneOfNotValid") and getattr(kind, "context", None):
        branches = [branch for group in kind.context for branch in group]
        wanted = _alternatives(branches, path, schema)
        if wanted:
            from stsgen.validation.schema_check import show

            return path, f"{show(error.instance)} is not {wanted}"
        if branches:
            return describe_error(_most_telling(branches), schema)
    return path, _expectation(error, schema)


def _alternatives(
    branches: list[Any], path: list[Any], schema: dict[str, Any]
) -> str | None:
    """What a scalar failing every branch at this very node could have been:
    ``null or integer``, ``"", "-" or a DNS-1123 subdomain``; None when some
    branch failed deeper or on a range, or for a reason not put in words here."""
    types: list[str] = []
    others: list[str] = []
    for branch in branches:
        if list(branch.instance_path) != path:
            return None
        kind = branch.kind
        name = kind.name
        if name == "type":
            types.extend(_type_list(kind.types))
        elif name == "enum":
            others.extend(json.dumps(option) for option in kind.options)
        elif name == "const":
            others.append(json.dumps(kind.expected_value))
        elif name == "pattern":
            described = _description(schema, branch)
            others.append(described or f"matching {kind.pattern}")
        else:
            # A range missed (the value has a branch's type) says more alone.
            return None
    words = list(dict.fromkeys(others))
    if types:
        words.insert(0, "of type " + " or ".join(dict.fromkeys(types)))
    if not words:
        return None
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _where(path: Sequence[str | int]) -> str:
    return f"values: {_show(path)}" if path else "values"


def _most_telling(branches: list[Any]) -> Any:
    # The branch that got deepest into the value says the most; a bare type
    # mismatch says the least.
    # A missed const (the "" of an optional name) says little more.
    return max(
        branches,
        key=lambda e: (len(e.instance_path), _TELLING.get(e.kind.name, 2)),
    )


_TELLING = {"type": 0, "const": 1}


def _schema_at(schema: dict[str, Any], path: Sequence[str | int]) -> dict[str, Any]:
    node: Any = schema
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return {}
    return node if isinstance(node, dict) else {}


def _expectation(error: Any, schema: dict[str, Any]) -> str:
    from stsgen.validation.schema_check import show, type_word

    kind, value = error.kind, error.instance
    shown = show(value) if _is_scalar(value) else type_word(value)
    name = kind.name
    if name == "enum":
        return f"{shown} is not one of {', '.join(json.dumps(v) for v in kind.options)}"
    if name == "minimum":
        return f"{shown} is below the minimum of {kind.limit}"
    if name == "maximum":
        return f"{shown} is above the maximum of {kind.limit}"
    if name == "pattern":
        described = _description(schema, error)
        return f"{shown} is not {described or 'matching ' + kind.pattern}"
    if name == "maxLength":
        return f"{shown} is longer than {kind.limit} characters"
    if name == "minLength":
        return f"{shown} is shorter than {kind.limit} characters"
    if name == "required":
        return f"missing required key {kind.property}"
    if name == "type":
        return f"{shown} is not of type {_type_names(kind.types)}"
    if name == "not":
        described = _description(schema, error)
        return f"{shown} is not allowed" + (f"; use {described}" if described else "")
    return error.message


def _type_names(types: Any) -> str:
    return " or ".join(_type_list(types))


def _type_list(types: Any) -> list[str]:
    names = types if isinstance(types, (list, tuple)) else [types]
    return [str(getattr(item, "name", item)).lower() for item in names]


def _description(schema: dict[str, Any], error: Any) -> str | None:
    """The description of the schema whose keyword ``error`` failed: it says, in
    words, what a pattern means."""
    return _schema_at(schema, error.schema_path[:-1]).get("description")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None
