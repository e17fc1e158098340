"""The command-line interface: one module per command, joined in app.py.

The modules that define commands evaluate their annotations as they are defined
(no ``from __future__ import annotations``): Typer reads the annotations on every
run, and evaluating them from strings doubled the time it takes to build a command.
"""

from __future__ import annotations

import gc
import sys


class _ClosedOutput:
    """Stands for standard output when the process was started without one
    (``>&-``), which Python leaves as None: writing to it is reported as any
    other unwritable output, never as an internal error."""

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _NoErrorOutput(_ClosedOutput):
    """Standard error started closed: diagnostics have nowhere to go, and the exit
    code still tells what happened."""

    def write(self, text: str) -> int:
        return len(text)


def main() -> None:
    """Run the CLI; a dependency missing from the installation is exit code 3."""
    from stsgen.errors import ExitCode

    if sys.stdout is None:
        sys.stdout = _ClosedOutput()  # type: ignore[assignment]
    if sys.stderr is None:
        sys.stderr = _NoErrorOutput()  # type: ignore[assignment]
    try:
        from stsgen.cli.app import main as run
    except ImportError as exc:
        # Known only here, before Typer and Rich are there to report it.
        sys.stderr.write(f"stsgen: error: broken installation: {exc}\n")
        raise SystemExit(int(ExitCode.BROKEN)) from None
    try:
        run()
    finally:
        # The process ends here. Left alone, the collector walks every object still
        # alive (modules, schemas, templates) once more at interpreter exit, only
        # for the operating system to free them: that walk took a fifth of a
        # render's run time.
        gc.freeze()
