"""Tests for CRD-derived schemas (stsgen.validation.crds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import KubeLoader, iter_documents
from stsgen.schemas import allowed_properties, load_store
from stsgen.validation.crds import CrdRegistry, convert_schema, pattern_compiles
from stsgen.validation.objects import iter_objects

ROOT = Path(__file__).resolve().parents[2]
REALWORLD_CRDS = ROOT.parent / "shared" / "corpus" / "realworld-crds"

WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          metadata:
            type: object
            properties:
              name: {type: string, maxLength: 20}
          spec:
            type: object
            required: [name]
            properties:
              name: {type: string, pattern: '^[a-z]+$'}
              lookahead: {type: string, pattern: '^(?!x)'}
              word: {type: string, pattern: '^[[:alpha:]][[:alnum:]_]*$'}
              replicas: {type: integer, minimum: 1, maximum: 9}
              ratio: {type: number, minimum: 0, exclusiveMinimum: true}
              mode: {type: string, enum: [fast, safe]}
              size:
                x-kubernetes-int-or-string: true
                anyOf: [{type: integer}, {type: string}]
              note: {type: string, nullable: true}
              tags:
                type: array
                items: {type: string}
                x-kubernetes-list-type: set
              maybe:
                type: array
                items: {type: string, nullable: true}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [port, protocol]
                items:
                  type: object
                  required: [port]
                  properties:
                    port: {type: integer}
                    protocol: {type: string, default: TCP}
              config:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              settings:
                type: object
                additionalProperties: {type: string}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
              choice:
                type: object
                properties:
                  a: {type: string}
                  b: {type: string}
                oneOf:
                - required: [a]
                - required: [b]
          status:
            type: object
            required: [ready]
            properties:
              ready: {type: boolean}
  - name: v1beta1
    served: true
    storage: false
    deprecated: true
    deprecationWarning: example.com/v1beta1 Widget is deprecated; use example.com/v1
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
"""


def widget(**spec) -> dict:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"},
        "spec": {"name": "abc", **spec},
    }


@pytest.fixture
def registry() -> CrdRegistry:
    registry = CrdRegistry(load_store("1.36"))
    assert registry.add(yaml.load(WIDGET_CRD, Loader=KubeLoader)) == []
    return registry


def errors(registry, doc, strict=True) -> list[tuple[list, str]]:
    validator = registry.validator_for("example.com/v1", "Widget", strict)
    return sorted(
        (list(error.instance_path), error.message)
        for error in validator.iter_errors(doc)
    )


def paths(registry, doc, strict=True) -> list[list]:
    return [path for path, _ in errors(registry, doc, strict)]


def test_a_valid_widget_passes_in_both_modes(registry):
    doc = widget(
        replicas=3,
        ratio=0.5,
        mode="fast",
        size="10Gi",
        tags=["a", "b"],
        ports=[{"port": 80}, {"port": 80, "protocol": "UDP"}],
        config={"anything": {"goes": [1, 2]}},
        settings={"x": "y"},
        template={
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"free": "form"},
        },
        choice={"a": "x"},
    )
    doc["status"] = {"ready": True}
    assert errors(registry, doc, strict=True) == []
    assert errors(registry, doc, strict=False) == []


def test_unknown_field_is_an_error_only_in_strict_mode(registry):
    doc = widget(colour="red")
    found = errors(registry, doc)
    assert [path for path, _ in found] == [["spec"]]
    assert "colour" in found[0][1]
    assert errors(registry, doc, strict=False) == []


def test_unknown_root_and_metadata_fields_are_errors_in_strict_mode(registry):
    doc = widget()
    doc["extra"] = 1
    doc["metadata"]["lables"] = {}
    assert paths(registry, doc) == [[], ["metadata"]]
    assert paths(registry, doc, strict=False) == []


def test_metadata_is_checked_as_object_meta_plus_the_crd_limits(registry):
    doc = widget()
    doc["metadata"]["labels"] = {"a": 1}
    assert paths(registry, doc, strict=False) == [["metadata", "labels", "a"]]
    doc = widget()
    doc["metadata"]["name"] = "x" * 21
    assert paths(registry, doc, strict=False) == [["metadata", "name"]]


