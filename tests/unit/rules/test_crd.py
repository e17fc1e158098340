"""CRD rules: definitions the API server refuses, and the 48 real CRDs it accepted."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()
CRD_RULES = sorted(rule_id for rule_id in RULES if rule_id.startswith("crd-"))

BASE = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "backups.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "backups", "singular": "backup", "kind": "Backup"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"x-kubernetes-int-or-string": True},
                                    "tags": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}
SCHEMA = ("spec", "versions", 0, "schema", "openAPIV3Schema")
SPEC_SCHEMA = (*SCHEMA, "properties", "spec")


def crd_text(*edits: tuple[tuple, object]) -> str:
    """Dump BASE with each (path, value) edit applied; value None deletes the key."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if value is None:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return yaml.safe_dump(data, sort_keys=False)


def run_rule(rule_id: str, text: str) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "crd.yaml") for o in iter_objects(doc)]
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, Context(kubernetes_minor=36))
    ]


def expected_line(text: str, path: tuple) -> int:
    """Find the line of path's key (or list item) by walking the YAML text itself."""
    node = yaml.compose(text)
    line = node.start_mark.line
    for step in path:
        if isinstance(node, yaml.MappingNode):
            key, node = next((k, v) for k, v in node.value if k.value == step)
            line = key.start_mark.line
        else:
            node = node.value[step]
            line = node.start_mark.line
    return line + 1


NEGATIVE = [
    ("crd-name", [(("metadata", "name"), "backup.example.com")], ("metadata", "name")),
    ("crd-group", [(("spec", "group"), "example")], ("spec", "group")),
    ("crd-group", [(("spec", "group"), "Example.com")], ("spec", "group")),
    (
        "crd-names",
        [(("spec", "names", "plural"), "Backups")],
        ("spec", "names", "plural"),
    ),
    ("crd-names", [(("spec", "names", "kind"), "Back_up")], ("spec", "names", "kind")),
    (
        "crd-names",
        [(("spec", "names", "shortNames"), ["bk", "b k"])],
        ("spec", "names", "shortNames", 1),
    ),
    (
        "crd-names",
        [(("spec", "names", "listKind"), "Backup")],
        ("spec", "names", "listKind"),
    ),
    ("crd-scope", [(("spec", "scope"), "Namespace")], ("spec", "scope")),
    ("crd-scope", [(("spec", "scope"), None)], ("spec",)),
    (
        "crd-versions",
        [(("spec", "versions", 0, "storage"), False)],
        ("spec", "versions"),
    ),
    (
        "crd-versions",
        [(("spec", "versions", 0, "name"), "1.0")],
        ("spec", "versions", 0, "name"),
    ),
    (
        "crd-versions",
        [(("spec", "versions", 0, "schema"), None)],
        ("spec", "versions", 0),
    ),
    (
        "crd-served-version",
        [(("spec", "versions", 0, "served"), False)],
        ("spec", "versions"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "properties", "size"), {"description": "no type"})],
        (*SPEC_SCHEMA, "properties", "size"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "properties", "tags"), {"type": "array"})],
        (*SPEC_SCHEMA, "properties", "tags"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "additionalProperties"), {"type": "string"})],
        (*SPEC_SCHEMA, "additionalProperties"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "properties", "tags", "uniqueItems"), True)],
        (*SPEC_SCHEMA, "properties", "tags", "uniqueItems"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "properties", "tags", "items", "$ref"), "#/definitions/x")],
        (*SPEC_SCHEMA, "properties", "tags", "items", "$ref"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "anyOf"), [{"type": "object", "required": ["size"]}])],
        (*SPEC_SCHEMA, "anyOf", 0, "type"),
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "oneOf"), [{"properties": {"color": {"minLength": 1}}}])],
        (*SPEC_SCHEMA, "oneOf", 0, "properties", "color"),
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SCHEMA, "properties", "metadata"),
                {"type": "object", "properties": {"labels": {"type": "object"}}},
            )
        ],
        (*SCHEMA, "properties", "metadata"),
    ),
    ("crd-structural-schema", [((*SCHEMA, "type"), "string")], (*SCHEMA, "type")),
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "template"),
                {"type": "object", "x-kubernetes-embedded-resource": True},
            )
        ],
        (*SPEC_SCHEMA, "properties", "template"),
    ),
    (
        "crd-schema-extensions",
        [((*SPEC_SCHEMA, "x-kubernetes-preserve-unknown-fields"), False)],
        (*SPEC_SCHEMA, "x-kubernetes-preserve-unknown-fields"),
    ),
    (
        "crd-schema-extensions",
        [((*SPEC_SCHEMA, "properties", "tags", "x-kubernetes-list-type"), "unique")],
        (*SPEC_SCHEMA, "properties", "tags", "x-kubernetes-list-type"),
    ),
    (
        "crd-schema-extensions",
        [((*SPEC_SCHEMA, "x-kubernetes-list-type"), "set")],
        SPEC_SCHEMA,
    ),
    (
        "crd-schema-extensions",
        [
            (
                (*SPEC_SCHEMA, "properties", "tags"),
                {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}},
                    },
                },
            )
        ],
        (*SPEC_SCHEMA, "properties", "tags", "items", "properties", "name"),
    ),
    (
        "crd-printer-columns",
        [
            (
                ("spec", "versions", 0, "additionalPrinterColumns"),
                [
                    {
                        "name": "Age",
                        "type": "time",
                        "jsonPath": ".metadata.creationTimestamp",
                    }
                ],
            )
        ],
        ("spec", "versions", 0, "additionalPrinterColumns", 0, "type"),
    ),
    (
        "crd-printer-columns",
        [
            (
                ("spec", "versions", 0, "additionalPrinterColumns"),
                [{"name": "Phase", "type": "string", "jsonPath": "status.phase"}],
            )
        ],
        ("spec", "versions", 0, "additionalPrinterColumns", 0, "jsonPath"),
    ),
    (
        "crd-scale-subresource",
        [
            (
                ("spec", "versions", 0, "subresources"),
                {
                    "scale": {
                        "specReplicasPath": ".replicas",
                        "statusReplicasPath": ".status.n",
                    }
                },
            )
        ],
        ("spec", "versions", 0, "subresources", "scale", "specReplicasPath"),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "edits", "path"),
    NEGATIVE,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(NEGATIVE)],
)
def test_rule_reports_what_the_api_server_rejects(rule_id, edits, path):
    text = crd_text(*edits)

    problems = run_rule(rule_id, text)

    assert [problem.path for _, problem in problems] == [path]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == expected_line(text, path)
    assert not problem.message.endswith(".")


