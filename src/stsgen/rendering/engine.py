"""Rendering a blueprint's templates with Jinja2 and reading the result back.

Everything a template prints is parsed as YAML before anything is written, so a
template that renders broken YAML, or a document that is not a Kubernetes object,
fails by template name and line instead of reaching ``kubectl``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import re
import string
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import yaml

from stsgen.documents import Document, DocumentError, iter_documents, resolve_plain
from stsgen.errors import BlueprintError, TemplateError, ValuesError
from stsgen.rendering.blueprints import Blueprint
from stsgen.resources import wheel_data_dir

log = logging.getLogger(__name__)

# Helm's install order, so that a stream applied in one go creates what others
# depend on first (namespaces, then accounts and config, then workloads).
KIND_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]
_KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}

_DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_PASSWORD_ALPHABET = string.ascii_letters + string.digits


class RenderedDocument(NamedTuple):
    """One object a template printed: its text as rendered and its parsed form."""

    template: str  # loader name, "<blueprint>/<file>"
    text: str
    document: Document

    @property
    def data(self) -> dict[str, Any]:
        return self.document.data

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def name(self) -> str:
        return self.data["metadata"]["name"]


class Rendering(NamedTuple):
    """What a render produced: the documents in output order and the warnings."""

    documents: list[RenderedDocument]
    warnings: list[str]


class OutsideBlueprint(jinja2.TemplateNotFound):
    """A template name or file that leads out of its blueprint folder."""


class _BlueprintLoader(jinja2.FileSystemLoader):
    """Loads ``<blueprint>/<file>`` names from ``root``, for the named blueprints
    only, and only files inside their folders: a blueprint folder given as a
    path cannot reach files beside it, by name or through a symbolic link."""

    def __init__(self, root: Path, blueprints: set[str]) -> None:
        super().__init__(str(root))
        self.blueprints = blueprints

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Any]:
        blueprint = template.partition("/")[0]
        if blueprint not in self.blueprints or ".." in template.split("/"):
            raise OutsideBlueprint(template)
        source, filename, uptodate = super().get_source(environment, template)
        folder = os.path.realpath(os.path.join(self.searchpath[0], blueprint))
        if os.path.commonpath([os.path.realpath(filename), folder]) != folder:
            raise OutsideBlueprint(template)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return [
            name
            for name in super().list_templates()
            if name.partition("/")[0] in self.blueprints
        ]


class _RelativeNames:
    """Templates name their blueprint's other files relative to themselves
    (``{% import "./_helpers.j2" %}``), so a blueprint copied under another
    folder name renders as it is."""

    def join_path(self, template: str, parent: str) -> str:
        if not template.startswith(("./", "../")):
            return template
        joined = posixpath.join(posixpath.dirname(parent), template)
        normal = posixpath.normpath(joined)
        # Kept as written when it climbs out of the blueprint: the loader refuses it.
        if normal.partition("/")[0] != parent.partition("/")[0]:
            return joined
        return normal


class _BlueprintEnvironment(_RelativeNames, jinja2.Environment):
    pass


def _sandboxed_environment() -> type[jinja2.Environment]:
    """The environment for a blueprint folder given as a path, which may come from
    anywhere: as Helm's templates, its templates cannot reach Python itself
    (``lipsum.__globals__``...). Imported only for such folders."""
    from jinja2.sandbox import SandboxedEnvironment

    class _SandboxedBlueprintEnvironment(_RelativeNames, SandboxedEnvironment):
        pass

    return _SandboxedBlueprintEnvironment


def build_environment(
    root: Path,
    blueprints: set[str],
    warnings: list[str],
    compiled: Path | None = None,
    cache: bool = True,
    sandboxed: bool = False,
) -> jinja2.Environment:
    """The Jinja2 environment for the named blueprint folders under ``root``.

    ``compiled`` is a folder of the same templates compiled ahead of time (see
    compile_templates), tried before the template files themselves; otherwise
    compiled templates are kept in the user's cache folder, unless ``cache`` is
    False. ``sandboxed`` is for blueprints that are not bundled.
    """
    loader: jinja2.BaseLoader = _BlueprintLoader(root, blueprints)
    if compiled is not None:
        loader = jinja2.ChoiceLoader([jinja2.ModuleLoader(str(compiled)), loader])
    kind = _sandboxed_environment() if sandboxed else _BlueprintEnvironment
    environment = kind(
        loader=loader,
        bytecode_cache=_bytecode_cache() if cache and compiled is None else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["to_yaml"] = to_yaml
    environment.filters["quote"] = quote
    environment.filters["scalar"] = scalar
    environment.filters["b64encode"] = b64encode
    environment.filters["sha256"] = sha256
    environment.globals["warn"] = _warner(warnings)
    environment.globals["refuse"] = refuse
    environment.globals["random_password"] = random_password
    return environment


def render_blueprint(
    blueprint: Blueprint, values: dict[str, Any], generate_secret: bool = False
) -> Rendering:
    """Render every template of ``blueprint`` with ``values`` and parse the output.

    A template that fails is a TemplateError (exit code 1) in a bundled
    blueprint, and a usage error in a blueprint folder given as a path, whose
    templates are the user's to fix.
    """
    try:
        return _render(blueprint, values, generate_secret)
    except TemplateError as exc:
        if blueprint.bundled:
            raise
        raise BlueprintError(str(exc)) from None


def _render(
    blueprint: Blueprint, values: dict[str, Any], generate_secret: bool
) -> Rendering:
    warnings: list[str] = []
    compiled = compiled_templates() if blueprint.bundled else None
    environment = build_environment(
        blueprint.path.parent,
        {blueprint.name},
        warnings,
        compiled,
        sandboxed=not blueprint.bundled,
    )
    context = {
        "values": values,
        "blueprint": blueprint.name,
        "generate_secret": generate_secret,
    }

    rendered: list[RenderedDocument] = []
    for name in blueprint.template_names():
        log.info("rendering %s", name)
        text = _render_template(environment, blueprint, name, context)
        rendered.extend(_parse_output(name, text, first_index=len(rendered)))

    rendered.sort(key=_output_rank)
    # Several templates naming one object would make `kubectl apply` keep the last.
    seen: dict[tuple[str, str, str, str], str] = {}
    for document in rendered:
        key = (
            str(document.data.get("apiVersion", "")).rpartition("/")[0],
            document.kind,
            document.data["metadata"].get("namespace") or "",
            document.name,
        )
        if key in seen:
            raise TemplateError(
                f"{document.template}: {document.kind} {document.name} is also "
                f"rendered by {seen[key]}"
            )
        seen[key] = document.template
    return Rendering(rendered, list(dict.fromkeys(warnings)))


def _output_rank(document: RenderedDocument) -> tuple[int, str, int]:
    rank = _KIND_RANK.get(document.kind, len(KIND_ORDER))
    return rank, document.template, document.document.index


def _render_template(
    environment: jinja2.Environment,
    blueprint: Blueprint,
    name: str,
    context: dict[str, Any],
) -> str:
    try:
        return environment.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.name or name}:{exc.lineno}: {exc.message}") from None
    except OutsideBlueprint as exc:
        message = f"{name}: template {exc.name} is outside the blueprint folder"
        raise blueprint.fault(message) from None
    except jinja2.TemplateNotFound as exc:
        raise blueprint.fault(f"{name}: template {exc.name} is missing") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"{_template_position(blueprint, name)}: {exc.message}"
        ) from None
    except (TemplateError, ValuesError):
        raise
    except Exception as exc:  # noqa: BLE001 - a template may fail in any filter
        raise TemplateError(f"{_template_position(blueprint, name)}: {exc}") from None


def _template_position(blueprint: Blueprint, default: str) -> str:
    # Jinja rewrites tracebacks so that template frames carry the template's file
    # name and line; the innermost such frame is where rendering stopped. Only
    # files inside the blueprint folder count: Jinja's own may be installed
    # beside it.
    traceback = sys.exc_info()[2]
    prefix = str(blueprint.path) + os.sep
    position = default
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.startswith(prefix):
            relative = filename[len(prefix) :].replace("\\", "/")
            position = f"{blueprint.name}/{relative}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return position


def _parse_output(name: str, text: str, first_index: int) -> list[RenderedDocument]:
    documents = []
    for chunk_text, line in _split_documents(text):
        # Parsed as printed, so that node lines count from the printed text.
        stripped = chunk_text.lstrip("\n")
        line += len(chunk_text) - len(stripped)
        chunk_text = stripped.rstrip("\n") + "\n"
        try:
            parsed = list(iter_documents(chunk_text, name, line_offset=line))
        except DocumentError as exc:
            raise TemplateError(
                f"{name}: rendered line {exc.line}: {exc.message}"
            ) from None
        if not parsed:
            continue
        if len(parsed) > 1:
            raise TemplateError(f"{name}: rendered line {line + 1}: several documents")
        document = parsed[0]
        document.index = first_index + len(documents)
        _check_object(name, document)
        documents.append(RenderedDocument(name, chunk_text, document))
    return documents


def _split_documents(text: str) -> list[tuple[str, int]]:
    """Split rendered text at ``---`` lines into (text, line offset) pairs."""
    chunks = []
    start, line = 0, 0
    for match in _DOCUMENT_SEPARATOR.finditer(text):
        chunk = text[start : match.start()]
        chunks.append((chunk, line))
        line += chunk.count("\n") + 1
        start = match.end() + 1
    chunks.append((text[start:], line))
    return [(chunk, offset) for chunk, offset in chunks if chunk.strip()]


def _check_object(name: str, document: Document) -> None:
    data = document.data
    where = f"{name}: rendered line {document.line}"
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: document is not a mapping")
    if document.duplicate_keys:
        key, line, _ = document.duplicate_keys[0]
        raise TemplateError(f"{name}: rendered line {line}: duplicate key {key!r}")
    for field_name in ("apiVersion", "kind"):
        if not isinstance(data.get(field_name), str) or not data[field_name]:
            raise TemplateError(f"{where}: document has no {field_name}")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise TemplateError(f"{where}: {data['kind']} has no metadata.name")


# The files of a blueprint folder that are data, not templates.
BLUEPRINT_FILES = ("blueprint.yaml", "values.yaml", "values.schema.json")


def compile_templates(root: Path, target: Path) -> None:
    """Compile every template under ``root`` into Python modules in ``target``.

    The wheel build does this for the bundled blueprints (hatch_build.py), so that
    a first render imports them rather than compiling them: compiling is the
    largest part of a render's own start-up.
    """
    blueprints = {entry.name for entry in root.iterdir() if entry.is_dir()}
    environment = build_environment(root, blueprints, [], cache=False)
    environment.compile_templates(
        str(target),
        zip=None,
        filter_func=lambda name: name.rpartition("/")[2] not in BLUEPRINT_FILES,
        ignore_errors=False,
    )


def compiled_templates() -> Path | None:
    """The bundled templates compiled for the Jinja2 installed, if the wheel has
    them: compiled code is only good for the Jinja2 version that wrote it."""
    version = getattr(jinja2, "__version__", None)
    folder = wheel_data_dir("compiled")
    if version is None or folder is None:
        return None
    candidate = folder / f"jinja-{version}"
    return candidate if candidate.is_dir() else None


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs; Jinja keys them by source checksum.

    Compiling the templates is most of a render's own time. Without a writable
    cache folder stsgen simply compiles every time.
    """
    from stsgen import __version__

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    folder = os.path.join(base, "stsgen", f"jinja-{__version__}")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    return jinja2.FileSystemBytecodeCache(folder)


