"""Cross-object warnings, and every rule over the corpora the API server accepted."""

from __future__ import annotations

import functools
import glob
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules, refs
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()
CORPUS = Path("/work/shared/corpus")


def load_objects(text: str, source: str = "set.yaml") -> list[KubeObject]:
    objects: list[KubeObject] = []
    for doc in iter_documents(text, source):
        objects.extend(iter_objects(doc, len(objects)))
    return objects


def run_set_rule(rule_id: str, text: str, ctx: Context | None = None) -> list:
    return list(RULES[rule_id].check_set(load_objects(text), ctx or Context()))


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    return lines[occurrence - 1]


def statefulset(
    service_name: str = "db", labels: str = "app: db", extra: str = ""
) -> str:
    return f"""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: {service_name}
  selector:
    matchLabels: {{{labels}}}
  template:
    metadata:
      labels: {{{labels}}}
    spec:
      containers:
      - name: db
        image: mysql:8.4
        ports:
        - name: mysql
          containerPort: 3306
{extra}"""


def service(name: str = "db", spec: str = "clusterIP: None") -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  {spec}
  selector:
    app: db
  ports:
  - name: mysql
    port: 3306
    targetPort: mysql
"""


def join(*documents: str) -> str:
    return "---\n".join(documents)


def test_statefulset_service_missing():
    text = join(statefulset(service_name="db-headless"), service())

    problems = run_set_rule("ref-statefulset-service", text)

    assert [(obj.kind, problem.path) for obj, problem in problems] == [
        ("StatefulSet", ("spec", "serviceName"))
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "serviceName: db-headless")
    assert '"db-headless"' in problem.message


def test_statefulset_service_not_headless():
    text = join(service(spec="type: ClusterIP"), statefulset())

    problems = run_set_rule("ref-statefulset-service", text)

    assert [problem.path for _, problem in problems] == [("spec", "serviceName")]
    assert "not headless" in problems[0][1].message


def test_statefulset_service_in_another_namespace_does_not_count():
    other = service().replace("  name: db\n", "  name: db\n  namespace: other\n", 1)

    assert len(run_set_rule("ref-statefulset-service", join(statefulset(), other))) == 1
    assert run_set_rule("ref-statefulset-service", join(statefulset(), service())) == []


def test_service_selecting_no_pods():
    text = join(statefulset(labels="app: database"), service())

    problems = run_set_rule("ref-service-selector", text)

    assert [(obj.kind, problem.path) for obj, problem in problems] == [
        ("Service", ("spec", "selector"))
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "selector:", 2)


def test_service_selector_checks_need_workloads_and_know_controller_labels():
    assert run_set_rule("ref-service-selector", service()) == []
    pod_zero = service().replace(
        "    app: db\n", "    app: db\n    statefulset.kubernetes.io/pod-name: db-0\n"
    )
    assert run_set_rule("ref-service-selector", join(statefulset(), pod_zero)) == []
    pod_other = pod_zero.replace("pod-name: db-0", "pod-name: web-0")
    text = join(statefulset(), pod_other)
    assert len(run_set_rule("ref-service-selector", text)) == 1
    operator = (
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n"
    )
    assert run_set_rule("ref-service-selector", join(text, operator)) == []


def test_named_target_port_missing_from_the_pods():
    text = join(
        statefulset(), service().replace("targetPort: mysql", "targetPort: sql")
    )

    problems = run_set_rule("ref-service-target-port", text)

    assert [problem.path for _, problem in problems] == [
        ("spec", "ports", 0, "targetPort")
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "targetPort: sql")
    assert run_set_rule("ref-service-target-port", join(statefulset(), service())) == []


def test_claim_naming_an_undefined_storage_class():
    classes = (
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n"
        "provisioner: ebs.csi.aws.com\n"
    )
    claims = """\
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fsat
      resources:
        requests:
          storage: 1Gi
