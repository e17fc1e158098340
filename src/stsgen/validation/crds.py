"""Schemas for custom resources, derived from the CustomResourceDefinitions given.

A served version's openAPIV3Schema is turned into JSON Schema 2020-12 the way the
API server reads a structural schema: unknown fields are pruned (errors under strict
field validation) unless x-kubernetes-preserve-unknown-fields says otherwise, null
object fields are dropped before validation, and list-type set/map lists must not
repeat an entry. CEL rules (x-kubernetes-validations) and formats are not checked.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Any

import jsonschema_rs

from stsgen.schemas import (
    OBJECT_META,
    REF_PREFIX,
    SCHEMA_DIALECT,
    SchemaStore,
    build_validator,
)
from stsgen.validation.go_regex import ecma_pattern

log = logging.getLogger(__name__)

CRD_API_VERSION = "apiextensions.k8s.io/v1"
# Keyword of the generated schemas for x-kubernetes-list-type: map, checked in Python.
LIST_MAP_KEYWORD = "x-stsgen-list-map-keys"
JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array"})
# Keywords that only ever hold a number; each applies to one JSON type, so null
# passes them.
NUMERIC_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
    }
)
BOUNDS = (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum"))
BOUND_KEYWORDS = frozenset({"minimum", "maximum"})
# Documentation, defaults and what cannot be checked here (CEL rules, formats).
IGNORED_KEYWORDS = frozenset(
    {
        "description",
        "default",
        "example",
        "format",
        "title",
        "externalDocs",
        "x-kubernetes-validations",
        "x-kubernetes-map-type",
        "type",
        "nullable",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource",
    }
)
# The schema of a CRD version without one: anything goes but metadata.
PRESERVE_ALL = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
# Keywords that would reject a null before the API server drops it.
NULL_REJECTING = ("enum", "allOf", "anyOf", "oneOf", "not")


class CrdVersion:
    """One served version of one CRD, converted and compiled on first use."""

    __slots__ = ("crd_name", "deprecation", "root", "schemas", "validators")

    def __init__(self, crd_name: str, root: dict[str, Any]) -> None:
        self.crd_name = crd_name
        self.root = root
        # By strictness: the converted schema, and its compiled validator.
        self.schemas: dict[bool, dict[str, Any] | None] = {}
        self.validators: dict[bool, jsonschema_rs.Validator] = {}
        self.deprecation: str | None = None


class CrdRegistry:
    """The custom resource kinds known from CRDs, by apiVersion and kind."""

    def __init__(self, store: SchemaStore) -> None:
        self.store = store
        self._versions: dict[tuple[str, str], CrdVersion] = {}
        # (group, kind) of the custom kinds whose CRD says scope: Cluster.
        self.cluster_scoped: set[tuple[str, str]] = set()

    def add(self, crd: Any) -> list[str]:
        """Register a CRD's served versions; return what keeps it from being used.

        Never raises: a malformed CRD yields short messages instead.
        """
        if not isinstance(crd, dict):
            return ["CustomResourceDefinition is not a mapping"]
        spec = _mapping(crd.get("spec"))
        group, kind = spec.get("group"), _mapping(spec.get("names")).get("kind")
        # The scope counts even where the schemas cannot be used.
        names_a_kind = isinstance(group, str) and isinstance(kind, str)
        if spec.get("scope") == "Cluster" and names_a_kind:
            self.cluster_scoped.add((group, kind))
        if crd.get("apiVersion") != CRD_API_VERSION:
            message = (
                f"{crd.get('apiVersion')} CustomResourceDefinition cannot be read; "
                f"convert it to {CRD_API_VERSION}"
            )
            return [message]
        crd_name = _mapping(crd.get("metadata")).get("name")
        versions = spec.get("versions")
        problems = []
        if not isinstance(group, str) or not group:
            problems.append("spec.group is missing")
        if not isinstance(kind, str) or not kind:
            problems.append("spec.names.kind is missing")
        if not isinstance(versions, list) or not versions:
            problems.append("spec.versions is missing or not a list")
        if problems:
            return problems

        preserve_root = spec.get("preserveUnknownFields") is True
        for position, version in enumerate(versions):
            where = f"spec.versions[{position}]"
            name = _mapping(version).get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{where}.name is missing")
                continue
            if version.get("served") is False:
                continue
            root = _mapping(version.get("schema")).get("openAPIV3Schema")
            root = {} if root is None else root
            if not isinstance(root, dict):
                problems.append(f"{where}.schema.openAPIV3Schema is not a mapping")
                continue
            if not root or preserve_root:
                root = {**root, **PRESERVE_ALL}
            if isinstance(_mapping(version.get("subresources")).get("status"), dict):
                root = _ignore_status(root)
            entry = CrdVersion(crd_name if isinstance(crd_name, str) else "", root)
            if version.get("deprecated") is True:
                warning = version.get("deprecationWarning")
                entry.deprecation = (
                    warning
                    if isinstance(warning, str) and warning
                    else f"{group}/{name} {kind} is deprecated"
                )
            self._versions[(f"{group}/{name}", kind)] = entry
        return problems

    def knows(self, api_version: str, kind: str) -> bool:
        """Tell whether a registered CRD serves ``kind`` at ``api_version``."""
        return (api_version, kind) in self._versions

    def schema_for(self, api_version: str, kind: str, strict: bool) -> dict | None:
        """Return the JSON Schema for a custom resource kind, or None if unknown."""
        entry = self._versions.get((api_version, kind))
        if entry is None:
            return None
        if strict not in entry.schemas:
            try:
                entry.schemas[strict] = self._resource_schema(entry.root, strict)
            except RecursionError:
                log.warning(
                    "CRD %s nests too deeply; only metadata is checked", entry.crd_name
                )
                entry.schemas[strict] = self._resource_schema(PRESERVE_ALL, strict)
        return entry.schemas[strict]

    def validator_for(
        self, api_version: str, kind: str, strict: bool
    ) -> jsonschema_rs.Validator | None:
        """Return the compiled validator for a custom resource kind, or None."""
        entry = self._versions.get((api_version, kind))
        if entry is None:
            return None
        validator = entry.validators.get(strict)
        if validator is None:
            schema = self.schema_for(api_version, kind, strict)
            try:
                validator = build_validator(schema, keywords=CUSTOM_KEYWORDS)
            except (ValueError, jsonschema_rs.ValidationError) as exc:
                # A keyword value the API server would have refused in the CRD.
                reason = (str(exc).splitlines() or ["invalid schema"])[0]
                log.warning(
                    "CRD %s has a schema that cannot be compiled (%s); "
                    "only metadata is checked",
                    entry.crd_name,
                    reason,
                )
                schema = entry.schemas[strict] = self._resource_schema(
                    PRESERVE_ALL, strict
                )
                validator = build_validator(schema, keywords=CUSTOM_KEYWORDS)
            entry.validators[strict] = validator
        return validator

    def api_versions_of(self, kind: str) -> list[str]:
        """List the apiVersions the registered CRDs serve ``kind`` under."""
        return sorted(
            api_version for api_version, known in self._versions if known == kind
        )

    def deprecation_of(self, api_version: str, kind: str) -> str | None:
        """Return the CRD's deprecation warning for a served version, if it has one."""
        entry = self._versions.get((api_version, kind))
        return None if entry is None else entry.deprecation

    def crd_name_of(self, api_version: str, kind: str) -> str | None:
        """Return the name of the CRD that defines a kind, if one does."""
        entry = self._versions.get((api_version, kind))
        return None if entry is None else entry.crd_name

    def _resource_schema(self, root: dict[str, Any], strict: bool) -> dict[str, Any]:
        converted = convert_schema(root, strict, position="root")
        properties = dict(converted.get("properties", {}))
        meta_ref = {"$ref": REF_PREFIX + OBJECT_META}
        declared_meta = properties.get("metadata")
        # A CRD may narrow metadata.name; everything else about metadata is ObjectMeta.
        if declared_meta and set(declared_meta) - {"type", "additionalProperties"}:
            lenient = convert_schema(root["properties"]["metadata"], False, "property")
            properties["metadata"] = {"allOf": [meta_ref, lenient]}
        else:
            properties["metadata"] = meta_ref
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        converted["properties"] = properties
        converted["type"] = "object"
        return {
            "$schema": SCHEMA_DIALECT,
            **converted,
            "$defs": self.store.definitions_for(OBJECT_META, strict),
        }


