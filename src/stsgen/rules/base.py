"""What a rule is: an id, a severity, an explanation and a check.

An *object rule* looks at one object and yields problems at field paths inside it.
A *set rule* looks at every object of the validated input together (a StatefulSet
and the Service it names) and yields problems tied to one of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from stsgen.documents import Path
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject


class Problem(NamedTuple):
    """A rule's verdict on one field: where (relative to the object) and what."""

    path: Path
    message: str


class Context(NamedTuple):
    """What a rule may need to know beyond the object: target version, options,
    and what the CRDs of the run declare."""

    kubernetes_minor: int = 37
    strict_refs: bool = False
    # (group, kind) of each custom kind whose CRD says ``scope: Cluster``.
    cluster_scoped: frozenset[tuple[str, str]] = frozenset()


ObjectCheck = Callable[[KubeObject, Context], Iterable[Problem]]
SetCheck = Callable[
    [Sequence[KubeObject], Context], Iterable[tuple[KubeObject, Problem]]
]


class Rule(NamedTuple):
    id: str
    severity: Severity
    explanation: str
    kinds: frozenset[str] | None = None  # None: every kind
    check_object: ObjectCheck | None = None
    check_set: SetCheck | None = None

    @property
    def summary(self) -> str:
        return self.explanation.split("\n", 1)[0]

    def applies_to(self, obj: KubeObject) -> bool:
        return self.kinds is None or obj.kind in self.kinds


RULES_BY_ID: dict[str, Rule] = {}


def _register(rule: Rule) -> Rule:
    if rule.id in RULES_BY_ID:
        raise ValueError(f"rule {rule.id} is defined twice")
    RULES_BY_ID[rule.id] = rule
    return rule


def object_rule(
    rule_id: str, severity: Severity, kinds: Iterable[str] | None = None
) -> Callable[[ObjectCheck], ObjectCheck]:
    """Register a check of single objects; its docstring is the rule's explanation."""

    def decorate(check: ObjectCheck) -> ObjectCheck:
        _register(
            Rule(
                rule_id,
                severity,
                inspect.cleandoc(check.__doc__ or ""),
                frozenset(kinds) if kinds is not None else None,
                check_object=check,
            )
        )
        return check

    return decorate


def set_rule(rule_id: str, severity: Severity) -> Callable[[SetCheck], SetCheck]:
    """Register a check across all objects; its docstring is the rule's explanation."""

    def decorate(check: SetCheck) -> SetCheck:
        _register(
            Rule(
                rule_id,
                severity,
                inspect.cleandoc(check.__doc__ or ""),
                check_set=check,
            )
        )
        return check

    return decorate