"""
    text = join(classes, statefulset(extra=claims))

    problems = run_set_rule("ref-storage-class", text)

    assert [problem.path for _, problem in problems] == [
        ("spec", "volumeClaimTemplates", 0, "spec", "storageClassName")
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "storageClassName: fsat")
    assert run_set_rule("ref-storage-class", statefulset(extra=claims)) == []
    fixed = text.replace("fsat", "fast")
    assert run_set_rule("ref-storage-class", fixed) == []


def test_duplicate_objects():
    text = join(service(), statefulset(), service())

    problems = run_set_rule("ref-duplicate-object", text)

    assert [(obj.order, problem.path) for obj, problem in problems] == [
        (2, ("metadata", "name"))
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "name: db", 4)
    assert problem.message.startswith('Service "db" is defined twice in this file')
    other_namespace = service().replace("  name: db\n", "  name: db\n  namespace: b\n")
    assert run_set_rule("ref-duplicate-object", join(service(), other_namespace)) == []
    variants = load_objects(service(), "dev.yaml") + load_objects(
        service(), "prod.yaml"
    )
    assert list(RULES["ref-duplicate-object"].check_set(variants, Context())) == []


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: backups.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: backups, kind: Backup}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
BACKUP = "apiVersion: example.com/v1\nkind: Backup\nmetadata:\n  name: nightly\n"


def test_custom_resource_before_its_crd():
    text = join(BACKUP, CRD)

    problems = run_set_rule("ref-custom-resource-order", text)

    assert [(obj.kind, problem.path) for obj, problem in problems] == [
        ("Backup", ("kind",))
    ]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, "kind: Backup")
    assert run_set_rule("ref-custom-resource-order", join(CRD, BACKUP)) == []


def test_config_references_need_strict_refs():
    volumes = """\
      volumes:
      - name: conf
        configMap:
          name: db-config
      - name: tls
        secret:
          secretName: db-tls
          optional: true
"""
    env = """\
        envFrom:
        - secretRef:
            name: db-credentials
