"""The bundled Kubernetes schema store: which versions ship, and lazy loading.

Each bundled version has a small index (apiVersion -> kind -> definition) and reads
the definition files of an API package only when a kind needs them, so checking one
StatefulSet parses the apps, core and meta packages and nothing else.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from stsgen.errors import BrokenInstallError, UsageError
from stsgen.resources import data_dir

log = logging.getLogger(__name__)

BUNDLED_VERSIONS: tuple[str, ...] = ("1.34", "1.35", "1.36", "1.37")
INDEX_FORMAT = 1
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
REF_PREFIX = "#/$defs/"
# Suffix of the copies of status definitions that require nothing (relax_status).
RELAXED_SUFFIX = "--in-status"

_VERSION_TEXT = re.compile(r"v?(1\.\d{1,3})(?:\.\d{1,4})?")


def resolve_version(text: str | None) -> str:
    """Turn "1.35", "v1.35", "v1.35.2" or None (the newest) into a bundled version."""
    if text is None:
        return BUNDLED_VERSIONS[-1]
    match = _VERSION_TEXT.fullmatch(text.strip())
    if match and match.group(1) in BUNDLED_VERSIONS:
        return match.group(1)
    raise _not_bundled(text)


def _not_bundled(text: str) -> UsageError:
    return UsageError(
        f"kubernetes version {text!r} is not bundled; "
        f"choose one of {', '.join(BUNDLED_VERSIONS)}"
    )


def build_validator(
    schema: dict[str, Any], keywords: dict[str, type] | None = None
) -> jsonschema_rs.Validator:
    """Compile a JSON Schema 2020-12 the way every stsgen schema is checked.

    Formats are not asserted (the API server ignores most of them) and patterns
    use the linear-time regex engine, whose syntax is close to Go's RE2.
    """
    return jsonschema_rs.Draft202012Validator(
        schema,
        validate_formats=False,
        pattern_options=jsonschema_rs.RegexOptions(),
        offline=True,
        keywords=keywords,
    )


class SchemaStore:
    """The built-in kinds of one Kubernetes version; files are read on first use."""

    def __init__(self, version: str) -> None:
        if version not in BUNDLED_VERSIONS:
            raise _not_bundled(version)
        self.version = version
        self.minor = int(version.split(".")[1])
        self._definitions: dict[str, dict[str, Any]] = {}
        self._transformed: dict[tuple[str, bool], dict[str, Any]] = {}
        self._closures: dict[tuple[str, bool], dict[str, dict[str, Any]]] = {}
        self._schemas: dict[tuple[str, str, bool], dict[str, Any] | None] = {}
        self._validators: dict[tuple[str, str, bool], jsonschema_rs.Validator] = {}

    def schema_for(self, api_version: str, kind: str, strict: bool) -> dict | None:
        """Return a self-contained schema for a built-in kind, or None if not served.

        Schemas are cached and shared: treat them as read-only.
        """
        key = (api_version, kind, strict)
        if key not in self._schemas:
            name = self._index["kinds"].get(api_version, {}).get(kind)
            self._schemas[key] = (
                None
                if name is None
                else relax_status(self.schema_for_definition(name, strict))
            )
        return self._schemas[key]

    def validator_for(
        self, api_version: str, kind: str, strict: bool
    ) -> jsonschema_rs.Validator | None:
        """Return the compiled validator for a built-in kind, or None if not served."""
        key = (api_version, kind, strict)
        validator = self._validators.get(key)
        if validator is None:
            schema = self.schema_for(api_version, kind, strict)
            if schema is None:
                return None
            validator = self._validators[key] = build_validator(schema)
        return validator

    def knows(self, api_version: str, kind: str) -> bool:
        """Tell whether this version serves ``kind`` at ``api_version``."""
        return kind in self._index["kinds"].get(api_version, {})

    def api_versions_of(self, kind: str) -> list[str]:
        """List the apiVersions this Kubernetes version serves ``kind`` under."""
        return sorted(
            api_version
            for api_version, kinds in self._index["kinds"].items()
            if kind in kinds
        )

    def iter_kinds(self) -> Iterator[tuple[str, str]]:
        """Yield every (apiVersion, kind) this version serves, in a stable order."""
        for api_version, kinds in sorted(self._index["kinds"].items()):
            for kind in sorted(kinds):
                yield api_version, kind

    def object_meta_schema(self, strict: bool) -> dict[str, Any]:
        """Return ObjectMeta as a self-contained schema, for custom resources."""
        return self.schema_for_definition(OBJECT_META, strict)

    def definitions_for(self, name: str, strict: bool) -> dict[str, dict[str, Any]]:
        """Return ``name`` and every definition it refers to, by name, transformed.

        The result is shared between callers and must not be changed.
        """
        key = (name, strict)
        if key not in self._closures:
            closure: dict[str, dict[str, Any]] = {}
            pending = [name]
            while pending:
                current = pending.pop()
                if current not in closure:
                    closure[current] = self._transform(current, strict)
                    pending.extend(_iter_refs(closure[current]))
            self._closures[key] = dict(sorted(closure.items()))
        return self._closures[key]

    def schema_for_definition(self, name: str, strict: bool) -> dict[str, Any]:
        """Return definition ``name`` with its ``$defs`` closure, ready to compile."""
        definitions = self.definitions_for(name, strict)
        return {"$schema": SCHEMA_DIALECT, **definitions[name], "$defs": definitions}

    @property
    def _index(self) -> dict[str, Any]:
        return _read_index(self.version)

    def _definition(self, name: str) -> dict[str, Any]:
        if name not in self._definitions:
            package = name.rpartition(".")[0]
            filename = self._index["packages"].get(package)
            if filename is None:
                raise BrokenInstallError(
                    f"bundled schemas for kubernetes {self.version} lack {package}"
                )
            self._definitions.update(
                _read_json(data_dir("schemas") / "defs" / filename)
            )
            if name not in self._definitions:
                raise BrokenInstallError(
                    f"bundled schemas for kubernetes {self.version} lack {name}"
                )
        return self._definitions[name]

    def _transform(self, name: str, strict: bool) -> dict[str, Any]:
        key = (name, strict)
        if key not in self._transformed:
            definition = self._definition(name)
            self._transformed[key] = close_objects(definition) if strict else definition
        return self._transformed[key]


@cache
def load_store(version: str) -> SchemaStore:
    """Return the shared store of a bundled version, so validators are built once."""
    return SchemaStore(version)


@cache
def _read_index(version: str) -> dict[str, Any]:
    path = data_dir("schemas") / f"v{version}" / "index.json"
    index = _read_json(path)
    if (
        index.get("format") != INDEX_FORMAT
        or not isinstance(index.get("kinds"), dict)
        or not isinstance(index.get("packages"), dict)
    ):
        raise BrokenInstallError(f"bundled schema index {path} has an unknown format")
    log.debug("read schema index %s", path)
    return index


@cache
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BrokenInstallError(f"bundled schema file {path} is missing") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid JSON"
        raise BrokenInstallError(
            f"bundled schema file {path} is unreadable: {reason}"
        ) from None
    if not isinstance(data, dict):
        raise BrokenInstallError(f"bundled schema file {path} is not a JSON object")
    log.debug("read schema file %s", path.name)
    return data


def _iter_refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    yield from _iter_refs(sub)
            elif key not in ("enum", "required", "$ref", "default"):
                yield from _iter_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _iter_refs(item)


def close_objects(schema: Any) -> Any:
    """Return a copy where every object with ``properties`` and no
    ``additionalProperties`` forbids unknown fields, as strict field validation does.
    """
    if isinstance(schema, list):
        return [close_objects(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: close_objects(sub) for name, sub in value.items()}
        elif key in ("enum", "required", "default", "example", "const"):
            result[key] = value
        else:
            result[key] = close_objects(value)
    if "properties" in result and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


def relax_status(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` with no required fields under its top-level ``status``.

    The API server decodes a status given on create (types and unknown fields
    count) but then resets it unvalidated, so ``status: {}`` is accepted even
    where the status type lists required fields.
    """
    status = schema.get("properties", {}).get("status")
    if status is None:
        return schema
    definitions = schema["$defs"]
    relaxed: dict[str, Any] = {}
    pending = list(_iter_refs(status))
    while pending:
        name = pending.pop()
        if name not in relaxed and name in definitions:
            relaxed[name] = _drop_required(definitions[name])
            pending.extend(_iter_refs(definitions[name]))
    properties = {**schema["properties"], "status": _drop_required(status)}
    renamed = {f"{name}{RELAXED_SUFFIX}": value for name, value in relaxed.items()}
    return {
        **schema,
        "properties": properties,
        "$defs": {**definitions, **dict(sorted(renamed.items()))},
    }


