"""Cross-object warnings: references between the objects of one input that break.

The API server accepts each of these objects alone; together they describe a
workload that does not work (a StatefulSet whose headless Service is missing, a
Service that selects no pods) or an input that cannot be applied in order.
Objects without a namespace count as being in the same namespace as each other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from stsgen.documents import Path
from stsgen.rules._formats import quote
from stsgen.rules.base import Context, Problem, set_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

# Where each workload kind keeps its pod template.
TEMPLATE_PATH_BY_KIND: dict[str, Path] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
# Labels that controllers add to each pod, so a Service may select on them even
# though no template declares them.
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
CONTROLLER_LABELS = frozenset(
    {
        POD_NAME_LABEL,
        POD_INDEX_LABEL,
        "controller-revision-hash",
        "pod-template-hash",
        "batch.kubernetes.io/job-completion-index",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
        "controller-uid",
        "job-name",
    }
)
CONTAINER_LISTS = ("containers", "initContainers")


# Every field the set rules of this module read, by kind, as a tree of keys: True
# keeps a value whole, a mapping keeps only those keys (of each item, for a
# list). The engine keeps just these fields of each object until the set rules
# run; a rule that reads another field must add it here (test_refs checks that
# every set rule says the same on these fields as on whole objects).
_REF_FIELDS: dict[str, Any] = {"name": True, "optional": True}
_CONTAINER_FIELDS: dict[str, Any] = {
    "ports": {"name": True},
    "envFrom": {"configMapRef": _REF_FIELDS, "secretRef": _REF_FIELDS},
    "env": {"valueFrom": {"configMapKeyRef": _REF_FIELDS, "secretKeyRef": _REF_FIELDS}},
}
_POD_SPEC_FIELDS: dict[str, Any] = {
    **{field: _CONTAINER_FIELDS for field in (*CONTAINER_LISTS, "ephemeralContainers")},
    "volumes": {
        "configMap": _REF_FIELDS,
        "secret": {"secretName": True, "optional": True},
        "projected": {"sources": {"configMap": _REF_FIELDS, "secret": _REF_FIELDS}},
    },
}
_TEMPLATE_FIELDS: dict[str, Any] = {
    "metadata": {"labels": True},
    "spec": _POD_SPEC_FIELDS,
}
# What every object keeps: what names it (see KubeObject.ref).
_NAME_FIELDS: dict[str, Any] = {
    "apiVersion": True,
    "kind": True,
    "metadata": {"name": True, "generateName": True, "namespace": True},
}


def _nest(path: Path, leaf: dict[str, Any]) -> dict[str, Any]:
    tree = leaf
    for step in reversed(path):
        tree = {step: tree}
    return tree


SET_RULE_FIELDS_BY_KIND: dict[str, dict[str, Any]] = {
    **{
        kind: {**_NAME_FIELDS, **_nest(path, _TEMPLATE_FIELDS)}
        for kind, path in TEMPLATE_PATH_BY_KIND.items()
    },
    "StatefulSet": {
        **_NAME_FIELDS,
        "spec": {
            "serviceName": True,
            "template": _TEMPLATE_FIELDS,
            "volumeClaimTemplates": {"spec": {"storageClassName": True}},
        },
    },
    "Pod": {
        **_NAME_FIELDS,
        "metadata": {**_NAME_FIELDS["metadata"], "labels": True},
        "spec": _POD_SPEC_FIELDS,
    },
    "Service": {
        **_NAME_FIELDS,
        "spec": {"clusterIP": True, "selector": True, "ports": {"targetPort": True}},
    },
    "PersistentVolumeClaim": {**_NAME_FIELDS, "spec": {"storageClassName": True}},
    "CustomResourceDefinition": {
        **_NAME_FIELDS,
        "spec": {"group": True, "names": {"kind": True}},
    },
}


def keep_set_rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of an object's data holding only what the set rules read."""
    kind = data.get("kind")
    if not isinstance(kind, str):
        return _keep_fields(data, _NAME_FIELDS)
    return _keep_fields(data, SET_RULE_FIELDS_BY_KIND.get(kind, _NAME_FIELDS))


