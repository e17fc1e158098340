"""Service rules: manifests a schema-only check accepts and the API server rejects."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.rules.service import parse_ip
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()


def run_rule(rule_id: str, text: str, ctx: Context | None = None) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "svc.yaml") for o in iter_objects(doc)]
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, ctx or Context())
    ]


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def service(spec: str) -> str:
    head = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
    return head + textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ") + "\n"


PORTS = "ports:\n- name: http\n  port: 80\n"

NEGATIVE = [
    ("service-type", service("type: Headless\n" + PORTS), ("spec", "type"), "Headless"),
    (
        "service-cluster-ip",
        service("type: NodePort\nclusterIP: None\n" + PORTS),
        ("spec", "clusterIP"),
        "clusterIP: None",
    ),
    (
        "service-cluster-ip",
        service("type: ExternalName\nexternalName: db.example.com\nclusterIP: None\n"),
        ("spec", "clusterIP"),
        "clusterIP: None",
    ),
    (
        "service-cluster-ip",
        service("clusterIP: 10.0.0.300\n" + PORTS),
        ("spec", "clusterIP"),
        "10.0.0.300",
    ),
    (
        "service-cluster-ip",
        service("clusterIP: None\nclusterIPs: [None, 10.0.0.1]\n" + PORTS),
        ("spec", "clusterIPs"),
        "clusterIPs:",
    ),
    (
        # Filled from clusterIP on create, never the reverse.
        "service-cluster-ip",
        service("clusterIPs: [10.96.0.50]\n" + PORTS),
        ("spec", "clusterIPs"),
        "clusterIPs:",
    ),
    (
        "service-external-name",
        service("type: ExternalName\nexternalName: https://db.example.com\n"),
        ("spec", "externalName"),
        "externalName:",
    ),
    ("service-ports-required", service("selector:\n  app: web\n"), ("spec",), "spec:"),
    (
        "service-port-name",
        service("ports:\n- port: 80\n- name: https\n  port: 443\n"),
        ("spec", "ports", 0),
        "- port: 80",
    ),
    (
        "service-port-name",
        service("ports:\n- name: web\n  port: 80\n- name: web  # again\n  port: 443\n"),
        ("spec", "ports", 1, "name"),
        "# again",
    ),
    (
        "service-port-name",
        service("ports:\n- name: HTTP\n  port: 80\n"),
        ("spec", "ports", 0, "name"),
        "HTTP",
    ),
    (
        "service-port-number",
        service("ports:\n- name: a\n  port: 80\n- name: b\n  port: 80\n"),
        ("spec", "ports", 1),
        "name: b",
    ),
    (
        "service-port-number",
        service("ports:\n- name: a\n  port: 70000\n"),
        ("spec", "ports", 0, "port"),
        "70000",
    ),
    (
        "service-port-number",
        service("ports:\n- name: a\n  port: 53\n  protocol: udp\n"),
        ("spec", "ports", 0, "protocol"),
        "udp",
    ),
    (
        "service-target-port",
        service('ports:\n- name: a\n  port: 80\n  targetPort: "8080"\n'),
        ("spec", "ports", 0, "targetPort"),
        "targetPort",
    ),
    (
        "service-target-port",
        service("ports:\n- name: a\n  port: 80\n  targetPort: metrics-exporter-port\n"),
        ("spec", "ports", 0, "targetPort"),
        "targetPort",
    ),
    (
        "service-node-port",
        service("ports:\n- name: a\n  port: 80\n  nodePort: 30080\n"),
        ("spec", "ports", 0, "nodePort"),
        "30080",
    ),
    (
        "service-app-protocol",
        service("ports:\n- name: a\n  port: 80\n  appProtocol: grpc web\n"),
        ("spec", "ports", 0, "appProtocol"),
        "appProtocol",
    ),
    (
        "service-session-affinity",
        service("sessionAffinity: Sticky\n" + PORTS),
        ("spec", "sessionAffinity"),
        "Sticky",
    ),
    (
        "service-session-affinity",
        service(
            "sessionAffinity: ClientIP\nsessionAffinityConfig:\n  clientIP:\n"
            "    timeoutSeconds: 100000\n" + PORTS
        ),
        ("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"),
        "100000",
    ),
    (
        "service-traffic-policy",
        service("externalTrafficPolicy: Local\n" + PORTS),
        ("spec", "externalTrafficPolicy"),
        "externalTrafficPolicy",
    ),
    (
        "service-traffic-policy",
        service("internalTrafficPolicy: local\n" + PORTS),
        ("spec", "internalTrafficPolicy"),
        "internalTrafficPolicy",
    ),
    (
        "service-ip-family",
        service("ipFamilyPolicy: DualStack\n" + PORTS),
        ("spec", "ipFamilyPolicy"),
        "DualStack",
    ),
    (
        "service-ip-family",
        service("ipFamilies:\n- ipv4\n" + PORTS),
        ("spec", "ipFamilies", 0),
        "ipv4",
    ),
    (
        "service-load-balancer-field",
        service("loadBalancerSourceRanges:\n- 10.0.0.0/8\n" + PORTS),
        ("spec", "loadBalancerSourceRanges"),
        "loadBalancerSourceRanges",
    ),
    (
        "service-load-balancer-field",
        service("type: LoadBalancer\nloadBalancerSourceRanges:\n- 10.0.0.0\n" + PORTS),
        ("spec", "loadBalancerSourceRanges", 0),
        "- 10.0.0.0",
    ),
    (
        "service-traffic-distribution",
        service("trafficDistribution: PreferRegion\n" + PORTS),
        ("spec", "trafficDistribution"),
        "PreferRegion",
    ),
    (
        "service-traffic-distribution-deprecated",
        service("trafficDistribution: PreferClose\n" + PORTS),
        ("spec", "trafficDistribution"),
        "PreferClose",
    ),
    (
        "service-selector-label",
        service("selector:\n  app: my app\n" + PORTS),
        ("spec", "selector", "app"),
        "my app",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "text", "path", "marker"),
    NEGATIVE,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(NEGATIVE)],
)
def test_rule_reports_what_the_api_server_rejects(rule_id, text, path, marker):
    problems = run_rule(rule_id, text)

    assert [problem.path for _, problem in problems] == [path]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, marker)
    assert problem.message == problem.message.strip()
    assert not problem.message.endswith(".")


POSITIVE = [
    ("service-type", service("type: NodePort\n" + PORTS)),
    ("service-cluster-ip", service("clusterIP: None\n" + PORTS)),
    ("service-cluster-ip", service("clusterIP: 010.000.000.010\n" + PORTS)),
    ("service-cluster-ip", service("clusterIP: fd00::10\nclusterIPs: [fd00::10]\n")),
    (
        "service-external-name",
        service("type: ExternalName\nexternalName: db.example.com.\n"),
    ),
    ("service-ports-required", service("clusterIP: None\nselector:\n  app: web\n")),
    (
        "service-ports-required",
        service("type: ExternalName\nexternalName: db.example\n"),
    ),
    ("service-port-name", service("ports:\n- port: 80\n")),
    (
        "service-port-number",
        service(
            "ports:\n- name: a\n  port: 53\n- name: b\n  port: 53\n  protocol: UDP\n"
        ),
    ),
    (
        "service-target-port",
        service("ports:\n- name: a\n  port: 80\n  targetPort: http\n"),
    ),
    (
        "service-target-port",
        service("ports:\n- name: a\n  port: 80\n  targetPort: 8080\n"),
    ),
    (
        "service-node-port",
        service("type: NodePort\nports:\n- name: a\n  port: 80\n  nodePort: 30080\n"),
    ),
    (
        "service-app-protocol",
        service("ports:\n- name: a\n  port: 80\n  appProtocol: kubernetes.io/h2c\n"),
    ),
    (
        "service-session-affinity",
        service(
            "sessionAffinity: ClientIP\nsessionAffinityConfig:\n"
            "  clientIP:\n    timeoutSeconds: 10800\n" + PORTS
        ),
    ),
    (
        "service-traffic-policy",
        service(
            "type: LoadBalancer\nexternalTrafficPolicy: Local\n"
            "healthCheckNodePort: 32000\n" + PORTS
        ),
    ),
    (
        "service-traffic-policy",
        service("externalIPs: [192.0.2.10]\nexternalTrafficPolicy: Local\n" + PORTS),
    ),
    (
        "service-ip-family",
        service("ipFamilyPolicy: PreferDualStack\nipFamilies: [IPv6, IPv4]\n" + PORTS),
    ),
    (
        "service-load-balancer-field",
        service(
            "type: LoadBalancer\nloadBalancerSourceRanges: [' 10.0.0.0/8']\n" + PORTS
        ),
    ),
    (
        "service-traffic-distribution",
        service("trafficDistribution: PreferSameNode\n" + PORTS),
    ),
    (
        "service-traffic-distribution-deprecated",
        service("trafficDistribution: PreferSameZone\n" + PORTS),
    ),
    (
        "service-selector-label",
        service("selector:\n  app.kubernetes.io/name: web\n  tier: ''\n" + PORTS),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "text"), POSITIVE, ids=[f"{c[0]}-{n}" for n, c in enumerate(POSITIVE)]
)
def test_rule_accepts_what_the_api_server_accepts(rule_id, text):
    assert run_rule(rule_id, text) == []


def test_traffic_distribution_follows_the_target_version():
    text = service("trafficDistribution: PreferSameZone\n" + PORTS)

    assert (
        run_rule("service-traffic-distribution", text, Context(kubernetes_minor=34))
        == []
    )
    old = run_rule("service-traffic-distribution", text, Context(kubernetes_minor=33))
    assert [problem.path for _, problem in old] == [("spec", "trafficDistribution")]
    assert "1.33" in old[0][1].message


def test_short_hand_messages_name_the_fix():
    _, problem = run_rule(
        "service-target-port",
        service('ports:\n- name: a\n  port: 80\n  targetPort: "80"\n'),
    )[0]
    assert "unquoted" in problem.message

    _, problem = run_rule("service-type", service("type: Headless\n" + PORTS))[0]
    assert problem.message.startswith('"Headless" is not a service type')


@pytest.mark.parametrize(
    "odd",
    [
        "spec: []",
        "spec:\n  ports: {a: 1}\n  type: 5",
        "spec:\n  ports: [1, null, {port: x, nodePort: true}]",
        "spec:\n  selector: [a]\n  sessionAffinityConfig: 3\n  sessionAffinity: x",
        "spec:\n  type: ExternalName\n  externalName: 5",
        "spec:\n  ipFamilies: 3\n  loadBalancerSourceRanges: [1]",
        "spec:\n  ports: [{port: 80, protocol: [TCP]}, {port: 80, protocol: [TCP]}]",
        "spec:\n  ports: [{nodePort: 3, protocol: {}}, {nodePort: 3, protocol: []}]",
        "spec:\n  clusterIPs: [[1], {a: 1}, 5]\n  clusterIP: [x]",
    ],
)
def test_rules_skip_values_of_the_wrong_type(odd):
    text = f"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n{odd}\n"
    for rule_id in RULES:
        if rule_id.startswith("service-"):
            run_rule(rule_id, text)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("10.1.2.3", True),
        ("010.001.002.003", True),
        ("::1", True),
        ("256.1.1.1", False),
        ("10.1.2", False),
        ("host", False),
        ("fe80::1%eth0", False),
        ("\u0661.1.1.1", False),
    ],
)
def test_parse_ip_accepts_what_kubernetes_parses(text, valid):
    assert (parse_ip(text) is not None) is valid


SERVICE_KEYS = [
    "type", "ports", "port", "name", "targetPort", "nodePort", "protocol",
    "appProtocol", "clusterIP", "clusterIPs", "selector", "sessionAffinity",
    "sessionAffinityConfig", "clientIP", "timeoutSeconds", "externalTrafficPolicy",
    "internalTrafficPolicy", "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy",
    "externalName", "externalIPs", "loadBalancerSourceRanges", "loadBalancerClass",
    "allocateLoadBalancerNodePorts", "trafficDistribution",
]  # fmt: skip
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.sampled_from(["None", "ClusterIP", "NodePort", "ExternalName", "http", "1"])
    | st.text(max_size=6)
)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(SERVICE_KEYS) | st.text(max_size=4), inner, max_size=5
            )
        ),
        max_leaves=25,
    )
)
def test_rules_never_raise_on_any_spec(spec):
    data = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "a"},
        "spec": spec,
    }
    obj = KubeObject(data, Document("fuzz.yaml", 0, data))
    for rule_id, rule in RULES.items():
        if rule_id.startswith("service-"):
            for problem in rule.check_object(obj, Context()):
                assert isinstance(problem.path, tuple)
                assert "\n" not in problem.message
