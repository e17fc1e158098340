"""Tests for the bundled schema store (stsgen.schemas) and the vendoring script."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen import schemas
from stsgen.documents import iter_documents
from stsgen.errors import BrokenInstallError, ExitCode, UsageError
from stsgen.resources import data_dir
from stsgen.schemas import (
    BUNDLED_VERSIONS,
    SchemaStore,
    allowed_properties,
    resolve_version,
)
from stsgen.validation.objects import iter_objects

ROOT = Path(__file__).resolve().parents[2]
REALWORLD = ROOT.parent / "shared" / "corpus" / "realworld"


def statefulset(**spec_extra) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
            **spec_extra,
        },
    }


def error_paths(validator, instance, under: tuple = ()) -> list[list]:
    """Return the paths of the errors at or below ``under``, sorted."""
    paths = (list(error.instance_path) for error in validator.iter_errors(instance))
    return sorted(path for path in paths if tuple(path[: len(under)]) == under)


MAX_SURGE = ("spec", "strategy", "rollingUpdate", "maxSurge")


@pytest.fixture
def store() -> SchemaStore:
    return SchemaStore("1.36")


@pytest.fixture
def schema_copy(tmp_path, monkeypatch):
    """A private copy of the bundled schemas that a test may damage."""
    copy = tmp_path / "schemas"
    shutil.copytree(data_dir("schemas"), copy)
    monkeypatch.setattr(schemas, "data_dir", lambda name: copy)
    schemas._read_index.cache_clear()
    yield copy
    schemas._read_index.cache_clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.35", "1.35"),
        ("v1.35", "1.35"),
        ("v1.35.2", "1.35"),
        ("1.35.0", "1.35"),
        (" 1.34 ", "1.34"),
        (None, BUNDLED_VERSIONS[-1]),
    ],
)
def test_resolve_version_accepts_the_usual_spellings(text, expected):
    assert resolve_version(text) == expected


@pytest.mark.parametrize("text", ["1.30", "2.35", "1.35.x", "latest", "", "v1"])
def test_resolve_version_rejects_others_listing_the_bundled_ones(text):
    with pytest.raises(UsageError) as caught:
        resolve_version(text)
    message = str(caught.value)
    assert all(version in message for version in BUNDLED_VERSIONS)
    assert "\n" not in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_newest_bundled_version_is_last():
    minors = [int(version.split(".")[1]) for version in BUNDLED_VERSIONS]
    assert minors == sorted(minors)
    assert resolve_version(None) == "1.37"


@pytest.mark.parametrize("version", BUNDLED_VERSIONS)
def test_every_bundled_version_has_an_index_with_core_kinds(version):
    store = SchemaStore(version)
    assert store.knows("apps/v1", "StatefulSet")
    assert store.knows("v1", "Service")
    assert store.knows("policy/v1", "PodDisruptionBudget")
    assert not store.knows("apps/v1beta1", "StatefulSet")


def test_schema_is_self_contained(store):
    schema = store.schema_for("apps/v1", "StatefulSet", strict=False)
    refs = set(_refs(schema))
    assert refs, "a StatefulSet schema refers to its parts"
    assert refs <= {f"#/$defs/{name}" for name in schema["$defs"]}
    assert schemas.OBJECT_META in schema["$defs"]


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_valid_statefulset_passes_in_both_modes(store):
    for strict in (False, True):
        validator = store.validator_for("apps/v1", "StatefulSet", strict)
        assert error_paths(validator, statefulset(replicas=3)) == []


def test_strict_mode_rejects_unknown_fields_at_every_level(store):
    doc = statefulset(replica=3)
    doc["metadata"]["lables"] = {"a": "b"}
    doc["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "Always"
    strict = store.validator_for("apps/v1", "StatefulSet", strict=True)
    lenient = store.validator_for("apps/v1", "StatefulSet", strict=False)
    assert error_paths(strict, doc) == [
        ["metadata"],
        ["spec"],
        ["spec", "template", "spec", "containers", 0],
    ]
    assert error_paths(lenient, doc) == []


def test_strict_mode_leaves_maps_open(store):
    doc = statefulset()
    doc["metadata"]["annotations"] = {"anything.example.com/at-all": "yes"}
    doc["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    assert error_paths(validator, doc) == []


def test_wrong_types_are_reported_at_their_path(store):
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    errors = list(validator.iter_errors(statefulset(replicas="3")))
    assert [list(error.instance_path) for error in errors] == [["spec", "replicas"]]
    assert '"3"' in errors[0].message


def test_null_fields_are_accepted_as_unset(store):
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    doc = statefulset(replicas=None, updateStrategy=None)
    doc["metadata"]["creationTimestamp"] = None
    assert error_paths(validator, doc) == []


@pytest.mark.parametrize("value", ["25%", 1, 0, None])
def test_int_or_string_accepts_both_and_null(store, value):
    validator = store.validator_for("apps/v1", "Deployment", strict=True)
    doc = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": value}}}}
    assert error_paths(validator, doc, under=MAX_SURGE) == []


@pytest.mark.parametrize("value", [1.5, [], {"a": 1}, True])
def test_int_or_string_rejects_other_types(store, value):
    validator = store.validator_for("apps/v1", "Deployment", strict=True)
    doc = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": value}}}}
    assert error_paths(validator, doc, under=MAX_SURGE) == [list(MAX_SURGE)]


@pytest.mark.parametrize(
    ("value", "valid"),
    [("500m", True), (1, True), (0.5, True), (None, True), ([], False), (True, False)],
)
def test_quantity_is_a_string_or_a_number(store, value, valid):
    validator = store.validator_for("v1", "Pod", strict=True)
    container = {"name": "a", "resources": {"limits": {"cpu": value}}}
    assert validator.is_valid({"spec": {"containers": [container]}}) is valid


def test_int32_fields_reject_overflow(store):
    validator = store.validator_for("v1", "Service", strict=True)
    doc = {"spec": {"ports": [{"port": 2**31}]}}
    assert error_paths(validator, doc) == [["spec", "ports", 0, "port"]]
    assert validator.is_valid({"spec": {"ports": [{"port": 2**31 - 1}]}})


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        ("aGVsbG8=", True),
        ("aGVs\nbG8=\n", True),
        ("", True),
        ("aGk=", True),
        ("hunter2", False),
        ("aGVsbG8", False),
        ("aGVsbG8=aGk=", False),
        ("a b=", False),
    ],
)
def test_byte_fields_must_be_base64(store, data, valid):
    validator = store.validator_for("v1", "Secret", strict=True)
    assert validator.is_valid({"data": {"key": data}}) is valid


def test_status_fields_need_not_be_complete(store):
    # The API server resets status on create without validating it.
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    for status in ({}, {"conditions": [{}]}, {"availableReplicas": 1}):
        assert error_paths(validator, {**statefulset(), "status": status}) == []


def test_status_fields_still_have_types_and_names(store):
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    wrong = {**statefulset(), "status": {"replicas": "x", "conditions": [{"typ": 1}]}}
    assert error_paths(validator, wrong) == [
        ["status", "conditions", 0],
        ["status", "replicas"],
    ]


def test_relaxing_status_keeps_spec_requirements(store):
    validator = store.validator_for("v1", "Pod", strict=True)
    doc = {"spec": {"containers": [{}]}, "status": {"containerStatuses": [{}]}}
    assert error_paths(validator, doc) == [["spec", "containers", 0]]


def test_validators_and_schemas_are_cached(store):
    first = store.validator_for("apps/v1", "StatefulSet", True)
    assert store.validator_for("apps/v1", "StatefulSet", True) is first
    assert store.validator_for("apps/v1", "StatefulSet", False) is not first
    assert store.schema_for("v1", "Pod", True) is store.schema_for("v1", "Pod", True)
    assert schemas.load_store("1.36") is schemas.load_store("1.36")


def test_unknown_kinds_give_none(store):
    assert store.schema_for("apps/v1", "Nonsense", True) is None
    assert store.validator_for("example.com/v1", "Widget", False) is None
    assert store.validator_for("apps/v1beta1", "StatefulSet", False) is None


def test_api_versions_of_lists_what_is_served(store):
    assert store.api_versions_of("StatefulSet") == ["apps/v1"]
    assert store.api_versions_of("HorizontalPodAutoscaler") == [
        "autoscaling/v1",
        "autoscaling/v2",
    ]
    assert store.api_versions_of("Widget") == []


def test_api_versions_differ_between_releases():
    assert SchemaStore("1.36").knows("storage.k8s.io/v1beta1", "VolumeAttributesClass")
    assert not SchemaStore("1.37").knows(
        "storage.k8s.io/v1beta1", "VolumeAttributesClass"
    )


def test_kinds_are_listed_in_a_stable_order(store):
    listed = list(store.iter_kinds())
    assert listed == sorted(listed)
    assert ("apps/v1", "StatefulSet") in listed


def test_object_meta_schema_checks_metadata(store):
    for strict, valid in ((True, False), (False, True)):
        validator = schemas.build_validator(store.object_meta_schema(strict))
        assert validator.is_valid({"name": "a", "labels": {"x": "y"}})
        assert validator.is_valid({"name": "a", "nmae": "b"}) is valid
        assert not validator.is_valid({"labels": {"x": 1}})


def test_only_the_packages_a_kind_needs_are_read(schema_copy):
    index = json.loads((schema_copy / "v1.36" / "index.json").read_text())
    needed = {
        "io.k8s.api.apps.v1",
        "io.k8s.api.core.v1",
        "io.k8s.apimachinery.pkg.apis.meta.v1",
        "io.k8s.apimachinery.pkg.util.intstr",
        "io.k8s.apimachinery.pkg.api.resource",
    }
    for package, filename in index["packages"].items():
        if package not in needed:
            (schema_copy / "defs" / filename).unlink()
    store = SchemaStore("1.36")
    validator = store.validator_for("apps/v1", "StatefulSet", strict=True)
    assert validator.is_valid(statefulset())
    with pytest.raises(BrokenInstallError):
        store.schema_for("batch/v1", "CronJob", strict=True)


def test_missing_index_is_a_broken_install(schema_copy):
    shutil.rmtree(schema_copy / "v1.35")
    with pytest.raises(BrokenInstallError) as caught:
        SchemaStore("1.35").schema_for("v1", "Service", False)
    assert "index.json" in str(caught.value)
    assert caught.value.exit_code == ExitCode.BROKEN


def test_corrupt_definition_file_is_a_broken_install(schema_copy):
    index = json.loads((schema_copy / "v1.34" / "index.json").read_text())
    filename = index["packages"]["io.k8s.api.core.v1"]
    (schema_copy / "defs" / filename).write_text("{not json")
    with pytest.raises(BrokenInstallError) as caught:
        SchemaStore("1.34").schema_for("v1", "ConfigMap", False)
    assert "not valid JSON" in str(caught.value)


def test_index_of_unknown_format_is_a_broken_install(schema_copy):
    (schema_copy / "v1.37" / "index.json").write_text('{"format": 99, "kinds": {}}')
    with pytest.raises(BrokenInstallError):
        SchemaStore("1.37").knows("v1", "Pod")


def test_unbundled_version_cannot_make_a_store():
    with pytest.raises(UsageError):
        SchemaStore("1.20")


def test_allowed_properties_walks_refs_items_and_maps(store):
    schema = store.schema_for("apps/v1", "StatefulSet", strict=True)
    container = allowed_properties(
        schema, ["spec", "template", "spec", "containers", 0]
    )
    assert {"name", "image", "ports", "volumeMounts"} <= set(container)
    assert container == sorted(container)
    assert "serviceName" in allowed_properties(schema, ["spec"])
    assert "labels" in allowed_properties(schema, ["metadata"])
    claim = ["spec", "volumeClaimTemplates", 0, "spec", "resources"]
    assert allowed_properties(schema, claim) == ["limits", "requests"]
    assert allowed_properties(schema, ["metadata", "labels"]) is None
    assert allowed_properties(schema, ["spec", "nonsense", "deeper"]) is None
    assert "apiVersion" in allowed_properties(schema, [])


def test_allowed_properties_follows_any_of_branches():
    schema = {
        "$defs": {"A": {"properties": {"a": {}}}},
        "anyOf": [{"$ref": "#/$defs/A"}, {"properties": {"b": {}}}],
    }
    assert allowed_properties(schema, []) == ["a", "b"]


STEPS = st.lists(
    st.sampled_from(["spec", "template", "metadata", "containers", "labels", "ports"])
    | st.integers(min_value=-1, max_value=3)
    | st.text(max_size=6),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(path=STEPS)
def test_allowed_properties_never_fails_on_any_path(path):
    schema = schemas.load_store("1.37").schema_for("apps/v1", "StatefulSet", True)
    names = allowed_properties(schema, path)
    assert names is None or (names and names == sorted(set(names)))


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("version", BUNDLED_VERSIONS)
def test_realworld_corpus_is_clean_in_strict_mode(version):
    store = SchemaStore(version)
    problems = []
    count = 0
    for path in sorted(REALWORLD.glob("*.yaml")):
        for doc in iter_documents(path.read_text(), path.name):
            for obj in iter_objects(doc):
                count += 1
                validator = store.validator_for(obj.api_version, obj.kind, strict=True)
                if validator is None:
                    problems.append(f"{path.name}: {obj.kind} is unknown")
                    continue
                problems.extend(
                    f"{path.name}: {obj.kind} {obj.name}: {error.message}"
                    for error in validator.iter_errors(obj.data)
                )
    assert count == 639
    assert problems == []


def load_vendor_script():
    spec = importlib.util.spec_from_file_location(
        "vendor_schemas", ROOT / "scripts" / "vendor_schemas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vendor_compact_keeps_what_validation_needs():
    vendor = load_vendor_script()
    source = {
        "description": "dropped",
        "type": ["object", "null"],
        "x-kubernetes-patch-strategy": "merge",
        "properties": {
            "description": {"type": ["string", "null"], "description": "a field"},
            "port": {"type": ["integer", "null"], "format": "int32"},
            "data": {"type": ["string", "null"], "format": "byte"},
            "size": {
                "oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]
            },
            "kind": {"type": ["string", "null"], "enum": ["Pod"]},
        },
    }
    compacted = vendor.compact(source)
    assert compacted["type"] == ["object", "null"]
    assert "description" not in compacted
    assert "x-kubernetes-patch-strategy" not in compacted
    properties = compacted["properties"]
    assert properties["description"] == {"type": ["string", "null"]}
    assert properties["port"]["maximum"] == 2**31 - 1
    assert properties["data"]["pattern"] == vendor.BASE64_PATTERN
    assert properties["size"] == {"type": ["null", "number", "string"]}
    assert properties["kind"]["enum"] == ["Pod", None]


def test_vendor_output_is_deterministic_and_shares_files(tmp_path):
    vendor = load_vendor_script()
    definitions = {
        "io.k8s.api.apps.v1.Thing": {
            "type": "object",
            "properties": {"spec": {"$ref": "#/$defs/io.k8s.api.core.v1.Part"}},
            "x-kubernetes-group-version-kind": [
                {"group": "apps", "version": "v1", "kind": "Thing"}
            ],
        },
        "io.k8s.api.core.v1.Part": {"type": "object", "description": "x"},
    }
    sources = {"1.34": {"$defs": definitions}, "1.35": {"$defs": definitions}}
    outputs = []
    for run in ("a", "b"):
        vendor.write_store(sources, tmp_path / run)
        outputs.append(
            {
                str(path.relative_to(tmp_path / run)): path.read_bytes()
                for path in sorted((tmp_path / run).rglob("*.json"))
            }
        )
    assert outputs[0] == outputs[1]
    assert len([name for name in outputs[0] if name.startswith("defs/")]) == 2
    index = json.loads(outputs[0]["v1.35/index.json"])
    assert index["kinds"] == {"apps/v1": {"Thing": "io.k8s.api.apps.v1.Thing"}}
