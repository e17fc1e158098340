"""A pod run the way a kubelet would, with Linux namespaces instead of a runtime.

A *sandbox* process holds the pod's network and UTS namespaces (the role of the
pause container). Each container runs in its own mount and PID namespaces joined to
them, through launcher.py. Init containers run in order to completion, then the
containers start; readiness comes from the manifest's probes; a container that
exits is restarted with a back-off.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifests
from .processes import (
    DIE_WITH_HARNESS,
    PodError,
    find_child,
    kill_quietly,
    run_quiet,
    start_sandbox,
    stop_process,
)

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("launcher.py")
# Shorter than the kubelet's 10 s doubling to 5 min, so a failing script is retried
# within the test's time budget; what matters is that it is retried at all.
BACKOFF_SECONDS = (1, 2, 4, 8)


PROBE_KINDS = ("startup", "readiness", "liveness")


@dataclass
class Probe:
    """One probe of a container and its schedule, as the kubelet keeps it."""

    kind: str
    spec: dict[str, Any]
    next_run: float = 0.0
    failures: int = 0

    @property
    def threshold(self) -> int:
        return int(self.spec.get("failureThreshold", 3))

    @property
    def period(self) -> float:
        return float(self.spec.get("periodSeconds", 10))

    @property
    def timeout(self) -> float:
        return float(self.spec.get("timeoutSeconds", 1))


@dataclass
class Container:
    """One container of a pod: its spec, its current process and its state."""

    spec: dict[str, Any]
    init: bool
    process: subprocess.Popen | None = None
    pid1: int | None = None
    started: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    ready: bool = False
    # True once the startup probe has succeeded (at once without one).
    started_up: bool = False
    exit_code: int | None = None
    probes: dict[str, Probe] = field(default_factory=dict)
    # When a container failing its liveness probe gets SIGKILL if still running.
    kill_at: float | None = None
    log_path: Path = field(default_factory=Path)
    launched: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Pod:
    """One incarnation of a StatefulSet pod: sandbox, volumes and containers."""

    def __init__(self, cluster: Any, ordinal: int, ip: str, serial: int) -> None:
        self.cluster = cluster
        self.ordinal = ordinal
        self.ip = ip
        self.serial = serial
        self.spec = manifests.build_pod(cluster.statefulset, ordinal)
        self.name = self.spec["metadata"]["name"]
        self.dir = cluster.workdir / "pods" / f"{self.name}.{serial}"
        self.sandbox: subprocess.Popen | None = None
        self.containers: list[Container] = []
        self.init_index = 0
        self.phase = "Pending"
        self.volume_dirs: dict[str, Path] = {}
        pod_spec = self.spec["spec"]
        security = pod_spec.get("securityContext") or {}
        self.fs_group = security.get("fsGroup")
        self.grace = float(pod_spec.get("terminationGracePeriodSeconds", 30))
        for spec in pod_spec.get("initContainers") or []:
            self.containers.append(Container(spec, init=True))
        for spec in pod_spec.get("containers") or []:
            probes = {
                kind: Probe(kind, spec[f"{kind}Probe"])
                for kind in PROBE_KINDS
                if spec.get(f"{kind}Probe")
            }
            self.containers.append(Container(spec, init=False, probes=probes))

    # Setting up -------------------------------------------------------------

    def start(self) -> None:
        """Create the sandbox, network and volumes, then the first init container."""
        (self.dir / "volumes").mkdir(parents=True)
        (self.dir / "containers").mkdir()
        self.sandbox = start_sandbox("net", "uts")
        self.cluster.pids.add(self.sandbox.pid)
        self.connect_network()
        run_quiet(self.enter_sandbox("--uts") + ["hostname", self.name])
        self.write_files()
        self.make_volumes()
        self.phase = "Initializing"
        log.info("%s: started as %s", self.name, self.ip)

    def enter_sandbox(self, *flags: str) -> list[str]:
        assert self.sandbox is not None
        return ["nsenter", "-t", str(self.sandbox.pid), *flags, "--"]

    def connect_network(self) -> None:
        """Plug the pod into the cluster bridge with a veth pair."""
        host_side = f"veth{self.serial}"
        bridge = self.cluster.enter_bridge()
        run_quiet(
            bridge
            + ["ip", "link", "add", host_side, "type", "veth", "peer", "name", "eth0"]
            + ["netns", str(self.sandbox.pid)]
        )
        run_quiet(bridge + ["ip", "link", "set", host_side, "master", "br0", "up"])
        inside = self.enter_sandbox("--net")
        run_quiet(inside + ["ip", "link", "set", "lo", "up"])
        run_quiet(inside + ["ip", "addr", "add", f"{self.ip}/24", "dev", "eth0"])
        run_quiet(inside + ["ip", "link", "set", "eth0", "up"])

    def write_files(self) -> None:
        """Write the pod's hosts file and resolv.conf (refreshed in place later)."""
        (self.dir / "hosts").write_text(self.cluster.build_hosts(self))
        namespace = self.spec["metadata"]["namespace"]
        # Nothing answers DNS here: port 53 on loopback refuses at once, so a name
        # missing from the hosts file fails fast instead of waiting for a timeout.
        (self.dir / "resolv.conf").write_text(
            f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\n"
            "nameserver 127.0.0.1\noptions ndots:5\n"
        )

    def refresh_hosts(self) -> None:
        """Rewrite the hosts file in place: containers see it through a bind mount."""
        text = self.cluster.build_hosts(self).encode()
        with open(self.dir / "hosts", "r+b") as handle:
            handle.truncate(0)
            handle.write(text)

    def make_volumes(self) -> None:
        """Create each volume's directory: claims persist, the others do not."""
        namespace = self.spec["metadata"]["namespace"]
        claims = manifests.claim_names(self.cluster.statefulset)
        volumes = {v["name"]: v for v in self.spec["spec"].get("volumes") or []}
        for claim in claims:
            path = self.cluster.workdir / "claims" / f"{claim}-{self.name}"
            if not path.exists():
                path.mkdir(parents=True)
                self.own_writable(path)
            self.volume_dirs[claim] = path
        for name, volume in volumes.items():
            path = self.dir / "volumes" / name
            path.mkdir()
            if "emptyDir" in volume:
                self.own_writable(path)
            elif "configMap" in volume or "secret" in volume:
                files = manifests.project_files(self.cluster.stream, volume, namespace)
                for relative, (content, mode) in files.items():
                    target = path / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                    os.chmod(target, mode)
                    if self.fs_group is not None:
                        os.chown(target, 0, self.fs_group)
            elif "persistentVolumeClaim" not in volume:
                kind = next(iter(set(volume) - {"name"}), "unknown")
                raise PodError(f"volume {name}: {kind} volumes are not simulated")
            self.volume_dirs.setdefault(name, path)

    def own_writable(self, path: Path) -> None:
        """Give a fresh volume the ownership a kubelet would (fsGroup, setgid)."""
        if self.fs_group is None:
            os.chmod(path, 0o777)
        else:
            os.chown(path, 0, self.fs_group)
            os.chmod(path, 0o2775)

    # Containers -------------------------------------------------------------

    def launch(self, container: Container) -> None:
        """Start one container through launcher.py in its own namespaces."""
        attempt = container.restarts
        scratch = self.dir / "containers" / f"{container.name}.{attempt}"
        scratch.mkdir()
        spec = self.build_launch_spec(container, scratch)
        spec_path = self.dir / "containers" / f"{container.name}.{attempt}.json"
        spec_path.write_text(json.dumps(spec))
        container.launched = spec
        logs = self.cluster.workdir / "logs"
        container.log_path = logs / f"{self.name}.{self.serial}.{container.name}.log"
        with open(container.log_path, "ab") as out:
            out.write(f"==> attempt {attempt}\n".encode())
            out.flush()
            container.process = subprocess.Popen(
                [*DIE_WITH_HARNESS, *self.enter_sandbox("--net", "--uts")]
                + ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--"]
                + [sys.executable, str(LAUNCHER), str(spec_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.cluster.pids.add(container.process.pid)
        container.pid1 = None
        container.started = time.monotonic()
        container.ready = False
        container.exit_code = None
        container.started_up = "startup" not in container.probes
        container.kill_at = None
        for probe in container.probes.values():
            delay = float(probe.spec.get("initialDelaySeconds", 0))
            probe.next_run = container.started + delay
            probe.failures = 0

    def build_launch_spec(self, container: Container, scratch: Path) -> dict[str, Any]:
        spec = container.spec
        env = manifests.build_env(self.cluster.stream, self.spec, spec, self.ip)
        argv = [manifests.expand(part, env) for part in spec.get("command") or []]
        argv += [manifests.expand(part, env) for part in spec.get("args") or []]
        if not spec.get("command"):
            raise PodError(
                f"{self.name}/{container.name}: no command; the image's entrypoint "
                "is not simulated"
            )
        security = {
            **(self.spec["spec"].get("securityContext") or {}),
            **(spec.get("securityContext") or {}),
        }
        groups = list(
            self.spec["spec"].get("securityContext", {}).get("supplementalGroups", [])
        )
        if self.fs_group is not None:
            groups.append(self.fs_group)
        uid = security.get("runAsUser")
        gid = security.get("runAsGroup", 0 if uid is not None else None)
        if security.get("runAsNonRoot") and not uid:
            # The kubelet refuses such a container (CreateContainerConfigError).
            raise PodError(
                f"{self.name}/{container.name}: runAsNonRoot is set but the "
                "container would run as root"
            )
        return {
            "readOnlyRoot": bool(security.get("readOnlyRootFilesystem")),
            "scratch": str(scratch),
            "hosts": str(self.dir / "hosts"),
            "resolv": str(self.dir / "resolv.conf"),
            "mounts": self.build_mounts(spec, env),
            "env": env,
            "argv": argv,
            "workingDir": spec.get("workingDir"),
            "uid": uid,
            "gid": gid,
            "groups": groups,
        }

    def build_mounts(self, spec: dict[str, Any], env: dict[str, str]) -> list[dict]:
        mounts = []
        for mount in spec.get("volumeMounts") or []:
            if mount["name"] not in self.volume_dirs:
                raise PodError(f"{self.name}: no volume {mount['name']}")
            source = self.volume_dirs[mount["name"]]
            sub_path = mount.get("subPath") or manifests.expand(
                mount.get("subPathExpr", ""), env
            )
            if sub_path:
                source = source / sub_path
                # The kubelet creates a missing subPath as a directory.
                if not source.exists():
                    source.mkdir(parents=True)
                    if self.fs_group is not None:
                        self.own_writable(source)
            mounts.append(
                {
                    "source": str(source),
                    "target": mount["mountPath"],
                    "readOnly": bool(mount.get("readOnly")),
                }
            )
        return mounts

    def container_pid(self, container: Container) -> int | None:
        """Return the container's process 1 (unshare's child), once it exists."""
        if container.pid1 is None and container.running:
            container.pid1 = find_child(container.process.pid)
            if container.pid1 is not None:
                self.cluster.pids.add(container.pid1)
        return container.pid1

    def tick(self, now: float) -> bool:
        """Advance init containers, restarts and probes; True when readiness changed."""
        if self.phase == "Initializing":
            self.advance_init(now)
            return False
        if self.phase != "Running":
            return False
        was_ready = self.ready
        for container in self.containers:
            if container.init:
                continue
            if not container.running:
                self.restart_later(container, now)
                continue
            if container.kill_at is not None:
                if now >= container.kill_at:
                    kill_quietly(self.container_pid(container) or container.process.pid)
                continue
            self.run_due_probes(container, now)
        return was_ready != self.ready

    def advance_init(self, now: float) -> None:
        inits = [c for c in self.containers if c.init]
        if self.init_index >= len(inits):
            for container in self.containers:
                if not container.init:
                    self.launch(container)
            self.phase = "Running"
            log.info("%s: init done, containers started", self.name)
            return
        container = inits[self.init_index]
        if container.process is None:
            if now >= container.next_start:
                self.launch(container)
            return
        code = container.process.poll()
        if code is None:
            return
        if code == 0:
            container.exit_code = 0
            self.init_index += 1
            return
        self.restart_later(container, now)

    def restart_later(self, container: Container, now: float) -> None:
        """Record an exit and schedule the restart after a back-off."""
        if container.process is not None:
            container.exit_code = container.process.wait()
            container.process = None
            container.ready = False
            step = min(container.restarts, len(BACKOFF_SECONDS) - 1)
            container.next_start = now + BACKOFF_SECONDS[step]
            container.restarts += 1
            log.warning(
                "%s/%s exited with %s, restart %d",
                self.name,
                container.name,
                container.exit_code,
                container.restarts,
            )
            return
        if now >= container.next_start:
            self.launch(container)

    def run_due_probes(self, container: Container, now: float) -> None:
        """Run the probes that are due: startup first, then readiness and liveness."""
        if not container.started_up:
            probe = container.probes["startup"]
            if now >= probe.next_run and self.run_probe(container, probe, now):
                container.started_up = True
            elif probe.failures >= probe.threshold:
                self.kill_unhealthy(container, now, "startup")
            return
        readiness = container.probes.get("readiness")
        if readiness is None:
            container.ready = True
        elif now >= readiness.next_run:
            if self.run_probe(container, readiness, now):
                container.ready = True
            elif readiness.failures >= readiness.threshold:
                container.ready = False
        liveness = container.probes.get("liveness")
        if liveness is not None and now >= liveness.next_run:
            self.run_probe(container, liveness, now)
            if liveness.failures >= liveness.threshold:
                self.kill_unhealthy(container, now, "liveness")

    def run_probe(self, container: Container, probe: Probe, now: float) -> bool:
        probe.next_run = now + probe.period
        if self.check_probe(container, probe):
            probe.failures = 0
            return True
        probe.failures += 1
        return False

    def kill_unhealthy(self, container: Container, now: float, kind: str) -> None:
        """Stop a container that failed its probe; the restart follows as usual."""
        log.warning(
            "%s/%s failed its %s probe: killing it", self.name, container.name, kind
        )
        container.ready = False
        pid = self.container_pid(container)
        if pid is not None:
            kill_quietly(pid, signal.SIGTERM)
        grace = container.probes[kind].spec.get("terminationGracePeriodSeconds")
        container.kill_at = now + float(grace if grace is not None else self.grace)

    def check_probe(self, container: Container, probe: Probe) -> bool:
        spec = probe.spec
        if "exec" in spec:
            command = spec["exec"]["command"]
            done = self.exec(container.name, command, timeout=probe.timeout)
            return done is not None and done.returncode == 0
        if "tcpSocket" in spec:
            port = spec["tcpSocket"]["port"]
            code = f"import socket; socket.create_connection(('127.0.0.1', {port}), 1)"
            argv = self.enter_sandbox("--net") + [sys.executable, "-c", code]
            try:
                done = subprocess.run(
                    argv, check=False, capture_output=True, timeout=probe.timeout
                )
            except subprocess.TimeoutExpired:
                return False
            return done.returncode == 0
        raise PodError(f"{self.name}/{container.name}: only exec and tcpSocket probes")

    @property
    def ready(self) -> bool:
        running = [c for c in self.containers if not c.init]
        return self.phase == "Running" and all(c.ready for c in running)

    def exec(
        self,
        container_name: str,
        argv: list[str],
        timeout: float = 30,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess | None:
        """Run a command in a running container, as `kubectl exec` does.

        Returns None when the container is not running or the command timed out.
        """
        container = self.find(container_name)
        pid = self.container_pid(container)
        if pid is None:
            return None
        launch = container.launched
        identity = []
        if launch["uid"] is not None:
            identity = ["-S", str(launch["uid"]), "-G", str(launch["gid"] or 0)]
        process = subprocess.Popen(
            ["nsenter", "-t", str(pid), "-m", "-u", "-n", "-p", "-r", "-w", *identity]
            + ["--", *argv],
            env={**launch["env"], **(env or {})},
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def find(self, name: str) -> Container:
        for container in self.containers:
            if container.name == name:
                return container
        raise PodError(f"{self.name} has no container {name}")

    # Stopping ---------------------------------------------------------------

    def stop(self, force: bool = False) -> None:
        """Delete the pod: preStop hooks, SIGTERM, the grace period, then SIGKILL.

        With ``force`` every process gets SIGKILL at once, as when a node dies.
        """
        live = [c for c in self.containers if c.running]
        if not force:
            for container in live:
                hook = (container.spec.get("lifecycle") or {}).get("preStop") or {}
                if "exec" in hook:
                    self.exec(container.name, hook["exec"]["command"], self.grace)
        sig = signal.SIGKILL if force else signal.SIGTERM
        for container in live:
            pid = self.container_pid(container)
            if pid is not None:
                kill_quietly(pid, sig)
            else:
                # Not yet forked: killing unshare takes its child down with it.
                container.process.kill()
        deadline = time.monotonic() + self.grace
        for container in live if not force else []:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                container.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s/%s still running after %.0f s of grace: SIGKILL",
                    self.name,
                    container.name,
                    self.grace,
                )
                container.process.kill()
            container.exit_code = container.process.wait()
        self.release()

    def release(self) -> None:
        """Kill whatever is left and drop the pod's non-persistent volumes."""
        for container in self.containers:
            if container.process is not None and container.process.poll() is None:
                # Killing a PID namespace's process 1 kills everything inside it.
                pid = self.container_pid(container)
                if pid is not None:
                    kill_quietly(pid)
                    # unshare reaps its child and exits; killing it first would
                    # leave the child to the host's init as a zombie.
                    try:
                        container.process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
            stop_process(container.process)
            container.process = None
            container.ready = False
        stop_process(self.sandbox)
        self.sandbox = None
        self.phase = "Terminated"
        # emptyDir, ConfigMap and Secret volumes go with the pod; claims stay.
        shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self) -> str:
        """Return one line on the pod's state, for failure messages."""
        states = []
        for container in self.containers:
            if container.running:
                state = "ready" if container.ready else "running"
            elif container.exit_code is not None:
                state = f"exited {container.exit_code}"
            else:
                state = "waiting"
            states.append(f"{container.name}={state}/{container.restarts}")
        return f"{self.name} ({self.ip}) {self.phase}: {', '.join(states)}"
