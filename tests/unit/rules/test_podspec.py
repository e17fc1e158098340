"""Pod template rules: manifests a schema-only check accepts and the API server
rejects, for every workload kind, each next to a fixed version.
"""

from __future__ import annotations

import copy
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.rules.podspec import find_pod_spec
from stsgen.schemas import load_store
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()

# A pod spec every rule accepts; each case below changes one line of it.
POD_SPEC = """\
restartPolicy: Always
volumes:
- name: config
  configMap:
    name: web
containers:
- name: web
  image: nginx:1.27
  imagePullPolicy: IfNotPresent
  ports:
  - name: http
    containerPort: 8080
    protocol: TCP
  - name: metrics
    containerPort: 9090
    hostPort: 0
  env:
  - name: MODE
    value: prod
  envFrom:
  - prefix: APP_
    configMapRef:
      name: web
  volumeMounts:
  - name: config
    mountPath: /etc/web
    subPath: conf.d
  resources:
    requests:
      cpu: 250m
      memory: 1e9
    limits:
      cpu: 1
      memory: 2Gi
  livenessProbe:
    httpGet:
      path: /healthz
      port: http
    successThreshold: 1
  readinessProbe:
    tcpSocket:
      port: 8080
    successThreshold: 3
initContainers:
- name: init
  image: busybox:1.36
  volumeMounts:
  - name: config
    mountPath: /etc/web
"""

SELECTED = (
    "spec:\n  selector:\n    matchLabels: {app: web}\n"
    "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n"
)
# Where each kind nests its pod spec, and the indent that puts the spec there.
WRAPPERS = {
    "Pod": ("v1", "spec:\n", 2),
    "PodTemplate": ("v1", "template:\n  spec:\n", 4),
    "Deployment": ("apps/v1", SELECTED, 6),
    "StatefulSet": ("apps/v1", SELECTED, 6),
    "DaemonSet": ("apps/v1", SELECTED, 6),
    "ReplicaSet": ("apps/v1", SELECTED, 6),
    "ReplicationController": ("v1", "spec:\n  template:\n    spec:\n", 6),
    "Job": ("batch/v1", "spec:\n  template:\n    spec:\n", 6),
    "CronJob": (
        "batch/v1",
        "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n"
        + "        spec:\n",
        10,
    ),
}


def wrap(kind: str, pod_spec: str = POD_SPEC) -> str:
    api, head, indent = WRAPPERS[kind]
    if kind in ("Job", "CronJob"):
        pod_spec = pod_spec.replace("restartPolicy: Always", "restartPolicy: Never")
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: web\n{head}"
        + textwrap.indent(pod_spec, " " * indent)
    )


def schema_errors(text: str, minor: int = 37) -> list[str]:
    """What the bundled OpenAPI schema alone says about the text's objects."""
    store = load_store(f"1.{minor}")
    errors = []
    for doc in iter_documents(text, "pod.yaml"):
        for obj in iter_objects(doc):
            validator = store.validator_for(obj.api_version, obj.kind, True)
            errors += [error.message for error in validator.iter_errors(obj.data)]
    return errors


def change(old: str, new: str) -> str:
    assert POD_SPEC.count(old) == 1, old
    return POD_SPEC.replace(old, new)


def run_rule(rule_id: str, text: str, minor: int = 37) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "pod.yaml") for o in iter_objects(doc)]
    context = Context(kubernetes_minor=minor)
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, context)
    ]


def line_of(text: str, marker: str, after: str = "") -> int:
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if after in line) if after else 0
    return next(n for n, line in enumerate(lines[start:], start + 1) if marker in line)


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_valid_pod_spec_passes_every_rule(kind: str) -> None:
    text = wrap(kind)
    assert schema_errors(text) == []
    for rule_id, rule in RULES.items():
        if rule.check_object is not None:
            assert run_rule(rule_id, text) == [], rule_id


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_find_pod_spec_for_every_kind(kind: str) -> None:
    [obj] = [
        o for doc in iter_documents(wrap(kind), "x.yaml") for o in iter_objects(doc)
    ]
    found = find_pod_spec(obj)
    assert found is not None and found[1]["containers"][0]["name"] == "web"


