"""`stsgen rules` (being written)."""

import typer


def list_rules() -> None:
    """List the validation rules."""
    raise typer.Exit(3)
