"""CustomResourceDefinition rules: names, versions and structural schemas.

They follow the apiextensions-apiserver validation (pkg/apis/apiextensions/
validation and pkg/apiserver/schema/validation.go). A *structural* schema has a
type on every node, keeps logic (allOf, anyOf, oneOf, not) free of types and
descriptions, and restricts metadata to name and generateName.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stsgen.documents import Path
from stsgen.rules import _formats
from stsgen.rules._formats import quote
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

CRD_KINDS = ["CustomResourceDefinition"]
SCOPES = ("Namespaced", "Cluster")
SCHEMA_TYPES = ("array", "boolean", "integer", "number", "object", "string")
COLUMN_TYPES = ("integer", "number", "string", "boolean", "date")
COLUMN_FORMATS = (
    "int32",
    "int64",
    "float",
    "double",
    "byte",
    "date",
    "date-time",
    "password",
)
LIST_TYPES = ("atomic", "set", "map")
MAP_TYPES = ("atomic", "granular")
# Keywords of OpenAPI v3 that Kubernetes refuses in CRD schemas.
UNSUPPORTED_KEYWORDS = (
    "$ref", "definitions", "id", "patternProperties", "dependencies", "additionalItems",
)  # fmt: skip
LOGIC_KEYWORDS = ("allOf", "anyOf", "oneOf", "not")
# What a node under allOf/anyOf/oneOf/not must leave to the structural part.
FORBIDDEN_IN_LOGIC = (
    "type", "additionalProperties", "default", "title", "description", "nullable",
    "x-kubernetes-list-type", "x-kubernetes-map-type", "x-kubernetes-validations",
)  # fmt: skip
FLAGS_FORBIDDEN_IN_LOGIC = (
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
)  # fmt: skip
INT_OR_STRING_ANY_OF = [{"type": "integer"}, {"type": "string"}]
METADATA_SCHEMA_PROPERTIES = frozenset({"name", "generateName"})
# Known limit: CEL rules (x-kubernetes-validations), RE2 patterns and defaults are
# not compiled or checked against the schema; that needs a CEL and RE2 engine.
# Deeper schemas are not read further; no real CRD nests anywhere near this.
MAX_SCHEMA_DEPTH = 200


def _ensure_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ensure_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_v1_crd(obj: KubeObject) -> bool:
    return obj.api_version == "apiextensions.k8s.io/v1"


def _get_names(obj: KubeObject) -> dict[str, Any]:
    return _ensure_dict(obj.spec.get("names"))


def _iter_versions(obj: KubeObject) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, version in enumerate(_ensure_list(obj.spec.get("versions"))):
        if isinstance(version, dict):
            yield index, version


@object_rule("crd-name", Severity.ERROR, kinds=CRD_KINDS)
def check_name(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A CRD's name must be `<spec.names.plural>.<spec.group>`.

    The API server serves the resource at that name and refuses any other, e.g.
    `backups.example.com` for plural `backups` in group `example.com`.
    """
    name = obj.metadata.get("name")
    plural = _get_names(obj).get("plural")
    group = obj.spec.get("group")
    if not all(isinstance(value, str) and value for value in (name, plural, group)):
        return
    expected = f"{plural}.{group}"
    if name != expected:
        yield Problem(
            ("metadata", "name"),
            f'{quote(name)} must be spec.names.plural + "." + spec.group, '
            f"i.e. {quote(expected)}",
        )


