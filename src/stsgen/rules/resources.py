"""Container resources: names, quantities, and how requests relate to limits, as
the API server's ValidateResourceRequirements checks them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal
from typing import Any

from stsgen.documents import Path, is_non_finite
from stsgen.rules._formats import (
    QuantityError,
    check_qualified_name,
    describe_fractional_bytes,
    parse_quantity,
    quantity_or_none,
    quote,
)
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.rules.podspec import WORKLOAD_KINDS, find_pod_spec, iter_containers
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject


def _iter_resource_maps(
    path: Path, resources: Any
) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """The requests and limits maps of the ``resources`` object at ``path``."""
    if not isinstance(resources, dict):
        return
    for section in ("requests", "limits"):
        amounts = resources.get(section)
        if isinstance(amounts, dict):
            yield section, (*path, section), amounts


def _iter_container_maps(
    obj: KubeObject,
) -> Iterator[tuple[Path, list[tuple[str, Path, dict[str, Any]]]]]:
    """Each container's path and its requests and limits maps."""
    found = find_pod_spec(obj)
    if found is None:
        return
    for path, container in iter_containers(*found):
        resources = container.get("resources")
        yield path, list(_iter_resource_maps((*path, "resources"), resources))


def _iter_requests(obj: KubeObject) -> Iterator[tuple[Path, str, Any, dict[str, Any]]]:
    """Each container request: its path, resource, amount and the container's
    limits (empty when it has none)."""
    for path, maps in _iter_container_maps(obj):
        by_section = {section: amounts for section, _, amounts in maps}
        limits = by_section.get("limits", {})
        for resource, amount in by_section.get("requests", {}).items():
            yield (*path, "resources", "requests", resource), resource, amount, limits