def _ignore_status(root: dict[str, Any]) -> dict[str, Any]:
    """Accept any declared status: with the status subresource on, the API server
    drops status from what is created or updated before validating it.
    """
    properties = root.get("properties")
    if not isinstance(properties, dict) or "status" not in properties:
        return root
    anything = {"x-kubernetes-preserve-unknown-fields": True}
    return {**root, "properties": {**properties, "status": anything}}


def convert_schema(
    node: Any, strict: bool, position: str, structural: bool = True
) -> dict[str, Any]:
    """Convert one openAPIV3Schema node to JSON Schema 2020-12.

    ``position`` is "root", "property" (an object field or map value, where the
    API server drops a null it would not accept), "item" or "branch" (inside
    allOf/anyOf/oneOf/not, which checks values but never prunes).
    """
    if not isinstance(node, dict):
        return {}
    out: dict[str, Any] = {}
    # One pass over the keys the node has: CRD schemas run to tens of thousands
    # of nodes, most holding only a type and a description.
    for key, value in node.items():
        if key in IGNORED_KEYWORDS:
            continue
        if key == "properties":
            if isinstance(value, dict):
                out[key] = {
                    str(name): convert_schema(sub, strict, "property", structural)
                    for name, sub in value.items()
                }
        elif key == "items":
            if isinstance(value, dict):
                out[key] = convert_schema(value, strict, "item", structural)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = convert_schema(value, strict, "property", structural)
            elif isinstance(value, bool):
                out[key] = value
        elif key in ("allOf", "anyOf", "oneOf"):
            if isinstance(value, list):
                out[key] = [
                    convert_schema(branch, strict, "branch", structural=False)
                    for branch in value
                ]
        elif key == "not":
            if isinstance(value, dict):
                out[key] = convert_schema(value, strict, "branch", structural=False)
        elif key == "required":
            if isinstance(value, list) and all(isinstance(name, str) for name in value):
                out[key] = list(dict.fromkeys(value))
        elif key == "enum":
            if isinstance(value, list):
                out[key] = list(value)
        elif key == "pattern" and isinstance(value, str):
            translated = ecma_pattern(value)
            if translated is not None and pattern_compiles(translated):
                out[key] = translated
            else:
                log.debug("pattern %r does not compile here; not checked", value)
        elif key in NUMERIC_KEYWORDS and _fits(key, value):
            out[key] = value

    nullable = node.get("nullable") is True
    types = _types_of(node)
    if types is not None:
        if nullable or position == "property":
            types.append("null")
        out["type"] = types[0] if len(types) == 1 else types
    if nullable and "enum" in out and None not in out["enum"]:
        out["enum"].append(None)
    if _restates_int_or_string(node):
        del out["anyOf"]
    # OpenAPI v3.0 writes exclusive bounds as booleans beside minimum and maximum.
    for bound, exclusive in BOUNDS:
        if node.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
    if structural:
        _add_list_type(node, out)
        if node.get("x-kubernetes-embedded-resource") is True:
            _add_embedded_resource(out)
    if (
        strict
        and structural
        and node.get("x-kubernetes-preserve-unknown-fields") is not True
        and "additionalProperties" not in out
        and (node.get("type") == "object" or "properties" in out)
    ):
        # Strict field validation reports every field pruning would drop.
        out["additionalProperties"] = False

    if position == "property" and any(keyword in out for keyword in NULL_REJECTING):
        return {"if": {"type": "null"}, "else": out}
    return out


