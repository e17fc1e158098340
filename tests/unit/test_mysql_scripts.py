"""The mysql blueprint's shell scripts, run with bash as rendered.

Each test renders the blueprint, writes the pod's ConfigMap volumes (settings
and scripts) into a temporary folder as a kubelet would, and runs a container's
command with the container's environment, except that the mounted paths point
into that folder, HOSTNAME names the pod, and the database tools are stubs on
PATH that record how they were called.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from stsgen.rendering.blueprints import find_blueprint
from stsgen.rendering.engine import render_blueprint
from stsgen.rendering.values import SetExpression, load_values

PASSWORDS = {
    "ROOT_PASSWORD": "r00t'pass\\word\"",
    "REPLICATION_PASSWORD": "repl-secret",
    "USER_PASSWORD": "app-secret",
}

# Every variant of the scripts: flavour, version and seeding method.
VARIANTS = {
    "mysql-8.4": [],
    "mysql-9.7": ["mysql.version=9.7"],
    "mysql-8.0": ["mysql.version=8.0"],
    "mysql-5.7": ["mysql.version=5.7"],
    "mysql-8.4-clone": ["replication.seed=clone"],
    "mysql-8.0-clone": ["mysql.version=8.0", "replication.seed=clone"],
    "mysql-9.7-clone": ["mysql.version=9.7", "replication.seed=clone"],
    "mariadb-10.11": ["flavor=mariadb"],
    "mariadb-11.4": ["flavor=mariadb", "mariadb.version=11.4"],
}

# Stand-ins for the database tools: each records its arguments (one line per
# call in calls.log) and whatever it read on stdin (sql.log), then does the least
# the scripts rely on.
STUBS = {
    "server": r"""
echo "$(basename "$0") $*" >>"$STUB_DIR/calls.log"
datadir="" socket=""
for arg in "$@"; do
  case $arg in
    --datadir=*) datadir=${arg#*=} ;;
    --socket=*) socket=${arg#*=} ;;
  esac
done
case " $* " in
  *" --initialize-insecure "*)
    mkdir -p "$datadir/mysql"
    touch "$datadir/ibdata1" "$datadir/auto.cnf"
    exit 0 ;;
esac
trap 'rm -f "$socket"; exit 0' TERM
touch "$socket"
while :; do sleep 0.05; done
""",
    "install-db": r"""
echo "$(basename "$0") $*" >>"$STUB_DIR/calls.log"
for arg in "$@"; do
  case $arg in --datadir=*) mkdir -p "${arg#*=}/mysql" ;; esac
done
""",
    "client": r"""
echo "$(basename "$0") $*" >>"$STUB_DIR/calls.log"
for arg in "$@"; do
  if [[ $arg == -e ]]; then exit "${STUB_CLIENT_RC:-0}"; fi
done
cat >>"$STUB_DIR/sql.log"
exit "${STUB_SQL_RC:-0}"
""",
    "backup": r"""
echo "$(basename "$0") $*" >>"$STUB_DIR/calls.log"
for arg in "$@"; do
  case $arg in --target-dir=*) touch "${arg#*=}/prepared" ;; esac
done
exit "${STUB_PREPARE_RC:-0}"
""",
    "socat": r"""
echo "socat $*" >>"$STUB_DIR/calls.log"
if [[ -n ${STUB_STREAM:-} ]]; then cat "$STUB_STREAM"; fi
exit "${STUB_SOCAT_RC:-0}"
""",
    # The fake stream is one "path=content" line per file, "path/" for a folder.
    "stream": r"""
