"""The command-line interface: one module per command, joined in app.py.

The modules that define commands evaluate their annotations as they are defined
(no ``from __future__ import annotations``): Typer reads the annotations on every
run, and evaluating them from strings doubled the time it takes to build a command.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from typing import Any


class _ClosedOutput:
    """Stands for standard output when the process was started without one
    (``>&-``), which Python leaves as None: writing to it is reported as any
    other unwritable output, never as an internal error."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Diagnostics:
    """Standard error for diagnostics, written straight to its file descriptor:
    a diagnostic that cannot be written (a full disk, a closed pipe, no stderr
    at all) is dropped, and the exit code still tells what happened. Through
    Python's buffered stream the failure would surface at exit instead, as a
    crash that hides the exit code."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._fd = stream.fileno() if stream is not None else None
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        if self._fd is not None:
            data = text.encode(self.encoding, "backslashreplace")
            try:
                while data:
                    data = data[os.write(self._fd, data) :]
            except OSError:
                pass
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._fd is not None and os.isatty(self._fd)

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, "standard error is closed")
        return self._fd


def main() -> None:
    """Run the CLI; a dependency missing from the installation is exit code 3."""
    from stsgen.errors import ExitCode

    if sys.stdout is None:
        sys.stdout = _ClosedOutput()  # type: ignore[assignment]
    try:
        sys.stderr.flush()
        sys.stderr = _Diagnostics(sys.stderr)  # type: ignore[assignment]
    except (AttributeError, OSError, ValueError):
        sys.stderr = _Diagnostics(None)  # type: ignore[assignment]
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
