"""Writing rendered documents: a YAML stream, a JSON ``v1`` List, or a folder.

The folder form writes one file per object plus a ``kustomization.yaml``. It keeps
a ledger (``.stsgen-files.json``) of the files it wrote and their digests, so that a
later run replaces only files it wrote and nobody edited since; everything is
checked, and every file written beside its target, before the first target is
replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from stsgen.errors import OutputError
from stsgen.rendering.engine import RenderedDocument

LEDGER_NAME = ".stsgen-files.json"
KUSTOMIZATION_NAME = "kustomization.yaml"
_UNSAFE = re.compile(r"[^a-z0-9.-]+")
_DOTS = re.compile(r"\.{2,}")
_DASHES = re.compile(r"-{2,}")


def format_stream(documents: Sequence[RenderedDocument]) -> str:
    """The YAML stream: ``---`` and a ``# Source:`` line before each document."""
    return "".join(
        f"---\n# Source: {document.template}\n{document.text}" for document in documents
    )


# Lines format_stream prints before each document's text.
STREAM_HEADER_LINES = 2


def stream_lines(documents: Sequence[RenderedDocument]) -> list[int]:
    """The 0-based line of format_stream's output where each document's text starts."""
    starts, line = [], 0
    for document in documents:
        line += STREAM_HEADER_LINES
        starts.append(line)
        line += document.text.count("\n")
    return starts


def format_json_list(documents: Sequence[RenderedDocument]) -> str:
    listing = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [document.data for document in documents],
    }
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"


def file_name(document: RenderedDocument, namespaced: bool = False) -> str:
    """``<kind>-<name>.yaml`` (``<kind>-<namespace>_<name>.yaml`` if
    ``namespaced``: no name holds a ``_``) in lower case, reduced to characters
    safe in any folder.

    A name too long for a file system (a name may have 253 characters, a file
    name 255 bytes, and the staged copy needs a few more) keeps its start and
    ends with a digest of the whole.
    """
    name = _safe(document.name)
    namespace = document.data["metadata"].get("namespace") if namespaced else None
    if namespace:
        name = f"{_safe(str(namespace))}_{name}"
    stem = f"{_safe(document.kind)}-{name}".strip(".-")
    if len(stem) > _MAX_STEM:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
        stem = f"{stem[: _MAX_STEM - len(digest) - 1].rstrip('.-')}-{digest}"
    return f"{stem or 'object'}.yaml"


def _safe(text: str) -> str:
    text = _UNSAFE.sub("-", text.lower())
    return _DASHES.sub("-", _DOTS.sub("-", text)).strip(".-")


# Bytes of a file name's stem: 255 less ".yaml" and the staged copy's affixes.
_MAX_STEM = 200


def file_names(documents: Sequence[RenderedDocument]) -> list[str]:
    """Each document's file name: objects of one kind and name in several
    namespaces get the namespace in theirs."""
    plain = [file_name(document) for document in documents]
    counts = Counter(plain)
    return [
        file_name(document, namespaced=True) if counts[name] > 1 else name
        for document, name in zip(documents, plain, strict=True)
    ]


# Lines plan_files writes before each document's text: its # Source: comment.
FILE_HEADER_LINES = 1


def plan_files(documents: Sequence[RenderedDocument]) -> dict[str, str]:
    """Map each output file name (see file_names) to its content,
    kustomization.yaml included."""
    files: dict[str, str] = {}
    for document, name in zip(documents, file_names(documents), strict=True):
        if name in files or name == KUSTOMIZATION_NAME:
            raise OutputError(
                f"--output-dir: {document.kind} {document.name} would overwrite {name}"
            )
        files[name] = f"# Source: {document.template}\n{document.text}"
    resources = "".join(f"  - {name}\n" for name in files)
    files[KUSTOMIZATION_NAME] = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n{resources}"
    )
    return files


class Written(NamedTuple):
    """What write_output_dir did: the files it wrote, and the files of an earlier
    render that it kept, each with the reason."""

    paths: list[Path]
    kept: list[tuple[Path, str]]


