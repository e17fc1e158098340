"""The validation engine: schema problems, rules, sources and set-rule locations."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jsonschema_rs
import pytest

from stsgen.documents import iter_documents
from stsgen.errors import UsageError
from stsgen.rules import load_rules
from stsgen.rules.base import RULES_BY_ID, Problem, Rule
from stsgen.validation.engine import (
    ValidationOptions,
    check_skip_ids,
    failed,
    validate_documents,
    validate_sources,
)
from stsgen.validation.findings import Severity, Status, Summary
from stsgen.validation.schema_check import explain_errors, suggest
from stsgen.validation.sources import collect_sources

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
"""


def registered_rules() -> frozenset[str]:
    """The project's rules, skipped here so that only the engine is under test."""
    return frozenset(i for i in load_rules() if not i.startswith("test-"))


def check(text: str, skip: frozenset[str] = frozenset(), **options) -> list:
    """Validate one stream through the render API and return its results."""
    documents = list(iter_documents(textwrap.dedent(text), "in.yaml"))
    options = ValidationOptions(skip=skip | registered_rules(), **options)
    results, _ = validate_documents(documents, options)
    return results


def findings(text: str, **options) -> list[tuple[str, str, int, str]]:
    return [
        (f.rule, f.path, f.line, f.message)
        for result in check(text, **options)
        for f in result.findings
    ]


# --- schema problems -----------------------------------------------------------


def errors_of(schema: dict, instance) -> list:
    return list(jsonschema_rs.validator_for(schema).iter_errors(instance))


def test_int_or_string_failure_is_one_message_not_one_per_branch() -> None:
    schema = {
        "properties": {"port": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}
    }

    problems = explain_errors(errors_of(schema, {"port": [80]}), schema)

    assert [(p.path, p.message) for p in problems] == [
        (("port",), "must be an integer or a string, not a list")
    ]


def test_branch_with_the_right_shape_gives_the_specific_problem() -> None:
    schema = {
        "properties": {
            "x": {
                "oneOf": [
                    {"type": "null"},
                    {"type": "object", "properties": {"n": {"type": "integer"}}},
                ]
            }
        }
    }

    problems = explain_errors(errors_of(schema, {"x": {"n": "1"}}), schema)

    assert [(p.path, p.message) for p in problems] == [
        (("x", "n"), "must be an integer, not a string")
    ]


def test_alternative_required_fields_are_named_together() -> None:
    schema = {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}

    [problem] = explain_errors(errors_of(schema, {}), schema)

    assert problem.message == 'must set one of the fields "a", "b"'


def test_values_are_quoted_unless_redacted() -> None:
    schema = {"properties": {"mode": {"enum": ["On", "Off"]}}}
    errors = errors_of(schema, {"mode": "hunter2"})

    [shown] = explain_errors(errors, schema)
    [hidden] = explain_errors(
        errors_of(schema, {"mode": "hunter2"}), schema, redact=True
    )

    assert shown.message == '"hunter2" is not one of "On", "Off"'
    assert "hunter2" not in hidden.message


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("updateStragegy", "updateStrategy"),
        ("openAPIV3Schame", "openAPIV3Schema"),
        ("ServiceName", "serviceName"),
        ("zzz", None),
    ],
    ids=["transposed", "swapped-letters", "case", "nothing-close"],
)
def test_suggest_picks_the_near_miss(word: str, expected: str | None) -> None:
    candidates = ["updateStrategy", "openAPIV3Schema", "serviceName", "selector"]

    assert suggest(word, candidates) == expected


# --- objects ---------------------------------------------------------------------


def test_valid_object_has_no_findings_and_its_line() -> None:
    [result] = check("---\n" + STATEFULSET)

    assert result.findings == []
    assert result.status is Status.VALID
    assert (result.line, result.obj.kind, result.obj.name) == (2, "StatefulSet", "web")


