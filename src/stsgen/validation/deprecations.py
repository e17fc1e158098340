"""Removed and superseded apiVersions of built-in kinds, and what replaces them.

Removals up to 1.32 follow Kubernetes' deprecated API migration guide; later ones
and the superseded betas were read off the OpenAPI of each release (an apiVersion
absent from release N but present in N-1 was removed in N); v1 Endpoints and
ComponentStatus carry the API server's own deprecation warnings.
"""

from __future__ import annotations

from typing import NamedTuple


class ApiChange(NamedTuple):
    """One apiVersion of some kinds that is gone, or going, and its replacement."""

    api_version: str
    kinds: tuple[str, ...]
    replacement: str  # an apiVersion serving the same kind, or a phrase
    removed_in: int | None = None  # first minor release that no longer serves it
    superseded_in: int | None = None  # first minor release to warn about it
    same_kind: bool = True  # whether ``replacement`` serves the same kind


def _changes(
    api_versions: tuple[str, ...], kinds: tuple[str, ...], replacement: str, **when: int
) -> list[ApiChange]:
    return [ApiChange(api, kinds, replacement, **when) for api in api_versions]


PSA = "Pod Security Admission"
FLOWCONTROL_KINDS = ("FlowSchema", "PriorityLevelConfiguration")
DRA_KINDS = ("DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice")

