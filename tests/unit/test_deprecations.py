"""Tests for the removed and superseded apiVersions table (deprecations)."""

from __future__ import annotations

import pytest

from stsgen.schemas import BUNDLED_VERSIONS, load_store
from stsgen.validation.deprecations import API_CHANGE_BY_KIND, API_CHANGES, lookup

BUNDLED_MINORS = [int(version.split(".")[1]) for version in BUNDLED_VERSIONS]


@pytest.mark.parametrize(
    ("api_version", "kind", "minor", "expected"),
    [
        (
            "apps/v1beta1",
            "StatefulSet",
            36,
            (
                "error",
                "apps/v1beta1 StatefulSet was removed in Kubernetes 1.16; use apps/v1",
            ),
        ),
        (
            "apps/v1beta2",
            "Deployment",
            34,
            (
                "error",
                "apps/v1beta2 Deployment was removed in Kubernetes 1.16; use apps/v1",
            ),
        ),
        (
            "extensions/v1beta1",
            "Ingress",
            37,
            (
                "error",
                (
                    "extensions/v1beta1 Ingress was removed in Kubernetes 1.22; "
                    "use networking.k8s.io/v1"
                ),
            ),
        ),
        (
            "batch/v1beta1",
            "CronJob",
            35,
            (
                "error",
                "batch/v1beta1 CronJob was removed in Kubernetes 1.25; use batch/v1",
            ),
        ),
        (
            "policy/v1beta1",
            "PodSecurityPolicy",
            34,
            (
                "error",
                (
                    "policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25; "
                    "use Pod Security Admission"
                ),
            ),
        ),
        (
            "autoscaling/v2beta2",
            "HorizontalPodAutoscaler",
            34,
            (
                "error",
                (
                    "autoscaling/v2beta2 HorizontalPodAutoscaler was removed in "
                    "Kubernetes 1.26; use autoscaling/v2"
                ),
            ),
        ),
        (
            "storage.k8s.io/v1beta1",
            "VolumeAttributesClass",
            35,
            (
                "warning",
                (
                    "storage.k8s.io/v1beta1 VolumeAttributesClass is superseded by "
                    "storage.k8s.io/v1 since Kubernetes 1.34; 1.37 no longer serves it"
                ),
            ),
        ),
        (
            "storage.k8s.io/v1beta1",
            "VolumeAttributesClass",
            37,
            (
                "error",
                (
                    "storage.k8s.io/v1beta1 VolumeAttributesClass was removed in "
                    "Kubernetes 1.37; use storage.k8s.io/v1"
                ),
            ),
        ),
        (
            "v1",
            "Endpoints",
            34,
            (
                "warning",
                (
                    "v1 Endpoints is deprecated since Kubernetes 1.33; "
                    "use discovery.k8s.io/v1 EndpointSlice"
                ),
            ),
        ),
        (
            "v1",
            "ComponentStatus",
            36,
            (
                "warning",
                "v1 ComponentStatus is deprecated since Kubernetes 1.19",
            ),
        ),
        (
            "resource.k8s.io/v1beta2",
            "ResourceClaim",
            34,
            (
                "warning",
                (
                    "resource.k8s.io/v1beta2 ResourceClaim is superseded by "
                    "resource.k8s.io/v1 since Kubernetes 1.34"
                ),
            ),
        ),
    ],
)
def test_lookup_messages(api_version, kind, minor, expected):
    assert lookup(api_version, kind, minor) == expected


@pytest.mark.parametrize(
    ("api_version", "kind", "minor"),
    [
        ("apps/v1", "StatefulSet", 37),
        ("apps/v1beta1", "StatefulSet", 15),
        ("batch/v1beta1", "CronJob", 24),
        ("v1", "Endpoints", 32),
        ("resource.k8s.io/v1beta1", "ResourceClaim", 33),
        ("coordination.k8s.io/v1beta1", "LeaseCandidate", 37),
        ("scheduling.k8s.io/v1beta1", "Workload", 37),
        ("example.com/v1", "Widget", 37),
    ],
)
def test_lookup_returns_none_when_nothing_applies(api_version, kind, minor):
    assert lookup(api_version, kind, minor) is None


def test_messages_are_one_lower_case_line_without_a_full_stop():
    for (api_version, kind), change in API_CHANGE_BY_KIND.items():
        for minor in (change.removed_in, change.superseded_in):
            if minor is None:
                continue
            severity, message = lookup(api_version, kind, minor)
            assert severity in ("error", "warning")
            assert message.startswith(f"{api_version} {kind} ")
            assert "\n" not in message and not message.endswith(".")


def test_every_kind_appears_once_per_api_version():
    pairs = [
        (change.api_version, kind) for change in API_CHANGES for kind in change.kinds
    ]
    assert len(pairs) == len(set(pairs))
    assert all(change.removed_in or change.superseded_in for change in API_CHANGES)


@pytest.mark.parametrize("minor", BUNDLED_MINORS)
def test_table_agrees_with_the_bundled_schemas(minor):
    store = load_store(f"1.{minor}")
    for (api_version, kind), change in API_CHANGE_BY_KIND.items():
        verdict = lookup(api_version, kind, minor)
        # What the table calls removed is not served; what it warns about is,
        # and so is its replacement.
        if verdict is None:
            continue
        assert store.knows(api_version, kind) is (verdict[0] == "warning"), kind
        if change.same_kind:
            assert store.knows(change.replacement, kind), (change.replacement, kind)
