"""Metadata rules: manifests a schema-only check accepts and the API server rejects;
and every rule against the real-world corpora and the seed's manifests.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from stsgen.documents import iter_documents
from stsgen.rules import Context, load_rules
from stsgen.schemas import load_store
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()
SHARED = Path(__file__).resolve().parents[4] / "shared"
CORPUS_FILES = sorted((SHARED / "corpus" / "realworld").glob("*.yaml")) + sorted(
    (SHARED / "corpus" / "realworld-crds").glob("*.yaml")
)
SEED = SHARED / "seed" / "000_3c00703bdb0b7089.txt"


def run_rule(rule_id: str, text: str, minor: int = 37) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "m.yaml") for o in iter_objects(doc)]
    context = Context(kubernetes_minor=minor)
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, context)
    ]


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def schema_errors(text: str, minor: int = 37) -> list[str]:
    """What the bundled OpenAPI schema alone says about the text's built-in objects."""
    store = load_store(f"1.{minor}")
    errors = []
    for doc in iter_documents(text, "m.yaml"):
        for obj in iter_objects(doc):
            validator = store.validator_for(obj.api_version, obj.kind, True)
            if validator is not None:
                errors += [error.message for error in validator.iter_errors(obj.data)]
    return errors


def assert_one(rule_id: str, text: str, path: tuple, marker: str, minor: int = 37):
    assert schema_errors(text, minor) == []  # a schema-only check finds nothing
    found = run_rule(rule_id, text, minor)
    assert [problem.path for _, problem in found] == [path], found
    obj, problem = found[0]
    assert obj.locate(problem.path)[0] == line_of(text, marker)
    assert problem.message == problem.message.strip()
    assert problem.message[:1].islower() or problem.message[:1] == '"'
    assert not problem.message.endswith(".")
    return problem


POD_TEMPLATE = (
    "  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {restartPolicy: Never, containers: [{name: web, image: web}]}\n"
)
WORKLOAD_SPEC = "spec:\n  selector: {matchLabels: {app: web}}\n" + POD_TEMPLATE
# The least each kind needs to pass the schema, so only the name is at fault.
SPEC_BY_KIND = {
    "StatefulSet": WORKLOAD_SPEC,
    "Deployment": WORKLOAD_SPEC,
    "CronJob": "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n"
    + textwrap.indent(POD_TEMPLATE, "    "),
}


def object_text(kind: str, name: str, api: str = "v1", extra: str = "") -> str:
    head = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n{extra}"
    return head + SPEC_BY_KIND.get(kind, "")


def test_name_missing() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app: web\n"
    assert_one("metadata-name-missing", text, ("metadata",), "metadata:")
    assert run_rule("metadata-name-missing", object_text("ConfigMap", "web")) == []
    generated = "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: web-\n"
    assert run_rule("metadata-name-missing", generated) == []


@pytest.mark.parametrize(
    ("kind", "api", "name", "minor"),
    [
        ("StatefulSet", "apps/v1", "web.db", 37),
        ("StatefulSet", "apps/v1", "Web", 37),
        ("Namespace", "v1", "team.a", 37),
        ("Service", "v1", "1web", 35),
        ("Service", "v1", "web.db", 37),
        ("Deployment", "apps/v1", "Web", 37),
        ("ConfigMap", "v1", "my_config", 37),
        ("Role", "rbac.authorization.k8s.io/v1", "a/b", 37),
        ("Cluster", "postgresql.cnpg.io/v1", "Main", 37),
    ],
    ids=lambda value: str(value),
)
def test_name_format_rejects(kind: str, api: str, name: str, minor: int) -> None:
    text = object_text(kind, name, api)
    problem = assert_one(
        "metadata-name-format", text, ("metadata", "name"), "  name:", minor
    )
    assert name in problem.message


@pytest.mark.parametrize(
    ("kind", "api", "name", "minor"),
    [
        ("Deployment", "apps/v1", "web.db", 37),
        ("Service", "v1", "1web", 36),
        ("Role", "rbac.authorization.k8s.io/v1", "system:Reader", 37),
        ("StatefulSet", "apps/v1", "web-0", 37),
        ("Widget", "example.com/v1", "w.example", 37),
    ],
    ids=lambda value: str(value),
)
def test_name_format_accepts(kind: str, api: str, name: str, minor: int) -> None:
    assert run_rule("metadata-name-format", object_text(kind, name, api), minor) == []


