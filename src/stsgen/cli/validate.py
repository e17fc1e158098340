"""`stsgen validate` (being written)."""

import typer


def validate() -> None:
    """Validate Kubernetes YAML offline."""
    raise typer.Exit(3)
