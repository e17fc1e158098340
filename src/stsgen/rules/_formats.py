"""The string formats the API server checks names, keys and amounts against.

Each ``check_*`` function returns None for a valid value, or a one-line message
saying what is wrong, by the rules of apimachinery's validation package
(``k8s.io/apimachinery/pkg/util/validation``) and ``api/resource/quantity.go``.
"""

from __future__ import annotations

import json
import math
import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_UP, Context, Decimal
from typing import Any

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_MAX = 63
LABEL_NAME_MAX = 63
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15
CONFIG_MAP_KEY_MAX = 253

# Env var names became "any printable ASCII but '='" with the
# RelaxedEnvironmentVariableValidation gate: beta (on) in 1.32, GA in 1.34.
RELAXED_ENV_VAR_MINOR = 32

# Python's `$` also matches before a final newline, so every pattern is used
# with fullmatch.
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile(r"[a-z]")
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRICT_ENV_VAR = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_PERCENT = re.compile(r"[0-9]+%")
# Byte units as people write them elsewhere (10Gb, 512MB, 1GiB): never valid here.
_BYTE_UNIT_SLIP = re.compile(r"([0-9.]+)\s*(([kKMGTPE])i?[bB])")

_SHOWN_MAX = 48
_LINE_BREAKS = "\x85\u2028\u2029"

_LABEL_RULE = (
    "use lower-case letters, digits and '-', starting and ending with a letter or digit"
)
_SUBDOMAIN_RULE = (
    "use lower-case letters, digits, '-' and '.', starting and ending with a letter "
    "or digit"
)
_DNS1035_RULE = (
    "use lower-case letters, digits and '-', starting with a letter and ending with "
    "a letter or digit"
)
_NAME_PART_RULE = (
    "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
)


