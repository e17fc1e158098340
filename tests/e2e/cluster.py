"""A one-node cluster for a rendered StatefulSet: network, DNS and the controller.

The pods sit on a private bridge inside a network namespace of their own, on
10.251.0.0/24, so no address outside the namespaces made here is touched. Cluster
DNS is simulated with each pod's hosts file, listing the ready endpoints of the
stream's Services and the per-pod names of the governing headless Service. The
StatefulSet controller's part is OrderedReady creation and recreating a deleted pod.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from typing_extensions import Self

from . import manifests
from .kubelet import Pod
from .processes import run_quiet, start_sandbox, stop_process

log = logging.getLogger(__name__)

SUBNET = "10.251.0"
LOG_TAIL_LINES = 25


class Interrupted(Exception):
    """Raised in the main thread when the harness receives SIGTERM or SIGHUP."""


def raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(f"interrupted by signal {signum}")


class Cluster:
    """The simulated cluster; use it as a context manager so it always cleans up."""

    def __init__(self, text: str, workdir: Path) -> None:
        self.stream = manifests.load_stream(text)
        self.statefulset = self.stream.statefulset()
        self.namespace = manifests.namespace_of(self.statefulset)
        self.service_name = self.statefulset["spec"].get("serviceName", "")
        self.workdir = workdir
        self.pods: dict[int, Pod] = {}
        self.bridge = None
        self.serial = 0
        self.saved_handlers: dict[int, object] = {}
        # Every process started, to prove afterwards that none is left.
        self.pids: set[int] = set()

    def __enter__(self) -> Self:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            self.saved_handlers[signum] = signal.signal(signum, raise_interrupted)
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        for name in ("logs", "claims", "pods"):
            (self.workdir / name).mkdir(parents=True, exist_ok=True)
        self.bridge = start_sandbox("net")
        self.pids.add(self.bridge.pid)
        run_quiet(self.enter_bridge() + ["ip", "link", "add", "br0", "type", "bridge"])
        run_quiet(self.enter_bridge() + ["ip", "link", "set", "br0", "up"])

    def enter_bridge(self) -> list[str]:
        return ["nsenter", "-t", str(self.bridge.pid), "--net", "--"]

    def close(self) -> None:
        """Kill every pod and the bridge, then remove the work folder; idempotent."""
        for pod in list(self.pods.values()):
            pod.release()
        self.pods.clear()
        stop_process(self.bridge)
        self.bridge = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        for signum, handler in self.saved_handlers.items():
            signal.signal(signum, handler)
        self.saved_handlers.clear()

    def find_leftovers(self) -> list[int]:
        """Return the processes started here that still run (zombies aside)."""
        left = []
        for pid in sorted(self.pids):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            if stat.rpartition(")")[2].split()[0] != "Z":
                left.append(pid)
        return left

    # The controller ---------------------------------------------------------

    def create_pod(self, ordinal: int) -> Pod:
        """Create the pod for ``ordinal`` with a fresh address, as a new pod gets."""
        self.serial += 1
        if self.serial > 240:
            raise RuntimeError("the simulated subnet has no addresses left")
        pod = Pod(self, ordinal, f"{SUBNET}.{10 + self.serial}", self.serial)
        self.pods[ordinal] = pod
        pod.start()
        return pod

    def scale(self, replicas: int, timeout: float) -> None:
        """Create the missing pods and wait until all are Ready: with OrderedReady
        (the default) each pod is created once the one before is Ready."""
        policy = self.statefulset["spec"].get("podManagementPolicy", "OrderedReady")
        for ordinal in range(replicas):
            if ordinal not in self.pods:
                self.create_pod(ordinal)
            if policy == "OrderedReady":
                self.wait_ready(ordinal, timeout)
        for ordinal in range(replicas):
            self.wait_ready(ordinal, timeout)

    def delete_pod(self, ordinal: int, force: bool = False) -> None:
        """Delete a pod (SIGTERM, or SIGKILL with ``force``); the controller
        recreates it at once with the same name and claim."""
        pod = self.pods.pop(ordinal)
        pod.stop(force=force)
        self.refresh_hosts()
        log.info("%s: deleted (%s)", pod.name, "SIGKILL" if force else "SIGTERM")
        self.create_pod(ordinal)

    def wait_ready(self, ordinal: int, timeout: float) -> None:
        self.wait_for(
            lambda: self.pods[ordinal].ready,
            timeout,
            f"{self.statefulset['metadata']['name']}-{ordinal} to be Ready",
        )

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float, what: str
    ) -> float:
        """Run the kubelet loop until ``predicate`` holds; return the seconds taken."""
        start = time.monotonic()
        while True:
            self.tick()
            if predicate():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(
                    f"timed out after {timeout:.0f} s waiting for {what}"
                )
            time.sleep(0.1)

    def tick(self) -> None:
        now = time.monotonic()
        changed = [pod.tick(now) for pod in list(self.pods.values())]
        if any(changed):
            self.refresh_hosts()

    # Simulated DNS ----------------------------------------------------------

    def refresh_hosts(self) -> None:
        for pod in self.pods.values():
            if pod.sandbox is not None:
                pod.refresh_hosts()

    def build_hosts(self, pod: Pod) -> str:
        """Return a pod's hosts file: the kubelet's lines, then the cluster's names."""
        domain = f"{self.namespace}.svc.cluster.local"
        lines = [
            "# Kubernetes-managed hosts file (simulated by the stsgen e2e harness).",
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            f"{pod.ip}\t{pod.name}.{self.service_name}.{domain}\t{pod.name}",
            "# cluster DNS: ready endpoints of each Service",
        ]
        for service in self.stream.find("Service"):
            if manifests.namespace_of(service) != self.namespace:
                continue
            lines.extend(self.build_service_lines(service, domain))
        return "\n".join(lines) + "\n"

    def build_service_lines(self, service: dict, domain: str) -> list[str]:
        name = service["metadata"]["name"]
        spec = service.get("spec") or {}
        selector = spec.get("selector") or {}
        publish_all = bool(spec.get("publishNotReadyAddresses"))
        lines = []
        for pod in sorted(self.pods.values(), key=lambda p: p.ordinal):
            labels = pod.spec["metadata"].get("labels") or {}
            if pod.sandbox is None or not manifests.select(selector, labels):
                continue
            if not (pod.ready or publish_all):
                continue
            names = [name, f"{name}.{self.namespace}", f"{name}.{self.namespace}.svc"]
            names.append(f"{name}.{domain}")
            if spec.get("clusterIP") == "None" and name == self.service_name:
                host = f"{pod.name}.{name}"
                names = [host, f"{host}.{self.namespace}", f"{host}.{domain}"] + names
            lines.append(f"{pod.ip}\t" + " ".join(names))
        return lines

    # Reporting --------------------------------------------------------------

    def describe(self) -> str:
        """Return every pod's state and the tail of each container's log."""
        parts = [pod.describe() for pod in self.pods.values()]
        for path in sorted((self.workdir / "logs").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            parts.append(f"--- {path.name} (last {len(lines)} lines)")
            parts.extend(lines)
        return "\n".join(parts)


def remove_stale_workdirs(parent: Path, prefix: str) -> None:
    """Remove work folders left by a harness process that no longer exists."""
    for path in parent.glob(f"{prefix}*"):
        owner = path.name[len(prefix) :].split("-", 1)[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            shutil.rmtree(path, ignore_errors=True)