def _keep_fields(value: Any, fields: Any) -> Any:
    # Mappings stay mappings and lists keep their length, so types and positions
    # are what the rules would have seen in the whole object. Keys come from
    # the field tree and text is interned: thousands of objects share them.
    if fields is True:
        return _share_text(value)
    if isinstance(value, dict):
        return {
            key: _keep_fields(value[key], inner)
            for key, inner in fields.items()
            if key in value
        }
    if isinstance(value, list):
        return [_keep_fields(item, fields) for item in value]
    return _share_text(value)


def _share_text(value: Any) -> Any:
    """Copy a value kept whole, interning its strings (label keys and values,
    kinds, namespaces repeat from object to object)."""
    if type(value) is str:
        return sys.intern(value)
    if isinstance(value, dict):
        return {_share_text(key): _share_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_share_text(item) for item in value]
    return value


def _ensure_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ensure_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dig(data: Any, path: Path) -> Any:
    for step in path:
        if not isinstance(data, dict) or not isinstance(step, str):
            return None
        data = data.get(step)
    return data


class PodTemplate(NamedTuple):
    """A pod template (or a bare Pod) found in the input, with where it sits."""

    owner: KubeObject
    path: Path
    labels: dict[str, Any]
    spec: dict[str, Any]


def iter_pod_templates(objects: Sequence[KubeObject]) -> Iterator[PodTemplate]:
    """Yield the pod of every workload object: its template, or the Pod itself."""
    for obj in objects:
        if obj.kind == "Pod":
            yield PodTemplate(
                obj, (), _ensure_dict(obj.metadata.get("labels")), obj.spec
            )
            continue
        path = TEMPLATE_PATH_BY_KIND.get(obj.kind)
        template = _dig(obj.data, path) if path else None
        if isinstance(template, dict):
            labels = _ensure_dict(_ensure_dict(template.get("metadata")).get("labels"))
            yield PodTemplate(
                obj, path or (), labels, _ensure_dict(template.get("spec"))
            )