# Filters and globals -------------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks and indents nested lists, so
    values placed into templates read like hand-written manifests; quotes every
    string that PyYAML or the API server would read as something else."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        tag = super().resolve(kind, value, implicit)
        # PyYAML writes `y` or `0o17` plain, which go-yaml reads as true and 15.
        if (
            tag == _STR_TAG
            and kind is yaml.ScalarNode
            and implicit[0]
            and value
            and not isinstance(resolve_plain(value), str)
        ):
            return _NOT_A_STRING_TAG
        return tag


_STR_TAG = "tag:yaml.org,2002:str"
_NOT_A_STRING_TAG = "tag:stsgen.io,2026:not-a-string"


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def to_yaml(value: Any) -> str:
    """Block YAML of ``value`` without a trailing newline, keys in given order."""
    if value is None or value == {} or value == []:
        return json.dumps(value)
    text = yaml.dump(
        value,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )
    return text.rstrip("\n").removesuffix("\n...")


def scalar(value: Any) -> str:
    """A string as one YAML scalar: plain where every reader takes it for that
    string (``web``), quoted where it would not (``'yes'``, ``'0644'``, ``'y'``)."""
    text = "" if value is None else str(value)
    if "\n" in text:
        return quote(text)
    return to_yaml(text)


def quote(value: Any) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    return json.dumps("" if value is None else str(value), ensure_ascii=False)


def sha256(text: str) -> str:
    """The SHA-256 of ``text`` in hex: a checksum annotation that changes with it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def b64encode(value: Any) -> str:
    import base64  # rare in templates; kept off the start-up path

    return base64.b64encode(str(value).encode("utf-8")).decode("ascii")


def random_password(length: int = 24) -> str:
    import secrets  # only with --generate-secret

    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def refuse(message: str) -> str:
    """Reject values that a blueprint's schema cannot express (two keys that must
    differ): a usage error, as a schema error would be."""
    raise ValuesError(f"values: {message}")


def _warner(warnings: list[str]) -> Callable[[str], str]:
    def warn(message: str) -> str:
        warnings.append(str(message))
        return ""

    return warn
