"""Writing rendered documents: a YAML stream, a JSON ``v1`` List, or a folder.

The folder form writes one file per object plus a ``kustomization.yaml``. It keeps
a ledger (``.stsgen-files.json``) of the files it wrote and their digests, so that a
later run replaces only files it wrote and nobody edited since; everything is
checked before the first byte is written, and each file is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

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


def format_json_list(documents: Sequence[RenderedDocument]) -> str:
    listing = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [document.data for document in documents],
    }
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"


def file_name(document: RenderedDocument) -> str:
    """``<kind>-<name>.yaml`` in lower case, reduced to characters safe in any folder."""
    stem = _UNSAFE.sub("-", f"{document.kind}-{document.name}".lower())
    stem = _DASHES.sub("-", _DOTS.sub("-", stem)).strip(".-")
    return f"{stem or 'object'}.yaml"


def plan_files(documents: Sequence[RenderedDocument]) -> dict[str, str]:
    """Map each output file name to its content, kustomization.yaml included."""
    files: dict[str, str] = {}
    for document in documents:
        name = file_name(document)
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


def write_output_dir(
    directory: Path, documents: Sequence[RenderedDocument], force: bool = False
) -> list[Path]:
    """Write one file per object into ``directory``; return the paths written."""
    files = plan_files(documents)
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise OutputError(f"--output-dir: {directory} is not a directory")
    ledger = _read_ledger(root)

    # Check every target before writing anything, so a refusal leaves no trace.
    for name in files:
        target = root / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise OutputError(f"--output-dir: {target} is not a regular file")
        if target.resolve().parent != root:
            raise OutputError(
                f"--output-dir: {name} would be written outside {directory}"
            )
        if target.exists() and not force:
            recorded = ledger.get(name)
            if recorded is None:
                raise OutputError(
                    f"--output-dir: {target} exists and was not written by stsgen "
                    "(use --force to replace it)"
                )
            if recorded != _digest(target.read_bytes()):
                raise OutputError(
                    f"--output-dir: {target} was edited since stsgen wrote it "
                    "(use --force to replace it)"
                )

    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"--output-dir: cannot create {directory}: {exc.strerror}"
        ) from None
    written = []
    for name, content in files.items():
        data = content.encode("utf-8")
        _write_atomically(root / name, data)
        ledger[name] = _digest(data)
        written.append(root / name)

    # Files of an earlier render that this one no longer produces go, unless edited.
    for name in sorted(set(ledger) - set(files)):
        stale = root / name
        if stale.is_file() and not stale.is_symlink():
            if _digest(stale.read_bytes()) == ledger[name] or force:
                stale.unlink()
        del ledger[name]

    ledger_text = json.dumps(dict(sorted(ledger.items())), indent=2) + "\n"
    _write_atomically(root / LEDGER_NAME, ledger_text.encode("utf-8"))
    return written


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


def _write_atomically(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