echo "$(basename "$0") $*" >>"$STUB_DIR/calls.log"
target=""
while (($#)); do
  if [[ $1 == -C ]]; then target=$2; shift; fi
  shift
done
while IFS= read -r line; do
  path=${line%%=*}
  if [[ $path == */ ]]; then mkdir -p "$target/$path"; continue; fi
  mkdir -p "$(dirname "$target/$path")"
  printf '%b' "${line#*=}" >"$target/$path"
done
""",
}
STUB_FOR = {
    "mysqld": "server",
    "mariadbd": "server",
    "mariadb-install-db": "install-db",
    "mysql": "client",
    "mariadb": "client",
    "xtrabackup": "backup",
    "mariadb-backup": "backup",
    "socat": "socat",
    "xbstream": "stream",
    "mbstream": "stream",
}

GTID_INFO = (
    "mysql-bin.000003\t1234\t3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\\n"
    "4f22ab58-82db-22f2-af44-d91bb9530673:1-7\\n"
)
FULL_BACKUP = [
    "mysql/",
    "ibdata1=data",
    "auto.cnf=[auto]\\nserver-uuid=donor\\n",
    "backup-my.cnf=[mysqld]\\n",
    "xtrabackup_checkpoints=backup_type = full-backuped\\n",
    f"xtrabackup_binlog_info={GTID_INFO}",
    "xtrabackup_info=tool_name = xtrabackup\\n",
]


def render_objects(*sets: str) -> dict[tuple[str, str], dict]:
    """The rendered objects by kind and name."""
    blueprint = find_blueprint("mysql")
    values = load_values(blueprint, sets=[SetExpression(text) for text in sets])
    rendering = render_blueprint(blueprint, values)
    return {
        (document.kind, document.name): document.data
        for document in rendering.documents
    }


def find_statefulset(objects: dict) -> dict:
    [statefulset] = [
        data for (kind, _), data in objects.items() if kind == "StatefulSet"
    ]
    return statefulset


def pod_spec(objects: dict) -> dict:
    return find_statefulset(objects)["spec"]["template"]["spec"]


@dataclass
class Pod:
    """One pod's volumes in a temporary folder (one folder per volume, named as the
    volume), and the rendered containers."""

    root: Path
    objects: dict[str, dict]
    hostname: str = "mysql-0"
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder in ("data", "bin", "stub"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for volume in pod_spec(self.objects)["volumes"]:
            folder = self.root / volume["name"]
            folder.mkdir(exist_ok=True)
            if "configMap" in volume:
                config_map = self.objects[("ConfigMap", volume["configMap"]["name"])]
                for name, text in config_map["data"].items():
                    (folder / name).write_text(text)
        for command, stub in STUB_FOR.items():
            path = self.root / "bin" / command
            path.write_text("#!/bin/bash\n" + STUBS[stub])
            path.chmod(0o755)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> str:
        return (self.root / "conf" / "my.cnf").read_text()

    @property
    def calls(self) -> list[str]:
        log = self.root / "stub" / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    @property
    def sql(self) -> str:
        log = self.root / "stub" / "sql.log"
        return log.read_text() if log.exists() else ""

    def container(self, name: str) -> dict:
        spec = pod_spec(self.objects)
        for container in spec["initContainers"] + spec["containers"]:
            if container["name"] == name:
                return container
        raise KeyError(name)

    def mounts(self, container: dict) -> dict[str, Path]:
        """Where each of the container's mount paths lies in the temporary folder."""
        return {
            mount["mountPath"]: self.root / mount["name"]
            for mount in container["volumeMounts"]
        }

    def host_path(self, container: dict, path: str) -> str:
        """The temporary folder's counterpart of a path inside the container."""
        for mount_path, folder in self.mounts(container).items():
            if path == mount_path or path.startswith(mount_path + "/"):
                return str(folder) + path[len(mount_path) :]
        return path

    def environment(self, container: dict) -> dict[str, str]:
        moved = self.mounts(container)
        env = {
            "PATH": f"{self.root / 'bin'}:/usr/bin:/bin",
            "HOSTNAME": self.hostname,
            "STUB_DIR": str(self.root / "stub"),
            "SEED_ATTEMPTS": "2",
            "SEED_RETRY_SECONDS": "0",
        }
        for variable in container["env"]:
            if "value" in variable:
                value = variable["value"]
                env[variable["name"]] = str(moved.get(value, value))
            else:
                env[variable["name"]] = PASSWORDS[variable["name"]]
        env.update(self.extra_env)
        return env

    def run(self, name: str) -> subprocess.CompletedProcess[str]:
        container = self.container(name)
        command = [self.host_path(container, part) for part in container["command"]]
        assert command[0] == "bash" and Path(command[1]).is_file(), command
        return subprocess.run(
            command,
            env=self.environment(container),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def stream(self, lines: list[str]) -> None:
        """Make the stub socat deliver a backup stream with these files."""
        path = self.root / "stub" / "stream"
        path.write_text("".join(line + "\n" for line in lines))
        self.extra_env["STUB_STREAM"] = str(path)


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, dict]]:
    return {variant: render_objects(*sets) for variant, sets in VARIANTS.items()}


def make_pod(tmp_path: Path, objects: dict, hostname: str) -> Pod:
    return Pod(tmp_path / hostname, objects, hostname)


def complete_data(pod: Pod) -> None:
    (pod.data / "mysql").mkdir()


# --- init-config: server-id, role, client login ---


