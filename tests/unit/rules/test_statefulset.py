"""StatefulSet rules: manifests a schema-only check accepts and the API server
rejects (or accepts, though they cannot work), each next to a fixed version.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.rules.metadata import match_selector
from stsgen.schemas import load_store
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()

# A StatefulSet that every rule accepts; each case below changes one line of it.
VALID = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db-headless
  replicas: 3
  minReadySeconds: 5
  revisionHistoryLimit: 10
  podManagementPolicy: OrderedReady
  ordinals:
    start: 0
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Delete
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 0
      maxUnavailable: 1
  selector:
    matchLabels:
      app: db
    matchExpressions:
    - key: tier
      operator: In
      values: [data]
  template:
    metadata:
      labels:
        app: db
        tier: data
    spec:
      restartPolicy: Always
      containers:
      - name: db
        image: mysql:8.4
        volumeMounts:
        - name: data
          mountPath: /var/lib/mysql
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fast-ssd
      volumeMode: Filesystem
      resources:
        requests:
          storage: 10Gi
"""


def run_rule(rule_id: str, text: str, minor: int = 37) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "sts.yaml") for o in iter_objects(doc)]
    context = Context(kubernetes_minor=minor)
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, context)
    ]


def schema_errors(text: str, minor: int = 37) -> list[str]:
    """What the bundled OpenAPI schema alone says about the text's objects."""
    store = load_store(f"1.{minor}")
    errors = []
    for doc in iter_documents(text, "sts.yaml"):
        for obj in iter_objects(doc):
            validator = store.validator_for(obj.api_version, obj.kind, True)
            errors += [error.message for error in validator.iter_errors(obj.data)]
    return errors