def test_wrong_type(registry):
    found = errors(registry, widget(replicas="3"))
    assert [path for path, _ in found] == [["spec", "replicas"]]
    assert '"3"' in found[0][1]


@pytest.mark.parametrize(("value", "count"), [(0, 1), (10, 1), (1, 0), (9, 0)])
def test_minimum_and_maximum(registry, value, count):
    assert len(paths(registry, widget(replicas=value))) == count


def test_exclusive_minimum_written_as_a_boolean(registry):
    assert paths(registry, widget(ratio=0)) == [["spec", "ratio"]]
    assert paths(registry, widget(ratio=0.001)) == []


def test_enum_miss(registry):
    found = errors(registry, widget(mode="slow"))
    assert [path for path, _ in found] == [["spec", "mode"]]
    assert "slow" in found[0][1]


def test_missing_required_field(registry):
    doc = widget()
    del doc["spec"]["name"]
    found = errors(registry, doc)
    assert [path for path, _ in found] == [["spec"]]
    assert "name" in found[0][1]
    del doc["spec"]
    assert paths(registry, doc) == [[]]


@pytest.mark.parametrize("value", [10, "10Gi", "50%", None])
def test_int_or_string_accepts_integers_and_strings(registry, value):
    assert paths(registry, widget(size=value)) == []


@pytest.mark.parametrize("value", [1.5, True, [], {"a": 1}])
def test_int_or_string_rejects_other_types(registry, value):
    assert paths(registry, widget(size=value)) == [["spec", "size"]]


def test_pattern(registry):
    assert paths(registry, widget(name="ABC")) == [["spec", "name"]]


def test_pattern_with_posix_classes_matches_as_in_go(registry):
    assert paths(registry, widget(word="abc_1")) == []
    assert paths(registry, widget(word="1abc")) == [["spec", "word"]]


