"""Rules on object metadata: name formats per kind, namespaces, label and annotation
keys and values, finalizers, and label selectors, as the API server's ObjectMeta
and LabelSelector validation checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from stsgen.documents import Path
from stsgen.rules._formats import (
    check_dns1035_label,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_label_value,
    check_path_segment_name,
    check_qualified_name,
    quote,
)
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

NameCheck = Callable[[str], "str | None"]

# metadata.annotations may hold at most this many bytes, keys and values together.
ANNOTATIONS_MAX_BYTES = 256 * 1024
# A CronJob's Jobs are named <cronjob>-<11 characters>, and must fit in 63.
CRONJOB_NAME_MAX = 52
# Service names may be DNS-1123 labels (not only DNS-1035) once
# RelaxedServiceNameValidation is on: beta in 1.36, GA in 1.37.
RELAXED_SERVICE_NAME_MINOR = 36

# The API groups served by kube-apiserver itself; other groups are custom resources
# (or aggregated APIs), whose names the server checks as DNS-1123 subdomains.
BUILTIN_GROUPS = frozenset(
    {
        "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io",
        "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
        "admissionregistration.k8s.io", "apiregistration.k8s.io",
        "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
        "discovery.k8s.io", "certificates.k8s.io", "events.k8s.io",
        "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "storagemigration.k8s.io",
        "internal.apiserver.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    }
)  # fmt: skip

_SUBDOMAIN_KINDS = {
    "": (
        "Pod", "PodTemplate", "ReplicationController", "ConfigMap", "Secret",
        "ServiceAccount", "Endpoints", "LimitRange", "ResourceQuota", "Node",
        "PersistentVolume", "PersistentVolumeClaim",
    ),
    "apps": ("Deployment", "DaemonSet", "ReplicaSet", "ControllerRevision"),
    "batch": ("Job", "CronJob"),
    "autoscaling": ("HorizontalPodAutoscaler",),
    "networking.k8s.io": ("Ingress", "IngressClass", "NetworkPolicy"),
    "storage.k8s.io": ("StorageClass",),
    "scheduling.k8s.io": ("PriorityClass",),
}  # fmt: skip
_PATH_SEGMENT_KINDS = {
    "rbac.authorization.k8s.io": (
        "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    ),
}  # fmt: skip

NAME_CHECK_BY_KIND: dict[tuple[str, str], NameCheck] = {
    ("", "Namespace"): check_dns1123_label,
    ("apps", "StatefulSet"): check_dns1123_label,
    **{
        (group, kind): check_dns1123_subdomain
        for group, kinds in _SUBDOMAIN_KINDS.items()
        for kind in kinds
    },
    **{
        (group, kind): check_path_segment_name
        for group, kinds in _PATH_SEGMENT_KINDS.items()
        for kind in kinds
    },
}


def select_name_check(obj: KubeObject, context: Context) -> NameCheck:
    """Return the check the API server applies to this kind's metadata.name."""
    group = obj.group
    if group == "" and obj.kind == "Service":
        if context.kubernetes_minor >= RELAXED_SERVICE_NAME_MINOR:
            return check_dns1123_label
        return check_dns1035_label
    check = NAME_CHECK_BY_KIND.get((group, obj.kind))
    if check is not None:
        return check
    if group not in BUILTIN_GROUPS:
        return check_dns1123_subdomain
    # Every name ends up as one segment of a URL path, whatever the kind.
    return check_path_segment_name


# Files with apiVersion and kind that tools read themselves and never send to the
# API server (kustomization.yaml, kubeconfig, kubeadm and kubelet configuration).
CLIENT_SIDE_GROUP_SUFFIXES = ("config.k8s.io", "kubeadm.k8s.io")
CLIENT_SIDE_KINDS = frozenset({("", "Config")})


def is_api_object(obj: KubeObject) -> bool:
    """Tell whether the object is meant for the API server, not a tool's config."""
    if not obj.kind or (obj.group, obj.kind) in CLIENT_SIDE_KINDS:
        return False
    return not obj.group.endswith(CLIENT_SIDE_GROUP_SUFFIXES)


