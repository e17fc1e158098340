"""The mysql blueprint's render options, warnings and versions."""

from __future__ import annotations

import json
import re
import string

import pytest
import yaml

from stsgen.errors import ValuesError
from stsgen.rendering.blueprints import find_blueprint
from stsgen.rendering.engine import render_blueprint
from stsgen.rendering.values import SetExpression, load_values
from stsgen.rendering.writing import format_stream
from tests.acceptance.helpers import run_cli

BLUEPRINT = find_blueprint("mysql")
KUBERNETES_VERSIONS = ["1.34", "1.35", "1.36", "1.37"]


def render(*sets: str, generate_secret: bool = False):
    values = load_values(BLUEPRINT, sets=[SetExpression(text) for text in sets])
    return render_blueprint(BLUEPRINT, values, generate_secret=generate_secret)


def objects(rendering) -> dict[tuple[str, str], dict]:
    return {(doc.kind, doc.name): doc.data for doc in rendering.documents}


def statefulset(rendering) -> dict:
    return objects(rendering)[("StatefulSet", rendering.documents[-1].name)]


def containers(rendering) -> dict[str, dict]:
    spec = statefulset(rendering)["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["initContainers"] + spec["containers"]}


def images(rendering) -> dict[str, str]:
    return {
        name: container["image"] for name, container in containers(rendering).items()
    }


def test_default_render_has_the_seed_architecture() -> None:
    rendering = render()
    found = objects(rendering)

    assert sorted(found) == [
        ("ConfigMap", "mysql"),
        ("ConfigMap", "mysql-scripts"),
        ("PodDisruptionBudget", "mysql"),
        ("Service", "mysql"),
        ("Service", "mysql-read"),
        ("ServiceAccount", "mysql"),
        ("StatefulSet", "mysql"),
    ]
    headless, read = found[("Service", "mysql")], found[("Service", "mysql-read")]
    assert headless["spec"]["clusterIP"] == "None"
    assert "clusterIP" not in read["spec"]
    sts = found[("StatefulSet", "mysql")]
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    for service in (headless, read):
        assert service["spec"]["selector"].items() <= pod_labels.items()
    assert sts["spec"]["serviceName"] == "mysql"
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert list(containers(rendering)) == [
        "init-config",
        "seed-data",
        "mysql",
        "sidecar",
    ]
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["storageClassName"] == "sc-nfs"
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    config = found[("ConfigMap", "mysql")]["data"]
    assert "log-bin=mysql-bin" in config["common.cnf"]
    assert "super-read-only=ON" in config["replica.cnf"]


@pytest.mark.parametrize(
    ("sets", "server", "tools"),
    [
        ([], "docker.io/library/mysql:8.4", "docker.io/percona/percona-xtrabackup:8.4"),
        (
            ["mysql.version=9.7"],
            "docker.io/library/mysql:9.7",
            "docker.io/percona/percona-xtrabackup:9.7",
        ),
        (
            ["mysql.version=8.0"],
            "docker.io/library/mysql:8.0",
            "docker.io/percona/percona-xtrabackup:8.0",
        ),
        (
            ["mysql.version=5.7"],
            "docker.io/library/mysql:5.7",
            "docker.io/percona/percona-xtradb-cluster:5.7",
        ),
        (
            ["flavor=mariadb"],
            "docker.io/library/mariadb:10.11",
            "docker.io/library/mariadb:10.11",
        ),
        (
            ["flavor=mariadb", "mariadb.version=11.4"],
            "docker.io/library/mariadb:11.4",
            "docker.io/library/mariadb:11.4",
        ),
        (
            ["replication.seed=clone"],
            "docker.io/library/mysql:8.4",
            "docker.io/library/mysql:8.4",
        ),
    ],
    ids=["8.4", "9.7", "8.0", "5.7", "mariadb-10.11", "mariadb-11.4", "clone"],
)
def test_images_match_the_version(sets, server, tools) -> None:
    found = images(render(*sets))

    assert found == {
        "init-config": server,
        "mysql": server,
        "seed-data": tools,
        "sidecar": tools,
    }


def test_registry_override_applies_to_every_default_image() -> None:
    found = images(render("image.registry=registry.example.com/mirror"))

    assert all(
        image.startswith("registry.example.com/mirror/") for image in found.values()
    )


def test_explicit_images_win() -> None:
    found = images(
        render("image.server=example.org/db:1", "image.tools=example.org/t:2")
    )

    assert found == {
        "init-config": "example.org/db:1",
        "mysql": "example.org/db:1",
        "seed-data": "example.org/t:2",
        "sidecar": "example.org/t:2",
    }


@pytest.mark.parametrize(
    ("sets", "notice"),
    [
        (["mysql.version=8.0"], "MySQL 8.0 reached end of life in April 2026"),
        (["mysql.version=5.7"], "MySQL 5.7 reached end of life in October 2023"),
    ],
)
def test_end_of_life_versions_say_so_in_output_and_warnings(sets, notice) -> None:
    rendering = render(*sets)

    assert any(warning.startswith(notice) for warning in rendering.warnings)
    annotations = statefulset(rendering)["metadata"]["annotations"]
    assert annotations["stsgen.io/end-of-life"].startswith(notice)
    assert f"# {notice}" in format_stream(rendering.documents)


@pytest.mark.parametrize(
    "sets",
    [
        [],
        ["mysql.version=9.7"],
        ["flavor=mariadb"],
        ["flavor=mariadb", "mariadb.version=11.4"],
    ],
)
def test_supported_versions_render_without_notice(sets) -> None:
    rendering = render(
        *sets, "persistence.storageClass=fast-ssd", "auth.existingSecret=db"
    )

    assert rendering.warnings == []
    assert (
        "stsgen.io/end-of-life" not in statefulset(rendering)["metadata"]["annotations"]
    )


@pytest.mark.parametrize(
    ("storage_class", "warned"),
    [("sc-nfs", True), ("managed-nfs-storage", True), ("fast-ssd", False), ("", False)],
)
def test_nfs_storage_class_warns(storage_class, warned) -> None:
    rendering = render(f"persistence.storageClass={storage_class}")

    assert any("looks like NFS" in warning for warning in rendering.warnings) is warned
    claim = statefulset(rendering)["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim.get("storageClassName") == (storage_class or None)


def test_passwords_come_from_the_secret_and_never_a_command_line() -> None:
    rendering = render()

    for name, container in containers(rendering).items():
        if name == "mysql":
            # The server reads everything from my.cnf.
            assert "env" not in container
            continue
        refs = {
            variable["name"]: variable["valueFrom"]["secretKeyRef"]
            for variable in container["env"]
            if "valueFrom" in variable
        }
        assert refs == {
            "ROOT_PASSWORD": {"name": "mysql-auth", "key": "root-password"},
            "REPLICATION_PASSWORD": {
                "name": "mysql-auth",
                "key": "replication-password",
            },
            "USER_PASSWORD": {"name": "mysql-auth", "key": "password"},
        }, name
    probes = json.dumps(
        [
            containers(rendering)["mysql"][probe]
            for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        ]
    )
    assert "--defaults-file=/etc/mysql/conf.d/my.cnf" in probes
    assert "-p" not in probes.split('"') and "password" not in probes
    assert ("Secret", "mysql-auth") not in objects(rendering)


@pytest.mark.parametrize(
    ("sets", "generate", "warned"),
    [
        ([], False, True),
        ([], True, False),
        (["auth.existingSecret=db-credentials"], False, False),
        (["auth.allowEmptyPassword=true"], False, False),
    ],
)
def test_missing_secret_is_announced(sets, generate, warned) -> None:
    rendering = render(*sets, generate_secret=generate)

    expected = (
        "the pods wait for Secret mysql-auth (keys root-password, replication-password,"
        " password): create it, or render it with --generate-secret"
    )
    assert (expected in rendering.warnings) is warned


def test_existing_secret_is_referenced_by_name() -> None:
    rendering = render("auth.existingSecret=db-credentials")

    env = containers(rendering)["sidecar"]["env"]
    names = {v["valueFrom"]["secretKeyRef"]["name"] for v in env if "valueFrom" in v}
    assert names == {"db-credentials"}


def test_generate_secret_never_replaces_an_existing_secret() -> None:
    rendering = render("auth.existingSecret=prod-db", generate_secret=True)

    assert not [doc for doc in rendering.documents if doc.kind == "Secret"]
    assert any(
        "--generate-secret is ignored" in warning and "prod-db" in warning
        for warning in rendering.warnings
    )


def test_generate_secret_renders_random_passwords() -> None:
    first = objects(render(generate_secret=True))[("Secret", "mysql-auth")]
    second = objects(render(generate_secret=True))[("Secret", "mysql-auth")]

    passwords = first["stringData"]
    assert sorted(passwords) == ["password", "replication-password", "root-password"]
    assert len(set(passwords.values())) == 3
    for password in passwords.values():
        assert len(password) == 24 and set(password) <= set(
            string.ascii_letters + string.digits
        )
    assert passwords != second["stringData"]


def test_allow_empty_password_reproduces_the_demo_with_a_warning() -> None:
    rendering = render("auth.allowEmptyPassword=true", generate_secret=True)

    assert any("empty passwords" in warning for warning in rendering.warnings)
    assert any(
        "--generate-secret is ignored" in warning for warning in rendering.warnings
    )
    for container in containers(rendering).values():
        secret_values = [
            v for v in container.get("env", []) if v["name"].endswith("PASSWORD")
        ]
        assert secret_values or container["name"] == "mysql"
        assert all(v == {"name": v["name"], "value": ""} for v in secret_values)
    assert not any(kind == "Secret" for kind, _ in objects(rendering))


def test_output_is_reproducible() -> None:
    first = format_stream(render().documents)

    assert format_stream(render().documents) == first


def test_each_script_is_rendered_once() -> None:
    rendering = render()
    stream = format_stream(rendering.documents)
    scripts = objects(rendering)[("ConfigMap", "mysql-scripts")]["data"]

    assert sorted(scripts) == ["init-config.sh", "lib.sh", "seed-data.sh", "sidecar.sh"]
    for definition in ("pod_ordinal() {", "bootstrap_primary() {", "log() {"):
        assert stream.count(definition) == 1, definition
    assert "pod_ordinal() {" in scripts["lib.sh"]
    for name in ("init-config", "seed-data", "sidecar"):
        assert (
            'source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"' in scripts[f"{name}.sh"]
        )


def test_containers_run_the_mounted_scripts_read_only() -> None:
    rendering = render()
    pod = statefulset(rendering)["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}

    assert volumes["scripts"]["configMap"] == {
        "name": "mysql-scripts",
        "defaultMode": 0o444,
    }
    for name, container in containers(rendering).items():
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        if name == "mysql":
            assert "/opt/stsgen" not in mounts
            continue
        assert container["command"] == ["bash", f"/opt/stsgen/{name}.sh"]
        assert mounts["/opt/stsgen"] == {
            "name": "scripts",
            "mountPath": "/opt/stsgen",
            "readOnly": True,
        }


def config_checksum(*sets: str) -> str:
    template = statefulset(render(*sets))["spec"]["template"]
    return template["metadata"]["annotations"]["stsgen.io/config-checksum"]


def test_config_checksum_changes_with_settings_and_scripts_only() -> None:
    default = config_checksum()

    assert re.fullmatch(r"[0-9a-f]{64}", default)
    assert config_checksum() == default
    # Neither ConfigMap holds these, so pods need no restart for them.
    assert config_checksum("replicas=5", "persistence.size=20Gi") == default
    changed = {
        "settings": config_checksum("config.max_connections=500"),
        "library": config_checksum("mysql.version=8.0"),
        "seed script": config_checksum("replication.seed=clone"),
        "flavour": config_checksum("flavor=mariadb"),
    }
    assert default not in changed.values()
    assert len(set(changed.values())) == len(changed)


def test_one_replica_renders_a_primary_only() -> None:
    assert statefulset(render("replicas=1"))["spec"]["replicas"] == 1


def test_names_and_namespace_follow_values() -> None:
    rendering = render("name=orders", "namespace=prod")
    found = objects(rendering)

    assert sorted(name for _, name in found) == [
        "orders",
        "orders",
        "orders",
        "orders",
        "orders",
        "orders-read",
        "orders-scripts",
    ]
    assert {data["metadata"]["namespace"] for data in found.values()} == {"prod"}
    env = {v["name"]: v.get("value") for v in containers(rendering)["sidecar"]["env"]}
    assert env["SERVICE_NAME"] == "orders"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["mysql.version=5.7", "replication.seed=clone"],
            (
                'values: replication.seed: "clone" is not "xtrabackup"'
                " (CLONE needs MySQL 8.0.17 or later)"
            ),
        ),
        (
            ["flavor=mariadb", "replication.seed=clone"],
            (
                'values: replication.seed: "clone" is not "xtrabackup"'
                " (MariaDB has no CLONE plugin; it seeds with mariadb-backup)"
            ),
        ),
        (["replicsa=2"], "values: replicsa: unknown key; did you mean replicas?"),
        (["mysql.version=8.1"], 'values: mysql.version: "8.1" is not one of'),
        (["replicas=0"], "values: replicas: 0 is below the minimum of 1"),
        (["replication.serverIdOffset=0"], "below the minimum of 1"),
        (["name=My_DB"], 'values: name: "My_DB" is not a DNS-1123 label'),
        (["auth.username=a'b"], "is not an account name"),
    ],
)
def test_bad_values_fail_before_rendering(sets, message) -> None:
    with pytest.raises(ValuesError) as caught:
        render(*sets)

    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        ("soft", "preferredDuringSchedulingIgnoredDuringExecution"),
        ("hard", "requiredDuringSchedulingIgnoredDuringExecution"),
    ],
)
def test_pod_anti_affinity(mode, key) -> None:
    spec = statefulset(render(f"podAntiAffinity={mode}"))["spec"]["template"]["spec"]

    assert list(spec["affinity"]["podAntiAffinity"]) == [key]


