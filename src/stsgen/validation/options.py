"""What a validation run checks, and how: the options `validate` and `render` share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from stsgen.validation.findings import Severity


class ValidationOptions(NamedTuple):
    """What `stsgen validate` (and `stsgen render`) check, and how."""

    kubernetes_version: str | None = None  # None: the newest bundled version
    strict: bool = True
    crd_paths: Sequence[str] = ()
    ignore_missing_schemas: bool = False
    skip: frozenset[str] = frozenset()
    fail_on: Severity = Severity.ERROR
    strict_refs: bool = False
    workers: int = 0  # 0: pick from the input's size; 1: no extra processes
