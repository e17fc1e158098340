"""Regenerate the bundled Kubernetes schemas under schemas/ from kubernetes-validate.

Run by hand (never at run time): `python scripts/vendor_schemas.py`. It downloads the
pinned wheel with `pip download --no-deps` (or reads one given with --wheel), keeps
only what validation uses, and writes one small index per Kubernetes version plus
definition files split per API package, shared between versions when identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "kubernetes-validate"
PACKAGE_VERSION = "1.37.0"
KUBERNETES_VERSIONS = ("1.34", "1.35", "1.36", "1.37")
SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
FORMAT = 1

# Keywords validation uses; everything else (descriptions, patch strategies,
# group-version-kind lists, which move to the index) is dropped.
KEPT_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "additionalProperties",
        "items",
        "required",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "uniqueItems",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
    }
)
# Go decodes these formats into fixed-size integers and fails on overflow.
INTEGER_BOUNDS = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
# Go's encoding/json decodes []byte fields with base64.StdEncoding, which needs
# padding and skips carriage returns and newlines anywhere in the text.
_B64 = "[A-Za-z0-9+/]"
_GAP = "[\\r\\n]*"
_QUAD = f"{_GAP}{_B64}{_GAP}{_B64}{_GAP}{_B64}{_GAP}{_B64}"
_TAIL = f"{_GAP}{_B64}{_GAP}{_B64}{_GAP}(?:{_B64}{_GAP}=|={_GAP}=)"
BASE64_PATTERN = f"^(?:{_QUAD})*(?:{_TAIL})?{_GAP}$"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this wheel, skip the download")
    parser.add_argument("--out", type=Path, default=SCHEMAS_DIR)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            sources = {
                version: json.loads(archive.read(locate_definitions(version)))
                for version in KUBERNETES_VERSIONS
            }
    write_store(sources, args.out)
    return 0


def download_wheel(folder: Path) -> Path:
    """Fetch the pinned wheel with pip into ``folder`` and return its path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(folder),
        f"{PACKAGE}=={PACKAGE_VERSION}",
    ]
    subprocess.run(command, check=True)
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {folder}, found {len(wheels)}")
    return wheels[0]


def locate_definitions(version: str) -> str:
    folder = "kubernetes_validate/kubernetes-json-schema"
    return f"{folder}/v{version}.0-local/_definitions.json"


def write_store(sources: dict[str, dict[str, Any]], out: Path) -> None:
    """Write every version's index and the definition files they share."""
    for old in [out / "defs", *out.glob("v1.*")]:
        if old.is_dir():
            shutil.rmtree(old)
    (out / "defs").mkdir(parents=True)

    written: dict[str, int] = {}
    for version, source in sources.items():
        definitions = source["$defs"]
        packages: dict[str, dict[str, Any]] = {}
        for name in sorted(definitions):
            packages.setdefault(get_package(name), {})[name] = compact(
                definitions[name]
            )

        files = {}
        for package, content in sorted(packages.items()):
            text = json.dumps(content, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            filename = f"{package}.{digest}.json"
            if filename not in written:
                (out / "defs" / filename).write_text(text + "\n", encoding="utf-8")
                written[filename] = len(text) + 1
            files[package] = filename

        index = {
            "format": FORMAT,
            "kubernetes": version,
            "source": f"{PACKAGE}=={PACKAGE_VERSION} {locate_definitions(version)}",
            "kinds": index_kinds(definitions),
            "packages": files,
        }
        folder = out / f"v{version}"
        folder.mkdir()
        text = json.dumps(index, sort_keys=True, indent=0, separators=(",", ":"))
        (folder / "index.json").write_text(text + "\n", encoding="utf-8")

    total = sum(path.stat().st_size for path in out.rglob("*.json"))
    print(f"wrote {len(written)} definition files, {total:,} bytes of JSON in {out}")


def get_package(definition: str) -> str:
    """Return the Go package a definition belongs to: its name minus the type."""
    return definition.rpartition(".")[0]


def index_kinds(definitions: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Map apiVersion -> kind -> definition name, as x-kubernetes-group-version-kind
    gives them.
    """
    kinds: dict[str, dict[str, str]] = {}
    for name, schema in sorted(definitions.items()):
        entries = schema.get("x-kubernetes-group-version-kind") or []
        # DeleteOptions and WatchEvent are listed under every group; they are
        # request envelopes, not objects anyone writes in a manifest.
        if len(entries) != 1:
            continue
        entry = entries[0]
        group, version = entry["group"], entry["version"]
        api_version = f"{group}/{version}" if group else version
        kinds.setdefault(api_version, {})[entry["kind"]] = name
    return kinds


def compact(schema: Any) -> Any:
    """Return ``schema`` with only the keywords validation needs, nulls made safe."""
    if isinstance(schema, list):
        return [compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema

    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            result[key] = {name: compact(sub) for name, sub in value.items()}
        elif key in KEPT_KEYWORDS:
            result[key] = compact(value)

    result = merge_type_branches(result)
    fmt = schema.get("format")
    if fmt in INTEGER_BOUNDS:
        low, high = INTEGER_BOUNDS[fmt]
        result.setdefault("minimum", low)
        result.setdefault("maximum", high)
    elif fmt == "byte":
        result.setdefault("pattern", BASE64_PATTERN)
    types = result.get("type")
    nullable = isinstance(types, list) and "null" in types
    if "enum" in result and nullable and None not in result["enum"]:
        # A null field is an unset field to the API server, whatever its enum.
        result["enum"] = [*result["enum"], None]
    return result


def merge_type_branches(schema: dict[str, Any]) -> dict[str, Any]:
    """Turn ``oneOf`` of bare nullable types (IntOrString, Quantity) into one type list.

    Both branches accept null, so oneOf would reject every null value.
    """
    branches = schema.get("oneOf")
    if not branches or not all(set(branch) == {"type"} for branch in branches):
        return schema
    types: list[str] = []
    for branch in branches:
        for name in (
            branch["type"] if isinstance(branch["type"], list) else [branch["type"]]
        ):
            if name not in types:
                types.append(name)
    merged = {key: value for key, value in schema.items() if key != "oneOf"}
    merged["type"] = sorted(types)
    return merged


if __name__ == "__main__":
    sys.exit(main())
