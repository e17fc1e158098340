"""`stsgen render`: print a blueprint's manifests, validated, as YAML or JSON."""

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from stsgen.documents import Document
    from stsgen.rendering.engine import Rendering


class RenderFormat(str, Enum):
    YAML = "yaml"
    JSON = "json"


def render(
    blueprint: Annotated[
        str,
        typer.Argument(
            help="Blueprint name (see `stsgen list`), or the path of a blueprint folder."
        ),
    ],
    values_files: Annotated[
        list[str] | None,
        typer.Option(
            "--values",
            "-f",
            metavar="FILE",
            help="Values file (repeatable; later wins; - reads stdin).",
        ),
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Set values, Helm style: a.b=1,c[0].d=x,e={x,y} (repeatable).",
        ),
    ] = None,
    set_strings: Annotated[
        list[str] | None,
        typer.Option(
            "--set-string",
            metavar="PATH=VALUE",
            help="Like --set, but every value stays a string.",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Workload name.")] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace of every object."),
    ] = None,
    replicas: Annotated[
        int | None,
        typer.Option("--replicas", help="Number of pods."),
    ] = None,
    image: Annotated[str | None, typer.Option("--image", help="Main image.")] = None,
    storage_class: Annotated[
        str | None,
        typer.Option(
            "--storage-class",
            help="StorageClass of the claims (empty: the default class; -: none).",
        ),
    ] = None,
    storage_size: Annotated[
        str | None,
        typer.Option("--storage-size", help="Size of each claim, e.g. 10Gi."),
    ] = None,
    output: Annotated[
        RenderFormat,
        typer.Option("--output", "-o", help="Print a YAML stream or a JSON List."),
    ] = RenderFormat.YAML,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            help="Write one file per object and a kustomization.yaml into DIR.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace files in DIR that stsgen did not write."),
    ] = False,
    generate_secret: Annotated[
        bool,
        typer.Option(
            "--generate-secret",
            help="Also render Secrets with random passwords (output is no longer "
            "reproducible).",
        ),
    ] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Validate the rendered objects (schemas and rules) before printing.",
        ),
    ] = True,
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            "--kubernetes-version",
            metavar="VERSION",
            help="Kubernetes version to validate against (default: newest bundled).",
        ),
    ] = None,
) -> None:
    """Render a blueprint to Kubernetes manifests on stdout.

    Values come from the blueprint's defaults, then -f files, then --set, then the
    dedicated flags. Nothing is printed unless every document renders, parses and
    validates.
    """
    from stsgen.cli.app import echo_info, echo_warning
    from stsgen.rendering.blueprints import find_blueprint
    from stsgen.rendering.engine import render_blueprint
    from stsgen.rendering.values import SetExpression, load_values
    from stsgen.rendering.writing import (
        format_json_list,
        format_stream,
        write_output_dir,
    )

    if output_dir is not None and output is RenderFormat.JSON:
        from stsgen.errors import UsageError

        raise UsageError("--output-dir writes YAML files; -o json prints to stdout")
    found = find_blueprint(blueprint)
    expressions = [SetExpression(text) for text in set_values or []]
    expressions += [SetExpression(text, as_string=True) for text in set_strings or []]
    flags = {
        "name": name,
        "namespace": namespace,
        "replicas": replicas,
        "image": image,
        "storage-class": storage_class,
        "storage-size": storage_size,
    }
    values = load_values(found, values_files or [], expressions, flags)

    rendering = render_blueprint(found, values, generate_secret=generate_secret)
    if validate:
        target = "dir" if output_dir is not None else output.value
        _validate_rendering(rendering, _resolve_version(kubernetes_version), target)

    if output_dir is not None:
        written = write_output_dir(output_dir, rendering.documents, force=force)
        for path, reason in written.kept:
            echo_warning(
                f"kept {path}: this render no longer makes it, but {reason} "
                "(delete it, or use --force)"
            )
        echo_info(f"wrote {len(written.paths)} files to {output_dir}")
    elif output is RenderFormat.JSON:
        sys.stdout.write(format_json_list(rendering.documents))
    else:
        sys.stdout.write(format_stream(rendering.documents))
    # Said once the output is out: a render that fails says why, and only that.
    for message in rendering.warnings:
        echo_warning(message)
    if generate_secret and any(doc.kind == "Secret" for doc in rendering.documents):
        echo_warning(
            "the output holds generated credentials and is not reproducible; "
            "keep it out of version control, and apply the Secret once: new "
            "passwords applied later lock the pods out of data created with "
            "the old ones"
        )


def _validate_rendering(
    rendering: "Rendering", kubernetes_version: str | None, target: str
) -> None:
    """Check the rendered objects as `stsgen validate` would; the report goes to
    stderr, and any error stops the render before a byte reaches stdout or
    ``--output-dir`` (``target`` "dir"; otherwise the output format)."""
    from stsgen.validation.engine import describe_checks, failed, validate_documents
    from stsgen.validation.options import ValidationOptions

    options = ValidationOptions(kubernetes_version=kubernetes_version, workers=1)
    documents = _as_printed(rendering, in_files=target == "dir")
    results, summary = validate_documents(documents, options)
    if not summary.error_findings and not summary.warning_findings:
        return

    # Reporters are imported only when there is something to report.
    from stsgen.cli.app import echo_error, state, use_color
    from stsgen.errors import ExitCode
    from stsgen.output import REPORTER_BY_NAME

    reporter = REPORTER_BY_NAME["text"](
        sys.stderr,
        verbosity=state.verbosity,
        color=use_color(sys.stderr),
        rule_descriptions=describe_checks(),
    )
    for result in results:
        reporter.report(result)
    reporter.finish(summary)
    if failed(summary, options.fail_on):
        echo_error(_FAILED[target])
        raise typer.Exit(int(ExitCode.INVALID))


_FAILED = {
    "yaml": "the rendered manifests fail validation, so nothing was printed "
    "(lines are those of the output; --no-validate prints it)",
    "json": "the rendered manifests fail validation, so nothing was printed "
    "(lines are those of the YAML output, which --no-validate without -o json "
    "prints)",
    "dir": "the rendered manifests fail validation, so nothing was written "
    "(files and lines are those --no-validate writes)",
}


def _as_printed(rendering: "Rendering", in_files: bool) -> list["Document"]:
    """The rendered documents placed where render puts them: in the YAML stream,
    or in their files under --output-dir. A finding's file and line are then
    ones the user can look up in that output."""
    from stsgen.rendering.writing import FILE_HEADER_LINES, file_names, stream_lines

    documents = rendering.documents
    if in_files:
        places = [(name, FILE_HEADER_LINES) for name in file_names(documents)]
    else:
        places = [(RENDERED_SOURCE, line) for line in stream_lines(documents)]
    return [
        document.document.relocated(source, start)
        for document, (source, start) in zip(documents, places, strict=True)
    ]


RENDERED_SOURCE = "rendered output"


def _resolve_version(text: str | None) -> str:
    from stsgen.schemas import resolve_version

    return resolve_version(text)