def test_pod_anti_affinity_can_be_off() -> None:
    spec = statefulset(render("podAntiAffinity=none"))["spec"]["template"]["spec"]

    assert "affinity" not in spec


def test_optional_objects_follow_their_switches() -> None:
    found = objects(
        render(
            "podDisruptionBudget.enabled=false",
            "serviceAccount.create=false",
            "networkPolicy.enabled=true",
        )
    )

    assert ("PodDisruptionBudget", "mysql") not in found
    assert ("ServiceAccount", "mysql") not in found
    spec = found[("StatefulSet", "mysql")]["spec"]["template"]["spec"]
    assert "serviceAccountName" not in spec
    assert spec["automountServiceAccountToken"] is False
    policy = found[("NetworkPolicy", "mysql")]["spec"]
    assert policy["ingress"][0]["from"] == [{"podSelector": {}}]
    assert [port["port"] for port in policy["ingress"][1]["ports"]] == [3306, 3307]


def test_network_policy_clients_are_used_as_given() -> None:
    found = objects(
        render(
            "networkPolicy.enabled=true",
            "networkPolicy.clients[0].podSelector.matchLabels.role=api",
        )
    )

    policy = found[("NetworkPolicy", "mysql")]["spec"]
    assert policy["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"role": "api"}}}
    ]


