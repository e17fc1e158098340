"""Start-up cost of `stsgen render statefulset` against a bare import of its tools.

Issue target: a render costs at most 1.5 times `python -c "import typer, jinja2,
yaml"` in the same environment. Run by hand (not a test); prints medians of wall
time and of CPU time. The commands take turns, run by run, so that a busy spell of
the machine weighs on all of them alike; CPU time moves less than wall time on a
shared virtual machine.

    python benchmarks/startup_bench.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Byte-code caches are written, as pip writes them for an installed wheel: without
# them (PYTHONDONTWRITEBYTECODE, an editable install) every run compiles stsgen.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command``; return its wall time and CPU time in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    stsgen = Path(sys.executable).parent / "stsgen"
    cases = {
        "import typer, jinja2, yaml": [
            sys.executable,
            "-c",
            "import typer, jinja2, yaml",
        ],
        "stsgen render statefulset": [str(stsgen), "render", "statefulset"],
        "stsgen render statefulset --no-validate": [
            str(stsgen),
            "render",
            "statefulset",
            "--no-validate",
        ],
        # Seven objects of five kinds: five schemas to build and compile.
        "stsgen render mysql": [str(stsgen), "render", "mysql"],
        # A first run, or a home without a writable ~/.cache: every template is
        # compiled again.
        "stsgen render statefulset, no template cache": [
            str(stsgen),
            "render",
            "statefulset",
        ],
    }
    no_cache = {**ENV, "XDG_CACHE_HOME": "/dev/null"}
    envs = {label: ENV for label in cases}
    envs["stsgen render statefulset, no template cache"] = no_cache
    # One untimed run each so that the page cache and the byte-code caches are
    # warm, as they are for a user's second command.
    for label, command in cases.items():
        run_once(command, envs[label])

    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    for _ in range(args.runs):
        for label, command in cases.items():
            samples[label].append(run_once(command, envs[label]))

    base_wall = base_cpu = None
    print(f"{'command':48} {'wall':>9} {'':>6} {'CPU':>9}")
    for label, runs in samples.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        base_wall, base_cpu = base_wall or wall, base_cpu or cpu
        print(
            f"{label:48} {wall * 1000:6.1f} ms {wall / base_wall:5.2f}x "
            f"{cpu * 1000:6.1f} ms {cpu / base_cpu:5.2f}x"
        )


if __name__ == "__main__":
    main()