def change(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def test_valid_statefulset_passes_every_rule() -> None:
    # maxUnavailable only exists from 1.35; before, it is dropped with a warning.
    older = change("      maxUnavailable: 1\n", "")
    for minor in (34, 35, 36, 37):
        text = VALID if minor >= 35 else older
        for rule_id, rule in RULES.items():
            if rule.check_object is not None:
                assert run_rule(rule_id, text, minor) == [], (rule_id, minor)


CASES = [
    (
        "statefulset-selector-empty",
        change("  selector:\n    matchLabels:\n      app: db\n    matchExpressions:\n"
               "    - key: tier\n      operator: In\n      values: [data]\n",
               "  selector: {}\n"),
        ("spec", "selector"),
        "selector:",
    ),
    (
        # Read as absent by the API server, which requires it; the schema's
        # required check sees the key and lets it pass.
        "statefulset-selector-empty",
        change("  selector:\n    matchLabels:\n      app: db\n    matchExpressions:\n"
               "    - key: tier\n      operator: In\n      values: [data]\n",
               "  selector: null\n"),
        ("spec", "selector"),
        "selector:",
    ),
    (
        "statefulset-selector-mismatch",
        change("        app: db\n", "        app: database\n"),
        ("spec", "template", "metadata", "labels"),
        "      labels:",
    ),
    (
        "statefulset-selector-mismatch",
        change("        tier: data\n", "        tier: cache\n"),
        ("spec", "template", "metadata", "labels"),
        "      labels:",
    ),
    (
        "statefulset-negative-count",
        change("  replicas: 3\n", "  replicas: -1\n"),
        ("spec", "replicas"),
        "replicas:",
    ),
    (
        "statefulset-negative-count",
        change("      partition: 0\n", "      partition: -2\n"),
        ("spec", "updateStrategy", "rollingUpdate", "partition"),
        "partition:",
    ),
    (
        "statefulset-negative-count",
        change("    start: 0\n", "    start: -1\n"),
        ("spec", "ordinals", "start"),
        "start:",
    ),
    (
        "statefulset-negative-count",
        change("  minReadySeconds: 5\n", "  minReadySeconds: -5\n"),
        ("spec", "minReadySeconds"),
        "minReadySeconds:",
    ),
    (
        "statefulset-revision-history-limit",
        change("  revisionHistoryLimit: 10\n", "  revisionHistoryLimit: -1\n"),
        ("spec", "revisionHistoryLimit"),
        "revisionHistoryLimit:",
    ),
    (
        "statefulset-pod-management-policy",
        change("OrderedReady", "Sequential"),
        ("spec", "podManagementPolicy"),
        "podManagementPolicy:",
    ),
    (
        "statefulset-update-strategy",
        change("    type: RollingUpdate\n", "    type: Rolling\n"),
        ("spec", "updateStrategy", "type"),
        "type: Rolling",
    ),
    (
        "statefulset-update-strategy",
        change("    type: RollingUpdate\n", "    type: OnDelete\n"),
        ("spec", "updateStrategy", "rollingUpdate"),
        "rollingUpdate:",
    ),
    (
        "statefulset-max-unavailable",
        change("      maxUnavailable: 1\n", "      maxUnavailable: 0\n"),
        ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
        "maxUnavailable:",
    ),
    (
        "statefulset-max-unavailable",
        change("      maxUnavailable: 1\n", "      maxUnavailable: 120%\n"),
        ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
        "maxUnavailable:",
    ),
    (
        "statefulset-max-unavailable",
        # More digits than int() reads: compared as text.
        change("      maxUnavailable: 1\n", f"      maxUnavailable: {'9' * 5000}%\n"),
        ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
        "maxUnavailable:",
    ),
    (
        "statefulset-max-unavailable",
        change("      maxUnavailable: 1\n", '      maxUnavailable: "one"\n'),
        ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
        "maxUnavailable:",
    ),
    (
        "statefulset-pvc-retention-policy",
        change("    whenScaled: Delete\n", "    whenScaled: Keep\n"),
        ("spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"),
        "whenScaled:",
    ),
    (
        "statefulset-service-name",
        change("  serviceName: db-headless\n", "  serviceName: db.headless\n"),
        ("spec", "serviceName"),
        "serviceName:",
    ),
    (
        "statefulset-restart-policy",
        change("      restartPolicy: Always\n", "      restartPolicy: OnFailure\n"),
        ("spec", "template", "spec", "restartPolicy"),
        "restartPolicy:",
    ),
    (
        "statefulset-active-deadline",
        change("      restartPolicy: Always\n",
               "      restartPolicy: Always\n      activeDeadlineSeconds: 60\n"),
        ("spec", "template", "spec", "activeDeadlineSeconds"),
        "activeDeadlineSeconds:",
    ),
    (
        "statefulset-claim-template-name",
        change("      name: data\n", "      name: Data_1\n"),
        ("spec", "volumeClaimTemplates", 0, "metadata", "name"),
        "name: Data_1",
    ),
    (
        "statefulset-claim-template-spec",
        change("      accessModes: [ReadWriteOnce]\n", "      accessModes: [RWO]\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "accessModes", 0),
        "accessModes:",
    ),
    (
        "statefulset-claim-template-spec",
        change("      accessModes: [ReadWriteOnce]\n", ""),
        ("spec", "volumeClaimTemplates", 0, "spec"),
        "    spec:\n      storageClassName",
    ),
    (
        "statefulset-claim-template-spec",
        change("          storage: 10Gi\n", "          storage: 10Gb\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"),
        "storage: 10Gb",
    ),
    (
        "statefulset-claim-template-spec",
        change("          storage: 10Gi\n", "          storage: 0\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"),
        "storage: 0",
    ),
    (
        "statefulset-claim-template-spec",
        change("storageClassName: fast-ssd\n", "storageClassName: Fast_SSD\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "storageClassName"),
        "storageClassName:",
    ),
    (
        "statefulset-claim-template-spec",
        change("      volumeMode: Filesystem\n", "      volumeMode: Raw\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "volumeMode"),
        "volumeMode:",
    ),
    (
        "statefulset-claim-template-spec",
        change("      accessModes: [ReadWriteOnce]\n",
               "      accessModes: [ReadWriteOncePod, ReadOnlyMany]\n"),
        ("spec", "volumeClaimTemplates", 0, "spec", "accessModes"),
        "accessModes:",
    ),
]  # fmt: skip


def _case_id(case: tuple) -> str:
    return f"{case[0]}:{'.'.join(map(str, case[2]))}"


@pytest.mark.parametrize(
    ("rule_id", "text", "path", "marker"), CASES, ids=[_case_id(case) for case in CASES]
)
def test_rule_rejects(rule_id: str, text: str, path: tuple, marker: str) -> None:
    assert schema_errors(text) == []  # a schema-only check finds nothing
    found = run_rule(rule_id, text)
    assert [problem.path for _, problem in found] == [path]
    obj, problem = found[0]
    if "\n" in marker:
        expected = line_of(text, marker.split("\n")[1]) - 1
    else:
        expected = line_of(text, marker)
    assert obj.locate(problem.path)[0] == expected
    assert problem.message and not problem.message.endswith(".")
    assert problem.message == problem.message.strip()


def test_messages_name_the_value_and_the_fix() -> None:
    text = change("OrderedReady", "Sequential")
    [(_, problem)] = run_rule("statefulset-pod-management-policy", text)
    assert problem.message == (
        '"Sequential" is not a pod management policy; use OrderedReady or Parallel'
    )
    text = change("        app: db\n", "        app: database\n")
    [(_, problem)] = run_rule("statefulset-selector-mismatch", text)
    assert '"database"' in problem.message and '"db"' in problem.message


def test_max_unavailable_before_1_35_is_dropped_not_rejected() -> None:
    text = change("      maxUnavailable: 1\n", "      maxUnavailable: 0\n")
    assert run_rule("statefulset-max-unavailable", text, minor=34) == []
    found = run_rule("statefulset-max-unavailable-ignored", text, minor=34)
    assert [problem.path[-1] for _, problem in found] == ["maxUnavailable"]
    assert found[0][0].locate(found[0][1].path)[0] == line_of(text, "maxUnavailable")
    assert RULES["statefulset-max-unavailable-ignored"].severity is Severity.WARNING
    assert run_rule("statefulset-max-unavailable-ignored", VALID, minor=35) == []


def test_service_name_is_optional() -> None:
    text = change("  serviceName: db-headless\n", "")
    assert run_rule("statefulset-service-name", text) == []


def test_duplicate_claim_templates_warn() -> None:
    claim = VALID[VALID.index("  - metadata:\n      name: data") :]
    text = VALID + claim
    found = run_rule("statefulset-claim-template-duplicate", text)
    assert [problem.path for _, problem in found] == [
        ("spec", "volumeClaimTemplates", 1, "metadata", "name")
    ]
    second = text.rindex("name: data")
    assert found[0][0].locate(found[0][1].path)[0] == text.count("\n", 0, second) + 1
    assert RULES["statefulset-claim-template-duplicate"].severity is Severity.WARNING


def test_rules_skip_wrong_types() -> None:
    odd = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\n"
        "spec:\n  replicas: many\n  selector: [a]\n  template: 3\n"
        "  updateStrategy: {type: 5, rollingUpdate: []}\n"
        "  volumeClaimTemplates: [1, {metadata: 2, spec: {accessModes: 3,"
        " resources: {requests: {storage: [1]}}}}]\n"
    )
    for rule_id, rule in RULES.items():
        if rule.check_object is not None:
            run_rule(rule_id, odd)


def test_other_groups_named_statefulset_are_ignored() -> None:
    text = change("apiVersion: apps/v1", "apiVersion: example.com/v1").replace(
        "OrderedReady", "Sequential"
    )
    assert run_rule("statefulset-pod-management-policy", text) == []


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]},
         {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]},
         {"b": "1"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Near"}]}, {"a": "1"}, None),
    ],
)  # fmt: skip
def test_match_selector(selector: dict, labels: dict, expected: bool | None) -> None:
    assert match_selector(selector, labels) is expected


