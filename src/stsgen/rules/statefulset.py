"""Rules on StatefulSets beyond their pod template: selector, counts, policies,
update strategy, serviceName and volumeClaimTemplates, as the API server's apps
validation checks them, plus what it accepts but cannot work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stsgen.documents import Path
from stsgen.rules._formats import (
    QuantityError,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_percent,
    describe_fractional_bytes,
    parse_quantity,
    quote,
)
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.rules.metadata import check_template_selected, follow_path
from stsgen.rules.podspec import find_pod_spec, is_int, iter_dicts
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

KINDS = ("StatefulSet",)
POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
UPDATE_STRATEGIES = ("RollingUpdate", "OnDelete")
RETENTION_POLICIES = ("Retain", "Delete")
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
VOLUME_MODES = ("Filesystem", "Block")
# maxUnavailable is honoured (and checked) once MaxUnavailableStatefulSet is on:
# beta, on by default, from 1.35. Before, the server drops the field silently.
MAX_UNAVAILABLE_MINOR = 35
# serviceName is optional, but checked as a DNS-1123 label from 1.33 (it becomes
# the pods' subdomain).
SERVICE_NAME_CHECKED_MINOR = 33


def _get_statefulset_spec(obj: KubeObject) -> dict[str, Any] | None:
    return obj.spec if obj.group == "apps" else None


@object_rule("statefulset-selector-empty", Severity.ERROR, kinds=KINDS)
def check_selector_not_empty(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A StatefulSet's selector must not be empty or null.

    spec.selector tells the StatefulSet which pods are its own. The schema already
    reports the field when it is absent, but `selector: null` (read as absent by
    the API server, which then rejects it as required) and an empty selector,
    with neither matchLabels nor matchExpressions, pass it; an empty one would
    select every pod of the namespace, and the API server rejects it too. Set
    spec.selector.matchLabels to the labels of the pod template.
    """
    spec = _get_statefulset_spec(obj)
    selector = spec.get("selector") if spec is not None else None
    if spec is not None and "selector" in spec and selector is None:
        yield Problem(
            ("spec", "selector"),
            "required field is null; set matchLabels to the labels of the pod template",
        )
    elif (
        isinstance(selector, dict)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    ):
        yield Problem(
            ("spec", "selector"), "the selector is empty; it would select every pod"
        )