API_CHANGES: tuple[ApiChange, ...] = (
    # Removed in 1.16.
    ApiChange("extensions/v1beta1", ("NetworkPolicy",), "networking.k8s.io/v1", 16),
    ApiChange("extensions/v1beta1", ("PodSecurityPolicy",), PSA, 16, same_kind=False),
    *_changes(
        ("extensions/v1beta1", "apps/v1beta2"), ("DaemonSet",), "apps/v1", removed_in=16
    ),
    *_changes(
        ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"),
        ("Deployment", "ReplicaSet"),
        "apps/v1",
        removed_in=16,
    ),
    *_changes(
        ("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "apps/v1", removed_in=16
    ),
    # Removed in 1.22.
    ApiChange(
        "admissionregistration.k8s.io/v1beta1",
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        "admissionregistration.k8s.io/v1",
        22,
    ),
    ApiChange(
        "apiextensions.k8s.io/v1beta1",
        ("CustomResourceDefinition",),
        "apiextensions.k8s.io/v1",
        22,
    ),
    ApiChange(
        "apiregistration.k8s.io/v1beta1",
        ("APIService",),
        "apiregistration.k8s.io/v1",
        22,
    ),
    ApiChange(
        "authentication.k8s.io/v1beta1",
        ("TokenReview",),
        "authentication.k8s.io/v1",
        22,
    ),
    ApiChange(
        "authorization.k8s.io/v1beta1",
        (
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "SelfSubjectRulesReview",
        ),
        "authorization.k8s.io/v1",
        22,
    ),
    ApiChange(
        "certificates.k8s.io/v1beta1",
        ("CertificateSigningRequest",),
        "certificates.k8s.io/v1",
        22,
    ),
    ApiChange("coordination.k8s.io/v1beta1", ("Lease",), "coordination.k8s.io/v1", 22),
    *_changes(
        ("extensions/v1beta1", "networking.k8s.io/v1beta1"),
        ("Ingress",),
        "networking.k8s.io/v1",
        removed_in=22,
    ),
    ApiChange(
        "networking.k8s.io/v1beta1", ("IngressClass",), "networking.k8s.io/v1", 22
    ),
    ApiChange(
        "rbac.authorization.k8s.io/v1beta1",
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        "rbac.authorization.k8s.io/v1",
        22,
    ),
    ApiChange(
        "scheduling.k8s.io/v1beta1", ("PriorityClass",), "scheduling.k8s.io/v1", 22
    ),
    ApiChange(
        "storage.k8s.io/v1beta1",
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
        "storage.k8s.io/v1",
        22,
    ),
    # Removed in 1.25.
    ApiChange("batch/v1beta1", ("CronJob",), "batch/v1", 25),
    ApiChange(
        "discovery.k8s.io/v1beta1", ("EndpointSlice",), "discovery.k8s.io/v1", 25
    ),
    ApiChange("events.k8s.io/v1beta1", ("Event",), "events.k8s.io/v1", 25),
    ApiChange(
        "autoscaling/v2beta1", ("HorizontalPodAutoscaler",), "autoscaling/v2", 25
    ),
    ApiChange("policy/v1beta1", ("PodDisruptionBudget",), "policy/v1", 25),
    ApiChange("policy/v1beta1", ("PodSecurityPolicy",), PSA, 25, same_kind=False),
    ApiChange("node.k8s.io/v1beta1", ("RuntimeClass",), "node.k8s.io/v1", 25),
    # Removed in 1.26 to 1.34.
    ApiChange(
        "autoscaling/v2beta2", ("HorizontalPodAutoscaler",), "autoscaling/v2", 26
    ),
    ApiChange(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        FLOWCONTROL_KINDS,
        "flowcontrol.apiserver.k8s.io/v1",
        26,
    ),
    ApiChange(
        "storage.k8s.io/v1beta1", ("CSIStorageCapacity",), "storage.k8s.io/v1", 27
    ),
    ApiChange(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        FLOWCONTROL_KINDS,
        "flowcontrol.apiserver.k8s.io/v1",
        29,
    ),
    ApiChange(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        FLOWCONTROL_KINDS,
        "flowcontrol.apiserver.k8s.io/v1",
        32,
    ),
    ApiChange(
        "authentication.k8s.io/v1beta1",
        ("SelfSubjectReview",),
        "authentication.k8s.io/v1",
        33,
    ),
    ApiChange(
        "admissionregistration.k8s.io/v1beta1",
        ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"),
        "admissionregistration.k8s.io/v1",
        34,
    ),
    # Superseded by a stable version, then removed in 1.37.
    ApiChange(
        "networking.k8s.io/v1beta1",
        ("IPAddress", "ServiceCIDR"),
        "networking.k8s.io/v1",
        removed_in=37,
        superseded_in=33,
    ),
    ApiChange(
        "storage.k8s.io/v1beta1",
        ("VolumeAttributesClass",),
        "storage.k8s.io/v1",
        removed_in=37,
        superseded_in=34,
    ),
    # Still served, with a stable replacement or a deprecation warning.
    ApiChange(
        "v1",
        ("Endpoints",),
        "discovery.k8s.io/v1 EndpointSlice",
        superseded_in=33,
        same_kind=False,
    ),
    ApiChange("v1", ("ComponentStatus",), "", superseded_in=19, same_kind=False),
    *_changes(
        ("resource.k8s.io/v1beta1", "resource.k8s.io/v1beta2"),
        DRA_KINDS,
        "resource.k8s.io/v1",
        superseded_in=34,
    ),
    ApiChange(
        "resource.k8s.io/v1beta2",
        ("DeviceTaintRule",),
        "resource.k8s.io/v1",
        superseded_in=37,
    ),
    ApiChange(
        "admissionregistration.k8s.io/v1beta1",
        ("MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"),
        "admissionregistration.k8s.io/v1",
        superseded_in=36,
    ),
    ApiChange(
        "certificates.k8s.io/v1beta1",
        ("ClusterTrustBundle", "PodCertificateRequest"),
        "certificates.k8s.io/v1",
        superseded_in=37,
    ),
    ApiChange(
        "storagemigration.k8s.io/v1beta1",
        ("StorageVersionMigration",),
        "storagemigration.k8s.io/v1",
        superseded_in=37,
    ),
)

API_CHANGE_BY_KIND: dict[tuple[str, str], ApiChange] = {
    (change.api_version, kind): change
    for change in API_CHANGES
    for kind in change.kinds
}


def lookup(api_version: str, kind: str, minor: int) -> tuple[str, str] | None:
    """Return ("error" | "warning", message) if ``kind`` at ``api_version`` is removed
    or superseded in Kubernetes 1.``minor``, else None.
    """
    change = API_CHANGE_BY_KIND.get((api_version, kind))
    if change is None:
        return None
    advice = _advice(change)
    subject = f"{api_version} {kind}"
    if change.removed_in is not None and minor >= change.removed_in:
        return (
            "error",
            f"{subject} was removed in Kubernetes 1.{change.removed_in}{advice}",
        )
    if change.superseded_in is None or minor < change.superseded_in:
        return None
    if not change.same_kind:
        since = change.superseded_in
        return "warning", f"{subject} is deprecated since Kubernetes 1.{since}{advice}"
    removal = (
        f"; 1.{change.removed_in} no longer serves it"
        if change.removed_in is not None
        else ""
    )
    return "warning", (
        f"{subject} is superseded by {change.replacement} since Kubernetes "
        f"1.{change.superseded_in}{removal}"
    )


def _advice(change: ApiChange) -> str:
    if not change.replacement:
        return ""
    return f"; use {change.replacement}"
