"""The pod simulator's own logic, without root: what it reads from a stream, the
hosts files it writes, and the image changes it makes. Runs everywhere, fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import conftest, launcher, manifests, queries
from .cluster import Cluster

STREAM = """\
apiVersion: v1
kind: Secret
metadata: {name: auth, namespace: db}
data:
  root-password: cm9vdC1zZWNyZXQ=
stringData:
  password: app-secret
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: db}
data:
  primary.cnf: "[mysqld]\\nlog-bin\\n"
  replica.cnf: "[mysqld]\\nread-only\\n"
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: db}
spec:
  clusterIP: None
  selector: {app: web}
---
apiVersion: v1
kind: Service
metadata: {name: web-read, namespace: db}
spec:
  selector: {app: web}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: db}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: server
          command: ["server", "--id=$(SERVER_ID)", "--cost=$$(HOME)"]
          env:
            - {name: SERVER_ID, value: "7"}
            - {name: ECHO, value: "id $(SERVER_ID) $(UNKNOWN)"}
            - name: ROOT_PASSWORD
              valueFrom: {secretKeyRef: {name: auth, key: root-password}}
            - name: USER_PASSWORD
              valueFrom: {secretKeyRef: {name: auth, key: password}}
            - name: MAYBE
              valueFrom: {secretKeyRef: {name: auth, key: absent, optional: true}}
            - name: POD
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: APP_USER
              value: shop
          readinessProbe:
            exec: {command: ["true"]}
      volumes:
        - name: config
          configMap:
            name: conf
            defaultMode: 0640
            items:
              - {key: replica.cnf, path: role/replica.cnf}
  volumeClaimTemplates:
    - metadata: {name: data}
