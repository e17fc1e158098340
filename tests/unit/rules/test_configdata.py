"""ConfigMap and Secret rules, including that Secret values never reach a message."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen.documents import Document, iter_documents
from stsgen.rules import Context, load_rules
from stsgen.rules.configdata import decode_base64
from stsgen.validation.objects import KubeObject, iter_objects

RULES = load_rules()
SECRET_VALUE = "s3cr3t-P4ss"


def run_rule(rule_id: str, text: str) -> list:
    rule = RULES[rule_id]
    objects = [o for doc in iter_documents(text, "cfg.yaml") for o in iter_objects(doc)]
    return [
        (obj, problem)
        for obj in objects
        if rule.applies_to(obj)
        for problem in rule.check_object(obj, Context())
    ]


def line_of(text: str, marker: str) -> int:
    lines = enumerate(text.splitlines(), 1)
    return next(n for n, line in lines if line.lstrip().startswith(marker))


def config_map(body: str) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n" + body


def secret(body: str, secret_type: str = "Opaque") -> str:
    head = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: {secret_type}\n"
    )
    return head + body


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


DOCKER_JSON = b64('{"auths": {}}')
LONG_B64 = b64(SECRET_VALUE * 20)

NEGATIVE = [
    (
        "configdata-key",
        config_map("data:\n  my config.ini: x\n"),
        ("data", "my config.ini"),
        "my config.ini",
    ),
    (
        "configdata-key",
        config_map("data:\n  ..data: x\n"),
        ("data", "..data"),
        "..data",
    ),
    (
        "configdata-key",
        config_map(f"data:\n  app.conf: x\nbinaryData:\n  app.conf: {b64('x')}\n"),
        ("binaryData", "app.conf"),
        f"app.conf: {b64('x')}",
    ),
    (
        "configdata-key",
        secret(f"stringData:\n  db/password: {SECRET_VALUE}\n"),
        ("stringData", "db/password"),
        "db/password",
    ),
    (
        "configdata-base64",
        secret(f"data:\n  password: {SECRET_VALUE}\n"),
        ("data", "password"),
        "password:",
    ),
    (
        "configdata-base64",
        config_map("binaryData:\n  blob: abc\n"),
        ("binaryData", "blob"),
        "blob",
    ),
    (
        "configdata-size",
        config_map(f"data:\n  big: {'x' * (1024 * 1024 + 1)}\n"),
        ("data",),
        "data:",
    ),
    (
        "secret-type-keys",
        secret(f"data:\n  tls.crt: {b64('cert')}\n", "kubernetes.io/tls"),
        ("data",),
        "data:",
    ),
    (
        "secret-type-keys",
        secret(
            f"data:\n  config.json: {b64('{}')}\n", "kubernetes.io/dockerconfigjson"
        ),
        ("data",),
        "data:",
    ),
    (
        "secret-type-keys",
        secret(
            f"data:\n  .dockerconfigjson: {b64(SECRET_VALUE)}\n",
            "kubernetes.io/dockerconfigjson",
        ),
        ("data", ".dockerconfigjson"),
        ".dockerconfigjson",
    ),
    (
        "secret-type-keys",
        secret(f"stringData:\n  user: {SECRET_VALUE}\n", "kubernetes.io/basic-auth"),
        ("type",),
        "type:",
    ),
    (
        "secret-type-keys",
        secret("stringData:\n  ssh-privatekey: ''\n", "kubernetes.io/ssh-auth"),
        ("type",),
        "type:",
    ),
    (
        "secret-type-keys",
        secret("", "kubernetes.io/service-account-token"),
        ("metadata",),
        "metadata:",
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
    assert SECRET_VALUE not in problem.message
    assert b64(SECRET_VALUE) not in problem.message


POSITIVE = [
    (
        "configdata-key",
        config_map(
            "data:\n  app.conf: x\n  KEY_1: y\n  .hidden: z\n"
            "binaryData:\n  logo.png: AAEC\n"
        ),
    ),
    (
        "configdata-key",
        secret(f"data:\n  tls.crt: {b64('c')}\nstringData:\n  tls.crt: override\n"),
    ),
    (
        "configdata-base64",
        secret(f"data:\n  password: |\n    {LONG_B64[:60]}\n    {LONG_B64[60:]}\n"),
    ),
    ("configdata-base64", secret("data:\n  empty: ''\n  none: null\n")),
    ("configdata-base64", config_map("data:\n  plain: not base64 at all\n")),
    ("configdata-size", config_map(f"data:\n  big: {'x' * (1024 * 1024 - 10)}\n")),
    (
        "configdata-size",
        secret(
            f"stringData:\n  big: {'x' * (700 * 1024)}\n"
            f"data:\n  big: {b64('x' * (700 * 1024))}\n"
        ),
    ),
    (
        "secret-type-keys",
        secret(
            f"data:\n  tls.crt: {b64('c')}\nstringData:\n  tls.key: k\n",
            "kubernetes.io/tls",
        ),
    ),
    (
        "secret-type-keys",
        secret(
            f"data:\n  .dockerconfigjson: {DOCKER_JSON}\n",
            "kubernetes.io/dockerconfigjson",
        ),
    ),
    (
        "secret-type-keys",
        secret("stringData:\n  password: ''\n", "kubernetes.io/basic-auth"),
    ),
    ("secret-type-keys", secret("stringData:\n  anything: x\n", "example.com/custom")),
    (
        "secret-type-keys",
        (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  annotations:\n"
            "    kubernetes.io/service-account.name: build\n"
            "type: kubernetes.io/service-account-token\n"
        ),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "text"), POSITIVE, ids=[f"{c[0]}-{n}" for n, c in enumerate(POSITIVE)]
)
def test_rule_accepts_what_the_api_server_accepts(rule_id, text):
    assert run_rule(rule_id, text) == []


def test_secret_size_counts_decoded_bytes():
    raw = "x" * (800 * 1024)
    text = secret(f"data:\n  a: {b64(raw)}\n  b: {b64(raw)}\n")

    problems = run_rule("configdata-size", text)

    assert [problem.path for _, problem in problems] == [("data",)]
    assert str(2 * 800 * 1024) in problems[0][1].message


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("aGVsbG8=", b"hello"),
        ("aGVs\nbG8=\n", b"hello"),
        ("aGVsbG8", None),
        ("aGVs bG8=", None),
        ("aGVsbG8_", None),
        ("", b""),
    ],
)
def test_decode_base64_reads_like_go_json(text, decoded):
    assert decode_base64(text) == decoded


@pytest.mark.parametrize(
    "odd",
    [
        "data: [a]\nbinaryData: 5\nstringData: x\ntype: 3",
        "data: {a: 1, b: [x]}\nbinaryData: {c: 2}\ntype: kubernetes.io/tls",
        "data: {.dockercfg: 1}\ntype: kubernetes.io/dockercfg",
        "metadata: 5\ntype: kubernetes.io/service-account-token",
    ],
)
def test_rules_skip_values_of_the_wrong_type(odd):
    for kind in ("ConfigMap", "Secret"):
        text = f"apiVersion: v1\nkind: {kind}\n{odd}\n"
        for rule_id in RULES:
            if rule_id.startswith(("configdata-", "secret-")):
                run_rule(rule_id, text)


CONFIG_KEYS = [
    "data", "binaryData", "stringData", "type", "tls.crt", "tls.key",
    ".dockerconfigjson", ".dockercfg", "username", "password", "ssh-privatekey",
    "annotations", "metadata", "kubernetes.io/service-account.name",
]  # fmt: skip
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.sampled_from(
        [
            "kubernetes.io/tls",
            "kubernetes.io/dockerconfigjson",
            "kubernetes.io/basic-auth",
            "kubernetes.io/ssh-auth",
            "kubernetes.io/service-account-token",
            "e30=",
            "aGVsbG8=",
        ]
    )
    | st.text(max_size=6)
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["ConfigMap", "Secret"]),
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(CONFIG_KEYS) | st.text(max_size=4), inner, max_size=5
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
        if rule_id.startswith(("configdata-", "secret-")):
            for problem in rule.check_object(obj, Context()):
                assert isinstance(problem.path, tuple)
                assert "\n" not in problem.message