def _iter_paths(data: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _iter_paths(value, (*path, index))
    return found


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
VALID_DATA = next(iter_documents(VALID, "sts.yaml")).data
VALID_PATHS = _iter_paths(VALID_DATA)[1:]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0), JUNK, st.sampled_from([34, 35, 37]))
def test_rules_never_raise_on_odd_values(pick: int, junk: object, minor: int) -> None:
    data = copy.deepcopy(VALID_DATA)
    *parent_path, last = VALID_PATHS[pick % len(VALID_PATHS)]
    parent = data
    for step in parent_path:
        parent = parent[step]
    parent[last] = junk
    obj = KubeObject(data, Document("sts.yaml", 0, data))
    for rule in RULES.values():
        if rule.check_object is not None and rule.applies_to(obj):
            for problem in rule.check_object(obj, Context(kubernetes_minor=minor)):
                assert isinstance(problem.message, str) and problem.message


def test_template_volume_shadowed_by_claim_template_warns() -> None:
    text = change(
        "      restartPolicy: Always\n",
        "      restartPolicy: Always\n      volumes:\n      - name: data\n"
        "        emptyDir: {}\n",
    )
    assert schema_errors(text) == []
    [(obj, problem)] = run_rule("statefulset-volume-shadowed", text)
    assert problem.path == ("spec", "template", "spec", "volumes", 0, "name")
    assert obj.locate(problem.path)[0] == line_of(text, "- name: data")
    assert run_rule("statefulset-volume-shadowed", VALID) == []


def test_claim_template_of_millibytes_warns() -> None:
    text = change("          storage: 10Gi\n", "          storage: 10m\n")
    [(obj, problem)] = run_rule("statefulset-claim-template-size", text)
    assert problem.path[-1] == "storage"
    assert obj.locate(problem.path)[0] == line_of(text, "storage: 10m")
    assert "10Mi" in problem.message
    assert run_rule("statefulset-claim-template-spec", text) == []