CASES = [
    ("podspec-containers-missing",
     change(POD_SPEC[POD_SPEC.index("containers:"):POD_SPEC.index("initContainers:")],
            "containers: []\n"),
     ("containers",), "containers: []", ""),
    ("podspec-ephemeral-containers",
     change("volumes:\n", "ephemeralContainers:\n- name: debug\n  image: busybox\n"
            "volumes:\n"),
     ("ephemeralContainers",), "ephemeralContainers", ""),
    ("podspec-container-name-format", change("- name: web\n", "- name: Web_1\n"),
     ("containers", 0, "name"), "Web_1", ""),
    ("podspec-container-name-duplicate", change("- name: init\n", "- name: web\n"),
     ("initContainers", 0, "name"), "- name: web", "initContainers"),
    ("podspec-port-range", change("containerPort: 8080", "containerPort: 80800"),
     ("containers", 0, "ports", 0, "containerPort"), "80800", ""),
    ("podspec-port-range", change("hostPort: 0", "hostPort: 70000"),
     ("containers", 0, "ports", 1, "hostPort"), "hostPort", ""),
    ("podspec-port-name-format",
     change("- name: metrics\n", "- name: metrics-endpoint\n"),
     ("containers", 0, "ports", 1, "name"), "metrics-endpoint", ""),
    ("podspec-port-name-duplicate", change("- name: metrics\n", "- name: http\n"),
     ("containers", 0, "ports", 1, "name"), "- name: http", "containerPort: 8080"),
    ("podspec-port-protocol", change("protocol: TCP", "protocol: tcp"),
     ("containers", 0, "ports", 0, "protocol"), "protocol", ""),
    ("podspec-volume-name-format",
     change("volumes:\n- name: config\n", "volumes:\n- name: Config\n"),
     ("volumes", 0, "name"), "Config", ""),
    ("podspec-volume-mount-unknown",
     change("  - name: config\n    mountPath: /etc/web\n    subPath",
            "  - name: conf\n    mountPath: /etc/web\n    subPath"),
     ("containers", 0, "volumeMounts", 0, "name"), "- name: conf", "volumeMounts"),
    ("podspec-mount-path",
     change("    subPath: conf.d\n", "    subPath: ../etc\n"),
     ("containers", 0, "volumeMounts", 0, "subPath"), "subPath", ""),
    ("podspec-env-name", change("- name: MODE\n", "- name: MODE=1\n"),
     ("containers", 0, "env", 0, "name"), "MODE=1", ""),
    ("podspec-env-name", change("prefix: APP_", "prefix: APP="),
     ("containers", 0, "envFrom", 0, "prefix"), "prefix", ""),
    ("podspec-resource-quantity", change("memory: 2Gi", "memory: 2GB"),
     ("containers", 0, "resources", "limits", "memory"), "2GB", ""),
    ("podspec-resource-quantity", change("cpu: 250m", "cpu: -250m"),
     ("containers", 0, "resources", "requests", "cpu"), "-250m", ""),
    ("podspec-resource-request-above-limit", change("cpu: 250m", "cpu: 1500m"),
     ("containers", 0, "resources", "requests", "cpu"), "1500m", ""),
    ("podspec-resource-request-above-limit", change("memory: 1e9", "memory: 3e9"),
     ("containers", 0, "resources", "requests", "memory"), "3e9", ""),
    ("podspec-resource-not-overcommitted",
     change("      memory: 1e9\n", "      memory: 1e9\n      example.com/gpu: 1\n"),
     ("containers", 0, "resources", "requests", "example.com/gpu"), "gpu", ""),
    ("podspec-resource-not-overcommitted",
     change("      memory: 1e9\n    limits:\n      cpu: 1\n",
            "      memory: 1e9\n      example.com/gpu: 1\n    limits:\n"
            "      cpu: 1\n      example.com/gpu: 2\n"),
     ("containers", 0, "resources", "requests", "example.com/gpu"), "gpu: 1", ""),
    ("podspec-resource-not-overcommitted",
     change("      memory: 2Gi\n", "      memory: 2Gi\n      example.com/gpu: 0.5\n"),
     ("containers", 0, "resources", "limits", "example.com/gpu"), "gpu: 0.5", ""),
    ("podspec-resource-not-overcommitted",
     change("      memory: 1e9\n    limits:\n      cpu: 1\n",
            "      memory: 1e9\n      hugepages-2Mi: 2Mi\n    limits:\n"
            "      cpu: 1\n      hugepages-2Mi: 4Mi\n"),
     ("containers", 0, "resources", "requests", "hugepages-2Mi"), "2Mi: 2Mi", ""),
    ("podspec-resource-hugepages",
     change("      memory: 2Gi\n",
            "      memory: 2Gi\n      hugepages-2Mi: '4194304.5'\n"),
     ("containers", 0, "resources", "limits", "hugepages-2Mi"), "4194304.5", ""),
    ("podspec-resource-hugepages",
     change("      memory: 2Gi\n", "      memory: 2Gi\n      hugepages-2Mi: 3Mi\n"),
     ("containers", 0, "resources", "limits", "hugepages-2Mi"), "3Mi", ""),
    ("podspec-resource-hugepages",
     change("  image: busybox:1.36\n",
            "  image: busybox:1.36\n  resources:\n    limits:\n"
            "      hugepages-1Gi: 1Gi\n"),
     ("initContainers", 0, "resources", "limits", "hugepages-1Gi"), "hugepages", ""),
    ("podspec-probe-handler",
     change("  readinessProbe:\n    tcpSocket:\n      port: 8080\n",
            "  readinessProbe:\n"),
     ("containers", 0, "readinessProbe"), "readinessProbe", ""),
    ("podspec-probe-handler",
     change("    tcpSocket:\n      port: 8080\n",
            "    tcpSocket:\n      port: 8080\n    exec:\n      command: ['true']\n"),
     ("containers", 0, "readinessProbe", "exec"), "exec:", ""),
    ("podspec-probe-handler", change("successThreshold: 1", "successThreshold: 2"),
     ("containers", 0, "livenessProbe", "successThreshold"), "successThreshold: 2", ""),
    ("podspec-image-pull-policy", change("IfNotPresent", "Sometimes"),
     ("containers", 0, "imagePullPolicy"), "imagePullPolicy", ""),
    ("podspec-resource-name", change("memory: 2Gi", "memroy: 2Gi"),
     ("containers", 0, "resources", "limits", "memroy"), "memroy", ""),
    ("podspec-resource-name",
     change("      cpu: 1\n", "      example.com/gpu: 1\n      Bad/x: 1\n"),
     ("containers", 0, "resources", "limits", "Bad/x"), "Bad/x", ""),
    ("podspec-probe-port", change("      port: 8080\n", '      port: "8080"\n'),
     ("containers", 0, "readinessProbe", "tcpSocket", "port"), '"8080"', ""),
    ("podspec-probe-port", change("      port: 8080\n", "      port: 0\n"),
     ("containers", 0, "readinessProbe", "tcpSocket", "port"), "port: 0", ""),
    ("podspec-init-container-probe",
     change("  image: busybox:1.36\n",
            "  image: busybox:1.36\n  startupProbe:\n    exec: {command: ['true']}\n"),
     ("initContainers", 0, "startupProbe"), "startupProbe", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    value: prod\n    valueFrom:\n      fieldRef: {fieldPath: metadata.name}\n"),
     ("containers", 0, "env", 0, "valueFrom"), "valueFrom:", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      fieldRef: {fieldPath: metadata.name}\n"
            "      secretKeyRef: {name: web, key: mode}\n"),
     ("containers", 0, "env", 0, "valueFrom", "secretKeyRef"), "secretKeyRef:", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      configMapKeyRef:\n        name: web\n"
            "        key: conf/mode\n"),
     ("containers", 0, "env", 0, "valueFrom", "configMapKeyRef", "key"),
     "key: conf/mode", ""),
    ("podspec-env-value-from",
     change("    value: prod\n", "    valueFrom:\n      fieldRef: {fieldPath: spec.bogus}\n"),
     ("containers", 0, "env", 0, "valueFrom", "fieldRef", "fieldPath"), "bogus", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      fieldRef: {apiVersion: v2, fieldPath: metadata.name}\n"),
     ("containers", 0, "env", 0, "valueFrom", "fieldRef", "apiVersion"), "v2", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      fieldRef: {fieldPath: \"metadata.labels['a b']\"}\n"),
     ("containers", 0, "env", 0, "valueFrom", "fieldRef", "fieldPath"), "a b", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      resourceFieldRef: {resource: limits.bogus}\n"),
     ("containers", 0, "env", 0, "valueFrom", "resourceFieldRef", "resource"),
     "bogus", ""),
    ("podspec-env-value-from",
     change("    value: prod\n",
            "    valueFrom:\n      resourceFieldRef: {resource: limits.cpu, divisor: 3m}\n"),
     ("containers", 0, "env", 0, "valueFrom", "resourceFieldRef", "divisor"), "3m", ""),
    ("podspec-env-from",
     change("    configMapRef:\n      name: web\n",
            "    configMapRef:\n      name: web\n    secretRef:\n      name: web\n"),
     ("containers", 0, "envFrom", 0, "secretRef"), "secretRef:", ""),
    ("podspec-env-from",
     change("configMapRef:\n      name: web\n", "configMapRef:\n      name: Web\n"),
     ("containers", 0, "envFrom", 0, "configMapRef", "name"), "name: Web", ""),
    ("podspec-volume-source",
     change("    name: web\ncontainers:", "    name: web\n  emptyDir: {}\ncontainers:"),
     ("volumes", 0, "emptyDir"), "emptyDir", ""),
    ("podspec-volume-source",
     change("  configMap:\n    name: web\n", "  secret:\n    optional: true\n"),
     ("volumes", 0, "secret"), "secret:", ""),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