@object_rule("podspec-resource-quantity", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_resource_quantities(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Resource requests and limits must be valid, non-negative quantities.

    An amount is a number with an optional suffix: m (milli), k, M, G, T, P, E
    (powers of 1000), Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024), or an exponent such
    as 1e3. `10Gb`, `1.5 GB` or `2GiB` are not quantities, and the API server
    rejects them, as it rejects negative amounts. Write e.g. `10Gi` or `500m`.
    """
    for _, maps in _iter_container_maps(obj):
        for section, where, amounts in maps:
            for resource, amount in amounts.items():
                # Infinities and NaN have their own finding, where they stand.
                if isinstance(amount, (dict, list)) or is_non_finite(amount):
                    continue
                try:
                    value = parse_quantity(amount)
                except QuantityError as error:
                    yield Problem(
                        (*where, resource),
                        f"{section} {resource}: {quote(amount)} is not a quantity: "
                        f"{error}",
                    )
                    continue
                if value < 0:
                    yield Problem(
                        (*where, resource),
                        f"{section} {resource}: {quote(amount)} is below 0",
                    )


@object_rule(
    "podspec-resource-request-above-limit", Severity.ERROR, kinds=WORKLOAD_KINDS
)
def check_requests_within_limits(
    obj: KubeObject, context: Context
) -> Iterator[Problem]:
    """A resource request must not be greater than its limit.

    A container's requests are what the scheduler reserves and its limits what it
    may use at most, so a request above the limit of the same resource can never
    be met. The API server rejects it. Raise the limit or lower the request.
    """
    for where, resource, amount, limits in _iter_requests(obj):
        # Those must equal their limit: check_not_overcommitted says so.
        if resource not in limits or not overcommit_allowed(resource):
            continue
        request, limit = quantity_or_none(amount), quantity_or_none(limits[resource])
        if request is not None and limit is not None and request > limit:
            yield Problem(
                where,
                f"{resource} request {quote(amount)} is above its limit "
                f"{quote(limits[resource])}",
            )


# What a container may ask for without a domain prefix.
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


@object_rule("podspec-resource-name", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_resource_names(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Containers may request only cpu, memory, storage, hugepages or extensions.

    A resource name without a '/' must be one of cpu, memory, ephemeral-storage
    or hugepages-<size>; anything else needs a domain prefix, such as
    nvidia.com/gpu, and must be a qualified name. The API server rejects other
    names, so a typo such as `memroy` or `cpus` is caught there. Fix the name.
    """
    for _, maps in _iter_container_maps(obj):
        for section, where, amounts in maps:
            for resource in amounts:
                message = _describe_resource_name(resource)
                if message:
                    yield Problem((*where, resource), f"{section}: {message}")


def _describe_resource_name(resource: str) -> str | None:
    if "/" in resource:
        message = check_qualified_name(resource)
        return f"resource name {message}" if message else None
    if resource in STANDARD_CONTAINER_RESOURCES or resource.startswith(HUGEPAGES):
        return None
    return (
        f"{quote(resource)} is not a container resource; use cpu, memory, "
        "ephemeral-storage, hugepages-<size> or a prefixed name such as "
        "example.com/gpu"
    )


# Resources counted in bytes, where a fractional amount is always a slip.
BYTE_RESOURCES = ("memory", "ephemeral-storage")


@object_rule("podspec-fractional-bytes", Severity.WARNING, kinds=WORKLOAD_KINDS)
def check_byte_amounts(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """A memory or ephemeral-storage amount is less than one byte.

    In a quantity, a lower-case m means thousandths, not mega: `memory: 512m` is
    0.512 bytes. The API server accepts it, but no container can run in that
    little memory, so the pod is killed or never scheduled. Write Mi or M, e.g.
    `512Mi`.
    """
    for _, maps in _iter_container_maps(obj):
        for section, where, amounts in maps:
            for resource in BYTE_RESOURCES:
                message = describe_fractional_bytes(amounts.get(resource))
                if message:
                    yield Problem(
                        (*where, resource), f"{section} {resource}: {message}"
                    )


def _whole(value: Decimal) -> bool:
    # Exact at any size, where value % 1 overflows Decimal's precision.
    return value == value.to_integral_value()


_INT64 = Decimal(2**63)


def _ceiling(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def native(resource: str) -> bool:
    """Kubernetes' own resources: unprefixed, or prefixed with kubernetes.io/."""
    return "/" not in resource or "kubernetes.io/" in resource


def overcommit_allowed(resource: str) -> bool:
    """Whether a request may be below its limit (helper.IsOvercommitAllowed):
    native resources other than hugepages."""
    return native(resource) and not resource.startswith(HUGEPAGES)


def extended(resource: str) -> bool:
    """An extended resource (nvidia.com/gpu): prefixed, not native, and a valid
    name once quota's ``requests.`` is put before it."""
    if native(resource) or resource.startswith("requests."):
        return False
    return check_qualified_name(f"requests.{resource}") is None


HUGEPAGES = "hugepages-"


@object_rule("podspec-resource-not-overcommitted", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_not_overcommitted(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Extended resources and hugepages need a limit, equal to any request.

    Extended resources (a prefixed name such as nvidia.com/gpu) and hugepages
    cannot be overcommitted: the API server rejects a request without a limit,
    and a request that differs from its limit. Extended resources also come in
    whole units, so 0.5 or 500m of one is rejected. Set the limit alone (the
    request defaults to it), in whole units for an extended resource.
    """
    for _, maps in _iter_container_maps(obj):
        for section, where, amounts in maps:
            for resource, amount in amounts.items():
                value = quantity_or_none(amount)
                if extended(resource) and value is not None and not _whole(value):
                    yield Problem(
                        (*where, resource),
                        f"{section} {resource}: {quote(amount)} must be a whole "
                        "number: an extended resource comes in whole units",
                    )
    for where, resource, amount, limits in _iter_requests(obj):
        if overcommit_allowed(resource):
            continue
        if resource not in limits:
            yield Problem(
                where,
                f"{resource} is requested without a limit; it cannot be "
                "overcommitted, so set limits too (the request defaults to it)",
            )
            continue
        request, limit = quantity_or_none(amount), quantity_or_none(limits[resource])
        if request is not None and limit is not None and request != limit:
            yield Problem(
                where,
                f"{resource} request {quote(amount)} must equal its limit "
                f"{quote(limits[resource])}: it cannot be overcommitted",
            )


@object_rule("podspec-resource-hugepages", Severity.ERROR, kinds=WORKLOAD_KINDS)
def check_hugepages(obj: KubeObject, context: Context) -> Iterator[Problem]:
    """Hugepages need cpu or memory beside them, in whole pages.

    A container that asks for hugepages-<size> must also request or limit cpu or
    memory, and each amount must be a whole number of pages: 4Mi of
    hugepages-2Mi, not 3Mi. The API server rejects both.
    """
    found = find_pod_spec(obj)
    if found is None:
        return
    # Pod-level resources (1.34+) may carry the cpu or memory for every container:
    # given benefit of the doubt, rather than reported on a guess.
    pod_maps = _iter_resource_maps((), found[1].get("resources"))
    pod_named = {name for _, _, amounts in pod_maps for name in amounts}
    for _, maps in _iter_container_maps(obj):
        named: set[str] = set(pod_named)
        huge: list[Path] = []
        for section, where, amounts in maps:
            named.update(amounts)
            for resource, amount in amounts.items():
                if not resource.startswith(HUGEPAGES):
                    continue
                huge.append((*where, resource))
                page = quantity_or_none(resource[len(HUGEPAGES) :])
                value = quantity_or_none(amount)
                if page is None or not 0 < page < _INT64 or not _whole(page):
                    continue  # no page size: podspec-resource-name's to report
                # Quantity.Value() rounds a fraction of a byte up.
                # Past int64 the server refuses the amount anyway; an integer of
                # that many digits would take minutes to build here.
                if value is not None and value < _INT64 and _ceiling(value) % int(page):
                    yield Problem(
                        (*where, resource),
                        f"{section} {resource}: {quote(amount)} is not a whole "
                        f"number of {resource[len(HUGEPAGES) :]} pages",
                    )
        if huge and not named & {"cpu", "memory"}:
            yield Problem(
                huge[0],
                "hugepages need a cpu or memory request or limit in the same container",
            )
