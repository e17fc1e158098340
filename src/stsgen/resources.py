"""Where the bundled templates and schemas live, installed or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from stsgen.errors import BrokenInstallError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder of bundled data ``name`` (``templates`` or ``schemas``)."""
    # A wheel carries the folders under stsgen/_data; an editable install or a
    # source checkout finds them at the repository root instead.
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise BrokenInstallError(f"stsgen is installed without its {name}/ folder")


def wheel_data_dir(name: str) -> Path | None:
    """Return ``stsgen/_data/<name>`` if this installation has it: data that only
    a built wheel carries, such as the compiled templates."""
    candidate = _PACKAGE_DIR / "_data" / name
    return candidate if candidate.is_dir() else None
