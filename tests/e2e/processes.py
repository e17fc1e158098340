"""Starting and stopping the harness's processes so that none outlives it.

Every process is started from the main thread with a parent-death signal: should the
harness die, even by SIGKILL, the kernel kills what it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

DIE_WITH_HARNESS = ("setpriv", "--pdeathsig", "KILL", "--")


class PodError(Exception):
    """Raised when a pod cannot be set up as the manifest describes."""


def run_quiet(argv: list[str]) -> None:
    """Run a setup command, raising PodError with its message when it fails."""
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise PodError(f"{' '.join(argv)}: {done.stderr.strip()}")


def start_sandbox(*namespaces: str) -> subprocess.Popen:
    """Start a process that holds new namespaces open; it dies with the harness."""
    flags = [f"--{name}" for name in namespaces]
    process = subprocess.Popen(
        [*DIE_WITH_HARNESS, "unshare", *flags, "--", "sleep", "infinity"],
        stdin=subprocess.DEVNULL,
    )
    mine = os.readlink(f"/proc/self/ns/{namespaces[0]}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{process.pid}/ns/{namespaces[0]}") != mine:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.01)
    process.kill()
    raise PodError(f"cannot create {', '.join(namespaces)} namespaces")


def stop_process(process: subprocess.Popen | None) -> None:
    """Kill a process and reap it; harmless when it is already gone."""
    if process is None:
        return
    if process.poll() is None:
        process.kill()
    process.wait()


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``pid`` unless it is already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def find_child(pid: int) -> int | None:
    """Return the first child of ``pid`` (unshare's forked process), if any."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None