@pytest.mark.parametrize(
    ("rule_id", "pod_spec", "path", "marker", "after"),
    CASES,
    ids=[f"{case[0]}:{'.'.join(map(str, case[2]))}" for case in CASES],
)
def test_rule_rejects(
    kind: str, rule_id: str, pod_spec: str, path: tuple, marker: str, after: str
) -> None:
    text = wrap(kind, pod_spec)
    assert schema_errors(text) == []  # a schema-only check finds nothing
    found = run_rule(rule_id, text)
    assert len(found) == 1, found
    obj, problem = found[0]
    [(spec_path, _)] = [find_pod_spec(obj)]
    assert problem.path == (*spec_path, *path)
    assert obj.locate(problem.path)[0] == line_of(text, marker, after)
    assert problem.message and not problem.message.endswith(".")
    assert RULES[rule_id].severity is Severity.ERROR


def test_duplicate_container_name_message_points_at_the_first() -> None:
    text = wrap("Deployment", change("- name: init\n", "- name: web\n"))
    [(_, problem)] = run_rule("podspec-container-name-duplicate", text)
    assert problem.message == (
        'container name "web" is already used by spec.template.spec.containers[0]'
    )


def test_port_name_shared_across_containers_is_a_warning() -> None:
    sidecar = (
        "- name: exporter\n  image: exporter:1\n  ports:\n"
        "  - name: metrics\n    containerPort: 9100\n"
    )
    text = wrap(
        "StatefulSet", POD_SPEC.replace("initContainers:", sidecar + "initContainers:")
    )
    found = run_rule("podspec-port-name-shared", text)
    assert [problem.path[-4:] for _, problem in found] == [(1, "ports", 0, "name")]
    assert RULES["podspec-port-name-shared"].severity is Severity.WARNING
    assert run_rule("podspec-port-name-duplicate", text) == []


