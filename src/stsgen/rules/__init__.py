"""The rules the API server enforces beyond the OpenAPI schema, and the warnings
about what it accepts but can never work. One module per concern; importing this
package registers every rule in RULES_BY_ID.
"""

from __future__ import annotations

import importlib
import pkgutil

from stsgen.rules.base import RULES_BY_ID, Context, Problem, Rule

__all__ = ["RULES_BY_ID", "Context", "Problem", "Rule", "load_rules"]


def load_rules() -> dict[str, Rule]:
    """Import every rule module once and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("base",) and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return RULES_BY_ID