@object_rule("statefulset-selector-mismatch", Severity.ERROR, kinds=KINDS)
def check_selector_matches(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """The selector must match the labels of the pod template.

    A StatefulSet creates pods from spec.template and then finds them again with
    spec.selector; if the template's labels do not satisfy the selector, it would
    never see the pods it made. The API server rejects such a StatefulSet. Make
    spec.template.metadata.labels carry every label the selector asks for.
    """
    spec = _get_statefulset_spec(obj)
    if spec is None:
        return
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return  # statefulset-selector-empty reports this
    problem = check_template_selected(selector, spec.get("template"))
    if problem is not None:
        yield problem


# Fields the API server requires to be zero or more, as paths under spec.
NON_NEGATIVE_FIELDS: tuple[Path, ...] = (
    ("replicas",),
    ("minReadySeconds",),
    ("ordinals", "start"),
)


@object_rule("statefulset-negative-count", Severity.ERROR, kinds=KINDS)
def check_non_negative(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Counts of a StatefulSet must not be negative.

    spec.replicas, spec.minReadySeconds, spec.ordinals.start and
    spec.updateStrategy.rollingUpdate.partition count pods, seconds or ordinals;
    the API server rejects a value below 0. Use 0 or more.
    """
    spec = _get_statefulset_spec(obj)
    if spec is None:
        return
    paths = list(NON_NEGATIVE_FIELDS)
    strategy = spec.get("updateStrategy")
    if (
        isinstance(strategy, dict)
        and strategy.get("type", "RollingUpdate") == "RollingUpdate"
    ):
        paths.append(("updateStrategy", "rollingUpdate", "partition"))
    for path in paths:
        value = follow_path(spec, path)
        if is_int(value) and value < 0:
            yield Problem(("spec", *path), f"{path[-1]} is {value}, below 0")


@object_rule("statefulset-revision-history-limit", Severity.WARNING, kinds=KINDS)
def check_revision_history(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """spec.revisionHistoryLimit is negative.

    The API server does not check this field of a StatefulSet, but the controller
    keeps that many old ControllerRevisions for rollbacks, and a negative number
    cannot be kept. Use 0 or more (the default is 10).
    """
    spec = _get_statefulset_spec(obj)
    value = spec.get("revisionHistoryLimit") if spec is not None else None
    if is_int(value) and value < 0:
        yield Problem(
            ("spec", "revisionHistoryLimit"),
            f"revisionHistoryLimit is {value}, below 0",
        )


@object_rule("statefulset-pod-management-policy", Severity.ERROR, kinds=KINDS)
def check_pod_management_policy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """podManagementPolicy must be OrderedReady or Parallel.

    OrderedReady (the default) starts and stops pods one at a time, in order;
    Parallel starts and stops them all at once. The API server rejects any other
    value, such as `Sequential`. Use one of the two.
    """
    spec = _get_statefulset_spec(obj)
    policy = spec.get("podManagementPolicy") if spec is not None else None
    if isinstance(policy, str) and policy and policy not in POD_MANAGEMENT_POLICIES:
        yield Problem(
            ("spec", "podManagementPolicy"),
            f"{quote(policy)} is not a pod management policy; use OrderedReady or "
            "Parallel",
        )


@object_rule("statefulset-update-strategy", Severity.ERROR, kinds=KINDS)
def check_update_strategy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """updateStrategy.type must be RollingUpdate, or OnDelete without rollingUpdate.

    RollingUpdate (the default) replaces pods one by one when the template
    changes; OnDelete waits until you delete them. The API server rejects other
    types, and rejects updateStrategy.rollingUpdate together with OnDelete. Fix
    the type or drop rollingUpdate.
    """
    spec = _get_statefulset_spec(obj)
    strategy = spec.get("updateStrategy") if spec is not None else None
    if not isinstance(strategy, dict):
        return
    kind = strategy.get("type")
    if isinstance(kind, str) and kind and kind not in UPDATE_STRATEGIES:
        yield Problem(
            ("spec", "updateStrategy", "type"),
            f"{quote(kind)} is not an update strategy; use RollingUpdate or OnDelete",
        )
    elif kind == "OnDelete" and strategy.get("rollingUpdate") is not None:
        yield Problem(
            ("spec", "updateStrategy", "rollingUpdate"),
            "rollingUpdate is only allowed with type RollingUpdate, not OnDelete",
        )


def _get_rolling_update(spec: dict[str, Any]) -> dict[str, Any] | None:
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        return None
    if strategy.get("type", "RollingUpdate") not in ("RollingUpdate", "", None):
        return None
    rolling = strategy.get("rollingUpdate")
    return rolling if isinstance(rolling, dict) else None


@object_rule("statefulset-max-unavailable", Severity.ERROR, kinds=KINDS)
def check_max_unavailable(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """rollingUpdate.maxUnavailable must be at least 1, or from 1% to 100%.

    maxUnavailable is how many pods a rolling update may take down at once. From
    Kubernetes 1.35, where the field is on by default, the API server rejects 0,
    negative numbers, 0%, more than 100%, and strings that are not percentages.
    Use e.g. 1 or 25%.
    """
    spec = _get_statefulset_spec(obj)
    rolling = _get_rolling_update(spec) if spec is not None else None
    if rolling is None or context.kubernetes_minor < MAX_UNAVAILABLE_MINOR:
        return
    value = rolling.get("maxUnavailable")
    path = ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
    if is_int(value):
        if value < 1:
            yield Problem(path, f"maxUnavailable is {value}; use 1 or more")
    elif isinstance(value, str):
        message = check_percent(value)
        if message:
            yield Problem(path, f"maxUnavailable {message}")
        # Compared as digits: int() refuses more than 4,300 of them.
        elif not (digits := value[:-1].lstrip("0")):
            yield Problem(path, "maxUnavailable is 0%; use at least 1%")
        elif len(digits) > 3 or int(digits) > 100:
            shown = value if len(value) <= 12 else f"{value[:8]}...%"
            yield Problem(path, f"maxUnavailable is {shown}, more than 100%")


@object_rule("statefulset-max-unavailable-ignored", Severity.WARNING, kinds=KINDS)
def check_max_unavailable_ignored(
    obj: KubeObject, context: Context
) -> Iterator[Problem]:
    """rollingUpdate.maxUnavailable is set, but this Kubernetes version ignores it.

    Before Kubernetes 1.35 the field sits behind the MaxUnavailableStatefulSet
    feature gate, off by default, and the API server silently drops it: updates
    still replace one pod at a time. Remove it, or target 1.35 or later.
    """
    spec = _get_statefulset_spec(obj)
    rolling = _get_rolling_update(spec) if spec is not None else None
    if rolling is None or context.kubernetes_minor >= MAX_UNAVAILABLE_MINOR:
        return
    if rolling.get("maxUnavailable") is not None:
        yield Problem(
            ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
            f"maxUnavailable is dropped by Kubernetes 1.{context.kubernetes_minor}; "
            f"it takes effect from 1.{MAX_UNAVAILABLE_MINOR}",
        )


@object_rule("statefulset-pvc-retention-policy", Severity.ERROR, kinds=KINDS)
def check_retention_policy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """persistentVolumeClaimRetentionPolicy values must be Retain or Delete.

    whenDeleted and whenScaled say what happens to the claims of pods that go
    away when the StatefulSet is deleted or scaled down: Retain (the default)
    keeps them, Delete removes them. The API server rejects any other value. Use
    one of the two.
    """
    spec = _get_statefulset_spec(obj)
    policy = (
        spec.get("persistentVolumeClaimRetentionPolicy") if spec is not None else None
    )
    if not isinstance(policy, dict):
        return
    for key in ("whenDeleted", "whenScaled"):
        value = policy.get(key)
        if isinstance(value, str) and value and value not in RETENTION_POLICIES:
            yield Problem(
                ("spec", "persistentVolumeClaimRetentionPolicy", key),
                f"{quote(value)} is not a retention policy; use Retain or Delete",
            )


@object_rule("statefulset-service-name", Severity.ERROR, kinds=KINDS)
def check_service_name(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """serviceName, when set, must be a DNS-1123 label.

    serviceName names the headless Service that gives the pods their DNS names
    (<pod>.<serviceName>); it becomes each pod's subdomain, so it must be a
    DNS-1123 label: at most 63 lower-case letters, digits and '-'. The API server
    checks it from Kubernetes 1.33; the field itself is optional. Fix the name.
    """
    spec = _get_statefulset_spec(obj)
    name = spec.get("serviceName") if spec is not None else None
    if context.kubernetes_minor < SERVICE_NAME_CHECKED_MINOR:
        return
    if isinstance(name, str) and name:
        message = check_dns1123_label(name)
        if message:
            yield Problem(("spec", "serviceName"), f"serviceName {message}")


@object_rule("statefulset-restart-policy", Severity.ERROR, kinds=KINDS)
def check_restart_policy(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """The pod template of a StatefulSet must have restartPolicy Always.

    A StatefulSet keeps its pods running; a pod that may stop for good would
    leave a hole in the ordered set. The API server rejects OnFailure and Never.
    Remove restartPolicy (it defaults to Always) or set it to Always.
    """
    found = find_pod_spec(obj)
    pod_spec = found[1] if found is not None else None
    policy = pod_spec.get("restartPolicy") if pod_spec is not None else None
    if isinstance(policy, str) and policy and policy != "Always":
        yield Problem(
            ("spec", "template", "spec", "restartPolicy"),
            f"restartPolicy is {quote(policy)}; a StatefulSet needs Always",
        )


@object_rule("statefulset-active-deadline", Severity.ERROR, kinds=KINDS)
def check_active_deadline(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """The pod template of a StatefulSet must not set activeDeadlineSeconds.

    activeDeadlineSeconds kills a pod after a fixed time, which suits Jobs, not a
    StatefulSet whose pods should run until replaced. The API server rejects it
    here. Remove the field.
    """
    found = find_pod_spec(obj)
    pod_spec = found[1] if found is not None else None
    if pod_spec is not None and pod_spec.get("activeDeadlineSeconds") is not None:
        yield Problem(
            ("spec", "template", "spec", "activeDeadlineSeconds"),
            "activeDeadlineSeconds is not allowed in a StatefulSet's pod template",
        )


def iter_claim_templates(
    obj: KubeObject,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield the path and content of each volumeClaimTemplate."""
    spec = _get_statefulset_spec(obj)
    if spec is None:
        return
    for index, claim in iter_dicts(spec.get("volumeClaimTemplates")):
        yield ("spec", "volumeClaimTemplates", index), claim


@object_rule("statefulset-claim-template-name", Severity.ERROR, kinds=KINDS)
def check_claim_template_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Each volumeClaimTemplate needs a name that is a DNS-1123 label.

    The name of a claim template is the volume name that containers mount, and
    the start of each claim's name (<template>-<statefulset>-<ordinal>). A volume
    name must be a DNS-1123 label: at most 63 lower-case letters, digits and '-'.
    The API server rejects a template without a valid name. Name it, e.g. `data`.
    """
    for path, claim in iter_claim_templates(obj):
        metadata = claim.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if name is None or name == "":
            where = (*path, "metadata") if isinstance(metadata, dict) else path
            yield Problem(where, "the claim template has no name")
        elif isinstance(name, str):
            message = check_dns1123_label(name)
            if message:
                yield Problem(
                    (*path, "metadata", "name"), f"claim template name {message}"
                )


@object_rule("statefulset-claim-template-duplicate", Severity.WARNING, kinds=KINDS)
def check_claim_templates_unique(
    obj: KubeObject, context: Context
) -> Iterator[Problem]:
    """Two volumeClaimTemplates have the same name.

    The API server accepts this, but the claims of a pod are named from the
    template name, so both templates map to one claim and one volume: only one of
    them is ever used. Give each template its own name.
    """
    seen: set[str] = set()
    for path, claim in iter_claim_templates(obj):
        metadata = claim.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if isinstance(name, str) and name:
            if name in seen:
                yield Problem(
                    (*path, "metadata", "name"),
                    f"claim template name {quote(name)} is used twice",
                )
            seen.add(name)


@object_rule("statefulset-claim-template-spec", Severity.ERROR, kinds=KINDS)
def check_claim_template_specs(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Each volumeClaimTemplate must be a claim the API server would accept.

    The claims made from a template must pass the API server's checks for a
    PersistentVolumeClaim: at least one access mode among ReadWriteOnce,
    ReadOnlyMany, ReadWriteMany and ReadWriteOncePod (the last one alone), a
    resources.requests.storage that is a quantity above 0 (e.g. `10Gi`, not
    `10Gb`), a storageClassName that is a DNS-1123 subdomain, and volumeMode
    Filesystem or Block. Fix the template.
    """
    for path, claim in iter_claim_templates(obj):
        spec = claim.get("spec")
        if not isinstance(spec, dict):
            yield Problem(path, "the claim template has no spec")
            continue
        yield from _iter_access_mode_problems((*path, "spec"), spec)
        yield from _iter_storage_problems((*path, "spec"), spec)
        class_name = spec.get("storageClassName")
        if isinstance(class_name, str) and class_name:
            message = check_dns1123_subdomain(class_name)
            if message:
                yield Problem(
                    (*path, "spec", "storageClassName"), f"storageClassName {message}"
                )
        mode = spec.get("volumeMode")
        if isinstance(mode, str) and mode and mode not in VOLUME_MODES:
            yield Problem(
                (*path, "spec", "volumeMode"),
                f"{quote(mode)} is not a volume mode; use Filesystem or Block",
            )


def _iter_access_mode_problems(path: Path, spec: dict[str, Any]) -> Iterator[Problem]:
    modes = spec.get("accessModes")
    if modes is None or modes == []:
        where = (*path, "accessModes") if "accessModes" in spec else path
        yield Problem(where, "no accessModes are set; use e.g. [ReadWriteOnce]")
        return
    if not isinstance(modes, list):
        return
    for index, mode in enumerate(modes):
        if isinstance(mode, str) and mode not in ACCESS_MODES:
            yield Problem(
                (*path, "accessModes", index),
                f"{quote(mode)} is not an access mode; use ReadWriteOnce, "
                "ReadOnlyMany, ReadWriteMany or ReadWriteOncePod",
            )
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        yield Problem(
            (*path, "accessModes"),
            "ReadWriteOncePod cannot be combined with other modes",
        )


def _iter_storage_problems(path: Path, spec: dict[str, Any]) -> Iterator[Problem]:
    resources = spec.get("resources")
    requests = resources.get("requests") if isinstance(resources, dict) else None
    if not isinstance(requests, dict) or "storage" not in requests:
        where = path
        if isinstance(requests, dict):
            where = (*path, "resources", "requests")
        elif isinstance(resources, dict):
            where = (*path, "resources")
        yield Problem(where, "resources.requests.storage is not set")
        return
    amount = requests["storage"]
    if isinstance(amount, (dict, list)):
        return
    where = (*path, "resources", "requests", "storage")
    try:
        value = parse_quantity(amount)
    except QuantityError as error:
        yield Problem(where, f"storage {quote(amount)} is not a quantity: {error}")
        return
    if value <= 0:
        yield Problem(where, f"storage {quote(amount)} must be above 0")


@object_rule("statefulset-volume-shadowed", Severity.WARNING, kinds=KINDS)
def check_shadowed_volumes(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A pod template volume has the name of a volumeClaimTemplate, and is ignored.

    The StatefulSet controller adds one volume per claim template to each pod,
    and it replaces a template volume of the same name: that volume (an emptyDir,
    a ConfigMap...) is silently dropped and mounts get the claim instead. The API
    server accepts this. Rename the volume or the claim template.
    """
    found = find_pod_spec(obj)
    pod_spec = found[1] if found is not None else None
    if pod_spec is None:
        return
    claims = set()
    for _, claim in iter_claim_templates(obj):
        metadata = claim.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            claims.add(metadata["name"])
    for index, volume in iter_dicts(pod_spec.get("volumes")):
        name = volume.get("name")
        if isinstance(name, str) and name in claims:
            yield Problem(
                ("spec", "template", "spec", "volumes", index, "name"),
                f"volume {quote(name)} is replaced by the claim template of the same "
                "name",
            )


@object_rule("statefulset-claim-template-size", Severity.WARNING, kinds=KINDS)
def check_claim_template_size(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A volumeClaimTemplate asks for less than one byte of storage.

    In a quantity, a lower-case m means thousandths, not mega: `storage: 10m` is
    0.01 bytes. The API server accepts a claim that small, but the provisioner
    rounds it to its minimum or fails, which is never what was meant. Write Mi,
    Gi or G, e.g. `10Gi`.
    """
    for path, claim in iter_claim_templates(obj):
        spec = claim.get("spec")
        resources = spec.get("resources") if isinstance(spec, dict) else None
        requests = resources.get("requests") if isinstance(resources, dict) else None
        if not isinstance(requests, dict):
            continue
        message = describe_fractional_bytes(requests.get("storage"))
        if message:
            where = (*path, "spec", "resources", "requests", "storage")
            yield Problem(where, f"storage {message}")