def test_statefulset_may_mount_its_claim_templates() -> None:
    mount = "  - name: data\n    mountPath: /data\n  resources:"
    pod_spec = change("  resources:", mount)
    text = wrap("StatefulSet", pod_spec)
    found = run_rule("podspec-volume-mount-unknown", text)
    assert [problem.path[-1] for _, problem in found] == ["name"]
    assert "claim template" in found[0][1].message
    claims = "  volumeClaimTemplates:\n  - metadata:\n      name: data\n"
    assert run_rule("podspec-volume-mount-unknown", text + claims) == []


def test_a_backslash_in_a_sub_path_is_a_plain_character() -> None:
    # validatePathNoBacksteps splits on '/' only (filepath.ToSlash on Linux).
    text = wrap("Pod", change("    subPath: conf.d\n", "    subPath: 'x\\..\\y'\n"))
    assert run_rule("podspec-mount-path", text) == []
    backstep = text.replace("x\\..\\y", "x/../y")
    assert [p.path[-1] for _, p in run_rule("podspec-mount-path", backstep)] == [
        "subPath"
    ]


def test_mount_path_used_twice() -> None:
    pod_spec = change(
        "    subPath: conf.d\n",
        "    subPath: conf.d\n  - name: config\n    mountPath: /etc/web\n",
    )
    text = wrap("Pod", pod_spec)
    found = run_rule("podspec-mount-path", text)
    assert [problem.path for _, problem in found] == [
        ("spec", "containers", 0, "volumeMounts", 1, "mountPath")
    ]


