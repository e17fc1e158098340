"""Storage rules: PersistentVolumeClaims and StorageClasses as the API server sees them.

They follow ValidatePersistentVolumeClaimSpec (pkg/apis/core/validation) and
ValidateStorageClass (pkg/apis/storage/validation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stsgen.rules import _formats
from stsgen.rules._formats import quote
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
# Short forms kubectl prints; people copy them into manifests.
ACCESS_MODE_BY_SHORT_NAME = {
    "RWO": "ReadWriteOnce",
    "ROX": "ReadOnlyMany",
    "RWX": "ReadWriteMany",
    "RWOP": "ReadWriteOncePod",
}
VOLUME_MODES = ("Filesystem", "Block")
RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
# The API server checks volumeAttributesClassName only with the feature on:
# VolumeAttributesClass is GA (on by default) from 1.34.
VOLUME_ATTRIBUTES_CLASS_MINOR = 34
MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * 1024


def _ensure_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@object_rule("pvc-access-modes", Severity.ERROR, kinds=["PersistentVolumeClaim"])
def check_access_modes(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A claim needs at least one access mode, each spelled out in full.

    The modes are ReadWriteOnce, ReadOnlyMany, ReadWriteMany and ReadWriteOncePod;
    the short forms kubectl prints (RWO, RWX, ...) are rejected in manifests.
    ReadWriteOncePod cannot be combined with other modes.
    """
    modes = obj.spec.get("accessModes")
    if modes is None or modes == []:
        yield Problem(
            ("spec",), "spec.accessModes is empty; a claim needs at least one mode"
        )
        return
    if not isinstance(modes, list):
        return
    yield from iter_access_mode_problems(modes, ("spec", "accessModes"))


def iter_access_mode_problems(
    modes: list[Any], path: tuple[str | int, ...]
) -> Iterator[Problem]:
    """Yield a problem for each unknown access mode and for a bad combination."""
    for index, mode in enumerate(modes):
        if isinstance(mode, str) and mode not in ACCESS_MODES:
            full = ACCESS_MODE_BY_SHORT_NAME.get(mode.upper())
            hint = f"write {full}" if full else f"use one of {', '.join(ACCESS_MODES)}"
            yield Problem(
                (*path, index), f"{quote(mode)} is not an access mode; {hint}"
            )
    if "ReadWriteOncePod" in modes and any(
        mode in ACCESS_MODES and mode != "ReadWriteOncePod" for mode in modes
    ):
        yield Problem(path, "ReadWriteOncePod cannot be combined with other modes")