def test_list_items_are_checked_one_by_one_with_their_own_lines() -> None:
    text = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: one}
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: two}
      data: {a: 1}
      dat: {}
      dat: {}
    """

    results = check(text)

    assert [r.obj.name for r in results] == ["one", "two"]
    assert results[0].findings == []
    assert [(f.rule, f.path, f.line) for f in results[1].findings] == [
        ("schema", "data.a", 10),
        ("duplicate-key", "dat", 12),
        ("unknown-field", "dat", 12),  # the value YAML keeps is the last one
    ]


def test_missing_api_version_and_kind() -> None:
    assert findings("metadata: {name: x}\nkind: ''\n") == [
        ("missing-kind", "apiVersion", 1, "required field is missing"),
        ("missing-kind", "kind", 2, "must not be empty"),
    ]


def test_removed_api_version_is_reported_instead_of_schema_problems() -> None:
    text = STATEFULSET.replace("apps/v1", "apps/v1beta1").replace(
        "replicas: 1", "replicas: x"
    )

    [(rule, path, line, message)] = findings(text, kubernetes_version="1.34")
    assert path == "apiVersion"

    assert (rule, line) == ("deprecated-api", 1)
    assert "apps/v1" in message


def test_wrong_version_of_a_built_in_group_lists_the_served_ones() -> None:
    [(rule, path, _, message)] = findings(STATEFULSET.replace("apps/v1", "apps/v2"))

    assert (rule, path) == ("api-version", "apiVersion")
    assert message.endswith("use apps/v1")


def test_crd_that_cannot_be_used_is_a_warning_and_its_resources_have_no_schema() -> (
    None
):
    text = """\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: things.example.com}
    spec:
      group: example.com
      names: {kind: Thing, plural: things}
      scope: Namespaced
    ---
    apiVersion: example.com/v1
    kind: Thing
    metadata: {name: t}
    """

    results = check(text)
    crd, thing = ([(f.rule, f.severity) for f in r.findings] for r in results)

    assert ("crd-unusable", Severity.WARNING) in crd
    assert thing == [("no-schema", Severity.ERROR)]


# --- rules -------------------------------------------------------------------------


@pytest.fixture
def crashing_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash_on_object(obj, ctx):
        raise KeyError("boom")

    def crash_on_set(objects, ctx):
        raise ValueError("boom")

    monkeypatch.setitem(
        RULES_BY_ID,
        "test-crash",
        Rule(
            "test-crash",
            Severity.ERROR,
            "Crashes.",
            frozenset({"StatefulSet"}),
            crash_on_object,
        ),
    )
    monkeypatch.setitem(
        RULES_BY_ID,
        "test-crash-set",
        Rule("test-crash-set", Severity.WARNING, "Crashes.", check_set=crash_on_set),
    )


def test_a_crashing_rule_becomes_an_internal_error_finding(crashing_rules) -> None:
    [result] = check(STATEFULSET)

    internal = sorted(f.message for f in result.findings if f.rule == "internal-error")
    assert internal == [
        "rule test-crash failed on this object (KeyError); this is a bug in stsgen",
        "rule test-crash-set failed (ValueError); this is a bug in stsgen",
    ]


def test_skip_option_and_annotation_turn_rules_off(crashing_rules) -> None:
    annotated = STATEFULSET.replace(
        "  name: web\n", "  name: web\n  annotations:\n    stsgen.io/skip: test-crash\n"
    )

    skipped = check(STATEFULSET, skip=frozenset({"test-crash", "test-crash-set"}))
    [by_annotation] = check(annotated, skip=frozenset({"test-crash-set"}))

    assert skipped[0].findings == []
    assert by_annotation.findings == []


def test_unknown_skip_id_is_a_usage_error_with_a_suggestion() -> None:
    assert check_skip_ids(["schema"]) == frozenset({"schema"})
    with pytest.raises(UsageError, match='did you mean "yaml-syntax"'):
        check_skip_ids(["yaml-syntx"])


def test_set_rule_findings_are_located_after_documents_are_dropped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def flag_replicas(objects, ctx):
        for obj in objects:
            if obj.kind == "StatefulSet":
                yield obj, Problem(("spec", "replicas"), "flagged")

    monkeypatch.setitem(
        RULES_BY_ID,
        "test-set",
        Rule("test-set", Severity.WARNING, "Flags.", check_set=flag_replicas),
    )
    path = tmp_path / "two.yaml"
    path.write_text("# two objects\n---\n" + STATEFULSET + "---\n" + STATEFULSET)
    sources, _ = collect_sources([str(path)])

    for workers in (1, 2):
        options = ValidationOptions(workers=workers, skip=registered_rules())
        validation = validate_sources(sources, options)
        located = [
            (f.rule, f.line, f.column) for r in validation.results for f in r.findings
        ]
        assert located == [("test-set", 9, 3), ("test-set", 26, 3)]


def test_failed_honours_fail_on() -> None:
    warned = Summary(objects=1, valid=1, warning_findings=1)
    broken = Summary(objects=1, invalid=1, error_findings=1)

    assert not failed(warned, Severity.ERROR)
    assert failed(warned, Severity.WARNING)
    assert failed(broken, Severity.ERROR)
    assert not failed(Summary(), Severity.WARNING)


# --- sources ---------------------------------------------------------------------


def test_sources_are_sorted_deduplicated_and_missing_paths_reported(
    tmp_path: Path,
) -> None:
    for name in ("b.yaml", "a/c.yml", "a/b.json", ".git/x.yaml", "a/.h.yaml", "d.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    root = str(tmp_path)

    sources, problems = collect_sources([root, f"{root}/b.yaml", "missing.yaml"])

    assert [s.name for s in sources] == [
        f"{root}/a/b.json",
        f"{root}/a/c.yml",
        f"{root}/b.yaml",
    ]
    assert problems == ["missing.yaml: no such file or directory"]


def test_stdin_source_is_read_once_as_bytes() -> None:
    import io

    sources, problems = collect_sources(["-", "-"], io.BytesIO(b"kind: x\n"))

    assert problems == []
    assert [(s.name, s.read()) for s in sources] == [("stdin", b"kind: x\n")]


def test_a_dying_worker_process_makes_the_run_fall_back_to_one_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    parent = os.getpid()

    def die_in_workers(obj, ctx):
        if os.getpid() != parent:
            os._exit(9)
        return []

    monkeypatch.setitem(
        RULES_BY_ID,
        "test-die",
        Rule(
            "test-die",
            Severity.ERROR,
            "Dies.",
            frozenset({"StatefulSet"}),
            die_in_workers,
        ),
    )
    path = tmp_path / "one.yaml"
    path.write_text(STATEFULSET.replace("replicas: 1", "replicas: one"))
    sources, _ = collect_sources([str(path)])
    options = ValidationOptions(workers=2, skip=registered_rules())

    validation = validate_sources(sources, options)

    assert [(f.rule, f.path) for r in validation.results for f in r.findings] == [
        ("schema", "spec.replicas")
    ]


def rule_findings(text: str) -> list[tuple[str, str, int]]:
    """Errors from the schema and every registered rule."""
    documents = list(iter_documents(textwrap.dedent(text), "in.yaml"))
    results, _ = validate_documents(documents, ValidationOptions())
    return [
        (f.rule, f.path, f.line)
        for result in results
        for f in result.findings
        if f.severity is Severity.ERROR
    ]


def test_a_missing_or_null_selector_is_one_finding() -> None:
    selector = "  selector:\n    matchLabels: {app: web}\n"
    absent = STATEFULSET.replace(selector, "")
    null = STATEFULSET.replace(selector, "  selector: null\n")

    assert rule_findings(absent) == [("schema", "spec.selector", 5)]
    assert rule_findings(null) == [("statefulset-selector-empty", "spec.selector", 8)]


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [statefulset-web.yaml]
"""