@pytest.mark.parametrize(
    ("kind", "policy", "bad"),
    [
        ("Deployment", "OnFailure", True),
        ("DaemonSet", "Never", True),
        ("Job", "Always", True),
        ("Job", None, True),
        ("CronJob", "OnFailure", False),
        ("Pod", "Never", False),
        ("Pod", "Sometimes", True),
        ("Deployment", None, False),
    ],
)
def test_restart_policy_per_kind(kind: str, policy: str | None, bad: bool) -> None:
    text = wrap(kind)
    for existing in ("restartPolicy: Always", "restartPolicy: Never"):
        text = text.replace(
            existing,
            f"restartPolicy: {policy}" if policy else "dnsPolicy: ClusterFirst",
        )
    found = run_rule("podspec-restart-policy", text)
    assert bool(found) is bad
    if found and policy:
        assert found[0][0].locate(found[0][1].path)[0] == line_of(text, "restartPolicy")


def test_env_names_follow_the_version() -> None:
    text = wrap("Pod", change("- name: MODE\n", "- name: 1MODE\n"))
    assert run_rule("podspec-env-name", text, minor=37) == []
    assert len(run_rule("podspec-env-name", text, minor=31)) == 1


def test_list_items_are_checked_with_their_prefix() -> None:
    item = textwrap.indent(
        wrap("Deployment", change("- name: web\n", "- name: Web\n")), "  "
    )
    text = "apiVersion: v1\nkind: List\nitems:\n- " + item.lstrip()
    [(obj, problem)] = run_rule("podspec-container-name-format", text)
    assert obj.prefix == ("items", 0)
    assert obj.locate(problem.path)[0] == line_of(text, "Web")


def test_rules_skip_wrong_types() -> None:
    odd = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n"
        "  volumes: 3\n  containers:\n  - 7\n  - name: [a]\n    ports: {a: 1}\n"
        "    env: [{name: 5}]\n    resources: {requests: {cpu: {a: 1}}, limits: [1]}\n"
        "    livenessProbe: [1]\n    volumeMounts: [{name: 3, mountPath: [1]}]\n"
        "  initContainers: {a: b}\n"
    )
    for rule_id, rule in RULES.items():
        if rule.check_object is not None:
            run_rule(rule_id, odd)


def test_probe_naming_an_undeclared_port_warns() -> None:
    text = wrap("Deployment", change("      port: http\n", "      port: admin\n"))
    found = run_rule("podspec-probe-port-unknown", text)
    assert [problem.path[-3:] for _, problem in found] == [
        ("livenessProbe", "httpGet", "port")
    ]
    assert found[0][0].locate(found[0][1].path)[0] == line_of(text, "port: admin")
    assert RULES["podspec-probe-port-unknown"].severity is Severity.WARNING
    assert run_rule("podspec-probe-port-unknown", wrap("Deployment")) == []