def test_security_context_is_restrictive() -> None:
    rendering = render()
    pod = statefulset(rendering)["spec"]["template"]["spec"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["terminationGracePeriodSeconds"] == 60
    for container in containers(rendering).values():
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}


def test_resources_are_set_per_container() -> None:
    found = containers(
        render(
            "resources.server.limits.memory=2Gi", "resources.sidecar.requests.cpu=50m"
        )
    )

    assert found["mysql"]["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"memory": "2Gi"},
    }
    assert found["sidecar"]["resources"]["requests"]["cpu"] == "50m"
    assert found["init-config"]["resources"] == found["seed-data"]["resources"]


def test_clone_seeding_loads_the_plugin_and_serves_no_stream() -> None:
    rendering = render("replication.seed=clone")

    config = objects(rendering)[("ConfigMap", "mysql")]["data"]["common.cnf"]
    assert "plugin-load-add=mysql_clone.so" in config
    assert "ports" not in containers(rendering)["sidecar"]


def test_mariadb_uses_its_own_tools_and_read_only() -> None:
    rendering = render("flavor=mariadb")

    config = objects(rendering)[("ConfigMap", "mysql")]["data"]
    assert "read-only=ON" in config["replica.cnf"]
    assert "super-read-only" not in config["replica.cnf"]
    assert "gtid-mode" not in config["common.cnf"]
    assert "log-bin=mysql-bin" in config["common.cnf"]
    server = containers(rendering)["mysql"]
    assert server["command"][0] == "mariadbd"
    assert server["readinessProbe"]["exec"]["command"][0] == "mariadb"
    assert server["livenessProbe"]["exec"]["command"][0] == "mariadb-admin"