"""


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    # Never entered: constructing reads the stream and starts nothing.
    return Cluster(STREAM, tmp_path / "work")


def test_build_pod_names_the_pod_for_its_ordinal(cluster: Cluster):
    pod = manifests.build_pod(cluster.statefulset, 1)

    assert pod["metadata"]["name"] == "web-1"
    assert pod["metadata"]["namespace"] == "db"
    assert pod["spec"]["hostname"] == "web-1"
    assert pod["spec"]["subdomain"] == "web"
    assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert pod["metadata"]["labels"]["app"] == "web"


def test_build_env_resolves_values_secrets_and_fields(cluster: Cluster):
    pod = manifests.build_pod(cluster.statefulset, 0)
    container = pod["spec"]["containers"][0]

    env = manifests.build_env(cluster.stream, pod, container, "10.251.0.9")

    assert env["ECHO"] == "id 7 $(UNKNOWN)"
    assert env["ROOT_PASSWORD"] == "root-secret"
    assert env["USER_PASSWORD"] == "app-secret"
    assert env["POD"] == "web-0"
    assert env["HOSTNAME"] == "web-0"
    assert "MAYBE" not in env


def test_build_env_refuses_a_missing_required_key(cluster: Cluster):
    pod = manifests.build_pod(cluster.statefulset, 0)
    container = pod["spec"]["containers"][0]
    container["env"].append(
        {"name": "GONE", "valueFrom": {"secretKeyRef": {"name": "auth", "key": "x"}}}
    )

    with pytest.raises(manifests.ManifestError, match="no key x"):
        manifests.build_env(cluster.stream, pod, container, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--id=$(SERVER_ID)", "--id=7"),
        ("$$(SERVER_ID)", "$(SERVER_ID)"),
        ("$(NOPE) stays", "$(NOPE) stays"),
        ("plain $HOME", "plain $HOME"),
    ],
    ids=["reference", "escaped", "unknown", "shell-syntax"],
)
def test_expand_follows_the_kubelet(text: str, expected: str):
    assert manifests.expand(text, {"SERVER_ID": "7"}) == expected


def test_project_files_honours_items_and_modes(cluster: Cluster):
    volume = cluster.statefulset["spec"]["template"]["spec"]["volumes"][0]

    files = manifests.project_files(cluster.stream, volume, "db")

    assert files == {"role/replica.cnf": (b"[mysqld]\nread-only\n", 0o640)}


def test_project_files_reads_binary_secret_data(cluster: Cluster):
    volume = {"name": "auth", "secret": {"secretName": "auth"}}

    files = manifests.project_files(cluster.stream, volume, "db")

    assert files["root-password"] == (b"root-secret", 0o644)
    assert files["password"] == (b"app-secret", 0o644)


def test_project_files_refuses_a_source_in_another_namespace(cluster: Cluster):
    volume = {"name": "auth", "secret": {"secretName": "auth"}}

    with pytest.raises(manifests.ManifestError, match="no Secret auth"):
        manifests.project_files(cluster.stream, volume, "elsewhere")


def make_pod(cluster: Cluster, ordinal: int, ready: bool):
    from .kubelet import Pod

    pod = Pod(cluster, ordinal, f"10.251.0.{20 + ordinal}", ordinal)
    pod.sandbox = object()  # as if started
    pod.phase = "Running"
    for container in pod.containers:
        container.ready = ready
    cluster.pods[ordinal] = pod
    return pod


def test_hosts_list_ready_endpoints_and_per_pod_names(cluster: Cluster):
    first = make_pod(cluster, 0, ready=True)
    make_pod(cluster, 1, ready=False)

    hosts = cluster.build_hosts(first)

    assert "10.251.0.20\tweb-0.web.db.svc.cluster.local\tweb-0" in hosts
    lines = hosts.splitlines()
    entries = [line for line in lines if line.startswith("10.251.0.20\tweb-0.web ")]
    assert entries, hosts
    assert "web-0.web.db.svc.cluster.local" in entries[0]
    assert any(line.startswith("10.251.0.20\tweb-read ") for line in lines)
    # Not ready and no publishNotReadyAddresses: not in the simulated DNS.
    assert "10.251.0.21" not in hosts


def test_hosts_publish_not_ready_addresses_when_asked(cluster: Cluster):
    service = cluster.stream.get("Service", "web")
    service["spec"]["publishNotReadyAddresses"] = True
    first = make_pod(cluster, 0, ready=True)
    make_pod(cluster, 1, ready=False)

    hosts = cluster.build_hosts(first)

    assert "10.251.0.21\tweb-1.web " in hosts
    # The other Service still lists ready endpoints only.
    assert "10.251.0.21\tweb-read" not in hosts


def test_read_account_takes_names_and_passwords_from_the_environment():
    env = {"ROOT_PASSWORD": "r", "APP_USER": "shop", "USER_PASSWORD": "s"}

    admin = queries.read_account(env, queries.ADMIN_VARIABLES)
    app = queries.read_account(env, queries.APP_VARIABLES)

    assert admin == queries.Account("root", "r")
    assert app == queries.Account("shop", "s")
    with pytest.raises(queries.QueryError, match="USER_PASSWORD"):
        queries.read_account({"APP_USER": "shop"}, queries.APP_VARIABLES)


def test_swap_includes_reads_conf_d_last(tmp_path: Path):
    cnf = tmp_path / "mariadb.cnf"
    cnf.write_text(
        "[client-server]\n!includedir /etc/mysql/conf.d/\n"
        "!includedir /etc/mysql/mariadb.conf.d/\n"
    )

    launcher.swap_includes(str(cnf))

    assert cnf.read_text().splitlines()[-2:] == [
        "!includedir /etc/mysql/mariadb.conf.d/",
        "!includedir /etc/mysql/conf.d/",
    ]


def test_set_account_ids_gives_mysql_the_image_ids(tmp_path: Path):
    passwd = tmp_path / "passwd"
    passwd.write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "journal:x:999:999::/:/usr/sbin/nologin\n"
        "mysql:x:102:105:MySQL:/nonexistent:/bin/false\n"
    )

    launcher.set_account_ids(str(passwd), 2)
    launcher.set_account_ids(str(passwd), 3, drop_others=False)

    assert passwd.read_text().splitlines() == [
        "root:x:0:0:root:/root:/bin/bash",
        "mysql:x:999:999:MySQL:/nonexistent:/bin/false",
    ]


def test_without_root_the_test_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(conftest.os, "geteuid", lambda: 1000)
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="needs root"):
        conftest.require_simulator_host()


def test_under_ci_a_missing_prerequisite_fails(monkeypatch):
    monkeypatch.setattr(conftest.os, "geteuid", lambda: 0)
    monkeypatch.setattr(conftest, "TOOLS", ("no-such-tool-for-stsgen",))
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="missing no-such-tool-for-stsgen"):
        conftest.require_simulator_host()