def test_sidecar_init_containers_may_have_probes() -> None:
    sidecar = (
        "  image: busybox:1.36\n  restartPolicy: Always\n"
        "  readinessProbe:\n    exec:\n      command: ['true']\n"
    )
    text = wrap("Deployment", change("  image: busybox:1.36\n", sidecar))
    assert run_rule("podspec-init-container-probe", text) == []


@pytest.mark.parametrize("kind", ["Pod", "DaemonSet"])
def test_host_network_needs_host_port_equal_to_container_port(kind: str) -> None:
    text = wrap(kind, change("hostPort: 0", "hostPort: 9091") + "hostNetwork: true\n")
    [(obj, problem)] = run_rule("podspec-host-network-port", text)
    assert problem.path[-3:] == ("ports", 1, "hostPort")
    assert obj.locate(problem.path)[0] == line_of(text, "hostPort: 9091")
    for fine in ("hostPort: 0", "hostPort: 9090"):
        assert (
            run_rule("podspec-host-network-port", text.replace("hostPort: 9091", fine))
            == []
        )
    assert (
        run_rule("podspec-host-network-port", text.replace("hostNetwork: true", ""))
        == []
    )


def test_host_ports_must_differ() -> None:
    pod_spec = change("hostPort: 0", "hostPort: 80").replace(
        "    protocol: TCP\n", "    protocol: TCP\n    hostPort: 80\n"
    )
    text = wrap("DaemonSet", pod_spec)
    [(obj, problem)] = run_rule("podspec-host-port-duplicate", text)
    spec_path = ("spec", "template", "spec")
    assert problem.path == (*spec_path, "containers", 0, "ports", 1, "hostPort")
    assert "spec.template.spec.containers[0].ports[0]" in problem.message
    assert obj.locate(problem.path)[0] == line_of(text, "hostPort: 80", "9090")
    udp = pod_spec.replace(
        "containerPort: 9090\n", "containerPort: 9090\n    protocol: UDP\n"
    )
    assert run_rule("podspec-host-port-duplicate", wrap("DaemonSet", udp)) == []


def test_job_with_pod_failure_policy_needs_never() -> None:
    text = wrap("Job").replace("restartPolicy: Never", "restartPolicy: OnFailure")
    text = text.replace(
        "spec:\n  template:",
        "spec:\n  podFailurePolicy:\n    rules: []\n  template:",
        1,
    )
    [(obj, problem)] = run_rule("podspec-restart-policy", text)
    assert "podFailurePolicy" in problem.message
    assert obj.locate(problem.path)[0] == line_of(text, "restartPolicy")


@pytest.mark.parametrize(
    ("kind", "old", "new", "path", "marker"),
    [
        ("Deployment", "labels: {app: web}", "labels: {app: api}",
         ("spec", "template", "metadata", "labels"), "labels:"),
        ("DaemonSet", "    matchLabels: {app: web}\n", "    matchLabels: {}\n",
         ("spec", "selector"), "selector:"),
        ("ReplicationController", "spec:\n  template:",
         "spec:\n  selector: {app: db}\n  template:",
         ("spec", "template"), "template:"),
    ],
    ids=["deployment-mismatch", "daemonset-empty", "rc-mismatch"],
)  # fmt: skip
def test_workload_selector_rejects(
    kind: str, old: str, new: str, path: tuple, marker: str
) -> None:
    text = wrap(kind)
    assert text.count(old) == 1
    text = text.replace(old, new)
    assert schema_errors(text) == []
    [(obj, problem)] = run_rule("podspec-selector-mismatch", text)
    assert problem.path == path
    assert obj.locate(problem.path)[0] == line_of(text, marker)


def test_workload_selector_with_expressions_matches() -> None:
    text = wrap("Deployment").replace(
        "    matchLabels: {app: web}\n",
        "    matchExpressions:\n    - {key: app, operator: In, values: [web, api]}\n"
        "    - {key: canary, operator: DoesNotExist}\n",
    )
    assert run_rule("podspec-selector-mismatch", text) == []
    assert run_rule("podspec-selector-mismatch", wrap("ReplicationController")) == []


