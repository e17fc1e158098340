"""`stsgen validate`: check Kubernetes YAML offline against schemas and rules."""

import sys
from enum import Enum
from typing import Annotated

import typer

from stsgen.errors import ExitCode, UsageError


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"


class FailOn(str, Enum):
    ERROR = "error"
    WARNING = "warning"


def validate(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files or folders to check (*.yaml, *.yml, *.json); - reads stdin.",
            show_default=False,
        ),
    ] = None,
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            "--kubernetes-version",
            help="Kubernetes version to check against (default: the newest bundled).",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--no-strict",
            help="Reject unknown fields and duplicate keys, as kubectl's strict "
            "field validation does.",
        ),
    ] = True,
    crd: Annotated[
        list[str] | None,
        typer.Option(
            "--crd",
            help="CustomResourceDefinition file or folder (repeatable); CRDs in the "
            "input are used too.",
            show_default=False,
        ),
    ] = None,
    ignore_missing_schemas: Annotated[
        bool,
        typer.Option(
            "--ignore-missing-schemas",
            help="Skip objects whose kind has no schema instead of reporting them.",
        ),
    ] = False,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help="Rule id to turn off (repeatable); see `stsgen rules`.",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Lowest severity that makes the exit code 1."),
    ] = FailOn.ERROR,
    strict_refs: Annotated[
        bool,
        typer.Option(
            "--strict-refs",
            help="Report ConfigMaps and Secrets referenced but not in the input.",
        ),
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option("--output", "-o", help="Report format, written to stdout."),
    ] = OutputFormat.TEXT,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Processes to use; 0 picks by input size, 1 uses no extra process.",
        ),
    ] = 0,
) -> None:
    """Validate Kubernetes YAML offline against the bundled schemas and rules.

    Each object is checked against the OpenAPI schema of its kind for the chosen
    Kubernetes version (or the CRD that defines it), then by the rules the API
    server enforces beyond the schema. Exit code: 0 valid, 1 invalid or no
    object found, 2 usage error or unreadable path.
    """
    from stsgen.cli.app import echo_error, state, use_color
    from stsgen.output import REPORTER_BY_NAME
    from stsgen.schemas import resolve_version
    from stsgen.validation.engine import (
        ValidationOptions,
        check_skip_ids,
        describe_checks,
        failed,
        validate_sources,
    )
    from stsgen.validation.findings import Severity
    from stsgen.validation.sources import collect_sources

    options = ValidationOptions(
        kubernetes_version=resolve_version(kubernetes_version),
        strict=strict,
        crd_paths=tuple(crd or ()),
        ignore_missing_schemas=ignore_missing_schemas,
        skip=check_skip_ids(skip or ()),
        fail_on=Severity(fail_on.value),
        strict_refs=strict_refs,
        workers=workers,
    )
    if not paths:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no input: give files or folders, or - to read stdin")
        paths = ["-"]

    sources, problems = collect_sources(paths)
    for problem in problems:
        echo_error(problem)
    if problems and not sources:
        # Nothing to check at all: the error lines are the whole answer.
        raise typer.Exit(int(ExitCode.USAGE))
    validation = validate_sources(sources, options)
    for problem in validation.unreadable_paths:
        echo_error(problem)

    reporter = REPORTER_BY_NAME[output.value](
        sys.stdout,
        verbosity=state.verbosity,
        color=use_color(sys.stdout),
        rule_descriptions=describe_checks(),
    )
    for result in validation.results:
        reporter.report(result)
    reporter.finish(validation.summary)
    sys.stdout.flush()

    if problems or validation.unreadable_paths:
        raise typer.Exit(int(ExitCode.USAGE))
    if failed(validation.summary, options.fail_on):
        raise typer.Exit(int(ExitCode.INVALID))
    if not validation.summary.objects:
        # As `kubectl apply` refuses to: an empty stream (say, from a render that
        # failed earlier in a pipe) must not pass a CI check as valid.
        echo_error("no Kubernetes objects in the input: nothing was checked")
        raise typer.Exit(int(ExitCode.INVALID))
