"""Running stsgen the two ways users and tests do: in-process and as a command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        # Shown by pytest when an assert on a Run fails.
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_cli(*args: str, stdin: str | None = None) -> Run:
    """Run stsgen in-process through Typer's runner, stdout and stderr apart."""
    from stsgen.cli.app import _register_commands, app

    if not app.registered_commands:
        _register_commands()
    result = CliRunner().invoke(app, list(args), input=stdin)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_command(
    *args: str, cwd: Path = REPO, stdin: str | None = None, env=None
) -> Run:
    """Run the installed ``stsgen`` entry point as a separate process."""
    executable = Path(sys.executable).parent / "stsgen"
    command = (
        [str(executable)] if executable.exists() else [sys.executable, "-m", "stsgen"]
    )
    completed = subprocess.run(
        [*command, *args],
        check=False,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
