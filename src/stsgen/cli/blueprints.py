"""`stsgen list` and `stsgen values`: what blueprints there are and their defaults."""

import sys
from typing import Annotated

import typer


def list_blueprints() -> None:
    """List the bundled blueprints, one per line."""
    from stsgen.rendering.blueprints import list_blueprints as load_all

    blueprints = load_all()
    width = max((len(blueprint.name) for blueprint in blueprints), default=0)
    for blueprint in blueprints:
        sys.stdout.write(f"{blueprint.name.ljust(width)}  {blueprint.description}\n")


def show_values(
    blueprint: Annotated[
        str,
        typer.Argument(
            help="Blueprint name (see `stsgen list`), or the path of a blueprint folder."
        ),
    ],
) -> None:
    """Print a blueprint's default values with their comments, like `helm show values`."""
    from stsgen.rendering.blueprints import find_blueprint

    found = find_blueprint(blueprint)
    try:
        text = found.values_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise found.fault(f"{found.name}/values.yaml: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise found.fault(f"{found.name}/values.yaml is not UTF-8 text") from None
    sys.stdout.write(text)
