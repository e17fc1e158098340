"""The parts of a rendered manifest stream a kubelet needs to run a StatefulSet's pods.

Reads the stream as the API server would (stsgen.documents), then answers what a
kubelet and the StatefulSet controller would work out: the pod for an ordinal, the
files of a ConfigMap or Secret volume, a container's environment.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass
from typing import Any

from stsgen.documents import iter_documents

# A kubelet expands $(NAME) in command, args and env values; $$ escapes a dollar.
_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class ManifestError(Exception):
    """Raised when the stream lacks something a kubelet would need to run the pods."""


@dataclass
class Stream:
    """The objects of one rendered stream, found by kind and name."""

    objects: list[dict[str, Any]]

    def find(self, kind: str, name: str | None = None) -> list[dict[str, Any]]:
        return [
            obj
            for obj in self.objects
            if obj.get("kind") == kind
            and (name is None or obj.get("metadata", {}).get("name") == name)
        ]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = self.find(kind, name)
        if not found:
            raise ManifestError(f"the stream has no {kind} {name}")
        return found[0]

    def statefulset(self) -> dict[str, Any]:
        found = self.find("StatefulSet")
        if len(found) != 1:
            raise ManifestError(f"expected one StatefulSet, found {len(found)}")
        return found[0]


def load_stream(text: str) -> Stream:
    """Read a rendered stream; `kind: List` documents are unpacked."""
    objects: list[dict[str, Any]] = []
    for document in iter_documents(text, "rendered"):
        data = document.data
        if isinstance(data, dict) and data.get("kind") == "List":
            objects.extend(item for item in data.get("items") or [])
        elif isinstance(data, dict):
            objects.append(data)
    return Stream(objects)


def namespace_of(obj: dict[str, Any]) -> str:
    """Return the object's namespace, "default" when it names none."""
    return obj.get("metadata", {}).get("namespace") or "default"


def build_pod(statefulset: dict[str, Any], ordinal: int) -> dict[str, Any]:
    """Return the pod the StatefulSet controller would create for ``ordinal``."""
    name = f"{statefulset['metadata']['name']}-{ordinal}"
    template = copy.deepcopy(statefulset["spec"]["template"])
    metadata = template.setdefault("metadata", {})
    metadata["name"] = name
    metadata["namespace"] = namespace_of(statefulset)
    labels = metadata.setdefault("labels", {})
    labels["statefulset.kubernetes.io/pod-name"] = name
    labels["apps.kubernetes.io/pod-index"] = str(ordinal)
    spec = template["spec"]
    spec["hostname"] = name
    spec["subdomain"] = statefulset["spec"].get("serviceName", "")
    return template


def claim_names(statefulset: dict[str, Any]) -> list[str]:
    """Return the volume names backed by the StatefulSet's claim templates."""
    templates = statefulset["spec"].get("volumeClaimTemplates") or []
    return [claim["metadata"]["name"] for claim in templates]


def project_files(
    stream: Stream, volume: dict[str, Any], namespace: str
) -> dict[str, tuple[bytes, int]]:
    """Return the files (path -> content, mode) of a configMap or secret volume."""
    if "configMap" in volume:
        source, kind, key = volume["configMap"], "ConfigMap", "name"
    else:
        source, kind, key = volume["secret"], "Secret", "secretName"
    found = [
        obj for obj in stream.find(kind, source[key]) if namespace_of(obj) == namespace
    ]
    if not found:
        if source.get("optional"):
            return {}
        raise ManifestError(f"volume {volume['name']}: no {kind} {source[key]}")
    data = read_data(found[0])
    mode = source.get("defaultMode", 0o644)
    if "items" not in source:
        return {name: (value, mode) for name, value in data.items()}
    files = {}
    for item in source["items"]:
        if item["key"] not in data:
            raise ManifestError(f"{kind} {source[key]} has no key {item['key']}")
        files[item["path"]] = (data[item["key"]], item.get("mode", mode))
    return files


def read_data(obj: dict[str, Any]) -> dict[str, bytes]:
    """Return a ConfigMap's or Secret's keys as bytes, as a volume would hold them."""
    data: dict[str, bytes] = {}
    if obj["kind"] == "Secret":
        for name, value in (obj.get("data") or {}).items():
            data[name] = base64.b64decode(value)
        for name, value in (obj.get("stringData") or {}).items():
            data[name] = str(value).encode()
    else:
        for name, value in (obj.get("data") or {}).items():
            data[name] = str(value).encode()
        for name, value in (obj.get("binaryData") or {}).items():
            data[name] = base64.b64decode(value)
    return data


def build_env(
    stream: Stream, pod: dict[str, Any], container: dict[str, Any], pod_ip: str
) -> dict[str, str]:
    """Return a container's environment as the kubelet would set it."""
    namespace = pod["metadata"]["namespace"]
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": pod["spec"]["hostname"],
        "HOME": "/root",
    }
    for source in container.get("envFrom") or []:
        env.update(read_env_source(stream, source, namespace))
    for var in container.get("env") or []:
        if "valueFrom" in var:
            value = read_env_value(stream, pod, var, pod_ip)
            if value is not None:
                env[var["name"]] = value
        else:
            env[var["name"]] = expand(str(var.get("value", "")), env)
    return env


def read_env_source(
    stream: Stream, source: dict[str, Any], namespace: str
) -> dict[str, str]:
    """Return the variables an envFrom entry brings in."""
    kind, ref = (
        ("ConfigMap", source["configMapRef"])
        if "configMapRef" in source
        else ("Secret", source["secretRef"])
    )
    found = [o for o in stream.find(kind, ref["name"]) if namespace_of(o) == namespace]
    if not found:
        if ref.get("optional"):
            return {}
        raise ManifestError(f"envFrom: no {kind} {ref['name']}")
    prefix = source.get("prefix", "")
    return {prefix + k: v.decode() for k, v in read_data(found[0]).items()}


def read_env_value(
    stream: Stream, pod: dict[str, Any], var: dict[str, Any], pod_ip: str
) -> str | None:
    """Resolve one env entry's valueFrom; None when an optional source is absent."""
    value_from = var["valueFrom"]
    namespace = pod["metadata"]["namespace"]
    for field_name, kind in (
        ("secretKeyRef", "Secret"),
        ("configMapKeyRef", "ConfigMap"),
    ):
        if field_name in value_from:
            ref = value_from[field_name]
            found = [
                o
                for o in stream.find(kind, ref["name"])
                if namespace_of(o) == namespace
            ]
            data = read_data(found[0]) if found else {}
            if ref["key"] in data:
                return data[ref["key"]].decode()
            if ref.get("optional"):
                return None
            raise ManifestError(
                f"env {var['name']}: no key {ref['key']} in {ref['name']}"
            )
    if "fieldRef" in value_from:
        fields = {
            "metadata.name": pod["metadata"]["name"],
            "metadata.namespace": namespace,
            "status.podIP": pod_ip,
            "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
        }
        path = value_from["fieldRef"]["fieldPath"]
        if path.startswith("metadata.labels['"):
            return pod["metadata"].get("labels", {}).get(path[17:-2], "")
        if path not in fields:
            raise ManifestError(f"env {var['name']}: fieldRef {path} is not simulated")
        return fields[path]
    raise ManifestError(f"env {var['name']}: this valueFrom is not simulated")


def expand(text: str, env: dict[str, str]) -> str:
    """Expand $(NAME) references the way the kubelet does; unknown ones stay."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _REFERENCE.sub(replace, text)


def select(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Tell whether a Service's selector matches a pod's labels."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