VARIANTS = [
    [],
    ["mysql.version=9.7"],
    ["mysql.version=8.0"],
    ["mysql.version=5.7"],
    ["replication.seed=clone"],
    ["flavor=mariadb"],
    ["flavor=mariadb", "mariadb.version=11.4"],
    [
        "networkPolicy.enabled=true",
        "podAntiAffinity=hard",
        "namespace=db",
        "config.max_connections=500",
        "replicas=1",
        "persistence.storageClass=",
    ],
    ["auth.allowEmptyPassword=true", "mysql.version=5.7"],
]


@pytest.mark.parametrize(
    "sets", VARIANTS, ids=lambda sets: ",".join(sets) or "defaults"
)
def test_every_variant_is_valid_for_every_bundled_kubernetes(sets, tmp_path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(format_stream(render(*sets, generate_secret=True).documents))

    for version in KUBERNETES_VERSIONS:
        run = run_cli("validate", "--kubernetes-version", version, str(path))
        assert run.code == 0, f"{version}: {run}"
        assert " 0 invalid; 0 errors" in run.stdout


def _leaf_paths(schema: dict, prefix: str = "") -> list[str]:
    paths = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        paths.append(path)
        if key != "resources" and sub.get("type") == "object" and "properties" in sub:
            paths.extend(_leaf_paths(sub, path + "."))
    return paths


def test_every_value_is_documented_in_values_yaml() -> None:
    schema = json.loads(BLUEPRINT.schema_file.read_text())
    lines = BLUEPRINT.values_file.read_text().splitlines()
    undocumented = []
    for path in _leaf_paths(schema):
        depth, key = path.count("."), path.rsplit(".", 1)[-1]
        pattern = re.compile(rf"^{'  ' * depth}{re.escape(key)}:")
        index = next(i for i, line in enumerate(lines) if pattern.match(line))
        above = lines[index - 1].strip() if index else ""
        commented = above.startswith("#") or "#" in lines[index]
        # A nested key may share the comment of the block that holds it.
        shares_block = depth > 0 and lines[index - 1].rstrip().endswith(":")
        if not (commented or shares_block):
            undocumented.append(path)
    assert undocumented == [], undocumented


def test_schema_rejects_unknown_keys_everywhere() -> None:
    schema = json.loads(BLUEPRINT.schema_file.read_text())
    free_form = {"config", "nodeSelector", "requests", "limits"}

    def check(node: dict, name: str) -> None:
        if node.get("type") == "object" and name not in free_form:
            assert node.get("additionalProperties") is False, name
        for key, sub in node.get("properties", {}).items():
            check(sub, key)

    check(schema, "values")
    assert yaml.safe_load(BLUEPRINT.values_file.read_text())["replicas"] == 3


@pytest.mark.parametrize("key", ["username", "replicationUser"])
def test_root_cannot_be_the_application_or_replication_account(key: str) -> None:
    # init-config creates root itself: a second CREATE USER 'root' would fail the
    # bootstrap on every start.
    with pytest.raises(ValuesError) as caught:
        render(f"auth.{key}=root")

    assert str(caught.value).startswith(f'values: auth.{key}: "root" is not allowed')


def test_the_application_and_replication_accounts_must_differ() -> None:
    with pytest.raises(ValuesError) as caught:
        render("auth.username=replicator")

    assert "must differ" in str(caught.value)
    assert str(caught.value).startswith("values: auth.username: replicator")


def test_values_a_blueprint_refuses_are_a_usage_error_with_no_output() -> None:
    run = run_cli("render", "mysql", "--set", "auth.username=replicator")

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.startswith("stsgen: error: values: auth.username:")
