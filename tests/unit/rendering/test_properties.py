"""Properties of the statefulset blueprint that must hold for any valid values."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.rendering.blueprints import find_blueprint
from stsgen.rendering.engine import render_blueprint
from stsgen.rendering.values import load_values, merge

label = st.from_regex(r"[a-z]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
port_name = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
mount_path = st.lists(
    st.text(string.ascii_lowercase, min_size=1, max_size=8), min_size=1, max_size=3
).map(lambda parts: "/" + "/".join(parts))
claims = st.lists(
    st.fixed_dictionaries(
        {"name": label, "mountPath": mount_path},
        optional={
            "size": st.sampled_from(["1Gi", "500Mi", "2Ti", "10"]),
            "storageClassName": st.sampled_from(["", "fast", "sc-nfs", "a.b-c"]),
            "accessModes": st.sampled_from([["ReadWriteOnce"], ["ReadWriteMany"]]),
        },
    ),
    max_size=3,
    unique_by=(lambda claim: claim["name"], lambda claim: claim["mountPath"]),
)
overrides = st.fixed_dictionaries(
    {
        "name": label,
        "replicas": st.integers(0, 50),
        "podManagementPolicy": st.sampled_from(["OrderedReady", "Parallel"]),
        "updateStrategy": st.one_of(
            st.fixed_dictionaries(
                {
                    "type": st.just("RollingUpdate"),
                    "partition": st.integers(0, 10),
                    "maxUnavailable": st.one_of(
                        st.none(), st.integers(1, 5), st.sampled_from(["50%", "100%"])
                    ),
                }
            ),
            # partition and maxUnavailable belong to RollingUpdate alone.
            st.just({"type": "OnDelete", "partition": 0, "maxUnavailable": None}),
        ),
        "selectorLabels": st.dictionaries(label, label, max_size=3),
        "labels": st.dictionaries(
            label, st.text(string.ascii_letters, max_size=10), max_size=2
        ),
        "service": st.fixed_dictionaries(
            {
                "name": st.one_of(st.just(""), label),
                "publishNotReadyAddresses": st.booleans(),
            }
        ),
        "ports": st.lists(
            st.fixed_dictionaries(
                {"name": port_name, "containerPort": st.integers(1, 65535)}
            ),
            max_size=3,
            unique_by=lambda port: port["name"],
        ),
        "podAntiAffinity": st.sampled_from(["", "soft", "hard"]),
        "volumeClaimTemplates": claims,
    }
)


@settings(max_examples=60)
@given(overrides)
def test_any_valid_values_render_a_consistent_statefulset(override: dict) -> None:
    blueprint = find_blueprint("statefulset")
    defaults = load_values(blueprint)
    values = merge(defaults, override)

    rendering = render_blueprint(blueprint, values)

    by_kind = {doc.kind: doc.data for doc in rendering.documents}
    service, statefulset = by_kind["Service"], by_kind["StatefulSet"]
    spec = statefulset["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    selector = spec["selector"]["matchLabels"]
    assert selector and all(pod_labels.get(k) == v for k, v in selector.items())
    assert service["spec"]["selector"] == selector
    assert service["spec"]["clusterIP"] == "None"
    assert spec["serviceName"] == service["metadata"]["name"]
    assert spec["replicas"] == override["replicas"]
    mounts = {
        mount["name"]
        for container in spec["template"]["spec"]["containers"]
        for mount in container.get("volumeMounts", [])
    }
    templates = {
        claim["metadata"]["name"] for claim in spec.get("volumeClaimTemplates", [])
    }
    assert templates == {claim["name"] for claim in override["volumeClaimTemplates"]}
    assert templates <= mounts
