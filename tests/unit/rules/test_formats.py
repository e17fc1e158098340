"""The string formats of names, keys and quantities, against apimachinery's rules."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stsgen.rules._formats import (
    QuantityError,
    check_c_identifier,
    check_config_map_key,
    check_dns1035_label,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_env_var_name,
    check_label_value,
    check_path_segment_name,
    check_percent,
    check_port_name,
    check_qualified_name,
    check_quantity,
    describe_fractional_bytes,
    parse_quantity,
    quote,
)


@pytest.mark.parametrize(
    "value", ["a", "web", "web-0", "0", "123-abc", "a" * 63], ids=str
)
def test_dns1123_label_accepts(value: str) -> None:
    assert check_dns1123_label(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("Web", "lower-case"),
        ("web_1", "lower-case"),
        ("-web", "lower-case"),
        ("web-", "lower-case"),
        ("web.db", "dots"),
        ("a" * 64, "64 characters, more than 63"),
        ("web\n", "lower-case"),
    ],
    ids=repr,
)
def test_dns1123_label_rejects(value: str, reason: str) -> None:
    message = check_dns1123_label(value)
    assert message is not None and reason in message
    assert "DNS-1123 label" in message


def test_dns1123_subdomain() -> None:
    assert check_dns1123_subdomain("db.example.com") is None
    assert check_dns1123_subdomain("a" * 63 + "." + "b" * 63) is None
    assert check_dns1123_subdomain("a" * 254) is not None
    assert check_dns1123_subdomain("db..example") is not None
    assert check_dns1123_subdomain("Db.example") is not None
    assert check_dns1123_subdomain("db.example.") is not None


def test_dns1035_label_must_start_with_a_letter() -> None:
    assert check_dns1035_label("web-1") is None
    assert check_dns1035_label("1web") is not None
    assert check_dns1123_label("1web") is None


def test_path_segment_name() -> None:
    assert check_path_segment_name("system:controller:Foo") is None
    for bad in (".", "..", "a/b", "50%"):
        assert check_path_segment_name(bad) is not None


@pytest.mark.parametrize(
    "value",
    [
        "app",
        "app.kubernetes.io/name",
        "MyName",
        "my_name.x",
        "a" * 63,
        "example.com/" + "a" * 63,
    ],
)
def test_qualified_name_accepts(value: str) -> None:
    assert check_qualified_name(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "name part is empty"),
        ("example.com/", "name part is empty"),
        ("/app", "prefix before '/' is empty"),
        ("a/b/c", "more than one '/'"),
        ("Example.com/app", "prefix"),
        ("-app", "name part"),
        ("app-", "name part"),
        ("a" * 64, "64 characters"),
    ],
    ids=repr,
)
def test_qualified_name_rejects(value: str, reason: str) -> None:
    message = check_qualified_name(value)
    assert message is not None and reason in message


def test_label_value() -> None:
    assert check_label_value("") is None
    assert check_label_value("v1.2_3-x") is None
    assert check_label_value("a" * 63) is None
    assert check_label_value("a" * 64) is not None
    assert check_label_value("my app") is not None
    assert check_label_value("-x") is not None


@pytest.mark.parametrize("value", ["http", "web-80", "a1", "h2c", "a" * 15])
def test_port_name_accepts(value: str) -> None:
    assert check_port_name(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("http-metrics-port", "17 characters, more than 15"),
        ("HTTP", "lower-case"),
        ("8080", "at least one letter"),
        ("a--b", "'--'"),
        ("-http", "start or end"),
        ("http-", "start or end"),
        ("", "empty"),
    ],
    ids=repr,
)
def test_port_name_rejects(value: str, reason: str) -> None:
    message = check_port_name(value)
    assert message is not None and reason in message


def test_c_identifier() -> None:
    assert check_c_identifier("_MY_VAR1") is None
    assert check_c_identifier("1VAR") is not None
    assert check_c_identifier("MY-VAR") is not None


def test_env_var_names_are_relaxed_from_1_32() -> None:
    assert check_env_var_name("1.weird name!", 34) is None
    assert check_env_var_name("A=B", 34) is not None
    assert check_env_var_name("caf\u00e9", 34) is not None
    assert check_env_var_name("TAB\tX", 37) is not None
    assert check_env_var_name("", 37) is not None
    assert check_env_var_name("1VAR", 31) is not None
    assert check_env_var_name("MY.env-name_1", 31) is None
    assert check_env_var_name("..x", 31) is not None


def test_config_map_key() -> None:
    assert check_config_map_key("app.properties") is None
    assert check_config_map_key(".hidden") is None
    for bad in ("", ".", "..", "..data", "a/b", "a b", "k" * 254):
        assert check_config_map_key(bad) is not None, bad


def test_percent() -> None:
    assert check_percent("25%") is None
    assert check_percent("0%") is None
    for bad in ("25", "2.5%", "-5%", "%", " 5%"):
        assert check_percent(bad) is not None, bad


def test_quote_escapes_and_shortens() -> None:
    assert quote('a"b') == '"a\\"b"'
    assert quote("x\ny") == '"x\\ny"'
    long = quote("z" * 200)
    assert len(long) < 60 and long.endswith('..."')
    assert len(quote("a\u2028b\x85c\rd").splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0"),
        ("1", "1"),
        ("100m", "0.1"),
        ("1Ki", "1024"),
        ("1.5Gi", "1610612736"),
        ("10G", "10000000000"),
        ("1e3", "1000"),
        ("1E3", "1000"),
        ("1E", "1000000000000000000"),
        ("2e-3", "0.002"),
        ("12n", "0.000000012"),
        ("3u", "0.000003"),
        ("-1", "-1"),
        ("+5k", "5000"),
        (".5", "0.5"),
        ("1.", "1"),
        ("1.G", "1000000000"),
        ("007", "7"),
        (" 2Gi ", "2147483648"),
        ("0.1n", "0.000000001"),  # rounded up to the smallest amount, 1n
        ("1e-12", "0.000000001"),
        ("Gi", "0"),  # no digits at all still reads as zero, as in Go
        ("16Ei", str(2**63 - 1)),  # binary amounts are capped at 2^63-1
        ("1e4294967296", "1"),  # the exponent wraps at 32 bits, as in Go
        ("9" * 5000 + "Ki", str(2**63 - 1)),  # past what int() reads, still capped
        ("0." + "0" * 5000 + "1Mi", "0.000000001"),
    ],
)
def test_parse_quantity_values(text: str, expected: str) -> None:
    assert parse_quantity(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "", "10Gb", "1K", "1GiB", "1 Gi", "1e", "1ee3", "1.2.3", "abc", ".e-12",
        "1e9999999999999999999", "0x10", "5%", "1Gi\x00",
    ],
)  # fmt: skip
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
    message = check_quantity(text)
    assert message is not None and "is not a quantity" in message


def test_parse_quantity_yaml_scalars() -> None:
    assert parse_quantity(2) == 2
    assert parse_quantity(0.5) == Decimal("0.5")
    assert parse_quantity(1e9) == 10**9
    for bad in (True, None, float("inf"), float("nan"), [1], {"a": 1}):
        with pytest.raises(QuantityError):
            parse_quantity(bad)


# quantity.go's own description of the accepted shape, with the number part made
# optional: its scanner reads a missing number as 0 ("Gi", "E" and "-" are zero).
_SPLIT_RE = re.compile(r"^([+-]?[0-9.]*)([eEinumkKMGTP]*[-+]?[0-9]*)$")


@given(st.text(alphabet="0123456789.+-eEinumkKMGTPb ", max_size=12))
def test_accepted_quantities_fit_the_documented_shape(text: str) -> None:
    try:
        parse_quantity(text)
    except QuantityError:
        return
    stripped = text.strip()
    assert _SPLIT_RE.match(stripped), text


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_integers_parse_to_themselves(number: int) -> None:
    assert parse_quantity(str(number)) == number
    assert parse_quantity(number) == number


@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["Ki", "Mi", "Gi", "Ti", "Pi"]),
)
def test_binary_suffixes_are_powers_of_1024(number: int, suffix: str) -> None:
    power = ["Ki", "Mi", "Gi", "Ti", "Pi"].index(suffix) + 1
    expected = min(number * 1024**power, 2**63 - 1)
    assert parse_quantity(f"{number}{suffix}") == expected


@given(st.integers(min_value=1, max_value=10**9))
def test_milli_and_kilo_compare_like_numbers(small: int) -> None:
    assert parse_quantity(f"{small}m") < parse_quantity(f"{small}")
    assert parse_quantity(f"{small}k") == parse_quantity(f"{small}e3")


@pytest.mark.parametrize(
    ("text", "advice"),
    [("10Gb", "10Gi"), ("512MB", "512M"), ("1GiB", "1Gi"), ("4kb", "4Ki")],
)
def test_byte_units_from_elsewhere_get_advice(text: str, advice: str) -> None:
    with pytest.raises(QuantityError, match=advice):
        parse_quantity(text)


def test_describe_fractional_bytes() -> None:
    assert describe_fractional_bytes("512m") == (
        '"512m" is 0.512 bytes, less than one byte; did you mean 512Mi?'
    )
    assert describe_fractional_bytes(0.5) is not None
    for fine in ("1", "512Mi", 0, "0", "bad", None, True, [1]):
        assert describe_fractional_bytes(fine) is None


CHECKS = [
    check_dns1123_label,
    check_dns1123_subdomain,
    check_dns1035_label,
    check_path_segment_name,
    check_qualified_name,
    check_label_value,
    check_port_name,
    check_c_identifier,
    check_env_var_name,
    check_config_map_key,
    check_percent,
    check_quantity,
]


@given(st.sampled_from(CHECKS), st.text(max_size=300))
def test_messages_are_one_lower_case_line(check, value: str) -> None:
    message = check(value)
    if message is None:
        return
    assert len(message.splitlines()) == 1
    assert message == message.strip() and not message.endswith(".")
    assert message[0] == '"' or message[0].islower()
