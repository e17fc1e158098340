"""The StsgenError family and the exit codes the CLI turns them into."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1  # validation found an error finding (or a warning under --fail-on)
    USAGE = 2  # bad flags, values or paths given by the user
    BROKEN = 3  # stsgen itself cannot work: a bundled template or schema is missing


class StsgenError(Exception):
    """Base of every error stsgen reports to the user as one line."""

    exit_code = ExitCode.USAGE


class UsageError(StsgenError):
    """Raised when the user's input (flags, values, paths) cannot be used."""


class BlueprintNotFoundError(UsageError):
    """Raised when no bundled blueprint has the requested name."""


class BlueprintError(UsageError):
    """Raised when a blueprint folder given as a path cannot be used."""


class ValuesError(UsageError):
    """Raised when values files, --set expressions or the merged values are invalid."""


class TemplateError(StsgenError):
    """Raised when a template fails to render or renders something that is not a manifest."""

    exit_code = ExitCode.INVALID


class OutputError(UsageError):
    """Raised when --output-dir cannot be written safely."""


class BrokenInstallError(StsgenError):
    """Raised when a file that ships with stsgen is missing or unreadable."""

    exit_code = ExitCode.BROKEN