@pytest.mark.parametrize("ordinal", [0, 1, 2, 17])
@pytest.mark.parametrize("variant", ["mysql-8.4", "mariadb-10.11"])
def test_server_id_is_offset_plus_ordinal(rendered, tmp_path, variant, ordinal) -> None:
    pod = make_pod(tmp_path, rendered[variant], f"mysql-{ordinal}")
    complete_data(pod)

    result = pod.run("init-config")

    assert result.returncode == 0, result.stderr
    assert f"server-id={100 + ordinal}\n" in pod.config
    assert f"report-host=mysql-{ordinal}.mysql\n" in pod.config


@pytest.mark.parametrize(
    ("variant", "replica_setting"),
    [("mysql-8.4", "super-read-only=ON"), ("mariadb-10.11", "read-only=ON")],
)
def test_ordinal_zero_gets_primary_config_others_replica(
    rendered, tmp_path, variant, replica_setting
) -> None:
    configs = {}
    for ordinal in (0, 1):
        pod = make_pod(tmp_path, rendered[variant], f"mysql-{ordinal}")
        complete_data(pod)
        assert pod.run("init-config").returncode == 0
        configs[ordinal] = pod.config

    assert replica_setting not in configs[0]
    assert replica_setting in configs[1]
    assert "log-bin=mysql-bin" in configs[0] and "log-bin=mysql-bin" in configs[1]


def test_server_id_offset_comes_from_the_manifest(tmp_path) -> None:
    pod = make_pod(tmp_path, render_objects("replication.serverIdOffset=1"), "mysql-0")
    complete_data(pod)

    assert pod.run("init-config").returncode == 0
    assert "server-id=1\n" in pod.config


def test_statefulset_names_with_dashes_keep_their_ordinal(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "orders-db-12")
    complete_data(pod)

    assert pod.run("init-config").returncode == 0
    assert "server-id=112\n" in pod.config
    assert "report-host=orders-db-12.mysql\n" in pod.config


