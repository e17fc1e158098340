"""End to end: `stsgen render mysql --set flavor=mariadb` replicates on real servers.

The rendered stream runs in the pod simulator (cluster.py, kubelet.py) on the
host's MariaDB binaries; each check prints one PASS or FAIL line. To see where a
replica's data came from, the admin writes a table on each replica with the binary
log off: it survives only if the data directory is kept, and travels only by seeding.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import stsgen

from . import manifests, queries
from .cluster import Cluster, remove_stale_workdirs
from .manifests import ManifestError
from .processes import PodError
from .queries import Account, QueryError, read_value, run_sql

pytestmark = pytest.mark.e2e

RENDER_ARGS = ["render", "mysql", "--set", "flavor=mariadb", "--set", "replicas=3"]
RENDER_ARGS += ["--generate-secret"]
# Set to a manifest file to run the harness on it instead of the rendered blueprint.
MANIFEST_ENV = "STSGEN_E2E_MANIFEST"
WORKDIR_PREFIX = "stsgen-e2e-"
READY_TIMEOUT = 60.0
CATCH_UP_TIMEOUT = 30.0
TABLE = "e2e.rows"
# What a pod or a statement failing looks like; anything else is a harness bug.
SCENARIO_ERRORS = (QueryError, TimeoutError, PodError, ManifestError)


class Report:
    """Prints one PASS or FAIL line per check and remembers the failures."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.failures: list[str] = []

    def record(self, passed: bool, check: str, detail: str = "") -> None:
        line = f"{'PASS' if passed else 'FAIL'} {check}" + (
            f": {detail}" if detail else ""
        )
        if not passed:
            self.failures.append(line)
        with self.capsys.disabled():
            sys.stdout.write(f"\n{line}")
            sys.stdout.flush()

    def note(self, text: str) -> None:
        with self.capsys.disabled():
            sys.stdout.write(f"\n     {text}\n")
            sys.stdout.flush()

    def check(self, check: str, run: Callable[[], str]) -> None:
        """Run one check; its return value is the detail, an exception a FAIL."""
        try:
            detail = run()
        except (AssertionError, *SCENARIO_ERRORS) as exc:
            self.record(False, check, str(exc))
        else:
            self.record(True, check, detail)


def render_stream() -> str:
    """Return the stream under test: `stsgen render ...`, or the override file."""
    override = os.environ.get(MANIFEST_ENV)
    if override:
        return Path(override).read_text(encoding="utf-8")
    source_root = str(Path(stsgen.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source_root, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "stsgen", *RENDER_ARGS],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.fail(f"stsgen {' '.join(RENDER_ARGS)} failed: {done.stderr.strip()}")
    return done.stdout


@pytest.fixture
def cluster(simulator_host: None) -> Iterator[Cluster]:
    text = render_stream()
    parent = Path(tempfile.gettempdir())
    remove_stale_workdirs(parent, WORKDIR_PREFIX)
    workdir = Path(
        tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=parent)
    )
    host_before = read_host_network()
    with Cluster(text, workdir) as running:
        yield running
    assert not workdir.exists(), "the harness left its work folder behind"
    assert not running.find_leftovers(), "the harness left processes behind"
    assert read_host_network() == host_before, "the host's network changed"


def read_host_network() -> str:
    """Return the host's links, addresses and routes, to compare before and after."""
    listing = [
        subprocess.run(
            ["ip", "-o", *what], check=True, capture_output=True, text=True
        ).stdout
        for what in (["link"], ["addr"], ["route"])
    ]
    # `ip -o` puts the details (lifetimes that count down) after a backslash.
    lines = "".join(listing).splitlines()
    return "\n".join(sorted(line.split("\\")[0].rstrip() for line in lines))