def _read_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@object_rule("metadata-name-missing", Severity.ERROR)
def check_name_present(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """An object needs metadata.name (or metadata.generateName).

    The API server names every object from metadata.name, or makes one up from
    metadata.generateName when the object is created with `kubectl create`. An
    object with neither is rejected with "name or generateName is required". Give
    the object a name.
    """
    if not is_api_object(obj):
        return
    metadata = obj.metadata
    if _read_text(metadata.get("name")) or _read_text(metadata.get("generateName")):
        return
    if "name" in metadata and not isinstance(metadata["name"], (str, type(None))):
        return  # a wrong type is the schema check's to report
    yield Problem(("metadata",) if "metadata" in obj.data else (), "no name is set")


@object_rule("metadata-name-format", Severity.ERROR)
def check_name_format(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """The object's name must have the format its kind requires.

    The API server checks metadata.name per kind: most names are DNS-1123
    subdomains (lower-case letters, digits, '-' and '.', at most 253 characters);
    StatefulSet and Namespace names are DNS-1123 labels (no dots, at most 63),
    because they become host names; Service names are DNS-1035 labels (starting
    with a letter) before Kubernetes 1.36 and DNS-1123 labels from 1.36; CronJob
    names have at most 52 characters, room for the suffix of their Jobs; RBAC
    names only must not contain '/' or '%'. A generateName is checked the same
    way, a trailing '-' allowed. Rename the object.
    """
    if not is_api_object(obj):
        return
    check = select_name_check(obj, context)
    metadata = obj.metadata
    name = metadata.get("name")
    if isinstance(name, str) and name:
        message = check(name)
        if message:
            yield Problem(("metadata", "name"), f"name {message}")
        elif (
            obj.group == "batch"
            and obj.kind == "CronJob"
            and len(name) > CRONJOB_NAME_MAX
        ):
            yield Problem(
                ("metadata", "name"),
                f"name {quote(name)} has {len(name)} characters; a CronJob name has "
                f"at most {CRONJOB_NAME_MAX}, as its Jobs add 11",
            )
    prefix = metadata.get("generateName")
    if isinstance(prefix, str) and prefix:
        # The server appends random characters, so a trailing '-' is fine. Its
        # maskTrailingDash (apimachinery's api/validation) puts one "a" in place of
        # the last two characters: masked the same way, the same prefixes pass.
        masked = prefix[:-2] + "a" if len(prefix) > 1 and prefix[-1] == "-" else prefix
        message = check(masked)
        if message:
            yield Problem(
                ("metadata", "generateName"),
                f"generateName {quote(prefix)} cannot start a valid name: "
                + message.split(": ", 1)[-1],
            )


# Built-in kinds without a namespace (kubectl api-resources --namespaced=false).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"), ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "ResourceSlice"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)  # fmt: skip


@object_rule("metadata-namespace-format", Severity.ERROR)
def check_namespace_format(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """metadata.namespace must be a DNS-1123 label.

    Namespace names are DNS-1123 labels: lower-case letters, digits and '-',
    starting and ending with a letter or digit, at most 63 characters. The API
    server rejects an object whose namespace is not one, since no such namespace
    can exist. Fix the namespace name. Cluster-scoped kinds, built in or from a
    CRD of the run with scope Cluster, are left alone: the server drops their
    namespace before it validates them.
    """
    namespace = obj.metadata.get("namespace")
    scope_key = (obj.group, obj.kind)
    if scope_key in CLUSTER_SCOPED_KINDS or scope_key in context.cluster_scoped:
        return  # the server clears the namespace of such an object before checking
    if isinstance(namespace, str) and namespace:
        message = check_dns1123_label(namespace)
        if message:
            yield Problem(("metadata", "namespace"), f"namespace {message}")


def iter_metadata_blocks(obj: KubeObject) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield the object's metadata and that of the templates it carries."""
    data = obj.data
    candidates: list[Path] = [("metadata",)]
    candidates.append(("template", "metadata"))  # PodTemplate
    candidates.append(("spec", "template", "metadata"))
    # Not spec.jobTemplate.metadata: ValidateJobTemplateSpec (pkg/apis/batch)
    # checks only the template's spec.
    candidates.append(("spec", "jobTemplate", "spec", "template", "metadata"))
    for path in candidates:
        block = follow_path(data, path)
        if isinstance(block, dict):
            yield path, block
    claims = obj.spec.get("volumeClaimTemplates")
    if obj.kind == "StatefulSet" and isinstance(claims, list):
        for index, claim in enumerate(claims):
            if isinstance(claim, dict) and isinstance(claim.get("metadata"), dict):
                path = ("spec", "volumeClaimTemplates", index, "metadata")
                yield path, claim["metadata"]


def follow_path(data: Any, path: Path) -> Any:
    """Return the value at a path of plain data, or None where the path breaks."""
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


@object_rule("metadata-label-format", Severity.ERROR)
def check_labels(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Label keys must be qualified names and label values valid label values.

    A label key is an optional DNS-1123 subdomain prefix and '/', then a name of at
    most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or
    digit. A value is empty or has the same shape as that name. The API server
    checks the labels of the object and of the pod and claim templates inside it,
    so that selectors can match them. Rename the key or change the value.
    """
    for path, block in iter_metadata_blocks(obj):
        labels = block.get("labels")
        if isinstance(labels, dict):
            yield from _iter_label_problems((*path, "labels"), labels)


def _iter_label_problems(path: Path, labels: dict[str, Any]) -> Iterator[Problem]:
    for key, value in labels.items():
        message = check_qualified_name(key)
        if message:
            yield Problem((*path, key), f"label key {message}")
        if isinstance(value, str):
            message = check_label_value(value)
            if message:
                yield Problem((*path, key), f"label {quote(key)}: {message}")


@object_rule("metadata-annotation-format", Severity.ERROR)
def check_annotation_keys(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Annotation keys must be qualified names.

    Annotation keys follow the label key format (an optional DNS-1123 subdomain
    prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'),
    except that upper-case letters are allowed in the prefix. The API server
    rejects any other key. Rename the annotation.
    """
    for path, block in iter_metadata_blocks(obj):
        annotations = block.get("annotations")
        if not isinstance(annotations, dict):
            continue
        for key in annotations:
            # The server lower-cases the key before checking it.
            message = check_qualified_name(key.lower())
            if message:
                message = check_qualified_name(key) or message
                yield Problem((*path, "annotations", key), f"annotation key {message}")


@object_rule("metadata-annotations-too-large", Severity.ERROR)
def check_annotation_size(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """All annotations of an object together may hold at most 256 KiB.

    The API server adds up the bytes of every annotation key and value of an
    object (and of each template in it) and rejects the object above 262144
    bytes. Large data such as a last-applied configuration of a big object is the
    usual cause; move it to a ConfigMap, or apply with --server-side so that kubectl
    does not write the last-applied annotation.
    """
    for path, block in iter_metadata_blocks(obj):
        annotations = block.get("annotations")
        if not isinstance(annotations, dict):
            continue
        total = 0
        for key, value in annotations.items():
            total += len(key.encode("utf-8", "surrogatepass"))
            if isinstance(value, str):
                total += len(value.encode("utf-8", "surrogatepass"))
        if total > ANNOTATIONS_MAX_BYTES:
            yield Problem(
                (*path, "annotations"),
                f"annotations hold {total} bytes, more than {ANNOTATIONS_MAX_BYTES}",
            )


@object_rule("metadata-finalizer-format", Severity.ERROR)
def check_finalizers(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Finalizer names must be qualified names.

    A finalizer is a name such as `example.com/cleanup`: an optional DNS-1123
    subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.'.
    The API server rejects any other string in metadata.finalizers. Fix the name.
    """
    finalizers = obj.metadata.get("finalizers")
    if not isinstance(finalizers, list):
        return
    for index, name in enumerate(finalizers):
        if isinstance(name, str):
            message = check_qualified_name(name)
            if message:
                yield Problem(("metadata", "finalizers", index), f"finalizer {message}")


# Where each kind keeps a metav1.LabelSelector that the server checks strictly.
SELECTOR_PATH_BY_KIND: dict[tuple[str, str], Path] = {
    ("apps", "Deployment"): ("spec", "selector"),
    ("apps", "StatefulSet"): ("spec", "selector"),
    ("apps", "DaemonSet"): ("spec", "selector"),
    ("apps", "ReplicaSet"): ("spec", "selector"),
    ("batch", "Job"): ("spec", "selector"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "selector"),
    ("policy", "PodDisruptionBudget"): ("spec", "selector"),
    ("networking.k8s.io", "NetworkPolicy"): ("spec", "podSelector"),
}
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@object_rule("label-selector-format", Severity.ERROR)
def check_label_selector(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A label selector must use valid keys, values and operators.

    In matchLabels, keys and values follow the label formats. In matchExpressions,
    each key is a label key, the operator one of In, NotIn, Exists and
    DoesNotExist, values are label values, In and NotIn need at least one value
    and Exists and DoesNotExist take none. The API server rejects any other
    selector, since it could never match. Fix the selector.
    """
    path = SELECTOR_PATH_BY_KIND.get((obj.group, obj.kind))
    selector = follow_path(obj.data, path) if path else None
    if not isinstance(selector, dict):
        return
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, dict):
        yield from _iter_label_problems((*path, "matchLabels"), match_labels)
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        for index, expression in enumerate(expressions):
            if isinstance(expression, dict):
                where = (*path, "matchExpressions", index)
                yield from _iter_expression_problems(where, expression)


def _iter_expression_problems(path: Path, expression: dict) -> Iterator[Problem]:
    key = expression.get("key")
    if isinstance(key, str):
        message = check_qualified_name(key)
        if message:
            yield Problem((*path, "key"), f"selector key {message}")
    operator = expression.get("operator")
    values = expression.get("values")
    count = len(values) if isinstance(values, list) else 0
    if isinstance(operator, str):
        if operator not in SELECTOR_OPERATORS:
            yield Problem(
                (*path, "operator"),
                f"{quote(operator)} is not a selector operator; use "
                + ", ".join(SELECTOR_OPERATORS),
            )
        elif operator in ("In", "NotIn") and count == 0:
            yield Problem(
                (*path, "values") if "values" in expression else path,
                f"operator {operator} needs at least one value",
            )
        elif operator in ("Exists", "DoesNotExist") and count:
            yield Problem((*path, "values"), f"operator {operator} takes no values")
    if isinstance(values, list):
        for index, value in enumerate(values):
            if isinstance(value, str):
                message = check_label_value(value)
                if message:
                    yield Problem((*path, "values", index), f"selector {message}")


def match_selector(selector: dict[str, Any], labels: dict[str, Any]) -> bool | None:
    """Return whether a label selector matches labels; None if it cannot be read."""
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return None
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    for expression in expressions:
        if not isinstance(expression, dict):
            return None
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list):
            return None
        if operator == "In":
            matched = key in labels and labels[key] in values
        elif operator == "NotIn":
            matched = key not in labels or labels[key] not in values
        elif operator == "Exists":
            matched = key in labels
        elif operator == "DoesNotExist":
            matched = key not in labels
        else:
            return None
        if not matched:
            return False
    return True


def describe_mismatch(selector: dict[str, Any], labels: dict[str, Any]) -> str:
    """Say which label of the template fails the selector."""
    match_labels = selector.get("matchLabels") or {}
    for key, value in match_labels.items():
        if key not in labels:
            return (
                f"the template has no label {quote(key)}, which the selector requires"
            )
        if labels[key] != value:
            return (
                f"the template's label {quote(key)} is {quote(labels[key])}, but the "
                f"selector requires {quote(value)}"
            )
    return "the template's labels do not satisfy the selector's matchExpressions"


def check_template_selected(selector: dict[str, Any], template: Any) -> Problem | None:
    """Check that a workload's spec.selector picks the pods of its spec.template."""
    metadata = template.get("metadata") if isinstance(template, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    labels = labels if isinstance(labels, dict) else {}
    if not isinstance(template, dict) or match_selector(selector, labels) is not False:
        return None
    path: Path = ("spec", "template", "metadata", "labels")
    if not labels:
        path = ("spec", "template", "metadata") if metadata else ("spec", "template")
    return Problem(path, describe_mismatch(selector, labels))