@pytest.mark.parametrize("rule_id", CRD_RULES)
def test_base_definition_passes(rule_id):
    assert run_rule(rule_id, crd_text()) == []


POSITIVE = [
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "template"),
                {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
            )
        ],
    ),
    (
        "crd-names",
        [
            (("spec", "names", "kind"), "PostgresCluster"),
            (("spec", "names", "listKind"), "PostgresClusterList"),
        ],
    ),
    (
        "crd-versions",
        [
            (
                ("spec", "versions"),
                [
                    {
                        **BASE["spec"]["versions"][0],
                        "name": "v1alpha1",
                        "storage": False,
                    },
                    BASE["spec"]["versions"][0],
                ],
            )
        ],
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "size"),
                {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                },
            )
        ],
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "size"),
                {
                    "allOf": [
                        {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                        {"pattern": "^[0-9]+$"},
                    ],
                    "x-kubernetes-int-or-string": True,
                },
            )
        ],
    ),
    (
        "crd-structural-schema",
        [((*SPEC_SCHEMA, "oneOf"), [{"required": ["size"]}, {"required": ["tags"]}])],
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "extra"),
                {"x-kubernetes-preserve-unknown-fields": True},
            )
        ],
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "properties", "labels"),
                {"type": "object", "additionalProperties": {"type": "string"}},
            )
        ],
    ),
    (
        "crd-structural-schema",
        [
            (
                (*SCHEMA, "properties", "metadata"),
                {
                    "type": "object",
                    "properties": {"name": {"type": "string", "maxLength": 40}},
                },
            )
        ],
    ),
    (
        "crd-schema-extensions",
        [((*SPEC_SCHEMA, "properties", "tags", "x-kubernetes-list-type"), "set")],
    ),
    (
        "crd-printer-columns",
        [
            (
                ("spec", "versions", 0, "additionalPrinterColumns"),
                [
                    {
                        "name": "Age",
                        "type": "date",
                        "jsonPath": ".metadata.creationTimestamp",
                    },
                    {
                        "name": "Size",
                        "type": "integer",
                        "format": "int64",
                        "jsonPath": ".spec.size",
                    },
                ],
            )
        ],
    ),
    (
        # NewStructural drops externalDocs; nothing forbids it inside anyOf.
        "crd-structural-schema",
        [
            (
                (*SPEC_SCHEMA, "anyOf"),
                [
                    {
                        "externalDocs": {"url": "https://example.com"},
                        "required": ["size"],
                    }
                ],
            )
        ],
    ),
    (
        "crd-scale-subresource",
        [
            (
                ("spec", "versions", 0, "subresources"),
                {
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                        "labelSelectorPath": ".status.selector",
                    },
                },
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "edits"), POSITIVE, ids=[f"{c[0]}-{n}" for n, c in enumerate(POSITIVE)]
)
def test_rule_accepts_what_the_api_server_accepts(rule_id, edits):
    assert run_rule(rule_id, crd_text(*edits)) == []


