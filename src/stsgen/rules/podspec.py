"""Rules on the pod template of every workload kind, as the API server validates a
PodSpec: container, port and volume names, port numbers, volumes and mounts,
environment variables, resources, probes, restart policies, and whether the
workload's selector picks its own pods.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from stsgen.documents import Path
from stsgen.rules._formats import (
    check_config_map_key,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_env_var_name,
    check_port_name,
    check_qualified_name,
    quantity_or_none,
    quote,
)
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.rules.metadata import check_template_selected, follow_path
from stsgen.validation.findings import Severity, format_path
from stsgen.validation.objects import KubeObject

# Where each workload kind keeps its pod template (the object holding "spec").
TEMPLATE_PATH_BY_KIND: dict[tuple[str, str], Path] = {
    ("", "PodTemplate"): ("template",),
    ("", "ReplicationController"): ("spec", "template"),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}
WORKLOAD_KINDS = ("Pod", *sorted({kind for _, kind in TEMPLATE_PATH_BY_KIND}))
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
PROTOCOLS = ("TCP", "UDP", "SCTP")
IMAGE_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PORT_MAX = 65535


def find_pod_spec(obj: KubeObject) -> tuple[Path, dict[str, Any]] | None:
    """Return the path and content of the object's PodSpec, if it has one."""
    if obj.kind == "Pod" and obj.group == "":
        path: Path = ("spec",)
    else:
        template = TEMPLATE_PATH_BY_KIND.get((obj.group, obj.kind))
        if template is None:
            return None
        path = (*template, "spec")
    node = follow_path(obj.data, path)
    return (path, node) if isinstance(node, dict) else None


