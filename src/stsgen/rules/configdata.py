"""ConfigMap and Secret rules: key syntax, size, base64 data and Secret types.

They follow ValidateConfigMap and ValidateSecret (pkg/apis/core/validation). A
Secret's values are never shown in a message: only keys, sizes and positions.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode
from collections.abc import Iterator
from typing import Any

from stsgen.rules import _formats
from stsgen.rules.base import Context, Problem, object_rule
from stsgen.validation.findings import Severity
from stsgen.validation.objects import KubeObject

MAX_SIZE = 1024 * 1024  # core.MaxSecretSize, used for ConfigMaps too
# Go's base64 decoder, used for []byte fields, skips these; everything else counts.
_IGNORED_IN_BASE64 = str.maketrans("", "", "\r\n")

# Keys a Secret of each built-in type must carry (in data or stringData).
SECRET_TLS = "kubernetes.io/tls"
SECRET_DOCKERCFG = "kubernetes.io/dockercfg"
SECRET_DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
SECRET_BASIC_AUTH = "kubernetes.io/basic-auth"
SECRET_SSH_AUTH = "kubernetes.io/ssh-auth"
SECRET_SA_TOKEN = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
JSON_KEY_BY_TYPE = {
    SECRET_DOCKERCFG: ".dockercfg",
    SECRET_DOCKERCONFIGJSON: ".dockerconfigjson",
}


def _ensure_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def decode_base64(text: str) -> bytes | None:
    """Decode standard padded base64 as Go's encoding/json does, or return None."""
    try:
        return b64decode(text.translate(_IGNORED_IN_BASE64), validate=True)
    except (binascii.Error, ValueError):
        return None


def _list_encoded_fields(obj: KubeObject) -> tuple[str, ...]:
    return ("data",) if obj.kind == "Secret" else ("binaryData",)


def _list_text_fields(obj: KubeObject) -> tuple[str, ...]:
    return ("stringData",) if obj.kind == "Secret" else ("data",)


def _merge_secret_payload(obj: KubeObject) -> dict[str, bytes | None]:
    """Return a Secret's data as the server stores it: stringData merged into data.

    A value is None when it cannot be decoded (another rule reports that).
    """
    payload: dict[str, bytes | None] = {}
    for key, value in _ensure_dict(obj.data.get("data")).items():
        payload[key] = decode_base64(value) if isinstance(value, str) else b""
    for key, value in _ensure_dict(obj.data.get("stringData")).items():
        payload[key] = value.encode() if isinstance(value, str) else b""
    return payload