def quote(value: Any) -> str:
    """Show a value in a message: quoted, escaped, and shortened when long."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 3] + "..."
    shown = json.dumps(text, ensure_ascii=False)
    # JSON leaves these as they are, but they would break the message's one line.
    for char in _LINE_BREAKS:
        shown = shown.replace(char, f"\\u{ord(char):04x}")
    return shown


def _describe_length(value: str, limit: int) -> str:
    return f"it has {len(value)} characters, more than {limit}"


def check_dns1123_label(value: str) -> str | None:
    """Check a DNS-1123 label: StatefulSet, Namespace, container and volume names."""
    reason = _explain_dns1123_label(value)
    return f"{quote(value)} is not a DNS-1123 label: {reason}" if reason else None


def _explain_dns1123_label(value: str) -> str | None:
    if not value:
        return "it is empty"
    if len(value) > DNS1123_LABEL_MAX:
        return _describe_length(value, DNS1123_LABEL_MAX)
    if _DNS1123_LABEL.fullmatch(value):
        return None
    if _DNS1123_SUBDOMAIN.fullmatch(value):
        return "it must not contain dots"
    return _LABEL_RULE


def check_dns1123_subdomain(value: str) -> str | None:
    """Check a DNS-1123 subdomain: the names of ConfigMaps, Secrets, Deployments."""
    reason = _explain_dns1123_subdomain(value)
    return f"{quote(value)} is not a DNS-1123 subdomain: {reason}" if reason else None


def _explain_dns1123_subdomain(value: str) -> str | None:
    if not value:
        return "it is empty"
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return _describe_length(value, DNS1123_SUBDOMAIN_MAX)
    if _DNS1123_SUBDOMAIN.fullmatch(value):
        return None
    return _SUBDOMAIN_RULE


def check_dns1035_label(value: str) -> str | None:
    """Check a DNS-1035 label: like a DNS-1123 label but starting with a letter."""
    if not value:
        reason = "it is empty"
    elif len(value) > DNS1035_LABEL_MAX:
        reason = _describe_length(value, DNS1035_LABEL_MAX)
    elif _DNS1035_LABEL.fullmatch(value):
        return None
    else:
        reason = _DNS1035_RULE
    return f"{quote(value)} is not a DNS-1035 label: {reason}"


def check_path_segment_name(value: str) -> str | None:
    """Check a name that only has to be usable as one URL path segment."""
    if value in (".", ".."):
        return f"{quote(value)} is not a valid name: it must not be '{value}'"
    for bad in ("/", "%"):
        if bad in value:
            return f"{quote(value)} is not a valid name: it must not contain '{bad}'"
    return None


def check_qualified_name(value: str) -> str | None:
    """Check a qualified name, as label keys, annotation keys and finalizers are.

    That is an optional DNS-1123 subdomain prefix and '/', then a name of at most
    63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.
    """
    reason = _explain_qualified_name(value)
    return f"{quote(value)} is not a qualified name: {reason}" if reason else None


def _explain_qualified_name(value: str) -> str | None:
    parts = value.split("/")
    if len(parts) > 2:
        return "it has more than one '/'"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return "the prefix before '/' is empty"
        reason = _explain_dns1123_subdomain(prefix)
        if reason:
            return f"the prefix {quote(prefix)} is not a DNS-1123 subdomain: {reason}"
    if not name:
        return "the name part is empty"
    if len(name) > LABEL_NAME_MAX:
        return f"the name part {_describe_length(name, LABEL_NAME_MAX)}"
    if not _LABEL_NAME.fullmatch(name):
        return f"in the name part, {_NAME_PART_RULE}"
    return None


def check_label_value(value: str) -> str | None:
    """Check a label value: empty, or at most 63 characters shaped like a name."""
    if len(value) > LABEL_VALUE_MAX:
        reason = _describe_length(value, LABEL_VALUE_MAX)
    elif not value or _LABEL_NAME.fullmatch(value):
        return None
    else:
        reason = _NAME_PART_RULE
    return f"{quote(value)} is not a valid label value: {reason}"


def check_port_name(value: str) -> str | None:
    """Check an IANA service name (RFC 6335), the format of every port name."""
    if not value:
        reason = "it is empty"
    elif len(value) > PORT_NAME_MAX:
        reason = _describe_length(value, PORT_NAME_MAX)
    elif not _PORT_NAME_CHARS.fullmatch(value):
        reason = "use only lower-case letters, digits and '-'"
    elif not _PORT_NAME_LETTER.search(value):
        reason = "it must contain at least one letter"
    elif "--" in value:
        reason = "it must not contain '--'"
    elif value[0] == "-" or value[-1] == "-":
        reason = "it must not start or end with '-'"
    else:
        return None
    return f"{quote(value)} is not a valid port name: {reason}"


def check_c_identifier(value: str) -> str | None:
    """Check a C identifier: a letter or '_', then letters, digits or '_'."""
    if _C_IDENTIFIER.fullmatch(value):
        return None
    return (
        f"{quote(value)} is not a C identifier: use letters, digits and '_', "
        "not starting with a digit"
    )


def check_env_var_name(value: str, kubernetes_minor: int = 37) -> str | None:
    """Check an environment variable name as the given Kubernetes version does."""
    if not value:
        return "the environment variable name is empty"
    if kubernetes_minor >= RELAXED_ENV_VAR_MINOR:
        if all(" " <= char <= "~" for char in value) and "=" not in value:
            return None
        return (
            f"{quote(value)} is not a valid environment variable name: use printable "
            "ASCII characters other than '='"
        )
    if not _STRICT_ENV_VAR.fullmatch(value):
        return (
            f"{quote(value)} is not a valid environment variable name: use letters, "
            "digits, '_', '-' and '.', not starting with a digit"
        )
    return _check_dot_prefix(value, "environment variable name")


def check_config_map_key(value: str) -> str | None:
    """Check a key of a ConfigMap's or Secret's data (it becomes a file name)."""
    if not value:
        reason = "it is empty"
    elif len(value) > CONFIG_MAP_KEY_MAX:
        reason = _describe_length(value, CONFIG_MAP_KEY_MAX)
    elif not _CONFIG_MAP_KEY.fullmatch(value):
        reason = "use only letters, digits, '-', '_' and '.'"
    else:
        return _check_dot_prefix(value, "key")
    return f"{quote(value)} is not a valid key: {reason}"


def _check_dot_prefix(value: str, what: str) -> str | None:
    if value in (".", ".."):
        return f"{quote(value)} is not a valid {what}: it must not be '{value}'"
    if value.startswith(".."):
        return f"{quote(value)} is not a valid {what}: it must not start with '..'"
    return None


def check_percent(value: str) -> str | None:
    """Check a percentage string such as ``25%`` (digits only, no sign or point)."""
    if _PERCENT.fullmatch(value):
        return None
    return f"{quote(value)} is not a percentage: use digits followed by '%', e.g. 25%"


# Quantities: a signed decimal number and a suffix, e.g. 500m, 1.5Gi, 2e3, 10G.
_DECIMAL_SUFFIXES = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15,
    "E": 18,
}  # fmt: skip
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_INT64_MAX = 2**63 - 1
_NANO = Decimal("1e-9")
_MAX_INT64_FACTORS = 18
# What Go's strings.TrimSpace removes (unicode.IsSpace).
_GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


class QuantityError(ValueError):
    """Raised by parse_quantity when a value is not a Kubernetes quantity."""


def check_quantity(value: Any) -> str | None:
    """Check a resource quantity such as ``500m``, ``1Gi`` or ``10G``."""
    try:
        parse_quantity(value)
    except QuantityError as error:
        return f"{quote(value)} is not a quantity: {error}"
    return None


def parse_quantity(value: Any) -> Decimal:
    """Return the exact amount of a quantity, as the API server would store it.

    Accepts what the server accepts from YAML: strings, integers and finite
    floats. The amount keeps the server's rounding (up to the next 1n) and its cap
    for binary suffixes, so two parsed quantities compare as the server's do.
    """
    if isinstance(value, bool) or value is None:
        raise QuantityError("expected a number with an optional suffix, e.g. 1Gi")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError("it is not a finite number")
        text = repr(value)
    elif isinstance(value, str):
        # The server's JSON decoding of a quantity trims surrounding white space.
        text = value.strip(_GO_SPACE)
    else:
        raise QuantityError("expected a number with an optional suffix, e.g. 1Gi")
    try:
        return _parse_quantity_text(text)
    except QuantityError:
        hint = _BYTE_UNIT_SLIP.fullmatch(text)
        if hint is None:
            raise
        number, unit = hint.group(1), hint.group(2)
        prefix = hint.group(3).upper().replace("K", "k")
        binary = "Ki" if prefix == "k" else f"{prefix}i"
        raise QuantityError(
            f"{quote(unit)} is not a unit; write {number}{binary} "
            f"(powers of 1024) or {number}{prefix} (powers of 1000)"
        ) from None


def _parse_quantity_text(text: str) -> Decimal:
    if not text:
        raise QuantityError("it is empty")
    if text == "0":
        return Decimal(0)

    positive, value, num, denom, suffix = _split_quantity(text)
    base, exponent = _interpret_suffix(suffix)

    amount = _scale_small_integer(base, exponent, num, denom)
    if amount is None:
        # The server reads the number part again here and needs a digit in it.
        if not _DIGITS.intersection(value):
            raise QuantityError("the number part has no digits")
        amount = _scale_any_number(base, exponent, num + denom, len(denom))
    return amount if positive else amount.copy_negate()  # exact, unlike -amount


def quantity_or_none(value: Any) -> Decimal | None:
    """The amount of ``value``, or None where it is no quantity (another rule
    reports that)."""
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def _scale_small_integer(
    base: int, exponent: int, num: str, denom: str
) -> Decimal | None:
    """The server's fast path: numbers that fit an int64 at a scale of 1n or more."""
    digits = num + denom
    if base == 10:
        scale = exponent - len(denom)
        fits = _MAX_INT64_FACTORS - len(digits) >= 0 and scale >= -9
        mantissa = 1
    else:
        scale = 0
        fits = not denom and 15 - len(num) - int(exponent * 3 / 10) - 1 >= 0
        mantissa = 1 << exponent
    product = int(digits) * mantissa if fits else _INT64_MAX + 1
    return Decimal(f"{product}E{scale}") if product <= _INT64_MAX else None


