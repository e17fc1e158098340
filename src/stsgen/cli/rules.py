"""`stsgen rules`: list the checks `stsgen validate` runs, or explain one."""

import json
import sys
from enum import Enum
from typing import Annotated

import typer


class RulesFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


def list_rules(
    rule_id: Annotated[
        str | None,
        typer.Argument(help="Show this rule in full.", show_default=False),
    ] = None,
    output: Annotated[
        RulesFormat, typer.Option("--output", "-o", help="Listing format.")
    ] = RulesFormat.TEXT,
) -> None:
    """List every validation rule with its severity and summary, or explain one.

    The ids work with `stsgen validate --skip ID` and with the annotation
    `stsgen.io/skip: ID,ID` on an object.
    """
    from stsgen.errors import UsageError
    from stsgen.validation.engine import known_checks
    from stsgen.validation.schema_check import suggest

    checks = known_checks()
    if rule_id is not None:
        if rule_id not in checks:
            hint = suggest(rule_id, list(checks))
            extra = f'; did you mean "{hint}"?' if hint else "; see `stsgen rules`"
            raise UsageError(f'unknown rule "{rule_id}"{extra}')
        checks = {rule_id: checks[rule_id]}

    if output is RulesFormat.JSON:
        listing = [
            {
                "id": rule.id,
                "severity": rule.severity.value,
                "kinds": sorted(rule.kinds) if rule.kinds is not None else None,
                "summary": rule.summary,
                "explanation": rule.explanation,
            }
            for rule in checks.values()
        ]
        sys.stdout.write(
            json.dumps(listing if rule_id is None else listing[0], indent=2)
        )
        sys.stdout.write("\n")
        return

    if rule_id is not None:
        rule = checks[rule_id]
        kinds = ", ".join(sorted(rule.kinds)) if rule.kinds is not None else "any"
        sys.stdout.write(f"{rule.id} ({rule.severity.value}; kinds: {kinds})\n\n")
        sys.stdout.write(rule.explanation.rstrip() + "\n")
        return

    width = max(len(rule.id) for rule in checks.values())
    for rule in checks.values():
        sys.stdout.write(
            f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.summary}\n"
        )
