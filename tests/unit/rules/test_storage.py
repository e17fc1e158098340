"""Storage rules: PersistentVolumeClaims and StorageClasses the API server rejects."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()


def run_rule(rule_id: str, text: str) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "pvc.yaml") for o in iter_objects(doc)]
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, Context())
    ]


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def claim(spec: str) -> str:
    head = (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n"
    )
    return head + textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ") + "\n"


def storage_class(body: str) -> str:
    head = (
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n"
    )
    return head + textwrap.dedent(body).strip("\n") + "\n"


GOOD_CLAIM = (
    "accessModes: [ReadWriteOnce]\nresources:\n  requests:\n    storage: 10Gi\n"
)

NEGATIVE = [
    (
        "pvc-access-modes",
        claim("accessModes: [RWO]\nresources:\n  requests:\n    storage: 1Gi\n"),
        ("spec", "accessModes", 0),
        "RWO",
    ),
    (
        "pvc-access-modes",
        claim("resources:\n  requests:\n    storage: 1Gi\n"),
        ("spec",),
        "spec:",
    ),
    (
        "pvc-access-modes",
        claim(
            "accessModes: [ReadWriteOncePod, ReadOnlyMany]\n"
            "resources:\n  requests:\n    storage: 1Gi\n"
        ),
        ("spec", "accessModes"),
        "accessModes",
    ),
    (
        "pvc-storage-request",
        claim(
            "accessModes: [ReadWriteOnce]\nresources:\n  requests:\n    storage: 10Gb\n"
        ),
        ("spec", "resources", "requests", "storage"),
        "10Gb",
    ),
    (
        "pvc-storage-request",
        claim(
            "accessModes: [ReadWriteOnce]\nresources:\n  requests:\n    storage: 0\n"
        ),
        ("spec", "resources", "requests", "storage"),
        "storage: 0",
    ),
    (
        "pvc-storage-request",
        claim(
            "accessModes: [ReadWriteOnce]\nresources:\n  limits:\n    storage: 1Gi\n"
        ),
        ("spec", "resources"),
        "resources:",
    ),
    (
        "pvc-storage-class-name",
        claim(GOOD_CLAIM + "storageClassName: Fast_SSD\n"),
        ("spec", "storageClassName"),
        "Fast_SSD",
    ),
    (
        "pvc-storage-class-name",
        claim(GOOD_CLAIM + "volumeAttributesClassName: Gold\n"),
        ("spec", "volumeAttributesClassName"),
        "Gold",
    ),
    (
        "pvc-volume-mode",
        claim(GOOD_CLAIM + "volumeMode: filesystem\n"),
        ("spec", "volumeMode"),
        "volumeMode",
    ),
    (
        "pvc-data-source",
        claim(GOOD_CLAIM + "dataSource:\n  kind: VolumeSnapshot\n  name: snap-1\n"),
        ("spec", "dataSource", "kind"),
        "VolumeSnapshot",
    ),
    (
        "storageclass-provisioner",
        storage_class("reclaimPolicy: Delete\n"),
        (),
        "apiVersion",
    ),
    (
        "storageclass-provisioner",
        storage_class("provisioner: csi driver\n"),
        ("provisioner",),
        "provisioner",
    ),
    (
        "storageclass-reclaim-policy",
        storage_class("provisioner: ebs.csi.aws.com\nreclaimPolicy: Recycle\n"),
        ("reclaimPolicy",),
        "Recycle",
    ),
    (
        "storageclass-binding-mode",
        storage_class("provisioner: ebs.csi.aws.com\nvolumeBindingMode: Delayed\n"),
        ("volumeBindingMode",),
        "Delayed",
    ),
    (
        "storageclass-parameters",
        storage_class("provisioner: ebs.csi.aws.com\nparameters:\n  '': gp3\n"),
        ("parameters",),
        "parameters:",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "text", "path", "marker"),
    NEGATIVE,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(NEGATIVE)],
)
def test_rule_reports_what_the_api_server_rejects(rule_id, text, path, marker):
    problems = run_rule(rule_id, text)

    assert [problem.path for _, problem in problems] == [path]
    obj, problem = problems[0]
    assert obj.locate(problem.path)[0] == line_of(text, marker)
    assert not problem.message.endswith(".")


POSITIVE = [
    ("pvc-access-modes", claim(GOOD_CLAIM)),
    (
        "pvc-access-modes",
        claim("accessModes: [ReadWriteOncePod]\nresources: {requests: {storage: 1}}\n"),
    ),
    ("pvc-storage-request", claim(GOOD_CLAIM)),
    (
        "pvc-storage-request",
        claim(
            "accessModes: [ReadWriteMany]\nresources: {requests: {storage: 1.5e9}}\n"
        ),
    ),
    (
        "pvc-storage-request",
        claim("accessModes: [ReadWriteMany]\nresources: {requests: {storage: 500M}}\n"),
    ),
    ("pvc-storage-class-name", claim(GOOD_CLAIM + "storageClassName: ''\n")),
    ("pvc-storage-class-name", claim(GOOD_CLAIM + "storageClassName: gp3.encrypted\n")),
    ("pvc-volume-mode", claim(GOOD_CLAIM + "volumeMode: Block\n")),
    (
        "pvc-data-source",
        claim(
            GOOD_CLAIM
            + "dataSource:\n  kind: VolumeSnapshot\n  name: s\n"
            + "  apiGroup: snapshot.storage.k8s.io\n"
        ),
    ),
    (
        "pvc-data-source",
        claim(
            GOOD_CLAIM
            + "dataSourceRef:\n  kind: PersistentVolumeClaim\n  name: other\n"
        ),
    ),
    (
        "storageclass-provisioner",
        storage_class("provisioner: kubernetes.io/no-provisioner\n"),
    ),
    ("storageclass-provisioner", storage_class("provisioner: Ebs.CSI.aws.com\n")),
    (
        "storageclass-reclaim-policy",
        storage_class("provisioner: x.io/y\nreclaimPolicy: Retain\n"),
    ),
    (
        "storageclass-binding-mode",
        storage_class("provisioner: x.io/y\nvolumeBindingMode: WaitForFirstConsumer\n"),
    ),
    (
        "storageclass-parameters",
        storage_class(
            "provisioner: x.io/y\nparameters:\n  type: gp3\n  iops: '3000'\n"
        ),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "text"), POSITIVE, ids=[f"{c[0]}-{n}" for n, c in enumerate(POSITIVE)]
)
def test_rule_accepts_what_the_api_server_accepts(rule_id, text):
    assert run_rule(rule_id, text) == []


def test_short_access_mode_names_the_full_one():
    text = claim("accessModes: [rwx]\nresources:\n  requests:\n    storage: 1Gi\n")

    _, problem = run_rule("pvc-access-modes", text)[0]

    assert problem.message == '"rwx" is not an access mode; write ReadWriteMany'


def test_parameters_over_256_kib_are_rejected():
    big = "x" * (128 * 1024)
    text = storage_class(f"provisioner: x.io/y\nparameters:\n  a: {big}\n  b: {big}\n")

    problems = run_rule("storageclass-parameters", text)

    assert [problem.path for _, problem in problems] == [("parameters",)]
    assert str(2 * 128 * 1024 + 2) in problems[0][1].message


@pytest.mark.parametrize(
    "odd",
    [
        "spec: 5",
        "spec:\n  accessModes: ReadWriteOnce\n  resources: []",
        "spec:\n  accessModes: [1, null]\n  resources: {requests: []}",
        "spec:\n  resources: {requests: {storage: [1]}}\n  dataSource: {kind: 3}",
        "provisioner: [a]\nparameters: [a]\nreclaimPolicy: 1\nvolumeBindingMode: {}",
    ],
)
def test_rules_skip_values_of_the_wrong_type(odd):
    for kind in ("PersistentVolumeClaim", "StorageClass"):
        text = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: data\n{odd}\n"
        for rule_id in RULES:
            if rule_id.startswith(("pvc-", "storageclass-")):
                run_rule(rule_id, text)


STORAGE_KEYS = [
    "accessModes", "resources", "requests", "storage", "storageClassName",
    "volumeMode", "dataSource", "dataSourceRef", "kind", "name", "apiGroup",
    "provisioner", "reclaimPolicy", "volumeBindingMode", "parameters",
]  # fmt: skip
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.sampled_from(
        [
            "ReadWriteOnce",
            "RWO",
            "10Gi",
            "0",
            "Block",
            "PersistentVolumeClaim",
            "x.io/y",
        ]
    )
    | st.text(max_size=6)
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["PersistentVolumeClaim", "StorageClass"]),
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(STORAGE_KEYS) | st.text(max_size=4), inner, max_size=5
            )
        ),
        max_leaves=25,
    ),
)
def test_rules_never_raise_on_any_content(kind, body):
    data = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "a"}}
    if isinstance(body, dict):
        data.update(body)
    data["spec"] = body
    obj = KubeObject(data, Document("fuzz.yaml", 0, data))
    for rule_id, rule in RULES.items():
        if rule_id.startswith(("pvc-", "storageclass-")):
            for problem in rule.check_object(obj, Context()):
                assert isinstance(problem.path, tuple)
                assert "\n" not in problem.message