"""
    text = statefulset(extra="").replace(
        "      containers:\n", volumes + "      containers:\n"
    )
    text = text.replace("        ports:\n", env + "        ports:\n")

    assert run_set_rule("ref-config-missing", text) == []
    problems = run_set_rule("ref-config-missing", text, Context(strict_refs=True))

    paths = [problem.path for _, problem in problems]
    assert paths == [
        ("spec", "template", "spec", "volumes", 0, "configMap"),
        ("spec", "template", "spec", "containers", 0, "envFrom", 0, "secretRef"),
    ]
    obj, problem = problems[1]
    assert obj.locate(problem.path)[0] == line_of(text, "- secretRef:")
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-config\n"
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n"
    complete = join(text, config, secret)
    assert run_set_rule("ref-config-missing", complete, Context(strict_refs=True)) == []


@pytest.mark.parametrize(
    "odd",
    [
        "kind: StatefulSet\nspec: {serviceName: 5, template: []}",
        "kind: Service\nmetadata: {name: a}\nspec: {selector: [a], ports: 3}",
        "kind: Service\nspec: {selector: {a: b}, ports: [1, {targetPort: x}]}",
        "kind: CronJob\nspec: {jobTemplate: {spec: {template: 5}}}",
        "kind: Pod\nmetadata: {labels: [a]}\nspec: {volumes: [1, {secret: 3}]}",
        "kind: CustomResourceDefinition\nspec: {names: 5}",
        "kind: StatefulSet\nspec: {volumeClaimTemplates: [1, {spec: 2}]}",
        "kind: StorageClass\nmetadata: {name: [x]}",
    ],
)
def test_set_rules_skip_values_of_the_wrong_type(odd):
    text = join(odd + "\n", statefulset(), service())
    for rule in RULES.values():
        if rule.check_set is not None:
            list(rule.check_set(load_objects(text), Context(strict_refs=True)))


# What the warning rules of this module (and service.py) report on the corpora,
# each checked by hand: the charts really leave those ports undeclared or the
# governing Service not headless, the server warned about PreferClose, and the
# operators' examples reuse names that would overwrite each other if applied
# together.
EXPECTED_WARNINGS = {
    ("cassandra-default.yaml", "ref-service-target-port"): 1,
    ("cassandra-replication.yaml", "ref-service-target-port"): 1,
    ("memcached-exposed.yaml", "ref-statefulset-service"): 1,
    ("memcached-replication.yaml", "ref-statefulset-service"): 1,
    ("rabbitmq-default.yaml", "service-traffic-distribution-deprecated"): 1,
    ("rabbitmq-exposed.yaml", "service-traffic-distribution-deprecated"): 1,
    ("rabbitmq-replication.yaml", "service-traffic-distribution-deprecated"): 1,
    ("zookeeper-default.yaml", "ref-service-target-port"): 2,
    ("cloudnative-pg.yaml", "ref-duplicate-object"): 28,
    ("mysql-operator.yaml", "ref-duplicate-object"): 1,
    ("prometheus-operator.yaml", "ref-duplicate-object"): 7,
    ("strimzi-kafka-operator.yaml", "ref-duplicate-object"): 70,
}
MY_MODULES = ("service", "storage", "configdata", "crd", "refs")


@functools.cache
def load_corpus() -> list[tuple[str, list[KubeObject]]]:
    """The objects of each corpus file, read once for the tests that need them."""
    paths = sorted(glob.glob(str(CORPUS / "realworld" / "*.yaml")))
    paths += sorted(glob.glob(str(CORPUS / "realworld-crds" / "*.yaml")))
    return [(path, load_objects(Path(path).read_text(), path)) for path in paths]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is absent")
def test_every_rule_accepts_what_the_api_server_accepted():
    """No rule reports an error on the corpora; the 48 CRDs pass the CRD rules."""
    ctx = Context(kubernetes_minor=36)
    errors = []
    warnings: Counter = Counter()
    crds = 0
    paths = [path for path, _ in load_corpus()]
    for path, objects in load_corpus():
        crds += sum(obj.kind == "CustomResourceDefinition" for obj in objects)
        found = [
            (rule, problem)
            for rule in RULES.values()
            if rule.check_object is not None
            for obj in objects
            if rule.applies_to(obj)
            for problem in rule.check_object(obj, ctx)
        ]
        found += [
            (rule, problem)
            for rule in RULES.values()
            if rule.check_set is not None
            for _, problem in rule.check_set(objects, ctx)
        ]
        for rule, problem in found:
            if rule.severity is Severity.ERROR:
                errors.append((Path(path).name, rule.id, problem))
            elif _find_module(rule) in MY_MODULES:
                warnings[(Path(path).name, rule.id)] += 1

    assert len(paths) == 60
    assert crds == 48
    assert errors == []
    assert dict(warnings) == EXPECTED_WARNINGS


def _find_module(rule) -> str:
    check = rule.check_object or rule.check_set
    return check.__module__.rsplit(".", 1)[-1]


REF_KEYS = [
    "spec", "metadata", "name", "namespace", "labels", "serviceName", "selector",
    "template", "containers", "initContainers", "ports", "targetPort", "clusterIP",
    "volumeClaimTemplates", "storageClassName", "volumes", "configMap", "secret",
    "secretName", "envFrom", "env", "valueFrom", "secretRef", "configMapKeyRef",
    "group", "names", "kind", "jobTemplate", "optional", "generateName",
    "ephemeralContainers", "projected", "sources", "configMapRef",
]  # fmt: skip
KINDS = [
    "StatefulSet", "Service", "Pod", "CronJob", "StorageClass", "ConfigMap", "Secret",
    "PersistentVolumeClaim", "CustomResourceDefinition", "Backup", "PodTemplate",
    "Job",
]  # fmt: skip
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["db", "None", "mysql", "db-0", "example.com"])
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(REF_KEYS) | st.text(max_size=3), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), JSON_VALUES), max_size=5))
def test_set_rules_never_raise_on_any_content(bodies):
    objects = []
    for order, (kind, body) in enumerate(bodies):
        data = {
            "apiVersion": "example.com/v1",
            "kind": kind,
            "metadata": {"name": "db"},
        }
        if isinstance(body, dict):
            data.update(body)
        obj = KubeObject(data, Document("fuzz.yaml", order, data), order=order)
        objects.append(obj)
    for rule in RULES.values():
        if rule.check_set is not None:
            for obj, problem in rule.check_set(objects, Context(strict_refs=True)):
                assert obj in objects
                assert "\n" not in problem.message


def test_custom_resource_order_compares_only_objects_of_one_stream():
    crd_file = load_objects(CRD, "crd.yaml")
    backup_file = load_objects(BACKUP, "backup.yaml")
    # Numbered across the run as the engine does: backup.yaml is read first.
    objects = backup_file + crd_file
    for order, obj in enumerate(objects):
        obj.order = order

    check = RULES["ref-custom-resource-order"].check_set

    assert list(check(objects, Context())) == []
    assert len(list(check(load_objects(join(BACKUP, CRD)), Context()))) == 1


# --- the template index --------------------------------------------------------


def pod(name: str, labels: dict, namespace: str = "") -> KubeObject:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
    }
    return KubeObject(data, Document("pods.yaml", 0, data))


LABEL_VALUES = st.sampled_from(["db", "web", "db-0", 1, True, None, ["db"]])
LABELS = st.dictionaries(
    st.sampled_from(["app", "tier", "statefulset.kubernetes.io/pod-name"]),
    LABEL_VALUES,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(LABELS, st.sampled_from(["", "a"])), max_size=6),
    LABELS,
    st.sampled_from(["", "a"]),
)
def test_template_index_selects_what_a_scan_of_every_template_selects(
    pods, selector, namespace
):
    templates = list(
        refs.iter_pod_templates([pod(f"p{n}", *args) for n, args in enumerate(pods)])
    )

    found = refs.TemplateIndex(templates).select(namespace, selector)

    expected = [
        t
        for t in templates
        if t.owner.namespace == namespace and refs.selects(selector, t)
    ]
    assert sorted(id(t) for t in found) == sorted(id(t) for t in expected)


def test_services_are_matched_without_trying_every_template(monkeypatch):
    groups = [
        join(
            statefulset(labels=f"app: db{n}").replace("name: db\n", f"name: db{n}\n"),
            service(f"db{n}").replace("app: db\n", f"app: db{n}\n"),
        )
        for n in range(200)
    ]
    objects = load_objects(join(*groups))
    calls = []
    original = refs.selects

    def count(selector, template):
        calls.append(template)
        return original(selector, template)

    monkeypatch.setattr(refs, "selects", count)

    for rule_id in ("ref-service-selector", "ref-service-target-port"):
        assert list(RULES[rule_id].check_set(objects, Context())) == []
    # One candidate per Service and rule, not 200.
    assert len(calls) == 2 * 200


# --- the fields the engine keeps for set rules ---------------------------------


def keep_fields(objects: list[KubeObject]) -> list[KubeObject]:
    kept = []
    for obj in objects:
        slim = KubeObject(refs.keep_set_rule_fields(obj.data), obj.doc, obj.prefix)
        slim.order = obj.order
        kept.append(slim)
    return kept


def verdicts(objects: list[KubeObject], ctx: Context) -> list:
    """Every set rule's verdicts, with objects by position so runs compare."""
    position = {id(obj): n for n, obj in enumerate(objects)}
    return [
        (rule.id, position[id(obj)], problem)
        for rule in RULES.values()
        if rule.check_set is not None
        for obj, problem in rule.check_set(objects, ctx)
    ]