def write_output_dir(
    directory: Path, documents: Sequence[RenderedDocument], force: bool = False
) -> Written:
    """Write one file per object into ``directory``.

    Every check runs and every file is written to a temporary beside its target
    before any target is replaced, so a refusal or a full disk changes nothing.
    """
    files = plan_files(documents)
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise OutputError(f"--output-dir: {directory} is not a directory")
    blocking = next((p for p in root.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(
            f"--output-dir: cannot create {directory}: {blocking} is not a directory"
        )
    ledger = _read_ledger(root)
    contents = {name: text.encode("utf-8") for name, text in files.items()}
    for name in files:
        _check_target(root, directory, name, contents[name], ledger, force)

    # Files of an earlier render that this one no longer produces go, unless edited
    # or holding credentials.
    stale: list[Path] = []
    kept: list[tuple[Path, str]] = []
    still_known = {}
    for name in sorted(set(ledger) - set(files)):
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        if force:
            stale.append(path)
        elif _digest(path.read_bytes()) != ledger[name]:
            kept.append((path, "it was edited since stsgen wrote it"))
        elif _holds_credentials(name):
            # The only copy of generated passwords: kept, and still stsgen's.
            kept.append((path, "it holds credentials"))
            still_known[name] = ledger[name]
        else:
            stale.append(path)
    ledger = {name: _digest(data) for name, data in contents.items()}
    ledger.update(still_known)
    contents[LEDGER_NAME] = (
        json.dumps(dict(sorted(ledger.items())), indent=2) + "\n"
    ).encode()

    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"--output-dir: cannot create {directory}: {exc.strerror}"
        ) from None
    try:
        staged = _stage(root, contents)
    except OutputError:
        if created:
            root.rmdir()  # empty again: _stage removed its temporaries
        raise
    # Replacing a file in its own folder needs no space and does not fail on a
    # folder stsgen could write to a moment ago; the ledger goes last.
    for name, temporary in staged.items():
        os.replace(temporary, root / name)
    for path in stale:
        path.unlink(missing_ok=True)
    return Written([root / name for name in files], kept)


def _check_target(
    root: Path,
    directory: Path,
    name: str,
    data: bytes,
    ledger: dict[str, str],
    force: bool,
) -> None:
    target = root / name
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise OutputError(f"--output-dir: {target} is not a regular file")
    if target.resolve().parent != root:
        raise OutputError(f"--output-dir: {name} would be written outside {directory}")
    if not target.exists() or force:
        return
    recorded = ledger.get(name)
    if recorded is None:
        raise OutputError(
            f"--output-dir: {target} exists and was not written by stsgen "
            "(use --force to replace it)"
        )
    current = target.read_bytes()
    if recorded != _digest(current):
        raise OutputError(
            f"--output-dir: {target} was edited since stsgen wrote it "
            "(use --force to replace it)"
        )
    if _holds_credentials(name) and current != data:
        raise OutputError(
            f"--output-dir: {target} holds the credentials of an earlier render, "
            "which running pods may use; new ones would lock them out of their "
            "data (use --force to replace it)"
        )


def _holds_credentials(name: str) -> bool:
    """Whether a file of the folder holds a Secret (file_name starts it so)."""
    return name.startswith("secret-")


def _stage(root: Path, contents: dict[str, bytes]) -> dict[str, str]:
    """Write each content to a temporary file in ``root``; return them by target.

    Secrets are readable by their owner alone; other files get the usual mode,
    0666 less the umask. On a failure no temporary is left behind.
    """
    umask = os.umask(0)
    os.umask(umask)
    staged: dict[str, str] = {}
    try:
        for name, data in contents.items():
            handle, staged[name] = tempfile.mkstemp(dir=root, prefix=f".{name}.")
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            private = _holds_credentials(name)
            os.chmod(staged[name], 0o600 if private else 0o666 & ~umask)
    except OSError as exc:
        for temporary in staged.values():
            Path(temporary).unlink(missing_ok=True)
        raise OutputError(
            f"--output-dir: cannot write {root / name}: {exc.strerror}"
        ) from None
    return staged


def _read_ledger(root: Path) -> dict[str, str]:
    path = root / LEDGER_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise OutputError(f"--output-dir: {path} is unreadable; remove it") from None
    if not isinstance(data, dict):
        raise OutputError(f"--output-dir: {path} is not a stsgen ledger; remove it")
    return {
        name: digest
        for name, digest in data.items()
        if isinstance(digest, str) and "/" not in name and not name.startswith(".")
    }


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
