"""The validation engine's own checks: reading, schema and API-version problems.

They are not rules (nothing to register or run on their own), but they have ids,
severities and explanations like rules, so that `stsgen rules`, `--skip` and the
reporters treat both alike.
"""

from __future__ import annotations

import inspect

from stsgen.rules.base import Rule
from stsgen.validation.findings import Severity


def _check(rule_id: str, severity: Severity, explanation: str) -> Rule:
    return Rule(rule_id, severity, inspect.cleandoc(explanation))


CHECKS_BY_ID: dict[str, Rule] = {
    check.id: check
    for check in (
        _check(
            "unreadable",
            Severity.ERROR,
            """
            The file cannot be read as text.

            The file is binary, is not UTF-8, or is larger than stsgen reads. The
            API server accepts only UTF-8 YAML or JSON; convert or remove the file.
            """,
        ),
        _check(
            "yaml-syntax",
            Severity.ERROR,
            """
            The document is not valid YAML (or JSON, in a stream starting with {).

            The document cannot be parsed as YAML 1.1, the dialect kubectl and the
            API server read, or it nests or expands (through aliases) too far to be
            read safely. kubectl reads a stream whose first character is { as JSON
            values, so there the test is JSON's stricter grammar. The message gives
            the parser's complaint and the place where it gave up; the documents
            before it are still checked, and in YAML the ones after it too.
            """,
        ),
        _check(
            "not-an-object",
            Severity.ERROR,
            """
            The document is not a Kubernetes object.

            A manifest document must be a mapping with apiVersion, kind and
            metadata. A document that is a plain string, number or list (often a
            file that is not a manifest at all) is not something kubectl can apply.
            """,
        ),
        _check(
            "missing-kind",
            Severity.ERROR,
            """
            The object has no apiVersion or no kind.

            Every object must say what it is with a string apiVersion (for example
            apps/v1) and kind (for example StatefulSet); without both the API server
            cannot decode it, and stsgen cannot pick a schema.
            """,
        ),
        _check(
            "duplicate-key",
            Severity.ERROR,
            """
            A mapping gives the same key twice.

            YAML keeps only the last value, so the first is silently lost. kubectl's
            strict field validation (the default since Kubernetes 1.27) rejects
            duplicate fields. With --no-strict this is reported as a warning.
            """,
        ),
        _check(
            "unknown-field",
            Severity.ERROR,
            """
            A field is not part of the object's schema.

            Under strict field validation the API server rejects fields it does not
            know, which is how a typo such as updateStragegy for updateStrategy is
            caught instead of silently dropped. The message suggests the closest
            known field. --no-strict accepts unknown fields, as non-strict clients
            do (the API server then drops them).
            """,
        ),
        _check(
            "schema",
            Severity.ERROR,
            """
            A value does not match the object's schema.

            Wrong types (a string where an integer belongs), missing required
            fields, values outside an enum, pattern or range declared by the schema
            of the Kubernetes version checked (--kubernetes-version), or by the CRD
            of a custom resource. Also numbers no request can carry, wherever they
            stand: .nan and .inf, which kubectl cannot encode as JSON, and integers
            too long to read.
            """,
        ),
        _check(
            "no-schema",
            Severity.ERROR,
            """
            No schema is known for the object's apiVersion and kind.

            The kind is not built into the Kubernetes version checked, and no
            CustomResourceDefinition in the input or given with --crd defines it.
            Pass the CRD with --crd, or use --ignore-missing-schemas to skip such
            objects.
            """,
        ),
        _check(
            "api-version",
            Severity.ERROR,
            """
            A built-in kind is given with an apiVersion that does not serve it.

            The group serves this kind, but not in this version (for example
            apps/v1beta3 StatefulSet). The message lists the apiVersions that serve
            the kind in the Kubernetes version checked.
            """,
        ),
        _check(
            "deprecated-api",
            Severity.ERROR,
            """
            The apiVersion is removed or deprecated for this kind.

            An error when the Kubernetes version checked no longer serves it (for
            example batch/v1beta1 CronJob, removed in 1.25), a warning when it is
            still served but deprecated. The message names the replacement.
            """,
        ),
        _check(
            "crd-unusable",
            Severity.WARNING,
            """
            A CustomResourceDefinition's schema cannot be used to check its objects.

            The CRD is missing what stsgen needs to build a schema for its custom
            resources (for example a served version without openAPIV3Schema). Its
            custom resources are then reported as having no schema.
            """,
        ),
        _check(
            "internal-error",
            Severity.ERROR,
            """
            A rule failed while checking an object.

            This is a bug in stsgen, not in the manifest: the rule named in the
            message raised an exception. The other rules still ran. Run with -vv to
            see the traceback, and report it with the object that triggers it.
            """,
        ),
    )
}