@object_rule("pvc-storage-request", Severity.ERROR, kinds=["PersistentVolumeClaim"])
def check_storage_request(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A claim must request storage, as a positive quantity such as `10Gi`.

    spec.resources.requests.storage is required. Quantities use the suffixes
    Ki Mi Gi Ti Pi Ei (powers of 1024) or k M G T P E (powers of 1000); `10Gb`,
    `10GB` or `10 gigs` are rejected, and so is zero.
    """
    resources = obj.spec.get("resources")
    requests = _ensure_dict(resources).get("requests")
    if resources is not None and not isinstance(resources, dict):
        return
    if requests is not None and not isinstance(requests, dict):
        return
    if requests is None or "storage" not in requests:
        yield Problem(
            ("spec", "resources"),
            "spec.resources.requests.storage is missing; request a size such as 10Gi",
        )
        return
    yield from iter_storage_quantity_problems(
        requests["storage"], ("spec", "resources", "requests", "storage")
    )


def iter_storage_quantity_problems(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[Problem]:
    """Yield a problem when a storage size is not a positive quantity."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return
    try:
        amount = _formats.parse_quantity(value)
    except _formats.QuantityError:
        yield Problem(path, _formats.check_quantity(value) or "not a quantity")
        return
    if amount <= 0:
        yield Problem(path, f"storage request {quote(value)} must be above 0")


@object_rule("pvc-storage-class-name", Severity.ERROR, kinds=["PersistentVolumeClaim"])
def check_storage_class_name(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """storageClassName must be empty or the name of a StorageClass (DNS subdomain).

    An empty string asks for no class (static volumes only); any other value must
    be a valid StorageClass name: lower-case letters, digits, '-' and '.'. From
    Kubernetes 1.34 (VolumeAttributesClass GA) volumeAttributesClassName is
    checked the same way.
    """
    keys = ["storageClassName"]
    if ctx.kubernetes_minor >= VOLUME_ATTRIBUTES_CLASS_MINOR:
        keys.append("volumeAttributesClassName")
    for key in keys:
        value = obj.spec.get(key)
        if isinstance(value, str) and value:
            error = _formats.check_dns1123_subdomain(value)
            if error:
                yield Problem(("spec", key), error)


@object_rule("pvc-volume-mode", Severity.ERROR, kinds=["PersistentVolumeClaim"])
def check_volume_mode(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """volumeMode must be Filesystem (the default) or Block.

    The value is case-sensitive; `filesystem` or `Raw` are rejected.
    """
    value = obj.spec.get("volumeMode")
    if isinstance(value, str) and value not in VOLUME_MODES:
        yield Problem(
            ("spec", "volumeMode"),
            f"{quote(value)} is not a volume mode; use Filesystem or Block",
        )


@object_rule("pvc-data-source", Severity.ERROR, kinds=["PersistentVolumeClaim"])
def check_data_source(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """dataSource and dataSourceRef need a kind and name, and an apiGroup unless PVC.

    Without apiGroup the source must be another PersistentVolumeClaim; a
    VolumeSnapshot needs `apiGroup: snapshot.storage.k8s.io`.
    """
    for key in ("dataSource", "dataSourceRef"):
        source = obj.spec.get(key)
        if not isinstance(source, dict):
            continue
        for field in ("kind", "name"):
            if not source.get(field):
                yield Problem(("spec", key), f"{key}.{field} is missing")
        kind = source.get("kind")
        group = source.get("apiGroup")
        if (
            (group is None or group == "")
            and isinstance(kind, str)
            and kind
            and (kind != "PersistentVolumeClaim")
        ):
            yield Problem(
                ("spec", key, "kind"),
                f"{key} of kind {kind} needs an apiGroup; without one only "
                "PersistentVolumeClaim is allowed",
            )
        elif isinstance(group, str) and group:
            error = _formats.check_dns1123_subdomain(group)
            if error:
                yield Problem(("spec", key, "apiGroup"), error)


@object_rule("storageclass-provisioner", Severity.ERROR, kinds=["StorageClass"])
def check_provisioner(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A StorageClass needs a provisioner, written as a qualified name.

    The provisioner names the volume plugin or CSI driver, e.g. `ebs.csi.aws.com`
    or `kubernetes.io/no-provisioner`: an optional DNS prefix and '/', then at
    most 63 letters, digits, '-', '_' or '.'.
    """
    value = obj.data.get("provisioner")
    if value is None or value == "":
        yield Problem(
            (), "provisioner is missing; name the volume plugin or CSI driver"
        )
        return
    if isinstance(value, str):
        error = _formats.check_qualified_name(value.lower())
        if error:
            yield Problem(("provisioner",), error)


@object_rule("storageclass-reclaim-policy", Severity.ERROR, kinds=["StorageClass"])
def check_reclaim_policy(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """reclaimPolicy must be Delete (the default) or Retain.

    Recycle exists for PersistentVolumes only; a StorageClass rejects it.
    """
    value = obj.data.get("reclaimPolicy")
    if isinstance(value, str) and value and value not in RECLAIM_POLICIES:
        yield Problem(
            ("reclaimPolicy",),
            f"{quote(value)} is not a reclaim policy for a storage class; use Delete "
            "or Retain",
        )


@object_rule("storageclass-binding-mode", Severity.ERROR, kinds=["StorageClass"])
def check_binding_mode(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """volumeBindingMode must be Immediate (the default) or WaitForFirstConsumer.

    WaitForFirstConsumer delays provisioning until a pod is scheduled, so the
    volume is created in that pod's zone.
    """
    value = obj.data.get("volumeBindingMode")
    if isinstance(value, str) and value not in BINDING_MODES:
        yield Problem(
            ("volumeBindingMode",),
            f"{quote(value)} is not a volume binding mode; use Immediate or "
            "WaitForFirstConsumer",
        )


@object_rule("storageclass-parameters", Severity.ERROR, kinds=["StorageClass"])
def check_parameters(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """StorageClass parameters: at most 512, no empty key, 256 KiB in all.

    Parameters are passed to the provisioner as strings; quote numbers and
    booleans so YAML keeps them text.
    """
    parameters = obj.data.get("parameters")
    if not isinstance(parameters, dict):
        return
    if len(parameters) > MAX_PARAMETERS:
        yield Problem(
            ("parameters",),
            f"{len(parameters)} parameters are more than {MAX_PARAMETERS}",
        )
        return
    size = 0
    for key, value in parameters.items():
        if key == "":
            yield Problem(("parameters",), "a parameter key is empty")
        size += len(key.encode()) + len(str(value).encode())
    if size > MAX_PARAMETERS_SIZE:
        yield Problem(
            ("parameters",),
            f"parameters take {size} bytes, more than {MAX_PARAMETERS_SIZE}",
        )