class Scenario:
    """The replication scenario: what it writes, and how it checks the pods."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        # The accounts as the pod's scripts see them: the environment the kubelet
        # builds from the StatefulSet and the rendered Secret.
        pod = manifests.build_pod(cluster.statefulset, 0)
        first = (pod["spec"].get("initContainers") or pod["spec"]["containers"])[0]
        env = manifests.build_env(cluster.stream, pod, first, "")
        self.admin: Account = queries.read_account(env, queries.ADMIN_VARIABLES)
        self.app: Account = queries.read_account(env, queries.APP_VARIABLES)
        self.written = 0

    def pod(self, ordinal: int):
        return self.cluster.pods[ordinal]

    def replicas(self) -> list[int]:
        return sorted(o for o in self.cluster.pods if o != 0)

    def prepare(self) -> None:
        """Create the test table on the primary and let the app user write to it."""
        run_sql(
            self.pod(0),
            self.admin,
            "CREATE DATABASE e2e; "
            f"CREATE TABLE {TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, "
            "batch VARCHAR(32) NOT NULL, payload VARCHAR(64) NOT NULL) ENGINE=InnoDB; "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON e2e.* TO '{self.app.user}'@'%';",
        )

    def write_rows(self, batch: str, count: int) -> None:
        """Insert ``count`` rows on mysql-0 as the application user."""
        values = ", ".join(
            f"('{batch}', SHA2('{batch}-{n}', 256))" for n in range(count)
        )
        run_sql(
            self.pod(0),
            self.app,
            f"INSERT INTO {TABLE} (batch, payload) VALUES {values}",
        )
        self.written += count

    def count_rows(self, ordinal: int) -> int:
        return int(
            read_value(self.pod(ordinal), self.admin, f"SELECT COUNT(*) FROM {TABLE}")
        )

    def wait_caught_up(self, ordinal: int) -> float:
        """Wait until a pod holds every row written so far; return the seconds."""

        def caught_up() -> bool:
            try:
                return self.count_rows(ordinal) == self.written
            except QueryError:
                return False

        return self.cluster.wait_for(
            caught_up, CATCH_UP_TIMEOUT, f"mysql-{ordinal} to hold {self.written} rows"
        )

    def mark_origin(self, ordinal: int) -> None:
        """Write, outside the binary log, which pod this data directory began on."""
        run_sql(
            self.pod(ordinal),
            self.admin,
            "SET SESSION sql_log_bin = 0; CREATE DATABASE e2e_local; "
            "CREATE TABLE e2e_local.origin (pod VARCHAR(32)) ENGINE=InnoDB; "
            f"INSERT INTO e2e_local.origin VALUES ('{self.pod(ordinal).name}');",
        )

    def read_origin(self, ordinal: int) -> str:
        try:
            return read_value(
                self.pod(ordinal), self.admin, "SELECT pod FROM e2e_local.origin"
            )
        except QueryError as exc:
            if "doesn't exist" in str(exc) or "Unknown database" in str(exc):
                return "(no marker)"
            raise

    # The checks -------------------------------------------------------------

    def check_rows_arrive(self) -> str:
        self.write_rows("initial", 200)
        times = [
            f"{self.pod(o).name} {self.wait_caught_up(o):.1f} s"
            for o in self.replicas()
        ]
        return f"{self.written} rows on " + ", ".join(times)

    def check_replicas_refuse_app_writes(self) -> str:
        sql = f"INSERT INTO {TABLE} (batch, payload) VALUES ('refused', 'x')"
        for ordinal in self.replicas():
            try:
                run_sql(self.pod(ordinal), self.app, sql)
            except QueryError as exc:
                assert "read-only" in str(exc) or "1290" in str(exc), str(exc)
            else:
                raise AssertionError(
                    f"{self.pod(ordinal).name} accepted a write by {self.app.user}"
                )
        return (
            f"{self.app.user} refused with read-only on {len(self.replicas())} replicas"
        )

    def check_threads_run(self) -> str:
        for ordinal in self.replicas():
            self.assert_threads_run(ordinal)
        return f"IO and SQL threads run on {len(self.replicas())} replicas"

    def assert_threads_run(self, ordinal: int) -> None:
        status = queries.read_replica_status(self.pod(ordinal), self.admin)
        name = self.pod(ordinal).name
        assert status, f"{name} replicates from nobody"
        error = status.get("Last_Error") or status.get("Last_IO_Error")
        for thread in ("Slave_IO_Running", "Slave_SQL_Running"):
            assert status.get(thread) == "Yes", (
                f"{name}: {thread}={status.get(thread)!r}, last error {error!r}"
            )

    def check_comes_back(self, ordinal: int, force: bool) -> str:
        name = self.pod(ordinal).name
        before = self.count_rows(ordinal)
        started = time.monotonic()
        self.cluster.delete_pod(ordinal, force=force)
        self.write_rows(f"while-{name}-down", 100)
        self.cluster.wait_ready(ordinal, READY_TIMEOUT)
        origin = self.read_origin(ordinal)
        assert origin == name, (
            f"{name} came back with data from {origin}: it was seeded again"
        )
        self.wait_caught_up(ordinal)
        self.assert_threads_run(ordinal)
        took = time.monotonic() - started
        return (
            f"{name} kept its data ({before} rows), skipped the seed, caught up to "
            f"{self.written} rows in {took:.1f} s"
        )

    def check_scale_to_four(self) -> str:
        started = time.monotonic()
        self.cluster.scale(4, READY_TIMEOUT)
        origin = self.read_origin(3)
        assert origin == "mysql-2", f"mysql-3 was seeded from {origin}, not mysql-2"
        self.write_rows("after-scale", 100)
        self.wait_caught_up(3)
        self.assert_threads_run(3)
        took = time.monotonic() - started
        return (
            f"mysql-3 seeded from mysql-2, caught up to {self.written} rows "
            f"in {took:.1f} s"
        )

    def check_checksums_agree(self) -> str:
        sums = {}
        for ordinal in sorted(self.cluster.pods):
            self.wait_caught_up(ordinal)
            row = run_sql(self.pod(ordinal), self.admin, f"CHECKSUM TABLE {TABLE}")
            sums[self.pod(ordinal).name] = row.split("\t")[-1].strip()
        assert len(set(sums.values())) == 1, f"checksums differ: {sums}"
        return f"{next(iter(sums.values()))} on {len(sums)} pods"


def test_rendered_mariadb_replicates(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
):
    report = Report(capsys)
    started = time.monotonic()
    try:
        scenario = Scenario(cluster)
        report.check(
            "pods mysql-0..2 start in order and become Ready", lambda: start(cluster)
        )
        if report.failures:
            pytest.fail(f"{report.failures[0]}\n{cluster.describe()}", pytrace=False)
        scenario.prepare()
        for ordinal in scenario.replicas():
            scenario.mark_origin(ordinal)

        report.check(
            "rows written on mysql-0 arrive on every replica",
            scenario.check_rows_arrive,
        )
        report.check(
            "a replica refuses writes from the application user",
            scenario.check_replicas_refuse_app_writes,
        )
        report.check(
            "both replication threads run on every replica", scenario.check_threads_run
        )
        report.check(
            "a replica deleted with SIGTERM comes back and catches up",
            lambda: scenario.check_comes_back(1, force=False),
        )
        report.check(
            "a replica killed with SIGKILL comes back and catches up",
            lambda: scenario.check_comes_back(2, force=True),
        )
        report.check(
            "scaling to four seeds mysql-3 from mysql-2", scenario.check_scale_to_four
        )
        report.check(
            "CHECKSUM TABLE agrees on all pods", scenario.check_checksums_agree
        )
    except SCENARIO_ERRORS as exc:
        report.record(False, "the scenario could not go on", str(exc))
    report.note(f"{time.monotonic() - started:.1f} s in all")
    if report.failures:
        pytest.fail(
            "\n".join(report.failures) + "\n" + cluster.describe(), pytrace=False
        )


def start(cluster: Cluster) -> str:
    cluster.scale(3, READY_TIMEOUT)
    return ", ".join(pod.describe().split(":")[0] for pod in cluster.pods.values())