def test_pattern_the_regex_engine_cannot_compile_is_not_checked(registry):
    assert not pattern_compiles("^(?!x)")
    assert pattern_compiles("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    assert paths(registry, widget(lookahead="xyz")) == []


def test_null_object_fields_are_dropped_not_rejected(registry):
    # The API server prunes a null it would not accept before validating.
    doc = widget(replicas=None, mode=None, size=None, choice=None, note=None)
    assert paths(registry, doc) == []


def test_null_list_items_need_nullable(registry):
    assert paths(registry, widget(tags=["a", None])) == [["spec", "tags", 1]]
    assert paths(registry, widget(maybe=["a", None])) == []


def test_list_type_set_rejects_repeats(registry):
    assert paths(registry, widget(tags=["a", "b", "a"])) == [["spec", "tags"]]


def test_list_type_map_rejects_repeated_keys_counting_defaults(registry):
    ports = [{"port": 80}, {"port": 80, "protocol": "TCP"}]
    found = errors(registry, widget(ports=ports))
    assert [path for path, _ in found] == [["spec", "ports"]]
    assert "items 0 and 1" in found[0][1]
    assert paths(registry, widget(ports=[{"port": 80}, {"port": 81}])) == []


def test_preserve_unknown_fields_leaves_the_subtree_unchecked(registry):
    doc = widget(
        config={"deep": {"er": [{"x": None}]}},
        template={"apiVersion": "v1", "kind": "Pod", "spec": {"any": {"thing": 1}}},
    )
    assert paths(registry, doc) == []


def test_embedded_resource_needs_api_version_and_kind(registry):
    found = errors(registry, widget(template={"metadata": {"name": "p"}}))
    assert [path for path, _ in found] == [["spec", "template"], ["spec", "template"]]
    doc = widget(template={"apiVersion": "v1", "kind": "Pod", "other": 1})
    assert paths(registry, doc) == [["spec", "template"]]
    assert paths(registry, doc, strict=False) == []


def test_one_of_branches_do_not_close_the_object(registry):
    assert paths(registry, widget(choice={"a": "x"})) == []
    assert paths(registry, widget(choice={"a": "x", "b": "y"})) == [["spec", "choice"]]
    assert paths(registry, widget(choice={})) == [["spec", "choice"]]


def test_maps_accept_any_key_and_check_values(registry):
    assert paths(registry, widget(settings={"a": "b", "c": "d"})) == []
    assert paths(registry, widget(settings={"a": 1})) == [["spec", "settings", "a"]]


def test_status_is_checked_without_the_status_subresource(registry):
    doc = widget()
    doc["status"] = {}
    assert paths(registry, doc) == [["status"]]


def test_status_is_ignored_with_the_status_subresource():
    crd = yaml.load(WIDGET_CRD, Loader=KubeLoader)
    crd["spec"]["versions"][0]["subresources"] = {"status": {}}
    registry = CrdRegistry(load_store("1.36"))
    assert registry.add(crd) == []
    for status in ({}, {"ready": "yes"}, {"anything": [1]}):
        doc = {**widget(), "status": status}
        assert paths(registry, doc) == []


def test_served_versions_only(registry):
    assert registry.knows("example.com/v1", "Widget")
    assert registry.knows("example.com/v1beta1", "Widget")
    assert not registry.knows("example.com/v1alpha1", "Widget")
    assert registry.api_versions_of("Widget") == [
        "example.com/v1",
        "example.com/v1beta1",
    ]
    assert registry.schema_for("example.com/v1alpha1", "Widget", True) is None
    assert registry.validator_for("example.com/v2", "Widget", True) is None


def test_deprecated_version_carries_its_warning(registry):
    assert registry.deprecation_of("example.com/v1", "Widget") is None
    assert "deprecated" in registry.deprecation_of("example.com/v1beta1", "Widget")
    assert registry.crd_name_of("example.com/v1", "Widget") == "widgets.example.com"


def test_preserving_root_accepts_anything(registry):
    validator = registry.validator_for("example.com/v1beta1", "Widget", strict=True)
    assert validator.is_valid(
        {
            "apiVersion": "example.com/v1beta1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "anything": {"at": "all"},
        }
    )
    assert not validator.is_valid({"metadata": {"name": 5}})


def test_validators_are_cached(registry):
    first = registry.validator_for("example.com/v1", "Widget", True)
    assert registry.validator_for("example.com/v1", "Widget", True) is first
    assert registry.validator_for("example.com/v1", "Widget", False) is not first


def test_allowed_properties_on_crd_schemas(registry):
    schema = registry.schema_for("example.com/v1", "Widget", strict=True)
    spec = allowed_properties(schema, ["spec"])
    assert {"name", "mode", "ports", "choice"} <= set(spec)
    assert allowed_properties(schema, ["spec", "ports", 3]) == ["port", "protocol"]
    assert allowed_properties(schema, ["spec", "choice"]) == ["a", "b"]
    assert "labels" in allowed_properties(schema, ["metadata"])
    assert allowed_properties(schema, ["spec", "config"]) is None


@pytest.mark.parametrize(
    ("crd", "expected"),
    [
        ("not a mapping", "is not a mapping"),
        ({"apiVersion": "apiextensions.k8s.io/v1beta1"}, "convert it to"),
        ({"apiVersion": "apiextensions.k8s.io/v1", "spec": {}}, "spec.group"),
        (
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "spec": {"group": "g", "names": {"kind": "K"}, "versions": "v1"},
            },
            "spec.versions",
        ),
        (
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "spec": {"group": "g", "names": {"kind": "K"}, "versions": [7]},
            },
            "spec.versions[0].name",
        ),
        (
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "spec": {
                    "group": "g",
                    "names": {"kind": "K"},
                    "versions": [{"name": "v1", "schema": {"openAPIV3Schema": []}}],
                },
            },
            "openAPIV3Schema",
        ),
    ],
)
def test_malformed_crds_give_problems_not_exceptions(crd, expected):
    registry = CrdRegistry(load_store("1.36"))
    problems = registry.add(crd)
    assert problems and any(expected in problem for problem in problems)
    assert all("\n" not in problem for problem in problems)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["object", "array", "string", "integer", "map", "set", "^a+$"])
)
SCHEMA_KEYS = st.sampled_from(
    [
        "type",
        "properties",
        "items",
        "additionalProperties",
        "required",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "nullable",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "minLength",
        "maxItems",
        "multipleOf",
        "default",
    ]
)
JSONISH = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(SCHEMA_KEYS | st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150)
@given(root=JSONISH, instance=JSONISH)
def test_arbitrary_schemas_never_raise(root, instance):
    registry = CrdRegistry(load_store("1.36"))
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "spec": {
            "group": "g.example.com",
            "names": {"kind": "K"},
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": root}}],
        },
    }
    assert isinstance(registry.add(crd), list)
    for strict in (False, True):
        validator = registry.validator_for("g.example.com/v1", "K", strict)
        if validator is not None:
            list(validator.iter_errors({"spec": instance}))