@pytest.mark.parametrize(
    "config",
    [
        KUSTOMIZATION,
        KUSTOMIZATION.replace(
            "v1beta1\nkind: Kustomization", "v1alpha1\nkind: Component"
        ),
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: x}\n",
        "apiVersion: v1\nkind: Config\nclusters: []\n",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
    ],
    ids=lambda text: text.split("\n")[1].removeprefix("kind: "),
)
def test_client_side_configuration_is_skipped_without_findings(config: str) -> None:
    # Two copies: set rules (duplicate objects) must not see them either.
    text = config + "---\n" + config + "---\n" + STATEFULSET
    documents = list(iter_documents(text, "in.yaml"))

    results, summary = validate_documents(documents, ValidationOptions())

    assert [r.status for r in results] == [
        Status.SKIPPED,
        Status.SKIPPED,
        Status.VALID,
    ]
    assert [r.findings for r in results[:2]] == [[], []]
    assert summary.skipped == 2


def test_a_custom_resource_before_its_crd_in_another_file_is_not_reported(
    tmp_path: Path,
) -> None:
    examples = Path(__file__).parents[1] / "example-files" / "validate"
    case = examples / "positive" / "crd-and-custom-resource"
    sources, _ = collect_sources([str(case)])

    validation = validate_sources(sources, ValidationOptions(workers=1))

    assert [f for r in validation.results for f in r.findings] == []
    assert [r.obj.kind for r in validation.results] == [
        "Backup",
        "Backup",
        "CustomResourceDefinition",
    ]
    # In one stream, the same order is a problem.
    stream = tmp_path / "one.yaml"
    stream.write_text(
        (case / "backup.yaml").read_text() + "---\n" + (case / "crd.yaml").read_text()
    )
    sources, _ = collect_sources([str(stream)])
    validation = validate_sources(sources, ValidationOptions(workers=1))
    rules = [f.rule for r in validation.results for f in r.findings]
    assert rules == ["ref-custom-resource-order"] * 2


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            "items:\n- 7\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
            [("not-an-object", "", 4)],
        ),
        ("items: 5\n", [("not-an-object", "", 3)]),
        ("items:\n", []),  # an empty List, as kubectl takes it
        ("", []),
    ],
    ids=["scalar-item", "items-not-a-list", "items-null", "no-items"],
)
def test_list_items_that_are_not_objects_are_reported(items, expected) -> None:
    assert rule_findings("apiVersion: v1\nkind: List\n" + items) == expected