def _scale_any_number(base: int, exponent: int, digits: str, fraction: int) -> Decimal:
    """The server's slow path: exact decimals, rounded up to 1n, binary ones capped."""
    if base == 10:
        amount = Decimal(f"{digits}E{exponent - fraction}")
    else:
        # Exact at any length: int() refuses more than 4,300 digits.
        exact = Context(prec=len(digits) + 25, Emax=MAX_EMAX, Emin=MIN_EMIN)
        amount = exact.multiply(Decimal(digits), 1 << exponent).scaleb(-fraction, exact)
    if amount and amount.as_tuple().exponent < -9:
        places = len(amount.as_tuple().digits) + 2
        context = Context(prec=places, Emax=MAX_EMAX, Emin=MIN_EMIN)
        amount = amount.quantize(_NANO, rounding=ROUND_UP, context=context)
    if base == 2 and amount > _INT64_MAX:
        amount = Decimal(_INT64_MAX)
    return amount


def _split_quantity(text: str) -> tuple[bool, str, str, str, str]:
    """Split into sign, number text, integer digits, fraction digits and suffix."""
    end = len(text)
    positive = True
    pos = 0
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1

    while pos < end and text[pos] == "0":
        pos += 1
    if pos == end:
        return positive, "0", "0", "", ""

    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"

    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    value = text[:pos]

    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(
            f"unexpected {quote(text[pos])}; use a number and one of the suffixes "
            "n u m k M G T P E Ki Mi Gi Ti Pi Ei or an exponent such as e3"
        )
    return positive, value, num, denom, text[suffix_start:]


def _interpret_suffix(suffix: str) -> tuple[int, int]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix]
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix]
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = _parse_int64(suffix[1:])
        if exponent is not None:
            # The server keeps the exponent in 32 bits and wraps it.
            return 10, (exponent + 2**31) % 2**32 - 2**31
    raise QuantityError(
        f"unknown suffix {quote(suffix)}; use one of n u m k M G T P E Ki Mi Gi Ti "
        "Pi Ei or an exponent such as e3"
    )


def _parse_int64(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    if not body or not all(char in _DIGITS for char in body):
        return None
    if len(body.lstrip("0")) > 19:  # past int64, and perhaps past what int() reads
        return None
    number = int(text)
    return number if -(2**63) <= number <= _INT64_MAX else None


def describe_fractional_bytes(amount: Any) -> str | None:
    """Say why a byte amount below 1 (e.g. `512m`, 0.512 bytes) is a mistake."""
    if isinstance(amount, bool) or not isinstance(amount, (str, int, float)):
        return None
    try:
        value = parse_quantity(amount)
    except QuantityError:
        return None
    if not 0 < value < 1:
        return None
    text = str(amount).strip()
    hint = f"; did you mean {text[:-1]}Mi?" if text.endswith("m") else ""
    return f"{quote(amount)} is {value.normalize():f} bytes, less than one byte{hint}"
