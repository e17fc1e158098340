"""The command-line interface: one module per command, joined in app.py."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the CLI; a dependency missing from the installation is exit code 3."""
    from stsgen.errors import ExitCode

    try:
        from stsgen.cli.app import main as run
    except ImportError as exc:
        # Known only here, before Typer and Rich are there to report it.
        sys.stderr.write(f"stsgen: error: broken installation: {exc}\n")
        raise SystemExit(int(ExitCode.BROKEN)) from None
    run()
