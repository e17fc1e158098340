"""Process 1 of a simulated container: builds its root file system, then runs it.

Run by the harness inside fresh mount and PID namespaces (already joined to the pod's
network and UTS namespaces) as `python launcher.py SPEC.json`. The root is a
copy-on-write overlay of the host's root, so nothing the container writes reaches the
host; the pod's volumes are bind-mounted at the manifest's mountPaths. Standard
library only, as it runs before anything is set up.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
import sys

# What the official MariaDB image changes in the distribution's configuration:
# these settings would pin the server to localhost or a log file, so it comments
# them out, and it reads conf.d (the documented mount point) last.
_IMAGE_COMMENTED = re.compile(r"^(bind-address|log|user\s)", re.MULTILINE)
_IMAGE_SKIPCACHE = "[mariadb]\nhost-cache-size=0\nskip-name-resolve\n"
_PR_SET_PDEATHSIG = 1
# The official MariaDB image creates its mysql account and group as 999.
IMAGE_MYSQL_ID = 999


def run_mount(*args: str) -> None:
    """Run mount(8) and stop the container with its message when it fails."""
    done = subprocess.run(["mount", *args], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"launcher: mount {' '.join(args)}: {done.stderr.strip()}")


def build_root(scratch: str, read_only: bool) -> str:
    """Mount an overlay of the host's root under ``scratch``; return it.

    The overlay stays writable until every mount is in place (see main).
    """
    run_mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", scratch)
    for name in ("upper", "work", "root"):
        os.mkdir(os.path.join(scratch, name))
    root = os.path.join(scratch, "root")
    options = f"lowerdir=/,upperdir={scratch}/upper,workdir={scratch}/work"
    run_mount("-t", "overlay", "-o", options, "overlay", root)
    run_mount("--rbind", "/dev", f"{root}/dev")
    run_mount("--rbind", "/sys", f"{root}/sys")
    run_mount("-t", "proc", "proc", f"{root}/proc")
    # A container's /tmp starts empty; this also hides the harness's own folders.
    ro = ",ro" if read_only else ""
    run_mount("-t", "tmpfs", "-o", f"mode=1777{ro}", "tmpfs", f"{root}/tmp")
    return root


def apply_image(root: str, read_only: bool) -> None:
    """Give the root what the MariaDB image holds beyond the distribution's files."""
    set_account_ids(f"{root}/etc/passwd", 2)
    set_account_ids(f"{root}/etc/group", 2)
    set_account_ids(f"{root}/etc/passwd", 3, drop_others=False)

    etc = f"{root}/etc/mysql"
    for folder, _dirs, files in os.walk(etc):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith(".cnf") or os.path.islink(path):
                continue
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if _IMAGE_COMMENTED.search(text):
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(_IMAGE_COMMENTED.sub(r"#\1", text))
    if os.path.isdir(f"{etc}/mariadb.conf.d"):
        with open(f"{etc}/mariadb.conf.d/05-skipcache.cnf", "w") as handle:
            handle.write(_IMAGE_SKIPCACHE)
    swap_includes(f"{etc}/mariadb.cnf")

    # An empty data directory and a private socket directory, as in the image.
    # Read-only with readOnlyRootFilesystem, as the image's own folders would be.
    ro = ",ro" if read_only else ""
    options = f"mode=0755,uid={IMAGE_MYSQL_ID},gid={IMAGE_MYSQL_ID}{ro}"
    run_mount("-t", "tmpfs", "-o", options, "tmpfs", f"{root}/var/lib/mysql")
    os.makedirs(f"{root}/run/mysqld", exist_ok=True)
    run_mount("-t", "tmpfs", "-o", f"mode=0777{ro}", "tmpfs", f"{root}/run/mysqld")


def set_account_ids(path: str, column: int, drop_others: bool = True) -> None:
    """Give the mysql entry of passwd or group the image's id in ``column``.

    With ``drop_others``, entries of other names with that id go, so that the id
    has one name, as in the image.
    """
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    kept = []
    for line in lines:
        fields = line.split(":")
        if len(fields) > column and fields[0] == "mysql":
            fields[column] = str(IMAGE_MYSQL_ID)
        elif (
            drop_others
            and len(fields) > column
            and fields[column] == str(IMAGE_MYSQL_ID)
        ):
            continue
        kept.append(":".join(fields))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(kept) + "\n")


def swap_includes(path: str) -> None:
    """Make conf.d come after mariadb.conf.d, so mounted settings win."""
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines(keepends=True)
    includes = [line for line in lines if line.startswith("!includedir")]
    conf_d = [line for line in includes if line.rstrip().endswith("/conf.d/")]
    if not conf_d:
        return
    rest = [line for line in lines if line not in conf_d]
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(rest + conf_d)


def mount_file(source: str, target: str) -> None:
    """Bind-mount one file over ``target``, creating an empty one first if needed."""
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    run_mount("--bind", source, target)


def mount_volumes(root: str, mounts: list[dict]) -> None:
    """Bind-mount each volume (or its subPath) at its mountPath, in manifest order."""
    for mount in mounts:
        source, target = mount["source"], root + mount["target"]
        if os.path.isdir(source):
            os.makedirs(target, exist_ok=True)
            run_mount("--bind", source, target)
        else:
            mount_file(source, target)
        if mount.get("readOnly"):
            run_mount("-o", "remount,bind,ro", target)


def drop_privileges(spec: dict) -> None:
    """Switch to the securityContext's user and groups, when it names any."""
    groups = spec.get("groups") or []
    if spec.get("gid") is not None:
        os.setgroups(groups)
        os.setgid(spec["gid"])
    elif groups:
        os.setgroups(groups)
    if spec.get("uid") is not None:
        os.setuid(spec["uid"])


def die_with_parent(parent: int) -> None:
    """Ask for SIGKILL when the parent (unshare) dies.

    Changing user clears the request unshare --kill-child made, so it is made again.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0) != 0:
        raise SystemExit("launcher: prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        raise SystemExit("launcher: the harness is gone")


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)

    read_only = spec["readOnlyRoot"]
    root = build_root(spec["scratch"], read_only)
    apply_image(root, read_only)
    mount_file(spec["hosts"], f"{root}/etc/hosts")
    mount_file(spec["resolv"], f"{root}/etc/resolv.conf")
    mount_volumes(root, spec["mounts"])
    if read_only:
        # Only the root mount turns read-only; the volumes on it stay as they are.
        run_mount("-o", "remount,bind,ro", root)

    parent = os.getppid()
    os.chroot(root)
    os.chdir(spec.get("workingDir") or "/")
    drop_privileges(spec)
    die_with_parent(parent)
    argv = spec["argv"]
    try:
        os.execvpe(argv[0], argv, spec["env"])
    except OSError as exc:
        raise SystemExit(f"launcher: cannot run {argv[0]}: {exc.strerror}") from None


if __name__ == "__main__":
    main(sys.argv[1])