def _drop_required(schema: Any) -> Any:
    """Copy ``schema`` without ``required``, pointing refs at relaxed definitions."""
    if isinstance(schema, list):
        return [_drop_required(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
            result[key] = f"{value}{RELAXED_SUFFIX}"
        elif key == "properties" and isinstance(value, dict):
            result[key] = {name: _drop_required(sub) for name, sub in value.items()}
        elif key in ("enum", "const", "default"):
            result[key] = value
        else:
            result[key] = _drop_required(value)
    return result


def allowed_properties(
    schema: dict[str, Any], instance_path: Sequence[str | int]
) -> list[str] | None:
    """Return the property names a schema declares for the object at a path.

    Walks through ``$ref``, ``allOf``/``anyOf``/``oneOf``, ``items`` and map values
    (``additionalProperties``); None when the path leads nowhere or to an object
    without declared properties.
    """
    definitions = schema.get("$defs", {})
    candidates = _expand([schema], definitions)
    for step in instance_path:
        following = []
        for candidate in candidates:
            following.extend(_step_into(candidate, step))
        candidates = _expand(following, definitions)
        if not candidates:
            return None
    names = {
        name
        for candidate in candidates
        if isinstance(candidate.get("properties"), dict)
        for name in candidate["properties"]
    }
    return sorted(names) if names else None


def _step_into(schema: dict[str, Any], step: str | int) -> list[Any]:
    if isinstance(step, int):
        items = schema.get("items")
        return [items] if isinstance(items, dict) else []
    properties = schema.get("properties")
    if isinstance(properties, dict) and step in properties:
        return [properties[step]]
    extra = schema.get("additionalProperties")
    return [extra] if isinstance(extra, dict) else []


def _expand(schemas: list[Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow refs and combinators until only concrete subschemas remain."""
    result: list[dict[str, Any]] = []
    pending = list(schemas)
    seen: set[int] = set()
    while pending:
        schema = pending.pop(0)
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        result.append(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            pending.append(definitions.get(ref[len(REF_PREFIX) :]))
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = schema.get(keyword)
            if isinstance(branches, list):
                pending.extend(branches)
        # CRD-derived schemas guard null-intolerant keywords with if/else.
        pending.extend(schema.get(keyword) for keyword in ("then", "else"))
    return result
