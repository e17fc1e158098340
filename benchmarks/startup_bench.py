"""Start-up cost of `stsgen render statefulset` against a bare import of its tools.

Issue target: a render costs at most 1.5 times `python -c "import typer, jinja2,
yaml"` in the same environment. Run by hand (not a test); prints medians.

    python benchmarks/startup_bench.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


# Byte-code caches are written, as pip writes them for an installed wheel: without
# them (PYTHONDONTWRITEBYTECODE, an editable install) every run compiles stsgen.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_command(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    stsgen = Path(sys.executable).parent / "stsgen"
    baseline = [sys.executable, "-c", "import typer, jinja2, yaml"]
    cases = {
        "import typer, jinja2, yaml": baseline,
        "stsgen render statefulset": [str(stsgen), "render", "statefulset"],
        "stsgen render statefulset --no-validate": [
            str(stsgen),
            "render",
            "statefulset",
            "--no-validate",
        ],
    }
    # One untimed run each so that the page cache and Jinja's bytecode cache are
    # warm, as they are for a user's second command.
    for command in cases.values():
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)

    base = None
    for label, command in cases.items():
        median = time_command(command, args.runs)
        base = base or median
        print(f"{label:45} {median * 1000:7.1f} ms  {median / base:5.2f}x")


if __name__ == "__main__":
    main()