def iter_containers(
    spec_path: Path, spec: dict[str, Any]
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield the path and content of every container, init and ephemeral ones too."""
    for list_name in CONTAINER_LISTS:
        containers = spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if isinstance(container, dict):
                yield (*spec_path, list_name, index), container


def iter_dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the index and content of each mapping in a list; skip anything else."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def is_int(value: Any) -> bool:
    """Tell whether a decoded YAML value is an integer (YAML booleans are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


@object_rule("podspec-containers-missing", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_containers_present(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A pod template needs at least one container.

    The schema requires the containers list but accepts an empty one; the API
    server rejects it, since a pod with nothing to run cannot exist. Add a
    container.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    path, spec = found
    if spec.get("containers") == []:
        yield Problem((*path, "containers"), "the containers list is empty")


@object_rule("podspec-ephemeral-containers", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_no_ephemeral_containers(
    obj: KubeObject, context: Context
) -> Iterator[Problem]:
    """ephemeralContainers cannot be set on a new Pod or in a pod template.

    Ephemeral containers are added to a running Pod through its
    ephemeralcontainers subresource (kubectl debug). The API server rejects a Pod
    created with them and any workload whose pod template lists them. Remove the
    list, and use kubectl debug on a running pod instead.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    path, spec = found
    ephemeral = spec.get("ephemeralContainers")
    if isinstance(ephemeral, list) and ephemeral:
        where = "on create" if obj.kind == "Pod" else "in a pod template"
        yield Problem(
            (*path, "ephemeralContainers"),
            f"ephemeral containers cannot be set {where}; add them to a running "
            "pod with kubectl debug",
        )


@object_rule("podspec-container-name-format", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_container_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Container names must be DNS-1123 labels.

    Every container, init container and ephemeral container needs a name of at
    most 63 lower-case letters, digits and '-', starting and ending with a letter
    or digit; the API server rejects any other. Rename the container.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        name = container.get("name")
        if name == "":
            yield Problem((*path, "name"), "the container name is empty")
        elif isinstance(name, str):
            message = check_dns1123_label(name)
            if message:
                yield Problem((*path, "name"), f"container name {message}")


@object_rule("podspec-container-name-duplicate", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_container_names_unique(
    obj: KubeObject, context: Context
) -> Iterator[Problem]:
    """Container names must be unique within a pod.

    Containers, init containers and ephemeral containers share one namespace of
    names, which logs, exec and status use to pick a container. The API server
    rejects a pod template that uses a name twice. Rename one of them.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    seen: dict[str, Path] = {}
    for path, container in iter_containers(*found):
        name = container.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name in seen:
            yield Problem(
                (*path, "name"),
                f"container name {quote(name)} is already used by "
                f"{format_path(obj.prefix + seen[name])}",
            )
        else:
            seen[name] = path


@object_rule("podspec-port-range", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_port_numbers(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Container ports and host ports must be between 1 and 65535.

    containerPort must be a valid TCP/UDP port number; hostPort, when set to
    anything but 0, too. The API server rejects other numbers. Use a
    port number from 1 to 65535.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for index, port in iter_dicts(container.get("ports")):
            where = (*path, "ports", index)
            number = port.get("containerPort")
            if is_int(number) and not 1 <= number <= PORT_MAX:
                yield Problem(
                    (*where, "containerPort"),
                    f"containerPort {number} is out of range; use 1 to {PORT_MAX}",
                )
            host = port.get("hostPort")
            if is_int(host) and host != 0 and not 1 <= host <= PORT_MAX:
                yield Problem(
                    (*where, "hostPort"),
                    f"hostPort {host} is out of range; use 1 to {PORT_MAX}, or 0",
                )


@object_rule("podspec-port-name-format", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_port_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Container port names must be IANA service names.

    A port name has at most 15 characters: lower-case letters, digits and '-',
    with at least one letter, no '--', and no '-' at either end (RFC 6335). The
    API server rejects other names; Services and probes refer to ports by these
    names. Shorten or rename the port, e.g. `metrics` instead of `http-metrics-port`.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for index, port in iter_dicts(container.get("ports")):
            name = port.get("name")
            if isinstance(name, str) and name:
                message = check_port_name(name)
                if message:
                    yield Problem((*path, "ports", index, "name"), message)


@object_rule("podspec-port-name-duplicate", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_port_names_unique(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Port names must be unique within a container.

    A Service's targetPort or a probe's port may name a container port, so a name
    must mean one port. The API server rejects a container that uses a port name
    twice. Rename one of the ports.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        seen: set[str] = set()
        for index, port in iter_dicts(container.get("ports")):
            name = port.get("name")
            if not isinstance(name, str) or not name:
                continue
            if name in seen:
                yield Problem(
                    (*path, "ports", index, "name"),
                    f"port name {quote(name)} is used twice in this container",
                )
            seen.add(name)


@object_rule("podspec-port-name-shared", Severity.WARNING, kinds=WORKLOAD_KINDS)
def check_port_names_across(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Two containers of a pod declare a port with the same name.

    The API server accepts this but warns: a Service or probe that selects the
    port by name will use the first container's port, which may not be the one
    meant. Give the ports distinct names.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    seen: dict[str, Path] = {}
    for index, container in iter_dicts(spec.get("containers")):
        path = (*spec_path, "containers", index)
        names_here: set[str] = set()
        for port_index, port in iter_dicts(container.get("ports")):
            name = port.get("name")
            if not isinstance(name, str) or not name or name in names_here:
                continue
            names_here.add(name)
            where = (*path, "ports", port_index)
            if name in seen:
                yield Problem(
                    (*where, "name"),
                    f"port name {quote(name)} is also used by "
                    f"{format_path(obj.prefix + seen[name])}; a Service or probe "
                    "naming it will use that one",
                )
            else:
                seen[name] = where


@object_rule("podspec-port-protocol", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_port_protocols(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A container port's protocol must be TCP, UDP or SCTP.

    The API server accepts only these three values (written in upper case) and
    defaults a missing protocol to TCP. Use one of them.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for index, port in iter_dicts(container.get("ports")):
            protocol = port.get("protocol")
            if isinstance(protocol, str) and protocol not in PROTOCOLS:
                yield Problem(
                    (*path, "ports", index, "protocol"),
                    f"{quote(protocol)} is not a protocol; use TCP, UDP or SCTP",
                )


@object_rule("podspec-volume-name-format", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_volume_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Volume names must be unique DNS-1123 labels.

    Each entry of volumes needs a name of at most 63 lower-case letters, digits
    and '-', starting and ending with a letter or digit, used by no other volume
    of the pod; volume mounts refer to volumes by it. The API server rejects
    anything else. Rename the volume.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    seen: set[str] = set()
    for index, volume in iter_dicts(spec.get("volumes")):
        path = (*spec_path, "volumes", index)
        name = volume.get("name")
        if name == "":
            yield Problem((*path, "name"), "the volume name is empty")
        elif isinstance(name, str):
            message = check_dns1123_label(name)
            if message:
                yield Problem((*path, "name"), f"volume name {message}")
            elif name in seen:
                yield Problem(
                    (*path, "name"), f"volume name {quote(name)} is used twice"
                )
            seen.add(name)


def collect_volume_names(obj: KubeObject, spec: dict[str, Any]) -> set[str]:
    """Return the names a volume mount may use: volumes, and claim templates."""
    names = {
        volume["name"]
        for _, volume in iter_dicts(spec.get("volumes"))
        if isinstance(volume.get("name"), str)
    }
    if obj.kind == "StatefulSet":
        for _, claim in iter_dicts(obj.spec.get("volumeClaimTemplates")):
            metadata = claim.get("metadata")
            if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
                names.add(metadata["name"])
    return names


@object_rule("podspec-volume-mount-unknown", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_volume_mounts(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Every volumeMount must name a volume of the pod.

    A container's volumeMounts[].name must match an entry of the pod's volumes or,
    in a StatefulSet, the name of one of its volumeClaimTemplates. The API server
    rejects a mount of a volume that does not exist (for StatefulSets from
    Kubernetes 1.34; before that the pods fail to be created). Add the volume or
    fix the name.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    if spec.get("volumes") is not None and not isinstance(spec.get("volumes"), list):
        return
    known = collect_volume_names(obj, spec)
    for path, container in iter_containers(spec_path, spec):
        for index, mount in iter_dicts(container.get("volumeMounts")):
            name = mount.get("name")
            where = (*path, "volumeMounts", index)
            if name == "":
                yield Problem((*where, "name"), "the volume mount's name is empty")
            elif isinstance(name, str) and name not in known:
                what = (
                    "volume or claim template"
                    if obj.kind == "StatefulSet"
                    else "volume"
                )
                yield Problem(
                    (*where, "name"), f"{quote(name)} names no {what} of this pod"
                )


@object_rule("podspec-mount-path", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_mount_paths(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Mount paths must be set and unique per container, and subPaths relative.

    Each volumeMount needs a mountPath, and one container cannot mount two volumes
    at the same path. A subPath must be a relative path that does not climb out
    of the volume with '..'. The API server rejects anything else. Fix the paths.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        seen: set[str] = set()
        for index, mount in iter_dicts(container.get("volumeMounts")):
            where = (*path, "volumeMounts", index)
            mount_path = mount.get("mountPath")
            if mount_path == "":
                yield Problem((*where, "mountPath"), "mountPath is empty")
            elif isinstance(mount_path, str):
                if mount_path in seen:
                    yield Problem(
                        (*where, "mountPath"),
                        f"mountPath {quote(mount_path)} is used twice in this "
                        "container",
                    )
                seen.add(mount_path)
            sub_path = mount.get("subPath")
            if isinstance(sub_path, str) and sub_path:
                message = _describe_sub_path(sub_path)
                if message:
                    yield Problem((*where, "subPath"), message)


def _describe_sub_path(sub_path: str) -> str | None:
    if sub_path.startswith("/"):
        return f"subPath {quote(sub_path)} must be relative"
    # The API server splits on '/' only: on Linux a backslash is a plain character.
    if ".." in sub_path.split("/"):
        return f"subPath {quote(sub_path)} must not contain '..'"
    return None


@object_rule("podspec-env-name", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_env_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Environment variable names must be valid.

    From Kubernetes 1.34 a name may hold any printable ASCII character but '=';
    before that only letters, digits, '_', '-' and '.', not starting with a digit.
    The name is required, and an envFrom prefix follows the same rule. The API
    server rejects other names. Rename the variable.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    minor = context.kubernetes_minor
    for path, container in iter_containers(*found):
        for index, variable in iter_dicts(container.get("env")):
            name = variable.get("name")
            where = (*path, "env", index)
            if name == "":
                yield Problem(
                    (*where, "name"), "the environment variable name is empty"
                )
            elif isinstance(name, str):
                message = check_env_var_name(name, minor)
                if message:
                    yield Problem((*where, "name"), message)
        for index, source in iter_dicts(container.get("envFrom")):
            prefix = source.get("prefix")
            if isinstance(prefix, str) and prefix:
                message = check_env_var_name(prefix, minor)
                if message:
                    yield Problem(
                        (*path, "envFrom", index, "prefix"),
                        f"envFrom prefix: {message}",
                    )


@object_rule("podspec-probe-handler", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_probe_handlers(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Each probe must use exactly one handler.

    A liveness, readiness or startup probe says how to check the container with
    one of exec, httpGet, tcpSocket or grpc. The API server rejects a probe with
    none (it could check nothing) or with several. Liveness and startup probes
    must also have successThreshold 1. Keep one handler.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for probe_name in PROBES:
            probe = container.get(probe_name)
            if not isinstance(probe, dict):
                continue
            where = (*path, probe_name)
            # In document order, so that the second handler written is reported.
            handlers = [
                key for key in probe if key in PROBE_HANDLERS and probe[key] is not None
            ]
            if not handlers:
                yield Problem(
                    where,
                    f"{probe_name} has no handler; use one of exec, httpGet, "
                    "tcpSocket or grpc",
                )
            elif len(handlers) > 1:
                yield Problem(
                    (*where, handlers[1]),
                    f"{probe_name} has {len(handlers)} handlers "
                    f"({', '.join(handlers)}); keep one",
                )
            threshold = probe.get("successThreshold")
            if probe_name != "readinessProbe" and is_int(threshold) and threshold != 1:
                yield Problem(
                    (*where, "successThreshold"),
                    f"successThreshold of a {probe_name} must be 1, not {threshold}",
                )


@object_rule("podspec-image-pull-policy", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_image_pull_policy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """imagePullPolicy must be Always, IfNotPresent or Never.

    The API server accepts only these values, spelled exactly so. Use one of them,
    or leave the field out to get the default (Always for a `:latest` image,
    IfNotPresent otherwise).
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        policy = container.get("imagePullPolicy")
        if isinstance(policy, str) and policy not in IMAGE_PULL_POLICIES:
            yield Problem(
                (*path, "imagePullPolicy"),
                f"{quote(policy)} is not an image pull policy; use "
                "Always, IfNotPresent or Never",
            )


# The restart policies each kind's pods may have (StatefulSets: statefulset.py).
RESTART_POLICIES_BY_KIND: dict[str, tuple[str, ...]] = {
    "Pod": RESTART_POLICIES,
    "PodTemplate": RESTART_POLICIES,
    "Deployment": ("Always",),
    "DaemonSet": ("Always",),
    "ReplicaSet": ("Always",),
    "ReplicationController": ("Always",),
    "Job": ("OnFailure", "Never"),
    "CronJob": ("OnFailure", "Never"),
}


@object_rule("podspec-restart-policy", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_restart_policy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """The pod's restartPolicy must be one its kind allows.

    A pod's restartPolicy is Always, OnFailure or Never. Deployments, DaemonSets,
    ReplicaSets and ReplicationControllers keep their pods running, so they need
    Always (the default). Jobs and CronJobs run to completion, so they need
    OnFailure or Never, and must say so: the default Always is rejected; with a
    podFailurePolicy, only Never. Set the policy the kind allows.
    """
    allowed = RESTART_POLICIES_BY_KIND.get(obj.kind)
    found = find_pod_spec(obj)
    if allowed is None or found is None:
        return
    path, spec = found
    policy = spec.get("restartPolicy")
    if policy is None or policy == "":
        if "Always" not in allowed:
            yield Problem(
                path,
                f"restartPolicy is not set, so it is Always; a {obj.kind} needs "
                + " or ".join(allowed),
            )
    elif isinstance(policy, str) and policy not in allowed:
        yield Problem(
            (*path, "restartPolicy"),
            f"{quote(policy)} is not a restart policy for a {obj.kind}; use "
            + " or ".join(allowed),
        )
    elif (
        policy == "OnFailure" and _get_job_spec(obj).get("podFailurePolicy") is not None
    ):
        yield Problem(
            (*path, "restartPolicy"),
            "a Job with a podFailurePolicy needs restartPolicy Never",
        )


def _get_job_spec(obj: KubeObject) -> dict[str, Any]:
    spec = obj.spec
    if obj.kind == "CronJob":
        template = spec.get("jobTemplate")
        spec = template.get("spec") if isinstance(template, dict) else None
    return spec if isinstance(spec, dict) else {}


@object_rule("podspec-host-port-duplicate", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_host_ports_unique(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Two container ports of a pod ask for the same host port.

    A hostPort binds a port of the node itself, so one pod can hold each
    combination of hostIP, protocol and hostPort only once. The API server
    rejects a pod template whose containers ask for the same one twice. Use
    distinct host ports, or drop hostPort and reach the pod through a Service.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    seen: dict[tuple[str, str, int], Path] = {}
    for index, container in iter_dicts(spec.get("containers")):
        for port_index, port in iter_dicts(container.get("ports")):
            host = port.get("hostPort")
            if not is_int(host) or host == 0:
                continue
            protocol = port.get("protocol") or "TCP"
            key = (str(port.get("hostIP") or ""), str(protocol), host)
            where = (*spec_path, "containers", index, "ports", port_index)
            if key in seen:
                yield Problem(
                    (*where, "hostPort"),
                    f"hostPort {host}/{protocol} is also claimed by "
                    f"{format_path(obj.prefix + seen[key])}",
                )
            else:
                seen[key] = where


@object_rule("podspec-host-network-port", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_host_network_ports(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """With hostNetwork, a container's hostPort must equal its containerPort.

    A pod on the node's network listens on the node's ports directly, so there is
    nothing to map: the API server rejects a hostPort other than 0 (filled in
    with the containerPort) or the containerPort itself. Drop hostPort, or give
    it the containerPort's number.
    """
    found = find_pod_spec(obj)
    if found is None or found[1].get("hostNetwork") is not True:
        return
    spec_path, spec = found
    # Only spec.containers: validateHostNetwork looks at no other list.
    for index, container in iter_dicts(spec.get("containers")):
        for port_index, port in iter_dicts(container.get("ports")):
            host, number = port.get("hostPort"), port.get("containerPort")
            if is_int(host) and is_int(number) and host not in (0, number):
                yield Problem(
                    (*spec_path, "containers", index, "ports", port_index, "hostPort"),
                    f"hostPort {host} must equal containerPort {number} when "
                    "hostNetwork is true",
                )


def _iter_probe_ports(
    container_path: Path, container: dict[str, Any]
) -> Iterator[tuple[Path, str, Any]]:
    for probe_name in PROBES:
        probe = container.get(probe_name)
        if not isinstance(probe, dict):
            continue
        for handler in ("httpGet", "tcpSocket", "grpc"):
            action = probe.get(handler)
            if isinstance(action, dict) and "port" in action:
                path = (*container_path, probe_name, handler, "port")
                yield path, handler, action["port"]


@object_rule("podspec-probe-port", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_probe_ports(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A probe's port must be a port number or a valid port name.

    httpGet and tcpSocket probes take a number from 1 to 65535 or the name of a
    container port (an IANA service name, which has at least one letter); grpc
    probes take a number only. A quoted number such as "8080" is a name, not a
    number, and the API server rejects it. Write the number unquoted.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for where, handler, port in _iter_probe_ports(path, container):
            if is_int(port):
                if not 1 <= port <= PORT_MAX:
                    yield Problem(
                        where, f"probe port {port} is out of range; use 1 to {PORT_MAX}"
                    )
            elif isinstance(port, str):
                message = check_port_name(port)
                if handler == "grpc":
                    yield Problem(
                        where, f"a grpc probe needs a port number, not {quote(port)}"
                    )
                elif message:
                    hint = "; write the number unquoted" if port.isdigit() else ""
                    yield Problem(where, f"probe port: {message}{hint}")


@object_rule("podspec-probe-port-unknown", Severity.WARNING, kinds=WORKLOAD_KINDS)
def check_probe_port_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A probe names a port that its container does not declare.

    The API server accepts any well-formed port name, but the kubelet looks the
    name up among the container's own ports when it runs the probe; if it is not
    there, the probe fails every time, so the container never becomes ready (or is
    restarted forever). Name a port of the container, or use the number.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        names = {
            port.get("name")
            for _, port in iter_dicts(container.get("ports"))
            if isinstance(port.get("name"), str)
        }
        for where, handler, port in _iter_probe_ports(path, container):
            if (
                handler != "grpc"
                and isinstance(port, str)
                and check_port_name(port) is None
                and port not in names
            ):
                yield Problem(
                    where, f"probe port {quote(port)} names no port of this container"
                )


@object_rule("podspec-init-container-probe", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_init_container_probes(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Init containers that run to completion cannot have probes or lifecycle hooks.

    An init container runs once before the app containers start, so liveness,
    readiness and startup probes and lifecycle hooks mean nothing for it; the API
    server rejects them. A sidecar (an init container with restartPolicy Always)
    keeps running and may have them. Remove the probe, or make the container a
    sidecar.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for index, container in iter_dicts(spec.get("initContainers")):
        if container.get("restartPolicy") is not None:
            continue  # a sidecar, or a policy this rule does not judge
        for field in (*PROBES, "lifecycle"):
            if container.get(field) is not None:
                yield Problem(
                    (*spec_path, "initContainers", index, field),
                    f"{field} is not allowed on an init container without "
                    "restartPolicy Always",
                )


# Workloads other than StatefulSets (statefulset.py) whose selector must pick
# their own pods, and where they keep it.
SELECTOR_KINDS = {
    ("apps", "Deployment"): "matches",
    ("apps", "ReplicaSet"): "matches",
    ("apps", "DaemonSet"): "matches",
    ("", "ReplicationController"): "equals",
}


@object_rule(
    "podspec-selector-mismatch",
    Severity.ERROR,
    kinds=("Deployment", "ReplicaSet", "DaemonSet", "ReplicationController"),
)
def check_workload_selector(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A workload's selector must not be empty, and must match its pod template.

    A Deployment, ReplicaSet or DaemonSet creates pods from spec.template and
    finds them again with spec.selector, which may not be empty (it would take
    over every pod of the namespace); a ReplicationController's
    selector, when set, works the same way. If the template's labels do not
    satisfy the selector, the controller could never see its own pods, and the
    API server rejects the object. Copy the selector's labels into
    spec.template.metadata.labels.
    """
    style = SELECTOR_KINDS.get((obj.group, obj.kind))
    spec = obj.spec
    if style is None or "spec" not in obj.data:
        return
    selector = spec.get("selector")
    if style == "equals":
        # A ReplicationController's selector is a plain map, defaulted from the
        # template's labels when left out.
        if isinstance(selector, dict) and selector:
            selector = {"matchLabels": selector}
        else:
            return
    if not isinstance(selector, dict):
        return  # a missing selector is the schema check's to report
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        yield Problem(("spec", "selector"), "the selector is empty")
        return
    problem = check_template_selected(selector, spec.get("template"))
    if problem is not None:
        yield problem


# The sources an env var's valueFrom may name; exactly one is allowed.
ENV_SOURCES = (
    "fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef",
)  # fmt: skip


@object_rule("podspec-env-value-from", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_env_sources(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """An environment variable takes a value or one valueFrom source, well formed.

    A variable has either value or valueFrom, not both, and valueFrom names
    exactly one source: fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef
    (or fileKeyRef). A configMapKeyRef or secretKeyRef needs the name of the
    ConfigMap or Secret (a DNS-1123 subdomain) and a key made of letters, digits,
    '-', '_' and '.'. A fieldRef names one of the pod fields a variable can read
    (metadata.name, status.podIP, metadata.labels['app']...) of apiVersion v1; a
    resourceFieldRef names a container's limits or requests of cpu, memory,
    ephemeral-storage or hugepages, with a divisor of 1m or 1 for cpu and a
    power of 1000 or 1024 for the others. The API server rejects anything else.
    Keep one source and complete it.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for index, variable in iter_dicts(container.get("env")):
            source = variable.get("valueFrom")
            if source is None:
                continue
            where = (*path, "env", index)
            value = variable.get("value")
            if isinstance(value, str) and value:
                yield Problem(
                    (*where, "valueFrom"), "value and valueFrom cannot both be set"
                )
            if isinstance(source, dict):
                yield from _iter_env_source_problems((*where, "valueFrom"), source)


# What an environment variable's fieldRef may name (validEnvDownwardAPIField-
# PathExpressions; spec.host is the old name of spec.nodeName), besides
# metadata.labels['<key>'] and metadata.annotations['<key>'].
ENV_FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
# What a resourceFieldRef may name, besides requests.hugepages-<size> and
# limits.hugepages-<size>, and the divisors each allows.
_BYTE_DIVISORS = frozenset(
    Decimal(factor) ** power
    for factor, powers in ((1000, range(7)), (1024, range(1, 7)))
    for power in powers
)
RESOURCE_FIELD_DIVISORS = {
    "limits.cpu": frozenset([Decimal("0.001"), Decimal(1)]),
    "requests.cpu": frozenset([Decimal("0.001"), Decimal(1)]),
    **dict.fromkeys(
        [
            "limits.memory",
            "requests.memory",
            "limits.ephemeral-storage",
            "requests.ephemeral-storage",
        ],
        _BYTE_DIVISORS,
    ),
}


def _iter_field_ref_problems(path: Path, ref: dict[str, Any]) -> Iterator[Problem]:
    version = ref.get("apiVersion")
    if isinstance(version, str) and version not in ("", "v1"):
        yield Problem(
            (*path, "apiVersion"), f"fieldRef apiVersion {quote(version)} must be v1"
        )
        return
    field_path = ref.get("fieldPath")
    if not isinstance(field_path, str):
        return
    base, _, subscript = field_path.partition("['")
    if field_path.endswith("']") and base and subscript:
        subscript = subscript[:-2]
        if base in ("metadata.labels", "metadata.annotations"):
            # Annotation keys are checked in lower case, as the server does.
            key = subscript.lower() if base == "metadata.annotations" else subscript
            message = check_qualified_name(key)
            if message:
                yield Problem((*path, "fieldPath"), f"fieldRef key {message}")
        else:
            yield Problem(
                (*path, "fieldPath"),
                f"fieldRef {quote(base)} takes no ['key']; only metadata.labels "
                "and metadata.annotations do",
            )
    elif field_path not in ENV_FIELD_PATHS and field_path != "spec.host":
        yield Problem(
            (*path, "fieldPath"),
            f"fieldRef {quote(field_path)} is not available to a variable; use "
            f"{', '.join(ENV_FIELD_PATHS)}, or metadata.labels['<key>'] or "
            "metadata.annotations['<key>']",
        )


def _iter_resource_ref_problems(path: Path, ref: dict[str, Any]) -> Iterator[Problem]:
    resource = ref.get("resource")
    if not isinstance(resource, str):
        return
    if not resource:
        yield Problem((*path, "resource"), "resourceFieldRef.resource is not set")
        return
    huge = resource.startswith(("requests.hugepages-", "limits.hugepages-"))
    if resource not in RESOURCE_FIELD_DIVISORS and not huge:
        yield Problem(
            (*path, "resource"),
            f"resourceFieldRef {quote(resource)} is not a container resource; use "
            f"{', '.join(RESOURCE_FIELD_DIVISORS)} or limits.hugepages-<size>",
        )
        return
    divisor = quantity_or_none(ref.get("divisor"))
    allowed = _BYTE_DIVISORS if huge else RESOURCE_FIELD_DIVISORS[resource]
    # Compared by value: a divisor the server takes has one of these values.
    if divisor is not None and divisor != 0 and divisor not in allowed:
        yield Problem(
            (*path, "divisor"),
            f"divisor {quote(ref['divisor'])} is not one the server takes for "
            f"{resource}: "
            + (
                "1m or 1"
                if resource.endswith(".cpu")
                else "1, 1k ... 1E or 1Ki ... 1Ei"
            ),
        )


def _iter_env_source_problems(path: Path, source: dict[str, Any]) -> Iterator[Problem]:
    named = [key for key in source if key in ENV_SOURCES and source[key] is not None]
    if not named:
        yield Problem(
            path, "valueFrom names no source; use one of " + ", ".join(ENV_SOURCES[:4])
        )
        return
    if len(named) > 1:
        yield Problem(
            (*path, named[1]),
            f"valueFrom names {len(named)} sources ({', '.join(named)}); keep one",
        )
    field_ref = source.get("fieldRef")
    if isinstance(field_ref, dict):
        yield from _iter_field_ref_problems((*path, "fieldRef"), field_ref)
    resource_ref = source.get("resourceFieldRef")
    if isinstance(resource_ref, dict):
        yield from _iter_resource_ref_problems(
            (*path, "resourceFieldRef"), resource_ref
        )
    for kind in ("configMapKeyRef", "secretKeyRef"):
        selector = source.get(kind)
        if not isinstance(selector, dict):
            continue
        name = selector.get("name")
        if name is None or name == "":
            yield Problem((*path, kind), f"{kind} has no name")
        elif isinstance(name, str):
            message = check_dns1123_subdomain(name)
            if message:
                yield Problem((*path, kind, "name"), f"{kind} name {message}")
        key = selector.get("key")
        if key == "":
            yield Problem((*path, kind, "key"), f"{kind}.key is empty")
        elif isinstance(key, str):
            message = check_config_map_key(key)
            if message:
                yield Problem((*path, kind, "key"), f"{kind} {message}")


@object_rule("podspec-env-from", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_env_from(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Each envFrom entry names exactly one ConfigMap or Secret, by a valid name.

    An envFrom entry imports every key of one ConfigMap (configMapRef) or one
    Secret (secretRef) as variables; it must name exactly one of them, and the
    name must be a DNS-1123 subdomain, as object names are. The API server
    rejects an entry with none, both, or a malformed name. Split or fix the entry.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        for index, entry in iter_dicts(container.get("envFrom")):
            where = (*path, "envFrom", index)
            named = [
                key
                for key in entry
                if key in ("configMapRef", "secretRef") and entry[key] is not None
            ]
            if not named:
                yield Problem(
                    where, "the envFrom entry names no configMapRef or secretRef"
                )
            elif len(named) > 1:
                yield Problem(
                    (*where, named[1]),
                    "an envFrom entry takes one of configMapRef and "
                    "secretRef, not both",
                )
            for key in named:
                ref = entry[key]
                name = ref.get("name") if isinstance(ref, dict) else None
                if isinstance(name, str):
                    message = (
                        check_dns1123_subdomain(name) if name else "no name is set"
                    )
                    if message:
                        yield Problem((*where, key, "name"), f"{key}: {message}")
                elif name is None and isinstance(ref, dict):
                    yield Problem((*where, key), f"{key} has no name")


# The fields of a VolumeSource; a volume uses exactly one (none means emptyDir).
VOLUME_SOURCES = frozenset(
    {
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore",
        "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim",
        "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "projected", "portworxVolume", "scaleIO",
        "storageos", "csi", "ephemeral", "image",
    }
)  # fmt: skip
# Where each referring volume source keeps the name of what it refers to.
VOLUME_REFERENCE_FIELDS = {
    "configMap": "name",
    "secret": "secretName",
    "persistentVolumeClaim": "claimName",
}


@object_rule("podspec-volume-source", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_volume_sources(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Each volume has one source, and a configMap, secret or claim source a name.

    A volume says where its data comes from with exactly one field such as
    emptyDir, configMap, secret or persistentVolumeClaim (none at all means
    emptyDir). The API server rejects a volume with two sources, and a configMap,
    secret or persistentVolumeClaim source that does not name its object. Split
    the volume in two, or add the name.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for index, volume in iter_dicts(spec.get("volumes")):
        where = (*spec_path, "volumes", index)
        sources = [
            key for key in volume if key in VOLUME_SOURCES and volume[key] is not None
        ]
        if len(sources) > 1:
            yield Problem(
                (*where, sources[1]),
                f"the volume has {len(sources)} sources ({', '.join(sources)}); "
                "keep one",
            )
        for source, field in VOLUME_REFERENCE_FIELDS.items():
            body = volume.get(source)
            if not isinstance(body, dict):
                continue
            name = body.get(field)
            # claimName is required by the schema; the others may be left out.
            if name == "" or (name is None and field != "claimName"):
                yield Problem((*where, source), f"{source}.{field} is not set")
