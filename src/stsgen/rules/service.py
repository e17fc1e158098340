"""Service rules: what the API server checks in a Service beyond its OpenAPI schema.

They follow ValidateService in pkg/apis/core/validation: service types and the
fields each type allows, headless (clusterIP: None) combinations, port names,
numbers and protocols, targetPort formats, session affinity and traffic policies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from stsgen.rules import _formats
from stsgen.rules._formats import quote
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
PROTOCOLS = ("TCP", "UDP", "SCTP")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
# PreferSameZone and PreferSameNode are on by default from 1.34 (beta), GA in 1.35.
TRAFFIC_DISTRIBUTIONS_BY_MINOR = {
    0: ("PreferClose",),
    34: ("PreferClose", "PreferSameZone", "PreferSameNode"),
}
MAX_AFFINITY_TIMEOUT = 86400  # one day, core.MaxClientIPServiceAffinitySeconds


def _ensure_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ensure_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _get_service_type(obj: KubeObject) -> str | None:
    """Return the type after defaulting (ClusterIP), or None when it is not text."""
    value = obj.spec.get("type")
    if value is None or value == "":
        return "ClusterIP"
    return value if isinstance(value, str) else None


def _is_headless(obj: KubeObject) -> bool:
    return obj.spec.get("clusterIP") == "None"


def _iter_ports(obj: KubeObject) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, port in enumerate(_ensure_list(obj.spec.get("ports"))):
        if isinstance(port, dict):
            yield index, port


def _get_protocol(port: dict[str, Any]) -> Any:
    value = port.get("protocol")
    return "TCP" if value is None or value == "" else value


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse an IP address as Kubernetes' sloppy parser does (leading zeros allowed)."""
    if "%" in text:  # Go's parser knows no IPv6 zones
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) == 4 and all(
        p.isascii() and p.isdigit() and len(p) <= 3 for p in parts
    ):
        octets = [int(p, 10) for p in parts]
        if all(o <= 255 for o in octets):
            return ipaddress.IPv4Address(".".join(str(o) for o in octets))
    return None