def test_hostname_without_ordinal_fails_with_a_reason(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql")

    result = pod.run("init-config")

    assert result.returncode != 0
    assert "hostname 'mysql' does not end in -<ordinal>" in result.stderr
    assert not (pod.root / "conf" / "my.cnf").exists()


def test_client_login_holds_the_escaped_root_password(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    complete_data(pod)

    assert pod.run("init-config").returncode == 0
    config = pod.config
    assert "[client]\nuser=root\nhost=127.0.0.1\nport=3306\n" in config
    assert 'password="r00t\'pass\\\\word\\""\n' in config
    assert "[xtrabackup]" in config
    assert oct((pod.root / "conf" / "my.cnf").stat().st_mode & 0o777) == "0o600"


def test_extra_settings_come_last(tmp_path) -> None:
    objects = render_objects("config.max_connections=500", "config.skip-log-bin=false")
    pod = make_pod(tmp_path, objects, "mysql-0")
    complete_data(pod)

    assert pod.run("init-config").returncode == 0
    server_part = pod.config.split("[client]")[0]
    assert server_part.rstrip().endswith("max_connections=500\nskip-log-bin=OFF")


# --- init-config: bootstrap of the primary ---


@pytest.mark.parametrize("variant", ["mysql-8.4", "mysql-5.7", "mariadb-10.11"])
def test_empty_primary_is_bootstrapped_with_the_secret_accounts(
    rendered, tmp_path, variant
) -> None:
    pod = make_pod(tmp_path, rendered[variant], "mysql-0")

    result = pod.run("init-config")

    assert result.returncode == 0, result.stderr
    assert (pod.data / "mysql").is_dir()
    assert not (pod.data / ".stsgen-staging").exists()
    sql = pod.sql
    assert sql.startswith("SET SESSION sql_log_bin = 0;")
    assert "CREATE USER 'replicator'@'%' IDENTIFIED BY 'repl-secret';" in sql
    assert "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'%';" in sql
    assert "CREATE USER 'app'@'%' IDENTIFIED BY 'app-secret';" in sql
    assert "GRANT ALL PRIVILEGES ON `app`.* TO 'app'@'%';" in sql
    assert "IDENTIFIED BY 'r00t''pass\\\\word\"';" in sql
    for call in pod.calls:
        for password in PASSWORDS.values():
            assert password not in call


@pytest.mark.parametrize("variant", ["mysql-8.4", "mariadb-10.11"])
def test_failed_bootstrap_stops_its_server_and_publishes_nothing(
    rendered, tmp_path, variant
) -> None:
    pod = make_pod(tmp_path, rendered[variant], "mysql-0")
    pod.extra_env["STUB_SQL_RC"] = "1"

    result = pod.run("init-config")

    assert result.returncode != 0
    assert not (pod.data / "mysql").exists()
    running = subprocess.run(
        ["pgrep", "-f", str(pod.data)], check=False, capture_output=True
    )
    assert running.stdout == b""


def test_mariadb_root_keeps_socket_login(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mariadb-10.11"], "mysql-0")

    assert pod.run("init-config").returncode == 0
    assert "'root'@'localhost'" not in pod.sql
    assert any("--auth-root-authentication-method=socket" in c for c in pod.calls)


def test_root_host_other_than_anywhere_adds_a_local_tcp_root(tmp_path) -> None:
    pod = make_pod(tmp_path, render_objects("auth.rootHost=10.%"), "mysql-0")

    assert pod.run("init-config").returncode == 0
    assert "CREATE USER 'root'@'10.%'" in pod.sql
    assert "CREATE USER 'root'@'127.0.0.1'" in pod.sql


def test_complete_primary_is_not_bootstrapped_again(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-0")
    complete_data(pod)
    (pod.data / "ibdata1").write_text("precious")

    assert pod.run("init-config").returncode == 0
    assert not any(call.startswith("mysqld") for call in pod.calls)
    assert (pod.data / "ibdata1").read_text() == "precious"


def test_interrupted_bootstrap_is_redone_from_scratch(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-0")
    (pod.data / ".stsgen-staging" / "half").mkdir(parents=True)
    (pod.data / "ib_logfile0").write_text("partial")

    assert pod.run("init-config").returncode == 0
    assert (pod.data / "mysql").is_dir()
    assert not (pod.data / "ib_logfile0").exists()
    assert not (pod.data / ".stsgen-staging").exists()


# --- seed-data ---


@pytest.mark.parametrize("variant", ["mysql-8.4", "mysql-8.4-clone", "mariadb-10.11"])
def test_primary_is_never_seeded(rendered, tmp_path, variant) -> None:
    pod = make_pod(tmp_path, rendered[variant], "mysql-0")

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert "the primary is not seeded" in result.stderr
    assert pod.calls == []


@pytest.mark.parametrize("variant", ["mysql-8.4", "mysql-8.4-clone", "mariadb-10.11"])
def test_replica_with_data_skips_the_seed(rendered, tmp_path, variant) -> None:
    pod = make_pod(tmp_path, rendered[variant], "mysql-2")
    complete_data(pod)
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert "already complete" in result.stderr
    assert pod.calls == []
    assert "skip-" not in pod.config


@pytest.mark.parametrize(
    ("hostname", "peer"),
    [
        ("mysql-1", "mysql-0.mysql"),
        ("mysql-2", "mysql-1.mysql"),
        ("db-10", "db-9.mysql"),
    ],
)
def test_replica_is_seeded_from_the_previous_ordinal(
    rendered, tmp_path, hostname, peer
) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], hostname)
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    pod.stream(FULL_BACKUP)

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert f"socat -u TCP:{peer}:3307,connect-timeout=10 STDOUT" in pod.calls
    staging = pod.data / ".stsgen-staging"
    prepare = f"xtrabackup --defaults-file={staging}/backup-my.cnf --prepare"
    assert any(call.startswith(prepare) for call in pod.calls)
    assert (pod.data / "mysql").is_dir() and (pod.data / "prepared").exists()
    assert not staging.exists()
    assert not (pod.data / "auto.cnf").exists()
    # The three-field binlog info, its GTID set spread over two lines.
    assert (pod.data / "stsgen-seed-position").read_text() == (
        "backup 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,"
        "4f22ab58-82db-22f2-af44-d91bb9530673:1-7\n"
    )
    assert pod.config.endswith("[mysqld]\nskip-replica-start=ON\n")


def test_slave_info_from_a_replica_source_is_not_used(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-2")
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    pod.stream(
        [
            *FULL_BACKUP,
            (
                "xtrabackup_slave_info=SET GLOBAL gtid_purged='other:1-2';\\n"
                "CHANGE MASTER TO MASTER_AUTO_POSITION=1;\\n"
            ),
        ]
    )

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    position = (pod.data / "stsgen-seed-position").read_text()
    assert position.startswith("backup 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,")


def test_mariadb_seed_reads_the_renamed_backup_files(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mariadb-11.4"], "mysql-1")
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    pod.stream(
        [
            "mysql/",
            "backup-my.cnf=[mysqld]\\n",
            "mariadb_backup_checkpoints=x\\n",
            "mariadb_backup_info=x\\n",
            "mariadb_backup_binlog_info=mysql-bin.000002 568 0-100-12\\n",
        ]
    )

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert any(call.startswith("mbstream -x -C") for call in pod.calls)
    assert any(call.startswith("mariadb-backup --defaults-file=") for call in pod.calls)
    assert (pod.data / "stsgen-seed-position").read_text() == "backup 0-100-12\n"
    assert pod.config.endswith("skip-slave-start=ON\n")


def test_two_field_binlog_info_seeds_from_the_log_start(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    pod.stream(
        [
            *FULL_BACKUP[:5],
            "xtrabackup_binlog_info=mysql-bin.000001\\t157\\n",
            FULL_BACKUP[6],
        ]
    )

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert (pod.data / "stsgen-seed-position").read_text() == "backup \n"


def test_refused_connection_fails_and_leaves_no_data(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    pod.extra_env["STUB_SOCAT_RC"] = "1"

    result = pod.run("seed-data")

    assert result.returncode != 0
    assert "no complete backup from mysql-0.mysql after 2 attempts" in result.stderr
    assert not (pod.data / "mysql").exists()
    assert not any(call.startswith("xtrabackup") for call in pod.calls)


def test_stream_cut_short_is_not_published(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    pod.stream(FULL_BACKUP[:3])

    result = pod.run("seed-data")

    assert result.returncode != 0
    assert "incomplete transfer" in result.stderr
    assert not (pod.data / "mysql").exists()
    assert not any(call.startswith("xtrabackup") for call in pod.calls)


def test_failed_prepare_is_not_published(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    pod.stream(FULL_BACKUP)
    pod.extra_env["STUB_PREPARE_RC"] = "1"

    result = pod.run("seed-data")

    assert result.returncode != 0
    assert not (pod.data / "mysql").exists()


def test_half_received_clone_is_replaced_on_the_next_try(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    (pod.data / ".stsgen-staging").mkdir()
    (pod.data / ".stsgen-staging" / "ibdata1").write_text("half")
    (pod.data / "undo_001").write_text("left over from an interrupted move")
    pod.stream(FULL_BACKUP)

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert (pod.data / "ibdata1").read_text() == "data"
    assert not (pod.data / "undo_001").exists()


def test_gtid_position_with_sql_in_it_is_refused(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4"], "mysql-1")
    pod.stream(
        [
            *FULL_BACKUP[:5],
            "xtrabackup_binlog_info=f 1 x'; DROP TABLE t; --\\n",
            FULL_BACKUP[6],
        ]
    )

    result = pod.run("seed-data")

    assert result.returncode != 0
    assert "is not a GTID position" in result.stderr
    assert not (pod.data / "mysql").exists()


def test_clone_seed_clones_from_the_previous_ordinal(rendered, tmp_path) -> None:
    pod = make_pod(tmp_path, rendered["mysql-8.4-clone"], "mysql-3")
    (pod.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    # The stub client cannot clone; the staging folder appears as CLONE makes it:
    # InnoDB tablespaces only, no mysql/ folder (the first server start makes it).
    (pod.root / "bin" / "mysql").write_text(
        "#!/bin/bash\n"
        + STUBS["client"].replace(
            'cat >>"$STUB_DIR/sql.log"',
            'cat >>"$STUB_DIR/sql.log"; mkdir -p "$DATA_DIR/.stsgen-staging";'
            ' touch "$DATA_DIR/.stsgen-staging/mysql.ibd"',
        )
    )

    result = pod.run("seed-data")

    assert result.returncode == 0, result.stderr
    assert "SET GLOBAL clone_valid_donor_list = 'mysql-2.mysql:3306';" in pod.sql
    assert "CLONE INSTANCE FROM 'replicator'@'mysql-2.mysql':3306" in pod.sql
    assert f"DATA DIRECTORY = '{pod.data}/.stsgen-staging';" in pod.sql
    assert (pod.data / "stsgen-seed-position").read_text() == "clone\n"
    assert (pod.data / "mysql.ibd").is_file()
    assert (pod.data / "mysql").is_dir(), "the data directory counts as complete"
    assert not (pod.data / ".stsgen-staging").exists()
    assert not (pod.data / ".stsgen-recipient").exists()
    assert not any(call.startswith("socat") for call in pod.calls)


# --- sidecar ---


def hold_line(objects: dict) -> str:
    """The setting seed-data adds to my.cnf until replication is configured."""
    annotations = find_statefulset(objects)["metadata"]["annotations"]
    old_names = annotations["stsgen.io/engine"]
    if old_names in ("MySQL 5.7", "MariaDB 10.11", "MariaDB 11.4"):
        return "skip-slave-start=ON"
    return "skip-replica-start=ON"


def seeded_replica(tmp_path: Path, objects: dict, position: str) -> Pod:
    pod = make_pod(tmp_path, objects, "mysql-2")
    complete_data(pod)
    (pod.data / "stsgen-seed-position").write_text(position)
    (pod.root / "conf" / "my.cnf").write_text(
        f"[mysqld]\nserver-id=102\n[mysqld]\n{hold_line(objects)}\n"
    )
    return pod


REPLICATION_SQL = {
    "mysql-8.4": [
        "RESET BINARY LOGS AND GTIDS;",
        "SET GLOBAL gtid_purged = 'uuid:1-5';",
        (
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'mysql-0.mysql',"
            " SOURCE_PORT = 3306, SOURCE_USER = 'replicator',"
            " SOURCE_PASSWORD = 'repl-secret', SOURCE_AUTO_POSITION = 1,"
            " SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1;"
        ),
        "START REPLICA;",
    ],
    "mysql-9.7": ["RESET BINARY LOGS AND GTIDS;", "START REPLICA;"],
    "mysql-8.0": ["RESET MASTER;", "CHANGE REPLICATION SOURCE TO", "START REPLICA;"],
    "mysql-5.7": [
        "RESET MASTER;",
        "SET GLOBAL gtid_purged = 'uuid:1-5';",
        (
            "CHANGE MASTER TO MASTER_HOST = 'mysql-0.mysql', MASTER_PORT = 3306,"
            " MASTER_USER = 'replicator', MASTER_PASSWORD = 'repl-secret',"
            " MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 10;"
        ),
        "START SLAVE;",
    ],
    "mariadb-10.11": [
        "SET GLOBAL gtid_slave_pos = 'uuid:1-5';",
        (
            "CHANGE MASTER TO MASTER_HOST = 'mysql-0.mysql', MASTER_PORT = 3306,"
            " MASTER_USER = 'replicator', MASTER_PASSWORD = 'repl-secret',"
            " MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;"
        ),
        "START SLAVE;",
    ],
}
REMOVED_SQL = {
    "mysql-8.4": ["MASTER", "SLAVE"],
    "mysql-9.7": ["MASTER", "SLAVE"],
    "mysql-8.0": ["CHANGE MASTER", "SLAVE"],
    "mysql-5.7": ["REPLICA", "SOURCE"],
    "mariadb-10.11": ["super_read_only", "REPLICATION SOURCE"],
}


@pytest.mark.parametrize("variant", sorted(REPLICATION_SQL))
def test_sidecar_starts_replication_from_the_seed_position(
    rendered, tmp_path, variant
) -> None:
    pod = seeded_replica(tmp_path, rendered[variant], "backup uuid:1-5\n")

    result = pod.run("sidecar")

    assert result.returncode == 0, result.stderr
    sql = pod.sql
    positions = [sql.index(statement) for statement in REPLICATION_SQL[variant]]
    assert positions == sorted(positions), sql
    for word in REMOVED_SQL[variant]:
        assert word not in sql
    assert not (pod.data / "stsgen-seed-position").exists()
    assert (pod.data / "stsgen-seed-position.applied").exists()
    assert hold_line(rendered[variant]) not in pod.config
    assert "server-id=102" in pod.config
    # my.cnf holds the root password: rewritten, it stays private.
    assert (pod.root / "conf" / "my.cnf").stat().st_mode & 0o777 == 0o600


def test_mysql_replica_is_read_only_again_after_setup(rendered, tmp_path) -> None:
    pod = seeded_replica(tmp_path, rendered["mysql-8.4"], "backup uuid:1-5\n")

    assert pod.run("sidecar").returncode == 0
    statements = pod.sql.strip().splitlines()
    assert statements[0] == "SET GLOBAL super_read_only = OFF;"
    assert statements[-1] == "SET GLOBAL super_read_only = ON;"


def test_sidecar_starts_replication_only_once(rendered, tmp_path) -> None:
    pod = seeded_replica(tmp_path, rendered["mysql-8.4"], "backup uuid:1-5\n")

    assert pod.run("sidecar").returncode == 0
    first = pod.sql
    assert pod.run("sidecar").returncode == 0

    assert pod.sql == first
    assert first.count("START REPLICA;") == 1


def test_failed_replication_setup_keeps_the_marker(rendered, tmp_path) -> None:
    pod = seeded_replica(tmp_path, rendered["mysql-8.4"], "backup uuid:1-5\n")
    pod.extra_env["STUB_SQL_RC"] = "1"

    result = pod.run("sidecar")

    assert result.returncode != 0
    assert (pod.data / "stsgen-seed-position").exists()
    assert "skip-replica-start=ON" in pod.config
    assert not any(call.startswith("socat") for call in pod.calls)


def test_clone_seeded_replica_keeps_its_gtid_history(rendered, tmp_path) -> None:
    pod = seeded_replica(tmp_path, rendered["mysql-8.4-clone"], "clone\n")
    shutil.copy("/bin/true", pod.root / "bin" / "sleep")

    result = pod.run("sidecar")

    assert result.returncode == 0, result.stderr
    assert "CHANGE REPLICATION SOURCE TO" in pod.sql
    assert "RESET" not in pod.sql and "gtid_purged" not in pod.sql


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    except (OSError, IndexError):
        return True


def _wait_for_child(pid: int, cmdline: bytes, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    children = Path(f"/proc/{pid}/task/{pid}/children")
    while time.monotonic() < deadline:
        for child in children.read_text().split():
            try:
                if Path(f"/proc/{child}/cmdline").read_bytes() == cmdline:
                    return int(child)
            except OSError:
                continue
        time.sleep(0.02)
    raise AssertionError(f"process {pid} never started {cmdline!r}")


def test_clone_sidecar_stops_at_once_on_sigterm(rendered, tmp_path) -> None:
    # As PID 1 a bare `sleep` would ignore SIGTERM until the grace period ends.
    pod = make_pod(tmp_path, rendered["mysql-8.4-clone"], "mysql-0")
    complete_data(pod)
    container = pod.container("sidecar")
    command = [pod.host_path(container, part) for part in container["command"]]
    process = subprocess.Popen(
        command, env=pod.environment(container), stderr=subprocess.PIPE, text=True
    )
    try:
        # Until the trap is set, SIGTERM would end bash anyway: wait for the sleep
        # itself, not for the command substitutions the script runs before it.
        sleeper = _wait_for_child(process.pid, b"sleep\0infinity\0")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert not Path(f"/proc/{sleeper}").exists() or _is_zombie(sleeper)
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    ("variant", "backup"),
    [("mysql-8.4", "xtrabackup"), ("mariadb-10.11", "mariadb-backup")],
)
def test_sidecar_serves_backups_on_the_seed_port(
    rendered, tmp_path, variant, backup
) -> None:
    pod = make_pod(tmp_path, rendered[variant], "mysql-0")
    complete_data(pod)

    result = pod.run("sidecar")

    assert result.returncode == 0, result.stderr
    assert pod.sql == ""
    conf = pod.root / "conf" / "my.cnf"
    assert pod.calls == [
        (
            f"socat -U TCP-LISTEN:3307,reuseaddr,fork EXEC:{backup}"
            f" --defaults-file={conf} --backup --stream=xbstream"
            f" --target-dir={pod.root / 'tmp'}"
        )
    ]


# --- every script passes shellcheck ---


SCRIPTS_DIR = "/opt/stsgen"
SOURCE_LINE = 'source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"'


def scripts_config_map(objects: dict) -> dict[str, str]:
    """The data of the ConfigMap the pod mounts at /opt/stsgen."""
    spec = pod_spec(objects)
    [mount] = {
        mount["name"]
        for container in spec["initContainers"] + spec["containers"]
        for mount in container["volumeMounts"]
        if mount["mountPath"] == SCRIPTS_DIR
    }
    [volume] = [volume for volume in spec["volumes"] if volume["name"] == mount]
    return objects[("ConfigMap", volume["configMap"]["name"])]["data"]


def iter_scripts(objects: dict) -> list[tuple[str, str]]:
    """Each container script as its container runs it, by container name."""
    spec = pod_spec(objects)
    scripts = scripts_config_map(objects)
    found = []
    for container in spec["initContainers"] + spec["containers"]:
        command = container["command"]
        if command[0] == "bash":
            assert command[1].startswith(SCRIPTS_DIR + "/"), command
            found.append((container["name"], scripts[command[1].rsplit("/", 1)[1]]))
    return found


def run_shellcheck(folder: Path, *names: str, follow: bool = False) -> str:
    """Shellcheck's report on the named files in ``folder`` ("" when clean)."""
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI") == "true":
            pytest.fail("shellcheck is not installed (apt-get install shellcheck)")
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    options = ["--external-sources"] if follow else []
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", *options, *names],
        cwd=folder,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_script_passes_shellcheck(rendered, tmp_path, variant) -> None:
    scripts = iter_scripts(rendered[variant])
    library = scripts_config_map(rendered[variant])["lib.sh"]
    assert {name for name, _ in scripts} == {"init-config", "seed-data", "sidecar"}
    (tmp_path / "lib.sh").write_text(library)
    names = []
    for name, text in scripts:
        assert text.count(SOURCE_LINE) == 1, name
        (tmp_path / f"{name}.sh").write_text(text)
        # Shellcheck reports nothing inside a file it follows, so each script is
        # also checked with the library in place of the line that sources it.
        (tmp_path / f"{name}.joined.sh").write_text(text.replace(SOURCE_LINE, library))
        names += [f"{name}.sh", f"{name}.joined.sh"]

    report = run_shellcheck(tmp_path, *names, follow=True)

    assert report == "", f"{variant}:\n{report}"


def test_shellcheck_finds_a_fault_in_the_library(rendered, tmp_path) -> None:
    """The joined check sees faults that following the source line would hide."""
    scripts = dict(iter_scripts(rendered["mysql-8.4"]))
    library = scripts_config_map(rendered["mysql-8.4"])["lib.sh"]
    faulty = library + "\nbroken() { echo $1; }\n"
    (tmp_path / "lib.sh").write_text(faulty)
    (tmp_path / "sidecar.sh").write_text(scripts["sidecar"])
    (tmp_path / "joined.sh").write_text(scripts["sidecar"].replace(SOURCE_LINE, faulty))

    assert run_shellcheck(tmp_path, "sidecar.sh", follow=True) == ""
    assert "SC2086" in run_shellcheck(tmp_path, "joined.sh")


def test_scripts_differ_by_variant(rendered) -> None:
    texts = {
        variant: scripts_config_map(objects) for variant, objects in rendered.items()
    }
    # The version's SQL lives in the library; the container scripts stay the same.
    assert texts["mysql-8.4"]["lib.sh"] != texts["mysql-5.7"]["lib.sh"]
    assert texts["mysql-8.4"]["sidecar.sh"] == texts["mysql-5.7"]["sidecar.sh"]
    assert (
        texts["mysql-8.4"]["seed-data.sh"] != texts["mysql-8.4-clone"]["seed-data.sh"]
    )
    assert yaml.safe_dump(texts["mysql-8.4"]) != yaml.safe_dump(texts["mariadb-10.11"])


# --- every tool a script calls is in the image that runs it ---

# What each default image ships, from its Dockerfile (docs/mysql.md says why).
IMAGE_TOOLS = {
    "library/mysql": {"mysqld", "mysql", "mysqladmin"},
    "percona/percona-xtrabackup": {"xtrabackup", "xbstream", "socat", "mysql"},
    "percona/percona-xtradb-cluster": {"xtrabackup", "xbstream", "socat", "mysql"},
    "library/mariadb": {
        "mariadbd",
        "mariadb",
        "mariadb-admin",
        "mariadb-install-db",
        "mariadb-backup",
        "mbstream",
        "socat",
    },
}


def image_tools(image: str) -> set[str]:
    repository = image.split("/", 1)[1].rsplit(":", 1)[0]
    return IMAGE_TOOLS[repository]


@pytest.mark.parametrize(
    "variant", ["mysql-8.4", "mysql-5.7", "mysql-8.4-clone", "mariadb-10.11"]
)
def test_scripts_call_only_tools_their_image_has(rendered, tmp_path, variant) -> None:
    objects = rendered[variant]
    called: dict[str, set[str]] = {}

    primary = make_pod(tmp_path, objects, "mysql-0")
    assert primary.run("init-config").returncode == 0
    called["init-config"] = {call.split()[0] for call in primary.calls}

    replica = make_pod(tmp_path, objects, "mysql-1")
    (replica.root / "conf" / "my.cnf").write_text("[mysqld]\n")
    replica.stream(FULL_BACKUP)
    replica.run("seed-data")
    called["seed-data"] = {call.split()[0] for call in replica.calls}

    before = len(replica.calls)
    (replica.data / "mysql").mkdir(exist_ok=True)
    (replica.data / "stsgen-seed-position").write_text("backup uuid:1-5\n")
    shutil.copy("/bin/true", replica.root / "bin" / "sleep")
    assert replica.run("sidecar").returncode == 0
    called["sidecar"] = {call.split()[0] for call in replica.calls[before:]}
    if "socat" in called["sidecar"]:
        # The backup command socat runs for each peer.
        called["sidecar"].add(replica.calls[-1].split("EXEC:")[1].split()[0])

    probes = replica.container("mysql")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        called.setdefault("mysql", set()).add(probes[probe]["exec"]["command"][0])
    called["mysql"].add(probes["command"][0])

    for name, tools in called.items():
        image = primary.container(name)["image"]
        assert tools <= image_tools(image), (name, image, tools - image_tools(image))
    assert called["seed-data"], "the seed called no tool"
