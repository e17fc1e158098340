"""JSON laid out for both people and speed: the outer structure indented, and each
item of a deeply nested list (a finding, a SARIF result) on a line of its own.

Items are encoded by the json module's C encoder, which it only uses without
``indent``; a fully indented report of 50,000 findings takes several times longer.
"""

from __future__ import annotations

import json
from typing import Any

_INDENT = "  "
_ENCODE = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode


def dump_json(value: Any, *, inline_from: int) -> str:
    """Indented JSON in which list items ``inline_from`` levels deep or more are
    written on one line each; ASCII only, so any stream encoding can carry it."""
    return _render(value, 0, inline_from, in_list=False) + "\n"


def _render(value: Any, depth: int, inline_from: int, *, in_list: bool) -> str:
    if (
        (in_list and depth >= inline_from)
        or not isinstance(value, (dict, list))
        or not value
    ):
        return _ENCODE(value)
    pad = _INDENT * (depth + 1)
    if isinstance(value, dict):
        members = [
            f"{pad}{_ENCODE(key)}: "
            + _render(item, depth + 1, inline_from, in_list=False)
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(members) + "\n" + _INDENT * depth + "}"
    items = [
        pad + _render(item, depth + 1, inline_from, in_list=True) for item in value
    ]
    return "[\n" + ",\n".join(items) + "\n" + _INDENT * depth + "]"