@object_rule("service-type", Severity.ERROR, kinds=["Service"])
def check_type(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A Service's type must be ClusterIP, NodePort, LoadBalancer or ExternalName.

    The schema leaves spec.type a free string; the API server accepts only these
    four values (ClusterIP when omitted). Type names are case-sensitive, so
    `nodeport` or `Headless` are rejected: a headless Service is a ClusterIP
    Service with `clusterIP: None`.
    """
    value = obj.spec.get("type")
    if isinstance(value, str) and value and value not in SERVICE_TYPES:
        yield Problem(
            ("spec", "type"),
            f"{quote(value)} is not a service type; use ClusterIP, NodePort, "
            "LoadBalancer or ExternalName",
        )


@object_rule("service-cluster-ip", Severity.ERROR, kinds=["Service"])
def check_cluster_ip(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """clusterIP must be an IP address or None, and None only fits type ClusterIP.

    A headless Service (`clusterIP: None`) cannot be of type NodePort or
    LoadBalancer, since those need a virtual IP; an ExternalName Service may set no
    clusterIP (nor clusterIPs, ipFamilies or ipFamilyPolicy) at all. When both
    clusterIP and clusterIPs are given, the first clusterIPs entry must equal
    clusterIP, and clusterIPs holds at most two addresses (or just None). Remove
    the field, or choose the type that fits.
    """
    spec = obj.spec
    cluster_ip = spec.get("clusterIP")
    service_type = _get_service_type(obj)
    if service_type == "ExternalName":
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            value = spec.get(key)
            if value not in (None, "", []):
                yield Problem(
                    ("spec", key), f"{key} may not be set for an ExternalName service"
                )
        return

    if (
        isinstance(cluster_ip, str)
        and cluster_ip not in ("", "None")
        and parse_ip(cluster_ip) is None
    ):
        yield Problem(
            ("spec", "clusterIP"),
            f"{quote(cluster_ip)} is not an IP address; use an IP address, None "
            "or leave it out",
        )
    if cluster_ip == "None" and service_type in ("NodePort", "LoadBalancer"):
        yield Problem(
            ("spec", "clusterIP"),
            f"clusterIP None (headless) is not allowed for a {service_type} "
            "service; use type ClusterIP or remove clusterIP",
        )
    cluster_ips = spec.get("clusterIPs")
    if isinstance(cluster_ips, list) and cluster_ips:
        yield from _iter_cluster_ips_problems(cluster_ips, cluster_ip)


def _iter_cluster_ips_problems(
    cluster_ips: list[Any], cluster_ip: Any
) -> Iterator[Problem]:
    first = cluster_ips[0]
    if cluster_ip in (None, ""):
        # The server fills clusterIPs from clusterIP on create, never the reverse.
        yield Problem(
            ("spec", "clusterIPs"),
            "clusterIPs must be empty when clusterIP is not set; set clusterIP to "
            f"{quote(first)} too",
        )
        return
    if isinstance(cluster_ip, str) and first != cluster_ip:
        yield Problem(
            ("spec", "clusterIPs", 0),
            f"clusterIPs[0] {quote(first)} must equal clusterIP {quote(cluster_ip)}",
        )
    if len(cluster_ips) > 2:
        yield Problem(("spec", "clusterIPs"), "clusterIPs may hold at most 2 addresses")
    for index, address in enumerate(cluster_ips):
        if not isinstance(address, str):
            continue
        if address == "None" and index == 0:
            if len(cluster_ips) > 1:
                yield Problem(
                    ("spec", "clusterIPs"),
                    "None must be the first and only clusterIPs entry",
                )
        elif parse_ip(address) is None:
            yield Problem(
                ("spec", "clusterIPs", index),
                f"{quote(address)} is not an IP address",
            )


@object_rule("service-external-name", Severity.ERROR, kinds=["Service"])
def check_external_name(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """An ExternalName Service needs externalName, a DNS name (a trailing dot is ok).

    The cluster DNS answers for the Service with a CNAME record to externalName,
    so it must be a lower-case DNS subdomain such as `db.example.com`; an IP
    address, a URL or a host with a port is rejected.
    """
    if _get_service_type(obj) != "ExternalName":
        return
    value = obj.spec.get("externalName")
    if value is None or value == "":
        yield Problem(
            ("spec",), "an ExternalName service needs spec.externalName, a DNS name"
        )
        return
    if not isinstance(value, str):
        return
    error = _formats.check_dns1123_subdomain(value.removesuffix("."))
    if error:
        yield Problem(("spec", "externalName"), error)


@object_rule("service-ports-required", Severity.ERROR, kinds=["Service"])
def check_ports_required(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A Service needs at least one port unless it is headless or ExternalName.

    Only headless (`clusterIP: None`) and ExternalName Services may leave
    spec.ports empty; any other Service must say which ports it exposes.
    """
    ports = obj.spec.get("ports")
    if ports or not isinstance(ports, (list, type(None))):
        return
    if _is_headless(obj) or _get_service_type(obj) in ("ExternalName", None):
        return
    yield Problem(("spec",), "spec.ports is empty; a non-headless service needs ports")


@object_rule("service-port-name", Severity.ERROR, kinds=["Service"])
def check_port_names(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Service port names are required when there are several, and must be unique.

    Each name must be a DNS-1123 label (lower-case letters, digits and '-', at most
    63 characters). With more than one port every port needs a name, since
    Endpoints and EndpointSlices tell ports apart by name.
    """
    ports = list(_iter_ports(obj))
    several = len(_ensure_list(obj.spec.get("ports"))) > 1
    seen: set[str] = set()
    for index, port in ports:
        name = port.get("name")
        if name is None or name == "":
            if several:
                number = port.get("port")
                which = f"port {number}" if _is_int(number) else "this port"
                yield Problem(
                    ("spec", "ports", index),
                    f"{which} has no name; every port needs one when a service "
                    "has several",
                )
            continue
        if not isinstance(name, str):
            continue
        error = _formats.check_dns1123_label(name)
        if error:
            yield Problem(("spec", "ports", index, "name"), error)
        elif name in seen:
            yield Problem(
                ("spec", "ports", index, "name"),
                f"port name {quote(name)} is used twice",
            )
        seen.add(name)


@object_rule("service-port-number", Severity.ERROR, kinds=["Service"])
def check_port_numbers(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Service ports must lie in 1-65535 and be unique per protocol.

    Two entries with the same port and protocol, or the same nodePort and
    protocol, are rejected as duplicates; the same number may appear once for TCP
    and once for UDP. The protocol must be TCP, UDP or SCTP (upper case).
    """
    seen_ports: set[tuple[Any, int]] = set()
    seen_node_ports: set[tuple[Any, int]] = set()
    for index, port in _iter_ports(obj):
        number = port.get("port")
        protocol = _get_protocol(port)
        if isinstance(protocol, str) and protocol not in PROTOCOLS:
            yield Problem(
                ("spec", "ports", index, "protocol"),
                f"{quote(protocol)} is not a protocol; use TCP, UDP or SCTP",
            )
        if not isinstance(protocol, str):
            continue
        if _is_int(number):
            if not 1 <= number <= 65535:
                yield Problem(
                    ("spec", "ports", index, "port"),
                    f"port {number} is outside 1-65535",
                )
            elif (protocol, number) in seen_ports:
                yield Problem(
                    ("spec", "ports", index),
                    f"port {number}/{protocol} is listed twice",
                )
            seen_ports.add((protocol, number))
        node_port = port.get("nodePort")
        if _is_int(node_port) and node_port != 0:
            if (protocol, node_port) in seen_node_ports:
                yield Problem(
                    ("spec", "ports", index, "nodePort"),
                    f"nodePort {node_port}/{protocol} is listed twice",
                )
            seen_node_ports.add((protocol, node_port))


@object_rule("service-target-port", Severity.ERROR, kinds=["Service"])
def check_target_ports(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """targetPort must be a number in 1-65535 or a container port name.

    A name must be an IANA service name: at most 15 characters, lower-case
    letters, digits and '-', at least one letter, no leading, trailing or double
    '-'. A quoted number such as "8080" is a name, not a number, and is rejected;
    write it unquoted.
    """
    for index, port in _iter_ports(obj):
        target = port.get("targetPort")
        path = ("spec", "ports", index, "targetPort")
        if _is_int(target):
            if target != 0 and not 1 <= target <= 65535:
                yield Problem(path, f"targetPort {target} is outside 1-65535")
        elif isinstance(target, str) and target:
            error = _formats.check_port_name(target)
            if error:
                hint = "; write the number unquoted" if target.isdigit() else ""
                yield Problem(path, f"{error}{hint}")


@object_rule("service-node-port", Severity.ERROR, kinds=["Service"])
def check_node_ports(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """nodePort may only be set on NodePort and LoadBalancer Services.

    A ClusterIP Service is reachable only inside the cluster and the API server
    rejects a nodePort on it; change the type to NodePort or LoadBalancer, or
    drop the nodePort.
    """
    if _get_service_type(obj) != "ClusterIP":
        return
    for index, port in _iter_ports(obj):
        node_port = port.get("nodePort")
        if _is_int(node_port) and node_port != 0:
            yield Problem(
                ("spec", "ports", index, "nodePort"),
                f"nodePort {node_port} is not allowed on a ClusterIP service; "
                "use type NodePort or LoadBalancer",
            )


@object_rule("service-app-protocol", Severity.ERROR, kinds=["Service"])
def check_app_protocols(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """appProtocol must be a qualified name such as `http` or `kubernetes.io/h2c`.

    The API server validates it like a label key: an optional DNS-subdomain prefix
    and '/', then a name of at most 63 alphanumerics, '-', '_' or '.'.
    """
    for index, port in _iter_ports(obj):
        value = port.get("appProtocol")
        if isinstance(value, str):
            error = _formats.check_qualified_name(value)
            if error:
                yield Problem(("spec", "ports", index, "appProtocol"), error)


@object_rule("service-session-affinity", Severity.ERROR, kinds=["Service"])
def check_session_affinity(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """sessionAffinity must be None or ClientIP, with a config only for ClientIP.

    sessionAffinityConfig is rejected when affinity is None (the default); with
    ClientIP its clientIP.timeoutSeconds must lie in 1-86400.
    """
    spec = obj.spec
    affinity = spec.get("sessionAffinity")
    if affinity is None or affinity == "":
        affinity = "None"
    if isinstance(affinity, str) and affinity not in SESSION_AFFINITIES:
        yield Problem(
            ("spec", "sessionAffinity"),
            f"{quote(affinity)} is not a session affinity; use None or ClientIP",
        )
        return
    config = spec.get("sessionAffinityConfig")
    if affinity == "None" and config is not None:
        yield Problem(
            ("spec", "sessionAffinityConfig"),
            "sessionAffinityConfig is not allowed when sessionAffinity is None",
        )
    if affinity == "ClientIP":
        timeout = _ensure_dict(_ensure_dict(config).get("clientIP")).get(
            "timeoutSeconds"
        )
        if _is_int(timeout) and not 1 <= timeout <= MAX_AFFINITY_TIMEOUT:
            yield Problem(
                ("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"),
                f"timeoutSeconds {timeout} is outside 1-{MAX_AFFINITY_TIMEOUT}",
            )


def _is_externally_accessible(obj: KubeObject, service_type: str | None) -> bool:
    if service_type in ("NodePort", "LoadBalancer"):
        return True
    return service_type == "ClusterIP" and bool(
        _ensure_list(obj.spec.get("externalIPs"))
    )


@object_rule("service-traffic-policy", Severity.ERROR, kinds=["Service"])
def check_traffic_policies(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Traffic policies must be Cluster or Local, and the external one needs exposure.

    externalTrafficPolicy is only accepted on NodePort and LoadBalancer Services
    (or a ClusterIP Service with externalIPs); on a plain ClusterIP Service the
    API server rejects it. healthCheckNodePort needs type LoadBalancer with
    externalTrafficPolicy Local. internalTrafficPolicy is Cluster or Local.
    """
    spec = obj.spec
    service_type = _get_service_type(obj)
    external = spec.get("externalTrafficPolicy")
    if isinstance(external, str) and external:
        if external not in TRAFFIC_POLICIES:
            yield Problem(
                ("spec", "externalTrafficPolicy"),
                f"{quote(external)} is not a traffic policy; use Cluster or Local",
            )
        elif service_type is not None and not _is_externally_accessible(
            obj, service_type
        ):
            yield Problem(
                ("spec", "externalTrafficPolicy"),
                f"externalTrafficPolicy is not allowed on type {service_type}; "
                "use type NodePort or LoadBalancer, or remove it",
            )
    health = spec.get("healthCheckNodePort")
    if _is_int(health) and health != 0:
        if service_type != "LoadBalancer" or external != "Local":
            yield Problem(
                ("spec", "healthCheckNodePort"),
                "healthCheckNodePort needs type LoadBalancer and "
                "externalTrafficPolicy Local",
            )
        elif not 1 <= health <= 65535:
            yield Problem(
                ("spec", "healthCheckNodePort"),
                f"healthCheckNodePort {health} is outside 1-65535",
            )
    internal = spec.get("internalTrafficPolicy")
    if isinstance(internal, str) and internal not in TRAFFIC_POLICIES:
        yield Problem(
            ("spec", "internalTrafficPolicy"),
            f"{quote(internal)} is not a traffic policy; use Cluster or Local",
        )


@object_rule("service-ip-family", Severity.ERROR, kinds=["Service"])
def check_ip_families(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """ipFamilyPolicy and ipFamilies must use the values Kubernetes knows.

    ipFamilyPolicy is SingleStack, PreferDualStack or RequireDualStack; ipFamilies
    lists distinct entries, each IPv4 or IPv6 (mind the case).
    """
    spec = obj.spec
    policy = spec.get("ipFamilyPolicy")
    if isinstance(policy, str) and policy not in IP_FAMILY_POLICIES:
        yield Problem(
            ("spec", "ipFamilyPolicy"),
            f"{quote(policy)} is not an IP family policy; use SingleStack, "
            "PreferDualStack or RequireDualStack",
        )
    families = _ensure_list(spec.get("ipFamilies"))
    seen: set[str] = set()
    for index, family in enumerate(families):
        if not isinstance(family, str):
            continue
        if family not in IP_FAMILIES:
            yield Problem(
                ("spec", "ipFamilies", index),
                f"{quote(family)} is not an IP family; use IPv4 or IPv6",
            )
        elif family in seen:
            yield Problem(("spec", "ipFamilies", index), f"{family} is listed twice")
        seen.add(family)


@object_rule("service-load-balancer-field", Severity.ERROR, kinds=["Service"])
def check_load_balancer_fields(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Load-balancer fields are only accepted on LoadBalancer Services.

    loadBalancerSourceRanges, loadBalancerClass and allocateLoadBalancerNodePorts
    are rejected on other types; each source range must be a CIDR such as
    `10.0.0.0/8`.
    """
    spec = obj.spec
    service_type = _get_service_type(obj)
    if service_type is None:
        return
    for key in ("loadBalancerSourceRanges", "loadBalancerClass"):
        value = spec.get(key)
        if value not in (None, "", []) and service_type != "LoadBalancer":
            yield Problem(
                ("spec", key), f"{key} is only allowed on a LoadBalancer service"
            )
    if spec.get("allocateLoadBalancerNodePorts") is not None and (
        service_type != "LoadBalancer"
    ):
        yield Problem(
            ("spec", "allocateLoadBalancerNodePorts"),
            "allocateLoadBalancerNodePorts is only allowed on a LoadBalancer service",
        )
    for index, cidr in enumerate(_ensure_list(spec.get("loadBalancerSourceRanges"))):
        if isinstance(cidr, str) and not _is_cidr(cidr.strip()):
            yield Problem(
                ("spec", "loadBalancerSourceRanges", index),
                f"{quote(cidr)} is not a CIDR such as 10.0.0.0/8",
            )


def _is_cidr(text: str) -> bool:
    address, slash, prefix = text.partition("/")
    if not slash or not prefix.isdigit() or parse_ip(address) is None:
        return False
    try:
        ipaddress.ip_network(f"{parse_ip(address)}/{int(prefix)}", strict=False)
    except ValueError:
        return False
    return True


@object_rule("service-traffic-distribution", Severity.ERROR, kinds=["Service"])
def check_traffic_distribution(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """trafficDistribution must be a value the target Kubernetes version knows.

    PreferClose is accepted everywhere; PreferSameZone and PreferSameNode from
    Kubernetes 1.34 on (enabled by default there).
    """
    value = obj.spec.get("trafficDistribution")
    if not isinstance(value, str):
        return
    allowed = _list_traffic_distributions(ctx.kubernetes_minor)
    if value not in allowed:
        yield Problem(
            ("spec", "trafficDistribution"),
            f"{quote(value)} is not a traffic distribution in Kubernetes "
            f"1.{ctx.kubernetes_minor}; use {' or '.join(allowed)}",
        )


def _list_traffic_distributions(minor: int) -> tuple[str, ...]:
    best = max(m for m in TRAFFIC_DISTRIBUTIONS_BY_MINOR if m <= minor)
    return TRAFFIC_DISTRIBUTIONS_BY_MINOR[best]


@object_rule(
    "service-traffic-distribution-deprecated", Severity.WARNING, kinds=["Service"]
)
def check_traffic_distribution_deprecated(
    obj: KubeObject, ctx: Context
) -> Iterator[Problem]:
    """trafficDistribution PreferClose is deprecated in favour of PreferSameZone.

    From Kubernetes 1.34 the API server accepts PreferClose but warns that it is
    deprecated; PreferSameZone means the same and is the name to use.
    """
    if (
        ctx.kubernetes_minor >= 34
        and obj.spec.get("trafficDistribution") == "PreferClose"
    ):
        yield Problem(
            ("spec", "trafficDistribution"),
            '"PreferClose" is deprecated; use "PreferSameZone"',
        )


@object_rule("service-selector-label", Severity.ERROR, kinds=["Service"])
def check_selector_labels(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Each spec.selector entry must be a valid label key and label value.

    The API server validates a Service selector like labels: keys are qualified
    names (optional DNS prefix and '/', then at most 63 characters), values at most
    63 characters of alphanumerics, '-', '_' and '.', starting and ending with an
    alphanumeric. Quote values like `"true"` or `"1"` so YAML keeps them text.
    """
    selector = obj.spec.get("selector")
    if not isinstance(selector, dict):
        return
    for key, value in selector.items():
        error = _formats.check_qualified_name(key)
        if error:
            yield Problem(("spec", "selector", key), f"selector key {error}")
        if isinstance(value, str):
            error = _formats.check_label_value(value)
            if error:
                yield Problem(("spec", "selector", key), f"selector value {error}")