def test_infinite_and_nan_numbers_are_one_finding_each_where_they_stand() -> None:
    # kubectl's JSON encoder refuses NaN and infinities; jsonschema-rs alone would
    # see each of them as null ("must be a string, not null").
    text = f"""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: numbers
          annotations:
            a: .inf
            b: !!float -.inf
        data:
          x: .nan
          z: {"9" * 5000}
        """

    found = findings(text)

    out_of_range = (
        "the number is out of range (.inf, or an integer too long to read): "
        "kubectl or the API server refuses the object"
    )
    nan = "NaN cannot be sent: JSON has no NaN, so kubectl refuses the object"
    assert sorted(found, key=lambda f: f[2]) == [
        ("schema", "metadata.annotations.a", 6, out_of_range),
        ("schema", "metadata.annotations.b", 7, out_of_range),
        ("schema", "data.x", 9, nan),
        ("schema", "data.z", 10, out_of_range),
    ]


def test_long_integers_are_shown_shortened_as_written() -> None:
    text = f"""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: web
        spec:
          replicas: {"9" * 400}
          serviceName: web
          selector:
            matchLabels: {{app: web}}
          template:
            metadata:
              labels: {{app: web}}
            spec:
              containers:
              - name: web
                image: nginx
        """

    (finding,) = findings(text)

    assert finding[1:] == (
        "spec.replicas",
        6,
        "99999999999999999999... (400 digits) is above the maximum of 2147483647",
    )