def test_deep_schemas_do_not_exhaust_the_stack():
    node: dict = {"type": "string"}
    for _ in range(2000):
        node = {
            "type": "object",
            "properties": {"a": node},
            "allOf": [{"required": ["a"]}],
        }
    data = copy.deepcopy(BASE)
    data["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["deep"] = (
        node
    )
    obj = KubeObject(data, Document("deep.yaml", 0, data))

    for rule_id in CRD_RULES:
        assert list(RULES[rule_id].check_object(obj, Context())) == []


@pytest.mark.parametrize(
    "odd",
    [
        "spec: 5",
        "spec: {names: [a], versions: {a: 1}, group: 3, scope: []}",
        "spec: {versions: [1, {name: 5, schema: []}, {schema: {openAPIV3Schema: []}}]}",
        (
            "spec:\n  versions:\n  - schema:\n      openAPIV3Schema:\n"
            "        properties: [1]\n        items: 5\n        anyOf: {a: 1}\n"
            "        not: [1]\n        x-kubernetes-list-type: map\n"
            "        x-kubernetes-list-map-keys: 5\n"
            "    additionalPrinterColumns: [1, {jsonPath: 5}]\n"
            "    subresources: {scale: {specReplicasPath: 3}}"
        ),
    ],
)
def test_rules_skip_values_of_the_wrong_type(odd):
    text = (
        f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n{odd}\n"
    )
    for rule_id in CRD_RULES:
        run_rule(rule_id, text)


SCHEMA_KEYS = [
    "group", "scope", "names", "plural", "singular", "kind", "listKind",
    "shortNames", "categories", "versions", "name", "served", "storage", "schema",
    "openAPIV3Schema", "type", "properties", "items", "additionalProperties",
    "allOf", "anyOf", "oneOf", "not", "metadata", "required", "default",
    "description", "nullable", "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
    "additionalPrinterColumns", "jsonPath", "format", "subresources", "scale",
    "specReplicasPath", "uniqueItems", "$ref",
]  # fmt: skip
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.sampled_from(
        [
            "object",
            "array",
            "string",
            "integer",
            "map",
            "set",
            "atomic",
            "granular",
            "v1",
            ".spec.x",
        ]
    )
    | st.text(max_size=6)
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["CustomResourceDefinition"]),
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(SCHEMA_KEYS) | st.text(max_size=4), inner, max_size=5
            )
        ),
        max_leaves=25,
    ),
)
def test_rules_never_raise_on_any_content(kind, body):
    data = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "a"},
    }
    if isinstance(body, dict):
        data.update(body)
    data["spec"] = body
    obj = KubeObject(data, Document("fuzz.yaml", 0, data))
    for rule_id, rule in RULES.items():
        if rule_id.startswith("crd-"):
            for problem in rule.check_object(obj, Context()):
                assert isinstance(problem.path, tuple)
                assert "\n" not in problem.message