@object_rule("configdata-key", Severity.ERROR, kinds=["ConfigMap", "Secret"])
def check_keys(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """ConfigMap and Secret keys must be usable as file names.

    Mounted as a volume, each key becomes a file, so a key may hold only letters,
    digits, '-', '_' and '.', at most 253 characters, and must not be '.', '..' or
    start with '..'. A ConfigMap key may not appear in both data and binaryData.
    """
    for field in (*_list_text_fields(obj), *_list_encoded_fields(obj)):
        for key in _ensure_dict(obj.data.get(field)):
            error = _formats.check_config_map_key(key)
            if error:
                yield Problem((field, key), error)
    if obj.kind == "ConfigMap":
        binary = _ensure_dict(obj.data.get("binaryData"))
        for key in _ensure_dict(obj.data.get("data")):
            if key in binary:
                yield Problem(
                    ("binaryData", key),
                    f"key {_formats.quote(key)} is in both data and binaryData",
                )


@object_rule("configdata-base64", Severity.ERROR, kinds=["ConfigMap", "Secret"])
def check_base64(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """Secret data and ConfigMap binaryData values must be base64 text.

    The API server decodes them with padded standard base64 (line breaks are
    skipped). For plain text use stringData in a Secret or data in a ConfigMap;
    encode with `base64 -w0`.
    """
    for field in _list_encoded_fields(obj):
        for key, value in _ensure_dict(obj.data.get(field)).items():
            if isinstance(value, str) and decode_base64(value) is None:
                yield Problem(
                    (field, key),
                    f"the value of {_formats.quote(key)} is not valid base64; use "
                    f"{_list_text_fields(obj)[0]} for plain text",
                )


@object_rule("configdata-size", Severity.ERROR, kinds=["ConfigMap", "Secret"])
def check_size(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A ConfigMap's or Secret's data may hold at most 1 MiB in all.

    The limit counts decoded bytes of every value (data, binaryData, stringData).
    Split larger content over several objects or keep it in a volume instead.
    """
    if obj.kind == "Secret":
        sizes = [len(value) for value in _merge_secret_payload(obj).values() if value]
        path: tuple[str, ...] = ("data",) if "data" in obj.data else ("stringData",)
    else:
        sizes = [
            len(value.encode())
            for value in _ensure_dict(obj.data.get("data")).values()
            if isinstance(value, str)
        ]
        for value in _ensure_dict(obj.data.get("binaryData")).values():
            decoded = decode_base64(value) if isinstance(value, str) else None
            sizes.append(len(decoded or b""))
        path = ("data",) if "data" in obj.data else ("binaryData",)
    total = sum(sizes)
    if total > MAX_SIZE:
        yield Problem(
            path, f"the values take {total} bytes, more than the {MAX_SIZE} allowed"
        )


@object_rule("secret-type-keys", Severity.ERROR, kinds=["Secret"])
def check_secret_type(obj: KubeObject, ctx: Context) -> Iterator[Problem]:
    """A Secret of a built-in type must carry the keys that type requires.

    kubernetes.io/tls needs tls.crt and tls.key; kubernetes.io/dockerconfigjson
    needs .dockerconfigjson (and kubernetes.io/dockercfg .dockercfg) holding a JSON
    object; kubernetes.io/basic-auth needs username or password;
    kubernetes.io/ssh-auth a non-empty ssh-privatekey; a service-account-token
    Secret the annotation kubernetes.io/service-account.name.
    """
    secret_type = obj.data.get("type")
    if not isinstance(secret_type, str):
        return
    payload = _merge_secret_payload(obj)
    path = ("data",) if "data" in obj.data else ("type",)

    if secret_type == SECRET_TLS:
        for key in ("tls.crt", "tls.key"):
            if key not in payload:
                yield Problem(path, f"a {SECRET_TLS} secret needs the key {key}")
    elif secret_type in JSON_KEY_BY_TYPE:
        key = JSON_KEY_BY_TYPE[secret_type]
        if key not in payload:
            yield Problem(path, f"a {secret_type} secret needs the key {key}")
        elif payload[key] is not None and not _is_json_object(payload[key] or b""):
            in_text = key in _ensure_dict(obj.data.get("stringData"))
            field = "stringData" if in_text else "data"
            yield Problem((field, key), f"the value of {key} is not a JSON object")
    elif secret_type == SECRET_BASIC_AUTH:
        if "username" not in payload and "password" not in payload:
            yield Problem(
                path, f"a {SECRET_BASIC_AUTH} secret needs the key username or password"
            )
    elif secret_type == SECRET_SSH_AUTH:
        if not payload.get("ssh-privatekey"):
            yield Problem(
                path, f"a {SECRET_SSH_AUTH} secret needs a non-empty ssh-privatekey"
            )
    elif secret_type == SECRET_SA_TOKEN:
        annotations = _ensure_dict(obj.metadata.get("annotations"))
        if not annotations.get(SA_NAME_ANNOTATION):
            yield Problem(
                ("metadata",),
                f"a {SECRET_SA_TOKEN} secret needs the annotation {SA_NAME_ANNOTATION}",
            )


def _is_json_object(raw: bytes) -> bool:
    try:
        # Go's decoder replaces invalid UTF-8 rather than failing.
        value = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return False
    # Go unmarshals JSON null into a map without complaint.
    return value is None or isinstance(value, dict)