def test_every_set_rule_lives_in_refs_whose_field_list_covers_them():
    modules = {rule.check_set.__module__ for rule in RULES.values() if rule.check_set}
    assert modules == {"stsgen.rules.refs"}


def test_kept_fields_drop_what_no_set_rule_reads():
    [obj] = load_objects(statefulset(extra="  replicas: 3\n"))

    kept = refs.keep_set_rule_fields(obj.data)

    assert kept["spec"]["template"]["spec"]["containers"] == [
        {"ports": [{"name": "mysql"}]}
    ]
    assert "replicas" not in kept["spec"]
    assert kept["metadata"] == {"name": "db"}
    assert "image" in str(obj.data) and "image" not in str(kept)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), JSON_VALUES), max_size=6))
def test_set_rules_say_the_same_on_kept_fields_as_on_whole_objects(bodies):
    objects = []
    for order, (kind, body) in enumerate(bodies):
        data = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "db"}}
        if isinstance(body, dict):
            data.update(body)
        objects.append(
            KubeObject(data, Document("fuzz.yaml", order, data), order=order)
        )
    ctx = Context(strict_refs=True)

    assert verdicts(keep_fields(objects), ctx) == verdicts(objects, ctx)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is absent")
def test_set_rules_say_the_same_on_kept_fields_of_the_corpora():
    # Numbered per file, which is all the order-minded rules compare.
    objects = [obj for _, objects in load_corpus() for obj in objects]
    ctx = Context(strict_refs=True)

    found = verdicts(objects, ctx)

    assert len(found) > 100
    assert verdicts(keep_fields(objects), ctx) == found


def test_set_rules_say_the_same_on_kept_fields_when_each_rule_warns():
    claims = (
        "  volumeClaimTemplates:\n  - spec: {storageClassName: fsat}\n"
        "    metadata: {name: data}\n"
    )
    volumes = (
        "      volumes:\n      - name: conf\n        configMap: {name: conf}\n"
        "      - name: tls\n        secret: {secretName: tls, optional: true}\n"
        "      - name: more\n        configMap: {name: more, optional: true}\n"
    )
    workload = statefulset(service_name="db-headless", extra=claims).replace(
        "      containers:\n", volumes + "      containers:\n"
    )
    # In a namespace of its own: operators' namespaces are spared selector checks.
    backup = BACKUP + "  namespace: ops\n"
    text = join(
        backup,
        CRD,
        workload,
        service().replace("targetPort: mysql", "targetPort: sql"),
        service("other").replace("app: db", "app: nothing"),
        service("other").replace("app: db", "app: nothing"),
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n",
    )
    objects = load_objects(text)
    ctx = Context(strict_refs=True)

    found = verdicts(objects, ctx)

    warned = {rule_id for rule_id, _, _ in found}
    assert warned == {rule.id for rule in RULES.values() if rule.check_set}
    assert verdicts(keep_fields(objects), ctx) == found