def _iter_containers(spec: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for field in (*CONTAINER_LISTS, "ephemeralContainers"):
        for index, container in enumerate(_ensure_list(spec.get(field))):
            if isinstance(container, dict):
                yield field, index, container


def selects(selector: dict[str, Any], template: PodTemplate) -> bool:
    """Tell whether a Service selector matches the pods of a template."""
    for key, value in selector.items():
        if key in template.labels:
            if template.labels[key] != value:
                return False
        elif key == POD_NAME_LABEL and template.owner.kind == "StatefulSet":
            prefix = f"{template.owner.name}-"
            if not (isinstance(value, str) and value.startswith(prefix)):
                return False
            if not value[len(prefix) :].isdigit():
                return False
        elif key not in CONTROLLER_LABELS:
            return False
    return True


class TemplateIndex:
    """The pod templates of an input by namespace and by label, so that finding
    the templates a Service selects costs about the size of the answer rather
    than the number of templates in the input."""

    def __init__(self, templates: Iterable[PodTemplate]) -> None:
        self.by_namespace: dict[str, list[PodTemplate]] = {}
        self.by_label: dict[tuple[str, Any, Any], list[PodTemplate]] = {}
        for template in templates:
            namespace = template.owner.namespace
            self.by_namespace.setdefault(namespace, []).append(template)
            for key, value in template.labels.items():
                if _is_hashable(value):
                    self.by_label.setdefault((namespace, key, value), []).append(
                        template
                    )

    def __bool__(self) -> bool:
        return bool(self.by_namespace)

    def select(self, namespace: str, selector: dict[str, Any]) -> list[PodTemplate]:
        """Return the templates in ``namespace`` that ``selector`` matches."""
        candidates = self._narrow(namespace, selector)
        return [template for template in candidates if selects(selector, template)]

    def _narrow(self, namespace: str, selector: dict[str, Any]) -> list[PodTemplate]:
        # A template can match only if it carries every pair of the selector
        # that is not a controller label, so the smallest such bucket will do.
        best: list[PodTemplate] | None = None
        for key, value in selector.items():
            if key in CONTROLLER_LABELS or not _is_hashable(value):
                continue
            bucket = self.by_label.get((namespace, key, value), [])
            if best is None or len(bucket) < len(best):
                best = bucket
        if best is None:
            return self.by_namespace.get(namespace, [])
        return best


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@set_rule("ref-statefulset-service", Severity.WARNING)
def check_statefulset_service(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """A StatefulSet's serviceName should name a headless Service in its namespace.

    The governing Service gives each pod its stable DNS name
    (`web-0.nginx.ns.svc`); if it is missing, or has a cluster IP instead of
    `clusterIP: None`, those names never resolve and peers cannot find each other.
    """
    services = {
        (obj.namespace, obj.name): obj for obj in objects if obj.kind == "Service"
    }
    for obj in objects:
        if obj.kind != "StatefulSet":
            continue
        name = obj.spec.get("serviceName")
        if not isinstance(name, str) or not name:
            continue
        service = services.get((obj.namespace, name))
        if service is None:
            yield (
                obj,
                Problem(
                    ("spec", "serviceName"),
                    f"serviceName {quote(name)} names no Service in this input"
                    + _describe_namespace(obj),
                ),
            )
        elif service.spec.get("clusterIP") != "None":
            yield (
                obj,
                Problem(
                    ("spec", "serviceName"),
                    f"Service {quote(name)} is not headless; give it clusterIP: None so "
                    "each pod gets a DNS name",
                ),
            )


def _describe_namespace(obj: KubeObject) -> str:
    return f" (namespace {quote(obj.namespace)})" if obj.namespace else ""


@set_rule("ref-service-selector", Severity.WARNING)
def check_service_selector(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """A Service's selector should match the pods of some workload in the input.

    A selector that matches no pod template leaves the Service without endpoints,
    so connections to it fail. Checked only when the input holds workloads at all,
    and not in a namespace holding custom resources, whose operators may create
    the pods; labels that controllers add themselves (such as
    statefulset.kubernetes.io/pod-name) are taken into account.
    """
    templates = TemplateIndex(iter_pod_templates(objects))
    if not templates:
        return
    operated = {obj.namespace for obj in objects if _is_custom_resource(obj)}
    for obj in objects:
        selector = obj.spec.get("selector") if obj.kind == "Service" else None
        if not isinstance(selector, dict) or not selector:
            continue
        if obj.namespace in operated:
            continue
        if not templates.select(obj.namespace, selector):
            shown = ", ".join(
                f"{key}={value}" for key, value in sorted(selector.items())
            )
            yield (
                obj,
                Problem(
                    ("spec", "selector"),
                    f"selector {shown} matches no pod template in this input",
                ),
            )


def _is_custom_resource(obj: KubeObject) -> bool:
    # Built-in groups are single words (apps, batch) or end in k8s.io.
    group = obj.group
    return "." in group and not group.endswith("k8s.io")


@set_rule("ref-service-target-port", Severity.WARNING)
def check_service_target_port(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """A named targetPort should name a container port of the pods the Service selects.

    Endpoints resolve a named targetPort through the pods' container ports; if no
    selected pod declares a port of that name, the Service has no endpoints for
    it. Numeric targetPorts need no declared port and are not checked.
    """
    templates = TemplateIndex(iter_pod_templates(objects))
    for obj in objects:
        selector = obj.spec.get("selector") if obj.kind == "Service" else None
        if not isinstance(selector, dict) or not selector:
            continue
        selected = templates.select(obj.namespace, selector)
        if not selected:
            continue
        names = {
            port.get("name")
            for t in selected
            for _, _, container in _iter_containers(t.spec)
            for port in _ensure_list(container.get("ports"))
            if isinstance(port, dict) and isinstance(port.get("name"), str)
        }
        for index, port in enumerate(_ensure_list(obj.spec.get("ports"))):
            target = _ensure_dict(port).get("targetPort")
            if isinstance(target, str) and target and target not in names:
                yield (
                    obj,
                    Problem(
                        ("spec", "ports", index, "targetPort"),
                        f"targetPort {quote(target)} names no container port of the "
                        "selected pods",
                    ),
                )


@set_rule("ref-storage-class", Severity.WARNING)
def check_storage_class(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """A claim should name a StorageClass defined in the input, when it defines any.

    When the input brings its own StorageClasses, a claim or claim template that
    names another class most likely has a typo, and stays Pending until a class of
    that name appears. Not checked when the input defines no StorageClass, since
    classes usually come with the cluster.
    """
    classes = {obj.name for obj in objects if obj.kind == "StorageClass"}
    if not classes:
        return
    for obj, path, spec in _iter_claim_specs(objects):
        name = spec.get("storageClassName")
        if isinstance(name, str) and name and name not in classes:
            yield (
                obj,
                Problem(
                    (*path, "storageClassName"),
                    f"storageClassName {quote(name)} is not one of the StorageClasses in "
                    f"this input ({', '.join(sorted(classes))})",
                ),
            )


def _iter_claim_specs(
    objects: Sequence[KubeObject],
) -> Iterator[tuple[KubeObject, Path, dict[str, Any]]]:
    for obj in objects:
        if obj.kind == "PersistentVolumeClaim":
            yield obj, ("spec",), obj.spec
        elif obj.kind == "StatefulSet":
            for index, claim in enumerate(
                _ensure_list(obj.spec.get("volumeClaimTemplates"))
            ):
                spec = _ensure_dict(claim).get("spec")
                if isinstance(spec, dict):
                    yield obj, ("spec", "volumeClaimTemplates", index, "spec"), spec


@set_rule("ref-duplicate-object", Severity.WARNING)
def check_duplicates(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """The same kind, namespace and name should appear only once in a file.

    Applied together, the later object silently replaces the earlier one, so one
    of the two definitions is lost. Files are compared one at a time, since a
    folder often holds variants of the same objects, one file per environment.
    """
    seen: set[tuple[str, str, str, str, str]] = set()
    for obj in sorted(objects, key=lambda o: o.order):
        if (
            not obj.kind
            or not isinstance(obj.metadata.get("name"), str)
            or not obj.name
        ):
            continue
        key = (obj.doc.source, obj.group, obj.kind, obj.namespace, obj.name)
        if key not in seen:
            seen.add(key)
            continue
        # No position of the first one: set rules may see objects whose node
        # tree was dropped, and the message must not depend on how a run is split.
        yield (
            obj,
            Problem(
                ("metadata", "name"),
                f"{obj.kind} {quote(obj.name)}{_describe_namespace(obj)} is defined twice "
                "in this file; the later definition replaces the earlier one",
            ),
        )


@set_rule("ref-custom-resource-order", Severity.WARNING)
def check_custom_resource_order(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """A custom resource should come after the CRD that defines it in its stream.

    Applied in order (kubectl apply -f, helm install), a custom resource placed
    before its CustomResourceDefinition in one stream fails with "no matches for
    kind": move the CRD first, or apply it in an earlier step. A CRD in another
    file does not count: files are often applied one by one, CRDs first.
    """
    crd_order: dict[tuple[str, str, str], int] = {}
    for obj in objects:
        if obj.kind == "CustomResourceDefinition":
            group = obj.spec.get("group")
            kind = _ensure_dict(obj.spec.get("names")).get("kind")
            if isinstance(group, str) and isinstance(kind, str):
                key = (obj.doc.source, group, kind)
                crd_order[key] = min(crd_order.get(key, obj.order), obj.order)
    for obj in objects:
        order = crd_order.get((obj.doc.source, obj.group, obj.kind))
        if order is not None and obj.order < order:
            yield (
                obj,
                Problem(
                    ("kind",),
                    f"{obj.kind} comes before the CustomResourceDefinition that "
                    "defines it; put the CRD first",
                ),
            )


@set_rule("ref-config-missing", Severity.WARNING)
def check_config_refs(
    objects: Sequence[KubeObject], ctx: Context
) -> Iterator[tuple[KubeObject, Problem]]:
    """With --strict-refs, referenced ConfigMaps and Secrets should be in the input.

    A pod whose volume, envFrom or env valueFrom names a ConfigMap or Secret that
    does not exist stays in ContainerCreating (or fails to start). References
    marked `optional: true` are skipped. Off by default, since such objects are
    often created separately.
    """
    if not ctx.strict_refs:
        return
    present = {
        (obj.kind, obj.namespace, obj.name)
        for obj in objects
        if obj.kind in ("ConfigMap", "Secret")
    }
    for template in iter_pod_templates(objects):
        namespace = template.owner.namespace
        for kind, name, path in _iter_config_refs(
            template.spec, (*template.path, "spec")
        ):
            if (kind, namespace, name) not in present:
                yield (
                    template.owner,
                    Problem(
                        path,
                        f"{kind} {quote(name)} is not in this input"
                        + _describe_namespace(template.owner),
                    ),
                )


def _iter_config_refs(
    spec: dict[str, Any], path: Path
) -> Iterator[tuple[str, str, Path]]:
    """Yield (kind, name, path) for each non-optional ConfigMap/Secret reference."""
    for index, volume in enumerate(_ensure_list(spec.get("volumes"))):
        volume_path = (*path, "volumes", index)
        volume = _ensure_dict(volume)
        for source_key, kind, name_key in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
        ):
            source = _ensure_dict(volume.get(source_key))
            yield from _iter_reference(
                kind, source, name_key, (*volume_path, source_key)
            )
        sources = _ensure_list(_ensure_dict(volume.get("projected")).get("sources"))
        for position, source in enumerate(sources):
            for source_key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                projected = _ensure_dict(_ensure_dict(source).get(source_key))
                source_path = (
                    *volume_path,
                    "projected",
                    "sources",
                    position,
                    source_key,
                )
                yield from _iter_reference(kind, projected, "name", source_path)
    for field, index, container in _iter_containers(spec):
        container_path = (*path, field, index)
        for position, env_from in enumerate(_ensure_list(container.get("envFrom"))):
            for ref_key, kind in (
                ("configMapRef", "ConfigMap"),
                ("secretRef", "Secret"),
            ):
                ref = _ensure_dict(_ensure_dict(env_from).get(ref_key))
                ref_path = (*container_path, "envFrom", position, ref_key)
                yield from _iter_reference(kind, ref, "name", ref_path)
        for position, env in enumerate(_ensure_list(container.get("env"))):
            value_from = _ensure_dict(_ensure_dict(env).get("valueFrom"))
            for ref_key, kind in (
                ("configMapKeyRef", "ConfigMap"),
                ("secretKeyRef", "Secret"),
            ):
                ref = _ensure_dict(value_from.get(ref_key))
                ref_path = (*container_path, "env", position, "valueFrom", ref_key)
                yield from _iter_reference(kind, ref, "name", ref_path)


def _iter_reference(
    kind: str, source: dict[str, Any], name_key: str, path: Path
) -> Iterator[tuple[str, str, Path]]:
    name = source.get(name_key)
    if isinstance(name, str) and name and source.get("optional") is not True:
        yield kind, name, path
