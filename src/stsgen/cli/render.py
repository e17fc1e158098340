"""(being written)"""

import typer


def render() -> None:
    """Being written."""
    raise typer.Exit(3)


list_blueprints = show_values = render
