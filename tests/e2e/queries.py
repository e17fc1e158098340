"""SQL run inside the simulated pods with the `mariadb` client, as `kubectl exec`
would, over TCP to 127.0.0.1 with the credentials the blueprint's Secret holds."""

from __future__ import annotations

from dataclasses import dataclass

from .kubelet import Pod

# The blueprint hands the accounts to its scripts in these variables (see
# templates/mysql/_scripts/common.sh); root logs in over TCP with ROOT_PASSWORD.
ADMIN_VARIABLES = ("", "ROOT_PASSWORD")
APP_VARIABLES = ("APP_USER", "USER_PASSWORD")
ADMIN_USER = "root"


class QueryError(Exception):
    """Raised when a statement fails or cannot be run; carries the server's words."""


@dataclass(frozen=True)
class Account:
    user: str
    password: str


def read_account(env: dict[str, str], variables: tuple[str, str]) -> Account:
    """Return the account a container's environment names in ``variables``."""
    user_variable, password_variable = variables
    missing = [v for v in variables if v and v not in env]
    if missing:
        raise QueryError(f"the init container has no variable {', '.join(missing)}")
    user = env[user_variable] if user_variable else ADMIN_USER
    return Account(user, env[password_variable])


def server_container(pod: Pod) -> str:
    """Return the name of the container that runs the server (the probed one)."""
    probed = [c.name for c in pod.containers if not c.init and "readiness" in c.probes]
    if not probed:
        return next(c.name for c in pod.containers if not c.init)
    return probed[0]


def run_sql(
    pod: Pod, account: Account, sql: str, timeout: float = 20, headers: bool = False
) -> str:
    """Run ``sql`` on ``pod`` as ``account``; return the tab-separated rows."""
    names = [] if headers else ["--skip-column-names"]
    done = pod.exec(
        server_container(pod),
        # --no-defaults: the pod's option files name root and its password, which
        # would take precedence over MYSQL_PWD.
        ["mariadb", "--no-defaults", "--batch", *names, "-h", "127.0.0.1"]
        + ["-u", account.user, "-e", sql],
        timeout=timeout,
        env={"MYSQL_PWD": account.password},
    )
    if done is None:
        raise QueryError(f"{pod.name}: the server container is not running")
    if done.returncode != 0:
        raise QueryError(f"{pod.name}: {done.stderr.strip()}")
    return done.stdout


def read_value(pod: Pod, account: Account, sql: str) -> str:
    """Return the first column of the first row of ``sql``, "" when there is none."""
    rows = run_sql(pod, account, sql).splitlines()
    return rows[0].split("\t")[0] if rows else ""


def read_replica_status(pod: Pod, account: Account) -> dict[str, str]:
    """Return SHOW SLAVE STATUS as a mapping; empty on a server that replicates
    from nobody."""
    lines = run_sql(pod, account, "SHOW SLAVE STATUS", headers=True).splitlines()
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split("\t"), lines[1].split("\t")))