def _fits(keyword: str, value: Any) -> bool:
    """Tell whether a numeric keyword's value is one JSON Schema accepts."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if keyword == "multipleOf":
        return value > 0
    if keyword.startswith(("min", "max")) and keyword not in BOUND_KEYWORDS:
        return isinstance(value, int) and value >= 0
    return True


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _restates_int_or_string(node: dict[str, Any]) -> bool:
    # controller-gen writes int-or-string as the marker plus anyOf integer/string;
    # the branches would only repeat the type error the marker already gives.
    branches = node.get("anyOf")
    if node.get("x-kubernetes-int-or-string") is not True or not isinstance(
        branches, list
    ):
        return False
    types = [
        branch.get("type")
        for branch in branches
        if isinstance(branch, dict) and set(branch) == {"type"}
    ]
    return len(types) == len(branches) and sorted(map(str, types)) == [
        "integer",
        "string",
    ]


def _types_of(node: dict[str, Any]) -> list[str] | None:
    if node.get("x-kubernetes-int-or-string") is True:
        return ["integer", "string"]
    kind = node.get("type")
    if isinstance(kind, str) and kind in JSON_TYPES:
        return [kind]
    return None


def _add_list_type(node: dict[str, Any], out: dict[str, Any]) -> None:
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        out["uniqueItems"] = True
    elif list_type == "map":
        keys = node.get("x-kubernetes-list-map-keys")
        if not isinstance(keys, list) or not keys:
            return
        keys = [key for key in keys if isinstance(key, str)]
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        properties = (
            items.get("properties") if isinstance(items.get("properties"), dict) else {}
        )
        defaults = {
            key: properties[key]["default"]
            for key in keys
            if isinstance(properties.get(key), dict) and "default" in properties[key]
        }
        if keys:
            out[LIST_MAP_KEYWORD] = {"keys": keys, "defaults": defaults}


def _add_embedded_resource(out: dict[str, Any]) -> None:
    # The API server keeps apiVersion, kind and metadata of an embedded object
    # whatever the schema says, and requires the first two.
    properties = out.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties.setdefault("metadata", {"type": "object"})
    required = out.setdefault("required", [])
    for name in ("apiVersion", "kind"):
        if name not in required:
            required.append(name)


@lru_cache(maxsize=4096)
def pattern_compiles(pattern: str) -> bool:
    """Tell whether the regex engine used for validation accepts ``pattern``."""
    try:
        build_validator({"pattern": pattern})
    except (ValueError, jsonschema_rs.ValidationError):
        return False
    return True


class ListMapKeys:
    """The x-kubernetes-list-type: map check: no two items share all key values."""

    def __init__(self, parent_schema: dict, value: dict, schema_path: list) -> None:
        self.keys = value["keys"]
        self.defaults = value["defaults"]

    def validate(self, instance: Any) -> None:
        if not isinstance(instance, list):
            return
        seen: dict[tuple, int] = {}
        for position, item in enumerate(instance):
            if not isinstance(item, dict):
                continue
            key = tuple(
                _hashable(item.get(name, self.defaults.get(name))) for name in self.keys
            )
            if key in seen:
                described = ", ".join(
                    f"{name}={item.get(name, self.defaults.get(name))!r}"
                    for name in self.keys
                )
                first = seen[key]
                raise ValueError(
                    f"items {first} and {position} repeat the same key ({described})"
                )
            seen[key] = position


def _hashable(value: Any) -> Any:
    # Tagged with the type so that true and 1, equal in Python, stay distinct.
    if isinstance(value, (dict, list)):
        return ("json", repr(value))
    return (type(value).__name__, value)


CUSTOM_KEYWORDS = {LIST_MAP_KEYWORD: ListMapKeys}