def _iter_paths(data: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _iter_paths(value, (*path, index))
    return found


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
SAMPLES = {
    kind: next(iter_documents(wrap(kind), "x.yaml")).data for kind in sorted(WRAPPERS)
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(WRAPPERS)), st.integers(min_value=0), JUNK)
def test_rules_never_raise_on_odd_values(kind: str, pick: int, junk: object) -> None:
    data = copy.deepcopy(SAMPLES[kind])
    paths = _iter_paths(data)[1:]
    *parent_path, last = paths[pick % len(paths)]
    parent = data
    for step in parent_path:
        parent = parent[step]
    parent[last] = junk
    obj = KubeObject(data, Document("x.yaml", 0, data))
    for rule in RULES.values():
        if rule.check_object is not None and rule.applies_to(obj):
            for problem in rule.check_object(obj, Context()):
                assert isinstance(problem.message, str) and problem.message


def test_memory_in_millibytes_warns() -> None:
    text = wrap("StatefulSet", change("memory: 2Gi", "memory: 512m"))
    assert schema_errors(text) == []
    [(obj, problem)] = run_rule("podspec-fractional-bytes", text)
    assert problem.path[-3:] == ("resources", "limits", "memory")
    assert obj.locate(problem.path)[0] == line_of(text, "memory: 512m")
    assert "0.512 bytes" in problem.message and "512Mi" in problem.message
    assert RULES["podspec-fractional-bytes"].severity is Severity.WARNING
    assert run_rule("podspec-fractional-bytes", wrap("StatefulSet")) == []


@pytest.mark.parametrize(
    ("requests", "limits"),
    [
        ("", "example.com/gpu: 2"),  # the request defaults to the limit
        ("example.com/gpu: 2", "example.com/gpu: '2'"),
        ("hugepages-2Mi: 4Mi", "hugepages-2Mi: 4Mi"),
        ("example.kubernetes.io/x: 1", ""),  # native: may be overcommitted
        ("ephemeral-storage: 1Gi", ""),
        ("", "example.com/gpu: '1e29'"),  # past Decimal's 28 digits
        ("", "hugepages-1Gi: 1e30"),
    ],
)
def test_resources_the_api_server_accepts_pass(requests: str, limits: str) -> None:
    pod_spec = change(
        "      memory: 1e9\n    limits:\n      cpu: 1\n",
        f"      memory: 1e9\n      {requests}\n    limits:\n      cpu: 1\n"
        f"      {limits}\n",
    )
    text = wrap("Deployment", pod_spec)
    for rule_id in RULES:
        if rule_id.startswith("podspec-resource"):
            assert run_rule(rule_id, text) == [], rule_id


@pytest.mark.parametrize(
    "source",
    [
        "fieldRef: {fieldPath: metadata.name}",
        "fieldRef: {apiVersion: v1, fieldPath: status.hostIPs}",
        "fieldRef: {fieldPath: spec.host}",
        "fieldRef: {fieldPath: \"metadata.annotations['Example.COM/x']\"}",
        "resourceFieldRef: {resource: limits.memory, divisor: 1Mi}",
        "resourceFieldRef: {resource: requests.cpu, divisor: 1000m}",
        "resourceFieldRef: {resource: limits.hugepages-2Mi, divisor: 1Ki}",
        "resourceFieldRef: {resource: limits.cpu, divisor: 0}",
    ],
)
def test_downward_api_variables_the_api_server_accepts_pass(source: str) -> None:
    text = wrap(
        "Deployment", change("    value: prod\n", f"    valueFrom:\n      {source}\n")
    )
    assert run_rule("podspec-env-value-from", text) == []


def test_amounts_past_int64_are_checked_without_building_huge_integers() -> None:
    # 1e9999999 as an integer has ten million digits: minutes to build.
    pod_spec = change(
        "      memory: 2Gi\n",
        "      memory: 2Gi\n      hugepages-2Mi: '1e9999999'\n"
        "      hugepages-1e9999999: 1\n",
    )
    text = wrap("Deployment", pod_spec)
    assert run_rule("podspec-resource-hugepages", text) == []
