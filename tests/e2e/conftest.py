"""The `e2e` marker and the check that this machine can run the pod simulator.

Without root or a prerequisite the end-to-end tests are skipped with the reason;
under CI=true (as in .ci/run, after tests/e2e/prereqs.sh) that is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOOLS = (
    "mariadbd",
    "mariadb",
    "mariadb-install-db",
    "mariabackup",
    "mbstream",
    "ncat",
    "socat",
    "bash",
    "ip",
    "unshare",
    "nsenter",
    "setpriv",
    "mount",
)
SEARCH_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"]
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: runs rendered pods on real MariaDB servers in Linux namespaces "
        "(needs root and tests/e2e/prereqs.sh)",
    )


def find_missing_prerequisite() -> str | None:
    """Return why this machine cannot run the simulator, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to create namespaces and mounts"
    missing = [tool for tool in TOOLS if shutil.which(tool, path=SEARCH_PATH) is None]
    if missing:
        return f"missing {', '.join(missing)} (run tests/e2e/prereqs.sh)"
    with open("/proc/filesystems", encoding="ascii") as handle:
        if "overlay" not in handle.read():
            return "the kernel has no overlay file system"
    probe = subprocess.run(
        ["unshare", "--net", "--uts", "--mount", "--pid", "--fork", "true"],
        check=False,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot create namespaces: {probe.stderr.strip()}"
    return None


def require_simulator_host() -> None:
    """Skip (or fail under CI=true) unless the pod simulator can run here."""
    reason = find_missing_prerequisite()
    if reason is None:
        os.environ["PATH"] = SEARCH_PATH
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"e2e prerequisite missing under CI: {reason}", pytrace=False)
    pytest.skip(f"e2e: {reason}")


@pytest.fixture(scope="session")
def simulator_host() -> None:
    require_simulator_host()