@object_rule("crd-group", Severity.ERROR, kinds=CRD_KINDS)
def check_group(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """spec.group must be a DNS subdomain with at least one dot.

    Groups are domain names owned by the API's author, such as `example.com` or
    `postgresql.cnpg.io`; a single word like `mygroup` is rejected.
    """
    group = obj.spec.get("group")
    if group is None or group == "":
        yield Problem(
            ("spec",), "spec.group is missing; use a domain such as example.com"
        )
        return
    if not isinstance(group, str):
        return
    error = _formats.check_dns1123_subdomain(group)
    if error:
        yield Problem(("spec", "group"), error)
    elif "." not in group:
        yield Problem(
            ("spec", "group"),
            f"{quote(group)} needs at least one dot; use a domain such as "
            f"{group}.example.com",
        )


@object_rule("crd-names", Severity.ERROR, kinds=CRD_KINDS)
def check_names(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """spec.names must be valid: plural and kind given, every name a DNS-1035 label.

    plural, singular, shortNames and categories are lower-case DNS-1035 labels
    (letters, digits and '-', starting with a letter); kind and listKind may mix
    case but must otherwise match, and may not be equal.
    """
    if "names" in obj.spec and not isinstance(obj.spec.get("names"), dict):
        return
    names = _get_names(obj)
    for key in ("plural", "kind"):
        if names.get(key) is None or names.get(key) == "":
            yield Problem(("spec", "names"), f"spec.names.{key} is missing")
    for key in ("plural", "singular"):
        value = names.get(key)
        if isinstance(value, str) and value:
            error = _formats.check_dns1035_label(value)
            if error:
                yield Problem(("spec", "names", key), error)
    for key in ("kind", "listKind"):
        value = names.get(key)
        if isinstance(value, str) and value:
            error = _formats.check_dns1035_label(value.lower())
            if error:
                yield Problem(
                    ("spec", "names", key),
                    f"{key} {quote(value)} may mix case but must otherwise be a DNS-1035 "
                    "label: letters, digits and '-', starting with a letter",
                )
    for key in ("shortNames", "categories"):
        for index, value in enumerate(_ensure_list(names.get(key))):
            if isinstance(value, str):
                error = _formats.check_dns1035_label(value)
                if error:
                    yield Problem(("spec", "names", key, index), error)
    kind = names.get("kind")
    if isinstance(kind, str) and kind and names.get("listKind") == kind:
        yield Problem(
            ("spec", "names", "listKind"), "kind and listKind may not be equal"
        )


@object_rule("crd-scope", Severity.ERROR, kinds=CRD_KINDS)
def check_scope(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """spec.scope is required and must be Namespaced or Cluster.

    It decides whether custom resources live in a namespace; there is no default.
    """
    scope = obj.spec.get("scope")
    if scope is None or scope == "":
        yield Problem(("spec",), "spec.scope is missing; use Namespaced or Cluster")
    elif isinstance(scope, str) and scope not in SCOPES:
        yield Problem(
            ("spec", "scope"),
            f"{quote(scope)} is not a scope; use Namespaced or Cluster",
        )


@object_rule("crd-versions", Severity.ERROR, kinds=CRD_KINDS)
def check_versions(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """spec.versions: unique DNS-1035 names, exactly one storage version, schemas.

    Exactly one version must have `storage: true` (the form kept in etcd); names
    like v1, v1beta1 or v2alpha3 must be unique; in apiextensions.k8s.io/v1 every
    version needs schema.openAPIV3Schema.
    """
    versions = obj.spec.get("versions")
    if not isinstance(versions, list):
        if versions is None:
            yield Problem(
                ("spec",), "spec.versions is missing; list at least one version"
            )
        return
    storage = [
        index
        for index, version in _iter_versions(obj)
        if version.get("storage") is True
    ]
    if len(storage) != 1:
        where: Path = (
            ("spec", "versions", storage[1])
            if len(storage) > 1
            else ("spec", "versions")
        )
        marked = f"{len(storage)} versions are" if storage else "no version is"
        yield Problem(where, f"{marked} marked storage: true; mark exactly one")
    seen: set[str] = set()
    for index, version in _iter_versions(obj):
        name = version.get("name")
        if isinstance(name, str):
            error = _formats.check_dns1035_label(name)
            if error:
                yield Problem(("spec", "versions", index, "name"), error)
            elif name in seen:
                yield Problem(
                    ("spec", "versions", index, "name"),
                    f"version {quote(name)} is listed twice",
                )
            seen.add(name)
        schema = _ensure_dict(version.get("schema")).get("openAPIV3Schema")
        if _is_v1_crd(obj) and schema is None:
            yield Problem(
                ("spec", "versions", index),
                "version has no schema.openAPIV3Schema; apiextensions.k8s.io/v1 "
                "requires one",
            )


@object_rule("crd-served-version", Severity.WARNING, kinds=CRD_KINDS)
def check_served(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A CRD with no served version is accepted but its resources cannot be used.

    With every version `served: false` the API server stores the definition but
    serves no endpoint, so creating a custom resource of it fails.
    """
    versions = list(_iter_versions(obj))
    if versions and not any(version.get("served") is True for _, version in versions):
        yield Problem(
            ("spec", "versions"), "no version is served: true; nothing can use this CRD"
        )


@object_rule("crd-structural-schema", Severity.ERROR, kinds=CRD_KINDS)
def check_structural_schema(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Every version's schema must be structural, as apiextensions.k8s.io/v1 demands.

    Each property and array item needs a type (unless it sets
    x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields); arrays
    need items; the root is an object without additionalProperties; properties and
    additionalProperties exclude each other; allOf/anyOf/oneOf/not may not set
    types, descriptions or defaults, nor name fields missing from the structural
    part; root metadata may only restrict name and generateName; $ref,
    definitions, patternProperties and uniqueItems are not supported.
    """
    for index, version in _iter_versions(obj):
        schema = _ensure_dict(version.get("schema")).get("openAPIV3Schema")
        if isinstance(schema, dict):
            path = ("spec", "versions", index, "schema", "openAPIV3Schema")
            yield from _iter_structural_problems(schema, path, "root", 0)


def _iter_structural_problems(
    node: dict[str, Any], path: Path, level: str, depth: int
) -> Iterator[Problem]:
    if depth > MAX_SCHEMA_DEPTH:
        return
    yield from _iter_node_problems(node, path, level)

    properties = node.get("properties")
    for key, child in _ensure_dict(properties).items():
        if isinstance(child, dict):
            child_path = (*path, "properties", key)
            yield from _iter_structural_problems(child, child_path, "field", depth + 1)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _iter_structural_problems(items, (*path, "items"), "item", depth + 1)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        yield from _iter_structural_problems(
            additional, (*path, "additionalProperties"), "field", depth + 1
        )

    skip_any_of = node.get("anyOf") == INT_OR_STRING_ANY_OF
    all_of = _ensure_list(node.get("allOf"))
    skip_first_any_of = bool(all_of) and _ensure_dict(all_of[0]).get("anyOf") == (
        INT_OR_STRING_ANY_OF
    )
    for keyword in LOGIC_KEYWORDS:
        branches = node.get(keyword)
        if keyword == "not":
            branches = [branches] if isinstance(branches, dict) else []
        for position, branch in enumerate(_ensure_list(branches)):
            if not isinstance(branch, dict):
                continue
            branch_path = (
                (*path, keyword) if keyword == "not" else (*path, keyword, position)
            )
            skip = keyword == "anyOf" and skip_any_of
            skip_inner = keyword == "allOf" and position == 0 and skip_first_any_of
            if not skip:
                yield from _iter_logic_problems(
                    branch, node, branch_path, skip_inner, depth + 1
                )


def _iter_node_problems(
    node: dict[str, Any], path: Path, level: str
) -> Iterator[Problem]:
    node_type = node.get("type")
    flags = _get_flags(node)
    for keyword in UNSUPPORTED_KEYWORDS:
        if keyword in node:
            yield Problem(
                (*path, keyword), f"{keyword} is not supported in CRD schemas"
            )
    if node.get("uniqueItems") is True:
        yield Problem(
            (*path, "uniqueItems"),
            "uniqueItems: true is not supported; use x-kubernetes-list-type: set",
        )
    if isinstance(node.get("items"), list):
        yield Problem(
            (*path, "items"), "items must be one schema, not a list of schemas"
        )
    if node_type == "null":
        yield Problem((*path, "type"), "type null is not supported; use nullable: true")
    elif isinstance(node_type, str) and node_type and node_type not in SCHEMA_TYPES:
        yield Problem(
            (*path, "type"),
            f"{quote(node_type)} is not a schema type; use one of "
            f"{', '.join(SCHEMA_TYPES)}",
        )

    if "x-kubernetes-embedded-resource" in flags and node_type != "object":
        yield Problem(path, "x-kubernetes-embedded-resource needs type: object")
    elif not node_type and not flags & {
        "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields",
    }:
        where = {
            "root": "the schema root",
            "item": "array items",
            "field": "this field",
        }
        yield Problem(
            path,
            f"{where[level]} has no type; set one, or x-kubernetes-int-or-string or "
            "x-kubernetes-preserve-unknown-fields",
        )
    if node_type == "array" and "items" not in node:
        yield Problem(path, "an array needs items (the schema of its elements)")

    additional = node.get("additionalProperties")
    if additional is not None:
        if level == "root":
            yield Problem(
                (*path, "additionalProperties"),
                "additionalProperties is not allowed at the schema root",
            )
        if _ensure_dict(node.get("properties")) and (
            additional is False or isinstance(additional, dict)
        ):
            yield Problem(
                (*path, "additionalProperties"),
                "additionalProperties and properties exclude each other",
            )

    if "x-kubernetes-embedded-resource" in flags:
        if additional is not None:
            yield Problem(
                (*path, "additionalProperties"),
                "additionalProperties is not allowed with "
                "x-kubernetes-embedded-resource",
            )
        if not node.get("properties") and (
            "x-kubernetes-preserve-unknown-fields" not in flags
        ):
            yield Problem(
                path,
                "an embedded resource needs properties or "
                "x-kubernetes-preserve-unknown-fields: true",
            )

    if level == "root":
        yield from _iter_root_problems(node, path)


def _get_flags(node: dict[str, Any]) -> set[str]:
    return {key for key in FLAGS_FORBIDDEN_IN_LOGIC if node.get(key) is True}


def _iter_root_problems(node: dict[str, Any], path: Path) -> Iterator[Problem]:
    node_type = node.get("type")
    if isinstance(node_type, str) and node_type and node_type != "object":
        yield Problem(
            (*path, "type"),
            f"the schema root must be type object, not {quote(node_type)}",
        )
    if node.get("nullable") is True:
        yield Problem((*path, "nullable"), "nullable cannot be true at the schema root")
    properties = _ensure_dict(node.get("properties"))
    for key in ("kind", "apiVersion"):
        child = properties.get(key)
        if isinstance(child, dict) and child.get("type") != "string":
            yield Problem((*path, "properties", key), f"{key} must be type string")
    metadata = properties.get("metadata")
    if not isinstance(metadata, dict):
        return
    metadata_path = (*path, "properties", "metadata")
    if metadata.get("type") != "object":
        yield Problem(metadata_path, "metadata must be type object")
    extra = sorted(set(metadata) - {"type", "properties", "default"})
    named = set(_ensure_dict(metadata.get("properties")))
    if extra or named - METADATA_SCHEMA_PROPERTIES:
        shown = ", ".join(extra + sorted(named - METADATA_SCHEMA_PROPERTIES))
        yield Problem(
            metadata_path,
            f"metadata may only restrict name and generateName, not {shown}",
        )
    if "default" in metadata:
        yield Problem(
            (*metadata_path, "default"), "top-level metadata may not have a default"
        )


def _iter_logic_problems(
    branch: dict[str, Any],
    structural: dict[str, Any] | None,
    path: Path,
    skip_any_of: bool,
    depth: int,
) -> Iterator[Problem]:
    """Check a node under allOf/anyOf/oneOf/not against its structural counterpart."""
    if depth > MAX_SCHEMA_DEPTH:
        return
    if structural is None:
        yield Problem(
            path,
            "this branch describes a field the structural schema does not define; "
            "declare it under properties or items too",
        )
        return
    for keyword in FORBIDDEN_IN_LOGIC:
        if keyword in branch:
            yield Problem(
                (*path, keyword),
                f"{keyword} is not allowed inside allOf, anyOf, oneOf or not; "
                "move it to the structural schema",
            )
    for keyword in sorted(_get_flags(branch)):
        yield Problem(
            (*path, keyword),
            f"{keyword} is not allowed inside allOf, anyOf, oneOf or not",
        )
    if branch.get("x-kubernetes-list-map-keys"):
        yield Problem(
            (*path, "x-kubernetes-list-map-keys"),
            "x-kubernetes-list-map-keys is not allowed inside allOf, anyOf, oneOf "
            "or not",
        )
    structural_properties = _ensure_dict(structural.get("properties"))
    for key, child in _ensure_dict(branch.get("properties")).items():
        if key == "metadata":
            yield Problem(
                (*path, "properties", key),
                "metadata may not be described inside allOf, anyOf, oneOf or not",
            )
            continue
        if isinstance(child, dict):
            counterpart = structural_properties.get(key)
            yield from _iter_logic_problems(
                child,
                counterpart if isinstance(counterpart, dict) else None,
                (*path, "properties", key),
                False,
                depth + 1,
            )
    items = branch.get("items")
    if isinstance(items, dict):
        counterpart = structural.get("items")
        yield from _iter_logic_problems(
            items,
            counterpart if isinstance(counterpart, dict) else None,
            (*path, "items"),
            False,
            depth + 1,
        )
    for keyword in LOGIC_KEYWORDS:
        if keyword == "anyOf" and skip_any_of:
            continue
        nested = branch.get(keyword)
        nested_list = (
            [nested]
            if keyword == "not" and isinstance(nested, dict)
            else _ensure_list(nested)
        )
        for position, child in enumerate(nested_list):
            if isinstance(child, dict):
                child_path = (
                    (*path, keyword) if keyword == "not" else (*path, keyword, position)
                )
                yield from _iter_logic_problems(
                    child, structural, child_path, False, depth + 1
                )


@object_rule("crd-schema-extensions", Severity.ERROR, kinds=CRD_KINDS)
def check_schema_extensions(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """x-kubernetes-* schema extensions must be used as the API server allows.

    x-kubernetes-preserve-unknown-fields is true or absent; int-or-string excludes
    preserve-unknown-fields and embedded-resource; x-kubernetes-list-type
    (atomic, set, map) needs type array, x-kubernetes-map-type (atomic, granular)
    type object; list-type map needs x-kubernetes-list-map-keys naming scalar,
    required (or defaulted) properties of object items, and those keys need it.
    """
    for index, version in _iter_versions(obj):
        schema = _ensure_dict(version.get("schema")).get("openAPIV3Schema")
        if isinstance(schema, dict):
            path = ("spec", "versions", index, "schema", "openAPIV3Schema")
            for node, node_path in _iter_schema_nodes(schema, path):
                yield from _iter_extension_problems(node, node_path)


def _iter_schema_nodes(
    root: dict[str, Any], path: Path
) -> Iterator[tuple[dict[str, Any], Path]]:
    """Yield every schema node (structural and logic), depth-first, iteratively."""
    stack: list[tuple[dict[str, Any], Path, int]] = [(root, path, 0)]
    while stack:
        node, node_path, depth = stack.pop()
        yield node, node_path
        if depth >= MAX_SCHEMA_DEPTH:
            continue
        children: list[tuple[Any, Path]] = []
        for key, child in _ensure_dict(node.get("properties")).items():
            children.append((child, (*node_path, "properties", key)))
        for keyword in ("items", "additionalProperties", "not"):
            children.append((node.get(keyword), (*node_path, keyword)))
        for keyword in ("allOf", "anyOf", "oneOf"):
            for position, child in enumerate(_ensure_list(node.get(keyword))):
                children.append((child, (*node_path, keyword, position)))
        for child, child_path in reversed(children):
            if isinstance(child, dict):
                stack.append((child, child_path, depth + 1))


def _iter_extension_problems(node: dict[str, Any], path: Path) -> Iterator[Problem]:
    node_type = node.get("type")
    if node.get("x-kubernetes-preserve-unknown-fields") is False:
        yield Problem(
            (*path, "x-kubernetes-preserve-unknown-fields"),
            "x-kubernetes-preserve-unknown-fields must be true or left out",
        )
    if node.get("x-kubernetes-int-or-string") is True:
        for other in (
            "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-embedded-resource",
        ):
            if node.get(other) is True:
                yield Problem(
                    (*path, other),
                    f"{other} cannot be combined with x-kubernetes-int-or-string",
                )
    map_type = node.get("x-kubernetes-map-type")
    if map_type is not None:
        if node_type != "object":
            yield Problem(path, "x-kubernetes-map-type needs type: object")
        if map_type not in MAP_TYPES:
            yield Problem(
                (*path, "x-kubernetes-map-type"),
                f"{quote(map_type)} is not a map type; use atomic or granular",
            )
    list_type = node.get("x-kubernetes-list-type")
    keys = node.get("x-kubernetes-list-map-keys")
    if list_type is not None:
        if node_type != "array":
            yield Problem(path, "x-kubernetes-list-type needs type: array")
        if list_type not in LIST_TYPES:
            yield Problem(
                (*path, "x-kubernetes-list-type"),
                f"{quote(list_type)} is not a list type; use atomic, set or map",
            )
    if keys and list_type != "map":
        yield Problem(
            (*path, "x-kubernetes-list-map-keys"),
            "x-kubernetes-list-map-keys needs x-kubernetes-list-type: map",
        )
    items = node.get("items")
    if list_type == "set" and isinstance(items, dict):
        yield from _iter_set_item_problems(items, path)
    if list_type == "map":
        yield from _iter_list_map_problems(node, path)


def _iter_set_item_problems(items: dict[str, Any], path: Path) -> Iterator[Problem]:
    item_type = items.get("type")
    if item_type == "object" and items.get("x-kubernetes-map-type") != "atomic":
        yield Problem(
            (*path, "items"),
            "object items of a list-type set need x-kubernetes-map-type: atomic",
        )
    if item_type == "array" and items.get("x-kubernetes-list-type") not in (
        None,
        "atomic",
    ):
        yield Problem(
            (*path, "items", "x-kubernetes-list-type"),
            "array items of a list-type set must be atomic",
        )
    if items.get("nullable") is True:
        yield Problem(
            (*path, "items", "nullable"), "items of a list-type set cannot be nullable"
        )


def _iter_list_map_problems(node: dict[str, Any], path: Path) -> Iterator[Problem]:
    keys = node.get("x-kubernetes-list-map-keys")
    items = node.get("items")
    if not keys:
        yield Problem(
            path, "x-kubernetes-list-type map needs x-kubernetes-list-map-keys"
        )
    if not isinstance(items, dict):
        yield Problem(path, "x-kubernetes-list-type map needs one items schema")
        return
    if items.get("type") != "object":
        yield Problem((*path, "items"), "items of a list-type map must be type object")
        return
    if items.get("nullable") is True:
        yield Problem(
            (*path, "items", "nullable"), "items of a list-type map cannot be nullable"
        )
    properties = _ensure_dict(items.get("properties"))
    required = {
        key for key in _ensure_list(items.get("required")) if isinstance(key, str)
    }
    seen: set[str] = set()
    for key in _ensure_list(keys):
        if not isinstance(key, str):
            continue
        if key in seen:
            yield Problem(
                (*path, "x-kubernetes-list-map-keys"),
                f"map key {quote(key)} is listed twice",
            )
        seen.add(key)
        field = properties.get(key)
        if not isinstance(field, dict):
            yield Problem(
                (*path, "x-kubernetes-list-map-keys"),
                f"map key {quote(key)} is not a property of the items",
            )
            continue
        key_path = (*path, "items", "properties", key)
        if field.get("type") in ("array", "object"):
            yield Problem(
                key_path,
                f"map key {quote(key)} must be a scalar, not {field['type']}",
            )
        if key not in required and "default" not in field:
            yield Problem(
                key_path,
                f"map key {quote(key)} must be required or have a default",
            )
        if field.get("nullable") is True:
            yield Problem(key_path, f"map key {quote(key)} cannot be nullable")


@object_rule("crd-printer-columns", Severity.ERROR, kinds=CRD_KINDS)
def check_printer_columns(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """additionalPrinterColumns need a name, a known type and a simple JSON path.

    type is integer, number, string, boolean or date; format, if given, one of
    int32, int64, float, double, byte, date, date-time, password; jsonPath a
    dotted path starting with '.', such as `.status.phase`.
    """
    for index, version in _iter_versions(obj):
        columns = _ensure_list(version.get("additionalPrinterColumns"))
        for position, column in enumerate(columns):
            if isinstance(column, dict):
                path = ("spec", "versions", index, "additionalPrinterColumns", position)
                yield from _iter_column_problems(column, path)


def _iter_column_problems(column: dict[str, Any], path: Path) -> Iterator[Problem]:
    if not column.get("name"):
        yield Problem(path, "the printer column has no name")
    column_type = column.get("type")
    if not column_type:
        yield Problem(
            path,
            f"the printer column has no type; use one of {', '.join(COLUMN_TYPES)}",
        )
    elif isinstance(column_type, str) and column_type not in COLUMN_TYPES:
        yield Problem(
            (*path, "type"),
            f"{quote(column_type)} is not a column type; use one of "
            f"{', '.join(COLUMN_TYPES)}",
        )
    column_format = column.get("format")
    if (
        isinstance(column_format, str)
        and column_format
        and column_format not in COLUMN_FORMATS
    ):
        yield Problem(
            (*path, "format"),
            f"{quote(column_format)} is not a column format; use one of "
            f"{', '.join(COLUMN_FORMATS)}",
        )
    json_path = column.get("jsonPath")
    if json_path is None or json_path == "":
        yield Problem(path, "the printer column has no jsonPath")
    elif isinstance(json_path, str):
        error = _check_json_path(json_path)
        if error:
            yield Problem((*path, "jsonPath"), error)


def _check_json_path(text: str) -> str | None:
    if not text.startswith("."):
        return (
            f'{quote(text)} must be a simple JSON path starting with ".", '
            "e.g. .status.phase"
        )
    return None


@object_rule("crd-scale-subresource", Severity.ERROR, kinds=CRD_KINDS)
def check_scale_subresource(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """The scale subresource's paths must point under .spec and .status.

    specReplicasPath is required and under `.spec.`, statusReplicasPath required
    and under `.status.`, labelSelectorPath (optional) under either.
    """
    for index, version in _iter_versions(obj):
        scale = _ensure_dict(version.get("subresources")).get("scale")
        if not isinstance(scale, dict):
            continue
        path = ("spec", "versions", index, "subresources", "scale")
        for key, prefixes in (
            ("specReplicasPath", (".spec.",)),
            ("statusReplicasPath", (".status.",)),
            ("labelSelectorPath", (".spec.", ".status.")),
        ):
            value = scale.get(key)
            if value is None or value == "":
                if key != "labelSelectorPath":
                    yield Problem(path, f"scale.{key} is missing")
            elif isinstance(value, str) and not value.startswith(prefixes):
                yield Problem(
                    (*path, key),
                    f"{quote(value)} must be a JSON path starting with "
                    + " or ".join(f"{quote(prefix)}" for prefix in prefixes),
                )