def test_keyword_values_json_schema_refuses_are_mended_or_dropped():
    node = {
        "type": "object",
        "required": ["a", "a"],
        "properties": {
            "a": {"type": "number", "maximum": float("inf"), "multipleOf": 0},
            "b": {"type": "string", "minLength": -1, "maxLength": 2.5},
        },
    }
    converted = convert_schema(node, strict=True, position="root")
    assert converted["required"] == ["a"]
    assert set(converted["properties"]["a"]) == {"type"}
    assert set(converted["properties"]["b"]) == {"type"}


def test_uncompilable_schema_falls_back_to_checking_metadata(registry, monkeypatch):
    from stsgen.validation import crds

    real = crds.build_validator
    calls = []

    def failing_once(schema, keywords=None):
        calls.append(schema)
        if len(calls) == 1:
            raise ValueError("bad schema")
        return real(schema, keywords=keywords)

    monkeypatch.setattr(crds, "build_validator", failing_once)
    validator = registry.validator_for("example.com/v1", "Widget", strict=True)
    assert validator.is_valid(widget(anything="goes"))
    assert not validator.is_valid({"metadata": {"name": 1}})


def test_malformed_list_map_keys_are_ignored():
    node = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": [["name"], {"a": 1}],
        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
    }
    converted = convert_schema(node, strict=True, position="root")
    assert "x-stsgen-list-map-keys" not in converted


def test_convert_schema_closes_only_structural_objects():
    node = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "anyOf": [{"properties": {"a": {"minLength": 1}}}],
    }
    strict = convert_schema(node, strict=True, position="root")
    assert strict["additionalProperties"] is False
    assert "additionalProperties" not in strict["anyOf"][0]
    assert "additionalProperties" not in convert_schema(node, False, "root")


def load_corpus(path: Path) -> tuple[list, list]:
    objects = [
        obj
        for doc in iter_documents(path.read_text(), path.name)
        for obj in iter_objects(doc)
    ]
    crds = [obj for obj in objects if obj.kind == "CustomResourceDefinition"]
    others = [obj for obj in objects if obj.kind != "CustomResourceDefinition"]
    return crds, others


@pytest.mark.skipif(not REALWORLD_CRDS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize(
    "name", sorted(path.name for path in REALWORLD_CRDS.glob("*.yaml"))
)
def test_realworld_custom_resources_validate_clean_in_strict_mode(name):
    crds, resources = load_corpus(REALWORLD_CRDS / name)
    registry = CrdRegistry(load_store("1.36"))
    for crd in crds:
        assert registry.add(crd.data) == [], crd.name
    assert resources
    problems = []
    for obj in resources:
        for strict in (True, False):
            validator = registry.validator_for(obj.api_version, obj.kind, strict)
            assert validator is not None, f"{obj.api_version} {obj.kind}"
            problems.extend(
                f"{obj.kind} {obj.name}: {list(error.instance_path)}: {error.message}"
                for error in validator.iter_errors(obj.data)
            )
    assert problems == []


@pytest.mark.skipif(not REALWORLD_CRDS.is_dir(), reason="shared corpus not present")
def test_realworld_custom_resources_still_catch_mistakes():
    crds, resources = load_corpus(REALWORLD_CRDS / "cert-manager.yaml")
    registry = CrdRegistry(load_store("1.36"))
    for crd in crds:
        registry.add(crd.data)
    certificate = next(obj for obj in resources if obj.kind == "Certificate")
    validator = registry.validator_for(certificate.api_version, "Certificate", True)
    broken = {
        **certificate.data,
        "spec": {**certificate.data["spec"], "secretNam": "x"},
    }
    assert [list(e.instance_path) for e in validator.iter_errors(broken)] == [["spec"]]