def test_cronjob_name_leaves_room_for_job_suffix() -> None:
    text = object_text("CronJob", "c" * 53, "batch/v1")
    problem = assert_one("metadata-name-format", text, ("metadata", "name"), "  name:")
    assert "52" in problem.message
    assert (
        run_rule("metadata-name-format", object_text("CronJob", "c" * 52, "batch/v1"))
        == []
    )


def test_generate_name_may_end_with_a_dash() -> None:
    text = object_text("StatefulSet", "x", "apps/v1").replace(
        "name: x", "generateName: web-"
    )
    assert run_rule("metadata-name-format", text) == []
    bad = text.replace("web-", "Web-")
    assert_one(
        "metadata-name-format", bad, ("metadata", "generateName"), "generateName"
    )


def test_namespace_format() -> None:
    text = object_text("ConfigMap", "web", extra="  namespace: Team_A\n")
    assert_one(
        "metadata-namespace-format", text, ("metadata", "namespace"), "namespace:"
    )
    good = text.replace("Team_A", "team-a")
    assert run_rule("metadata-namespace-format", good) == []
    # The server drops the namespace of a cluster-scoped object before checking.
    cluster_role = text.replace(
        "v1\nkind: ConfigMap", "rbac.authorization.k8s.io/v1\nkind: ClusterRole"
    )
    assert run_rule("metadata-namespace-format", cluster_role) == []


@pytest.mark.parametrize(
    ("kind", "api", "prefix", "bad"),
    [
        # maskTrailingDash puts "a" in place of the last two characters.
        ("ConfigMap", "v1", "cfg_-", "cfg_x-"),
        ("StatefulSet", "apps/v1", "w" * 62 + "-", "w" * 64 + "-"),
    ],
    ids=["underscore-before-dash", "64-characters"],
)
def test_generate_name_is_masked_as_the_api_server_masks_it(
    kind: str, api: str, prefix: str, bad: str
) -> None:
    text = object_text(kind, "x", api).replace("name: x", f"generateName: {prefix}")
    assert run_rule("metadata-name-format", text) == []
    assert_one(
        "metadata-name-format",
        text.replace(prefix, bad),
        ("metadata", "generateName"),
        "generateName",
    )


def test_a_cronjob_job_template_metadata_is_not_checked() -> None:
    # ValidateJobTemplateSpec checks only the template's spec.
    text = object_text("CronJob", "c", "batch/v1").replace(
        "  jobTemplate:\n",
        "  jobTemplate:\n    metadata:\n"
        "      labels: {team/owner/x: a b}\n      annotations: {bad key!: v}\n",
    )
    assert run_rule("metadata-label-format", text) == []
    assert run_rule("metadata-annotation-format", text) == []


STATEFULSET_LABELS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    tier: {top}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels:
        app: web
        {key}: web
    spec: {{containers: [{{name: web, image: web}}]}}
"""


def test_label_value_rejected() -> None:
    text = STATEFULSET_LABELS.format(top='"front end"', key="app")
    problem = assert_one(
        "metadata-label-format", text, ("metadata", "labels", "tier"), "tier:"
    )
    assert "front end" in problem.message


def test_label_key_in_template_rejected() -> None:
    text = STATEFULSET_LABELS.format(top="front", key="example.com/app/x")
    path = ("spec", "template", "metadata", "labels", "example.com/app/x")
    assert_one("metadata-label-format", text, path, "example.com/app/x:")


def test_labels_accepted() -> None:
    text = STATEFULSET_LABELS.format(top='""', key="example.com/App_1")
    assert run_rule("metadata-label-format", text) == []


def test_annotation_keys() -> None:
    text = object_text(
        "ConfigMap",
        "web",
        extra="  annotations:\n    Example.COM/Owner: me\n    bad key: x\n",
    )
    problem = assert_one(
        "metadata-annotation-format",
        text,
        ("metadata", "annotations", "bad key"),
        "bad key:",
    )
    assert "bad key" in problem.message


def test_annotations_too_large_without_quoting_values() -> None:
    secret = "s3cr3t" * 45_000
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        f"  annotations:\n    big: {secret}\n"
    )
    problem = assert_one(
        "metadata-annotations-too-large",
        text,
        ("metadata", "annotations"),
        "annotations:",
    )
    assert "s3cr3t" not in problem.message and "270003" in problem.message
    small = text.replace(secret, "s3cr3t")
    assert run_rule("metadata-annotations-too-large", small) == []


def test_finalizer_format() -> None:
    text = object_text(
        "ConfigMap", "web", extra="  finalizers:\n  - example.com/ok\n  - not ok\n"
    )
    assert_one(
        "metadata-finalizer-format", text, ("metadata", "finalizers", 1), "not ok"
    )


SELECTOR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: web}}]}}
  selector:
    matchLabels:
      app: web
    matchExpressions:
    - key: tier
      operator: {operator}
{values}"""


