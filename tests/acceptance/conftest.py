"""Fixtures for driving `stsgen validate` on manifests written for one test."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.helpers import Run, run_cli

VALID_STATEFULSET = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - name: http
    port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - name: http
          containerPort: 80
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a manifest (dedented) under the test's folder and return its path."""

    def write_file(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write_file


def validate_json(*args: str | Path, stdin: str | None = None) -> tuple[Run, dict]:
    """Run `stsgen validate -o json` in-process; return the run and parsed report."""
    run = run_cli("validate", "-o", "json", *map(str, args), stdin=stdin)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"stdout is not JSON\n{run}")
    return run, report


def rules_of(report: dict) -> list[str]:
    return [finding["rule"] for finding in report["findings"]]
