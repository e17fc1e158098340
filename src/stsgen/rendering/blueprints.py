"""Finding and describing the bundled blueprints.

A *blueprint* is a folder ``templates/<name>/`` with ``blueprint.yaml`` (a one-line
description and the dedicated flags it supports), ``values.yaml`` (commented
defaults), ``values.schema.json`` and one Jinja2 template per Kubernetes kind.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import NamedTuple

import yaml

from stsgen.errors import (
    BlueprintError,
    BlueprintNotFoundError,
    BrokenInstallError,
    StsgenError,
)
from stsgen.resources import data_dir

TEMPLATE_SUFFIX = ".yaml.j2"


class Blueprint(NamedTuple):
    name: str
    path: Path
    description: str
    # Dedicated CLI flag (without dashes) -> dotted value path it sets.
    flags: dict[str, str]
    # False for a folder given as a path: then its faults are the user's to fix.
    bundled: bool = True

    def fault(self, message: str) -> StsgenError:
        """The error for a fault in the blueprint's own files."""
        return _fault(self.bundled, message)

    @property
    def values_file(self) -> Path:
        return self.path / "values.yaml"

    @property
    def schema_file(self) -> Path:
        return self.path / "values.schema.json"

    def template_names(self) -> list[str]:
        """Loader names (``<blueprint>/<file>``) of the templates that render objects."""
        return sorted(
            f"{self.name}/{entry.name}"
            for entry in self.path.iterdir()
            if entry.name.endswith(TEMPLATE_SUFFIX) and not entry.name.startswith("_")
        )


def templates_root() -> Path:
    return data_dir("templates")


def list_blueprints() -> list[Blueprint]:
    """Every bundled blueprint, sorted by name."""
    root = templates_root()
    return [
        load_blueprint(entry)
        for entry in sorted(root.iterdir())
        if (entry / "blueprint.yaml").is_file()
    ]


def find_blueprint(name: str) -> Blueprint:
    """Return the bundled blueprint called ``name``, or the blueprint folder at
    ``name`` when it is a path (it holds a ``/``, as ``./web`` does); raise with
    the names that exist."""
    if "/" in name or os.sep in name:
        return _load_local_blueprint(name)
    path = templates_root() / name
    if name and (path / "blueprint.yaml").is_file():
        return load_blueprint(path)
    known = [blueprint.name for blueprint in list_blueprints()]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise BlueprintNotFoundError(
        f"no blueprint named {name!r}{hint} (available: {', '.join(known)})"
    )


def _load_local_blueprint(given: str) -> Blueprint:
    path = Path(given)
    if path.exists() and not path.is_dir():
        raise BlueprintError(f"{given} is not a blueprint: it is not a folder")
    if not path.is_dir():
        raise BlueprintError(f"blueprint folder {given} does not exist")
    if not (path / "blueprint.yaml").is_file():
        raise BlueprintError(f"{given} is not a blueprint: it has no blueprint.yaml")
    return load_blueprint(path.resolve(), bundled=False)


def _fault(bundled: bool, message: str) -> StsgenError:
    # A bundled blueprint's fault is a broken installation; a folder given as a
    # path is the user's to fix.
    return BrokenInstallError(message) if bundled else BlueprintError(message)


def load_blueprint(path: Path, bundled: bool = True) -> Blueprint:
    try:
        text = (path / "blueprint.yaml").read_text(encoding="utf-8")
        meta = yaml.load(text, Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise _fault(
            bundled, f"{path.name}/blueprint.yaml is unreadable: {reason}"
        ) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("description"), str):
        raise _fault(bundled, f"{path.name}/blueprint.yaml has no description")
    flags = meta.get("flags") or {}
    if not isinstance(flags, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in flags.items()
    ):
        message = f"{path.name}/blueprint.yaml: flags must map flag names to paths"
        raise _fault(bundled, message)
    for required in ("values.yaml", "values.schema.json"):
        if not (path / required).is_file():
            raise _fault(bundled, f"blueprint {path.name} has no {required}")
    return Blueprint(
        name=path.name,
        path=path,
        description=meta["description"].strip(),
        flags=dict(flags),
        bundled=bundled,
    )
