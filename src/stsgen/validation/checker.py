"""Checking single objects: type meta, duplicate keys, API versions, the schema of
their kind (built in or from a CRD), then every object rule for that kind.

A Checker is built once per run and, when the run uses several processes, forked
into each worker with its schemas and compiled validators.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import yaml

from stsgen.documents import (
    Document,
    DocumentError,
    Path,
    describe_non_finite,
    non_finite_values,
)
from stsgen.rules import Context, Rule, load_rules
from stsgen.rules.metadata import is_api_object
from stsgen.rules.refs import keep_set_rule_fields
from stsgen.schemas import load_store, resolve_version
from stsgen.streams import iter_manifests
from stsgen.validation.crds import CrdRegistry
from stsgen.validation.deprecations import lookup
from stsgen.validation.findings import (
    Finding,
    ObjectRef,
    ObjectResult,
    Severity,
    Status,
    format_path,
)
from stsgen.validation.objects import KubeObject, is_list, iter_objects
from stsgen.validation.options import ValidationOptions
from stsgen.validation.schema_check import SchemaProblem, explain_errors, type_word

log = logging.getLogger(__name__)

SKIP_ANNOTATION = "stsgen.io/skip"
CRD_API_VERSION = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"

# Beyond the groups rules.metadata knows: KRM function inputs (ResourceList and
# function configs) and kustomize's built-in plugin configs (apiVersion: builtin).
CLIENT_CONFIG_GROUPS = frozenset({"config.kubernetes.io"})
CLIENT_CONFIG_VERSIONS = frozenset({"builtin"})

# (key, field path, line, column) of a key given twice in one mapping
Duplicate = tuple[str, Path, int, int]


class FoundCrd(NamedTuple):
    """A CRD found in the input, and where, so problems with it can be reported."""

    data: dict
    source: str = ""
    chunk: int = 0
    prefix: Path = ()


class Entry:
    """One checked object (or unreadable stretch of a file) and what set rules need."""

    __slots__ = ("obj", "result", "skip")

    def __init__(
        self,
        result: ObjectResult,
        obj: KubeObject | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.result = result
        self.obj = obj
        self.skip = skip


def is_crd(obj: KubeObject) -> bool:
    return obj.kind == CRD_KIND and obj.api_version == CRD_API_VERSION


def is_client_config(obj: KubeObject) -> bool:
    """Tell whether the object is a tool's own configuration, never sent to the API
    server: a kustomization or component, a kustomize plugin or KRM function
    config, a kubeconfig, kubeadm or kubelet configuration."""
    if not obj.kind or not obj.api_version:
        return False
    if not is_api_object(obj):
        return True
    return (
        obj.group in CLIENT_CONFIG_GROUPS or obj.api_version in CLIENT_CONFIG_VERSIONS
    )


class Recorder:
    """Adds findings about one object to its result, leaving out skipped rules."""

    def __init__(self, obj: KubeObject, result: ObjectResult, skip: frozenset[str]):
        self.obj = obj
        self.result = result
        self.skip = skip

    def __call__(
        self,
        rule: str,
        severity: Severity,
        path: Path,
        message: str,
        at: tuple[int, int] | None = None,
    ) -> None:
        if rule in self.skip:
            return
        line, column = at or self.obj.locate(path)
        self.result.add(
            Finding(
                rule,
                severity,
                message,
                self.obj.doc.source,
                line,
                column,
                self.obj.ref,
                format_path(path),
            )
        )


class Checker:
    """Everything needed to check objects: schemas, CRDs, rules, options."""

    def __init__(self, options: ValidationOptions, crds: Sequence[FoundCrd]) -> None:
        self.options = options
        self.version = resolve_version(options.kubernetes_version)
        self.context = Context(
            kubernetes_minor=int(self.version.split(".")[1]),
            strict_refs=options.strict_refs,
        )
        self.store = load_store(self.version)
        self.registry = CrdRegistry(self.store)
        self.crd_problems: dict[tuple[str, int, Path], list[str]] = {}
        self.add_crds(crds)

        self.rules_by_kind: dict[str, list[Rule]] = {}
        self.rules_for_all: list[Rule] = []
        self.set_rules: list[Rule] = []
        self._rules_by_kind_cache: dict[str, list[Rule]] = {}
        for rule in load_rules().values():
            if rule.id in options.skip:
                continue
            if rule.check_set is not None:
                self.set_rules.append(rule)
            elif rule.check_object is not None and rule.kinds is None:
                self.rules_for_all.append(rule)
            elif rule.check_object is not None:
                for kind in rule.kinds or ():
                    self.rules_by_kind.setdefault(kind, []).append(rule)

    def add_crds(self, crds: Sequence[FoundCrd]) -> None:
        """Register CRDs, keeping what makes any of them unusable."""
        for crd in crds:
            problems = self.registry.add(crd.data)
            if problems and crd.source:
                self.crd_problems[(crd.source, crd.chunk, crd.prefix)] = problems
            elif problems:
                log.warning("a CRD given with --crd cannot be used: %s", problems[0])
        cluster_scoped = frozenset(self.registry.cluster_scoped)
        self.context = self.context._replace(cluster_scoped=cluster_scoped)

    # -- documents

    def check_crd_chunk(
        self, source: str, chunk: int, line_offset: int, text: str
    ) -> tuple[list[FoundCrd], list[Entry] | None]:
        """Find the CRDs in a piece of a stream, and check the piece right away
        unless it holds custom resources, which must wait for every CRD."""
        try:
            documents = list(iter_manifests(text, source, chunk, line_offset))
        except DocumentError as exc:
            return [], [file_error(source, "yaml-syntax", exc)]
        crds = crds_of_documents(documents)
        objects = [obj for doc in documents for obj in iter_objects(doc)]
        if any(self._may_be_custom(obj) for obj in objects):
            return crds, None
        entries = [e for doc in documents for e in self.check_document(doc, False)]
        return crds, entries

    def _may_be_custom(self, obj: KubeObject) -> bool:
        if not obj.api_version or not obj.kind:
            return False
        return not self.store.knows(obj.api_version, obj.kind)

    def check_chunk(
        self, source: str, chunk: int, line_offset: int, text: str
    ) -> list[Entry]:
        """Check the documents of one piece of a stream (see split_stream)."""
        entries: list[Entry] = []
        try:
            for doc in iter_manifests(text, source, chunk, line_offset):
                entries.extend(self.check_document(doc, keep_node=False))
        except DocumentError as exc:
            entries.append(file_error(source, "yaml-syntax", exc))
        return entries

    def check_document(self, doc: Document, keep_node: bool = True) -> Iterator[Entry]:
        """Check every object of ``doc``; with ``keep_node`` False the entries keep
        only what set rules need, not the node tree."""
        if not isinstance(doc.data, dict):
            message = f"document is {type_word(doc.data)}, not a Kubernetes object"
            yield not_an_object(doc, (), message)
            return
        if is_list(doc.data):
            items = doc.data.get("items")
            if items is not None and not isinstance(items, list):
                message = f"items of a List must be a list, not {type_word(items)}"
                yield not_an_object(doc, ("items",), message)
                return
            for position, item in enumerate(items or ()):
                if not isinstance(item, dict):
                    message = f"List item is {type_word(item)}, not a Kubernetes object"
                    yield not_an_object(doc, ("items", position), message)

        objects = list(iter_objects(doc))
        duplicates = assign_duplicates(doc, objects)
        for obj in objects:
            entry = self.check_object(obj, duplicates.get(id(obj), []))
            if is_client_config(obj):
                pass  # a tool's own configuration takes no part in set rules
            elif keep_node:
                entry.obj = obj
            elif self.set_rules or is_crd(obj):
                # Kept until every object is read: only the fields set rules
                # read, and no node tree, so each object costs little memory.
                bare = Document(
                    doc.source, doc.index, None, line_offset=doc.line_offset
                )
                kept = KubeObject(keep_set_rule_fields(obj.data), bare, obj.prefix)
                kept.ref = entry.result.obj  # the same fields: share, not copy
                entry.obj = kept
            yield entry

    # -- objects

    def check_object(self, obj: KubeObject, duplicates: list[Duplicate]) -> Entry:
        """Check one object: type meta, keys, apiVersion, schema, then rules."""
        line, _ = obj.locate(())
        result = ObjectResult(obj.doc.source, obj.ref, line)
        skip = self.options.skip
        if annotated := skip_annotation(obj):
            skip = skip | annotated
        report = Recorder(obj, result, skip)
        entry = Entry(result, skip=skip)

        if not obj.api_version or not obj.kind:
            report_type_meta(obj, report)
            return entry
        if is_client_config(obj):
            result.status = Status.SKIPPED
            return entry
        severity = Severity.ERROR if self.options.strict else Severity.WARNING
        for key, path, row, column in duplicates:
            message = (
                f'key "{key}" is given more than once; only the last value is kept'
            )
            report("duplicate-key", severity, path, message, (row, column))
        unsendable = set()
        if obj.doc.non_finite:
            for path, number in non_finite_values(obj.data):
                report("schema", Severity.ERROR, path, describe_non_finite(number))
                unsendable.add(path)
        if self._report_api_version(obj, report):
            return entry

        try:
            problems = self._check_schema(obj)
        except ValueError as exc:
            # jsonschema-rs gives up on data nested a few hundred levels deep.
            log.debug("schema check of %s failed: %s", obj.ref, exc)
            message = "the object nests too deeply to be checked against its schema"
            report("schema", Severity.ERROR, (), message)
            return entry
        if problems is None:
            if self._report_missing(obj, report):
                return entry
            if self.options.ignore_missing_schemas or "no-schema" in skip:
                result.status = Status.SKIPPED
                return entry
        ruled = self._run_object_rules(obj, report)
        for problem in problems or ():
            # A rule that explains a bad value at the same field says it better
            # than a schema pattern does (Secret data that is not base64).
            if problem.keyword == "pattern" and problem.path in ruled:
                continue
            # jsonschema-rs sees an infinite number as null: said better above.
            if problem.path in unsendable:
                continue
            report(problem.rule, Severity.ERROR, problem.path, problem.message)
        return entry

    def _report_api_version(self, obj: KubeObject, report: Recorder) -> bool:
        """Report removed or deprecated apiVersions and unusable CRDs; True when
        the apiVersion is removed, so the object cannot be checked further."""
        found = lookup(obj.api_version, obj.kind, self.context.kubernetes_minor)
        if found:
            report("deprecated-api", Severity(found[0]), ("apiVersion",), found[1])
        elif self.registry.knows(obj.api_version, obj.kind):
            warning = self.registry.deprecation_of(obj.api_version, obj.kind)
            if warning:
                report("deprecated-api", Severity.WARNING, ("apiVersion",), warning)
        if is_crd(obj):
            key = (obj.doc.source, obj.doc.index, obj.prefix)
            for message in self.crd_problems.get(key, []):
                report("crd-unusable", Severity.WARNING, (), message)
        return bool(found) and found[0] == Severity.ERROR.value

    def _check_schema(self, obj: KubeObject) -> list[SchemaProblem] | None:
        """Check ``obj`` against its schema; None when there is no schema for it."""
        strict = self.options.strict
        custom = self.registry.knows(obj.api_version, obj.kind)
        owner = self.registry if custom else self.store
        validator = owner.validator_for(obj.api_version, obj.kind, strict)
        if validator is None:
            return None
        # Most objects are valid: only the invalid ones pay for error details.
        if validator.is_valid(obj.data):
            return []
        schema = owner.schema_for(obj.api_version, obj.kind, strict)
        redact = obj.kind == "Secret"
        errors = validator.iter_errors(obj.data)
        return explain_errors(errors, schema, redact, obj.data)

    def _report_missing(self, obj: KubeObject, report: Recorder) -> bool:
        """Report an object without a schema; True if its apiVersion is wrong."""
        custom = self.registry.knows(obj.api_version, obj.kind)
        served = [] if custom else list(self.store.api_versions_of(obj.kind))
        if served and obj.group in {v.rpartition("/")[0] for v in served}:
            message = (
                f"{obj.api_version} does not serve {obj.kind} in Kubernetes "
                f"{self.version}; use {', '.join(served)}"
            )
            report("api-version", Severity.ERROR, ("apiVersion",), message)
            return True
        if not self.options.ignore_missing_schemas:
            message = (
                f"no schema for {obj.api_version} {obj.kind}: it is not built into "
                f"Kubernetes {self.version} and no CRD in the input or --crd "
                "defines it"
            )
            report("no-schema", Severity.ERROR, ("apiVersion",), message)
        return False

    def _rules_for(self, kind: str) -> list[Rule]:
        rules = self._rules_by_kind_cache.get(kind)
        if rules is None:
            rules = self.rules_for_all + self.rules_by_kind.get(kind, [])
            self._rules_by_kind_cache[kind] = rules
        return rules

    def _run_object_rules(self, obj: KubeObject, report: Recorder) -> set[Path]:
        """Run the object rules for ``obj``; return the paths they reported."""
        reported: set[Path] = set()
        for rule in self._rules_for(obj.kind):
            if rule.id in report.skip:
                continue
            try:
                problems = list(rule.check_object(obj, self.context))
            except Exception as exc:  # one rule must not stop the run
                log.debug("rule %s failed on %s", rule.id, obj.ref, exc_info=True)
                message = (
                    f"rule {rule.id} failed on this object ({type(exc).__name__}); "
                    "this is a bug in stsgen"
                )
                report("internal-error", Severity.ERROR, (), message)
                continue
            for problem in problems:
                reported.add(tuple(problem.path))
                report(rule.id, rule.severity, problem.path, problem.message)
        return reported


def crds_of_documents(documents: Sequence[Document]) -> list[FoundCrd]:
    """The CRDs among ``documents``, with where each was found."""
    return [
        FoundCrd(obj.data, doc.source, doc.index, obj.prefix)
        for doc in documents
        for obj in iter_objects(doc)
        if is_crd(obj)
    ]


def file_error(source: str, rule: str, exc: DocumentError) -> Entry:
    """An entry for a stretch of a file that could not be read as documents."""
    result = ObjectResult(source, ObjectRef(), exc.line, status=Status.ERROR)
    result.add(Finding(rule, Severity.ERROR, exc.message, source, exc.line, exc.column))
    return Entry(result)


def report_type_meta(obj: KubeObject, report: Recorder) -> None:
    """Report a missing or malformed apiVersion or kind."""
    for key in ("apiVersion", "kind"):
        value = obj.data.get(key)
        if key not in obj.data:
            message = "required field is missing"
        elif value == "":
            message = "must not be empty"
        elif not isinstance(value, str):
            message = f"must be a string, not {type_word(value)}"
        else:
            continue
        report("missing-kind", Severity.ERROR, (key,), message)


def not_an_object(doc: Document, path: Path, message: str) -> Entry:
    """An entry for a document, or List item, that is not an object at all."""
    line, column = doc.locate(path)
    result = ObjectResult(doc.source, ObjectRef(), line)
    result.add(
        Finding("not-an-object", Severity.ERROR, message, doc.source, line, column)
    )
    return Entry(result)


def assign_duplicates(
    doc: Document, objects: list[KubeObject]
) -> dict[int, list[Duplicate]]:
    """Give each object (by id) the duplicate keys inside it, with field paths."""
    if not doc.duplicate_keys or not objects:
        return {}
    paths = paths_of_keys(doc)
    assigned: dict[int, list[Duplicate]] = {}
    for key, row, column in doc.duplicate_keys:
        row += doc.line_offset
        full = paths.get((row, column), (key,))
        owner = next(
            (obj for obj in objects if full[: len(obj.prefix)] == obj.prefix),
            objects[0],
        )
        inside = full[: len(owner.prefix)] == owner.prefix
        relative = full[len(owner.prefix) :] if inside else full
        assigned.setdefault(id(owner), []).append((key, relative, row, column))
    return assigned


def paths_of_keys(doc: Document) -> dict[tuple[int, int], Path]:
    """Map the (row, column) of every mapping key of ``doc`` to its field path,
    in one walk: a document may repeat thousands of keys."""
    paths: dict[tuple[int, int], Path] = {}
    if doc.node is None:
        return paths
    stack: list[tuple[Any, Path]] = [(doc.node, ())]
    seen: set[int] = set()  # an aliased node is walked once
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                mark = key_node.start_mark
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
                where = (mark.line + 1 + doc.line_offset, mark.column + 1)
                paths.setdefault(where, (*path, key))
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                stack.append((item, (*path, position)))
    return paths


def skip_annotation(obj: KubeObject) -> frozenset[str]:
    """The rule ids listed in the object's stsgen.io/skip annotation."""
    annotations = obj.metadata.get("annotations")
    if not isinstance(annotations, dict):
        return frozenset()
    value = annotations.get(SKIP_ANNOTATION)
    if not isinstance(value, str):
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())
