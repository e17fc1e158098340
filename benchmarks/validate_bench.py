"""Measure `stsgen validate` end to end against kubernetes-validate, side by side.

Generates a mixed stream (benchmarks/generate_stream.py) in a temporary folder,
runs both tools on it as subprocesses and prints documents per second and peak
memory. Run by hand: python benchmarks/validate_bench.py [DOCUMENTS] [--runs N]
kubernetes-validate comes with the `bench` extra (pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_stream import build_stream

# Runs a command and reports its wall time and the peak RSS of it and everything
# it started, so that each tool is measured in a fresh process tree.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": elapsed, "peak_kib": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime, "code": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-300:]}))
"""


# Byte-code caches are written, as pip writes them for an installed wheel: without
# them (PYTHONDONTWRITEBYTECODE, an editable install) every run compiles stsgen.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    )
    return json.loads(done.stdout)


def tool(name: str) -> str | None:
    """Find a console script next to this Python first, then on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=int, nargs="?", default=5000)
    parser.add_argument("--runs", type=int, default=3, help="best of N runs")
    parser.add_argument("--kubernetes-version", default="1.36")
    parser.add_argument(
        "--stsgen-only", action="store_true", help="skip kubernetes-validate (slow)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stsgen-bench-") as folder:
        stream = Path(folder, "stream.yaml")
        stream.write_text(build_stream(args.documents), encoding="utf-8")
        size = stream.stat().st_size
        print(
            f"{args.documents} documents, {size / 2**20:.1f} MiB, best of {args.runs}"
        )

        commands = {}
        stsgen = tool("stsgen")
        if stsgen:
            commands["stsgen validate"] = [
                stsgen,
                "validate",
                "--kubernetes-version",
                args.kubernetes_version,
                "-o",
                "json",
                str(stream),
            ]
            commands["stsgen validate --workers 1"] = [
                *commands["stsgen validate"][:2],
                "--workers",
                "1",
                *commands["stsgen validate"][2:],
            ]
        kv = None if args.stsgen_only else tool("kubernetes-validate")
        if kv:
            commands["kubernetes-validate --strict"] = [
                kv,
                "--strict",
                "--quiet",
                "-k",
                f"{args.kubernetes_version}.0",
                str(stream),
            ]
        elif not args.stsgen_only:
            print("kubernetes-validate is not installed; pip install -e '.[bench]'")

        load = os.getloadavg()[0]
        print(f"load average before: {load:.2f} on {os.cpu_count()} CPUs")
        header = f"{'tool':<32} {'seconds':>8} {'docs/s':>8} {'CPU s':>6}"
        print(f"{header} {'peak MiB':>9} {'exit':>5}")
        for name, command in commands.items():
            if "kubernetes" not in name:
                measure(command)  # warm: page cache and byte-code caches
            runs = [
                measure(command)
                for _ in range(1 if "kubernetes" in name else args.runs)
            ]
            best = min(runs, key=lambda run: run["seconds"])
            rate = args.documents / best["seconds"]
            peak = max(run["peak_kib"] for run in runs) / 1024
            print(
                f"{name:<32} {best['seconds']:>8.2f} {rate:>8.0f} {best['cpu']:>6.2f} "
                f"{peak:>9.1f} {best['code']:>5}"
            )
            if best["code"] not in (0, 1):
                print(f"  stderr: {best['stderr'].strip()}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