@pytest.mark.parametrize(
    ("operator", "values", "path", "marker"),
    [
        ("Equals", "      values: [a]\n", (0, "operator"), "operator:"),
        ("In", "", (0,), "- key: tier"),
        ("In", "      values: []\n", (0, "values"), "values:"),
        ("Exists", "      values: [a]\n", (0, "values"), "values:"),
        ("In", "      values: [a b]\n", (0, "values", 0), "values:"),
    ],
    ids=["operator", "in-without-values", "in-empty", "exists-with-values", "value"],
)
def test_label_selector_rejects(operator: str, values: str, path: tuple, marker: str):
    text = SELECTOR.format(operator=operator, values=values)
    full = ("spec", "selector", "matchExpressions", *path)
    assert_one("label-selector-format", text, full, marker)


def test_label_selector_accepts() -> None:
    text = SELECTOR.format(operator="NotIn", values="      values: [a, b]\n")
    assert run_rule("label-selector-format", text) == []
    text = SELECTOR.format(operator="DoesNotExist", values="")
    assert run_rule("label-selector-format", text) == []


def iter_all_problems(path: Path, context: Context) -> list:
    """Run every rule, object and set rules alike, over one file's objects."""
    text = path.read_text(encoding="utf-8")
    objects: list[KubeObject] = []
    for doc in iter_documents(text, path.name):
        objects.extend(iter_objects(doc, len(objects)))
    found = []
    for rule in RULES.values():
        if rule.check_object is not None:
            for obj in objects:
                if rule.applies_to(obj):
                    found += [(rule, obj, p) for p in rule.check_object(obj, context)]
        elif rule.check_set is not None:
            found += [(rule, o, p) for o, p in rule.check_set(objects, context)]
    return found


# Warnings a rule may rightly give on the corpus: the server warned about these.
EXPECTED_WARNINGS = {
    ("podspec-port-name-shared", "cassandra-replication.yaml", "cassandra"),
}


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_has_no_errors(path: Path) -> None:
    found = iter_all_problems(path, Context(kubernetes_minor=36))
    errors = [
        f"{rule.id} {obj.kind} {obj.name} {problem.path}: {problem.message}"
        for rule, obj, problem in found
        if rule.severity is Severity.ERROR
    ]
    assert errors == []
    mine = ("metadata", "podspec", "statefulset")
    warnings = {
        (rule.id, path.name, obj.name)
        for rule, obj, _ in found
        if rule.check_object is not None
        and rule.check_object.__module__.rsplit(".", 1)[-1] in mine
    }
    assert warnings <= EXPECTED_WARNINGS


def test_corpus_cassandra_port_warning_fires() -> None:
    path = SHARED / "corpus" / "realworld" / "cassandra-replication.yaml"
    found = iter_all_problems(path, Context(kubernetes_minor=36))
    assert any(rule.id == "podspec-port-name-shared" for rule, _, _ in found)


def extract_seed_manifests() -> list[str]:
    """The manifests the seed shows with `cat <file>.yaml`, up to the next prompt."""
    manifests = []
    current: list[str] | None = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if re.match(r"\[root@.*#\s*cat \S+\.ya?ml\s*$", line):
            current = []
        elif current is not None and (line.startswith("[root@") or line == "```"):
            manifests.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return [text for text in manifests if "apiVersion:" in text]


def test_seed_manifests_have_no_errors(tmp_path: Path) -> None:
    manifests = extract_seed_manifests()
    assert len(manifests) >= 4
    for index, text in enumerate(manifests):
        target = tmp_path / f"seed-{index}.yaml"
        target.write_text(text, encoding="utf-8")
        errors = [
            (rule.id, problem)
            for rule, _, problem in iter_all_problems(target, Context())
            if rule.severity is Severity.ERROR
        ]
        assert errors == [], text


def test_tool_configuration_files_are_not_objects() -> None:
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [statefulset.yaml]\n"
    )
    kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n"
    for text in (kustomization, kubeconfig):
        assert run_rule("metadata-name-missing", text) == []
    custom = "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {}\n"
    assert len(run_rule("metadata-name-missing", custom)) == 1
