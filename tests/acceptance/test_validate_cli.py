"""`stsgen validate` and `stsgen rules` driven as a user drives them."""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from tests.acceptance.conftest import VALID_STATEFULSET, rules_of, validate_json
from tests.acceptance.helpers import REPO, run_cli, run_command

TYPO = VALID_STATEFULSET.replace(
    "  replicas: 2\n", "  replicas: 2\n  updateStragegy: {}\n"
)


def test_valid_manifest_passes_with_a_summary_and_nothing_on_stderr(write) -> None:
    path = write("web.yaml", VALID_STATEFULSET)

    run = run_cli("validate", str(path))

    assert run.code == 0, run
    assert run.stderr == ""
    assert "1 file, 2 objects: 2 valid, 0 invalid" in run.stdout


def test_installed_command_reports_file_line_column_and_did_you_mean(write) -> None:
    path = write("web.yaml", TYPO)

    run = run_command("validate", str(path))

    assert run.code == 1, run
    assert run.stderr == ""
    line = next(ln for ln in run.stdout.splitlines() if "updateStragegy" in ln)
    assert "20:3" in line
    assert 'did you mean "updateStrategy"?' in line
    assert "unknown-field" in line and "StatefulSet web" in line
    assert "spec.updateStragegy" in line


def test_no_strict_accepts_unknown_fields_but_warns_on_duplicate_keys(write) -> None:
    text = TYPO.replace(
        "  serviceName: web\n", "  serviceName: web\n  serviceName: web\n"
    )
    path = write("web.yaml", text)

    strict, strict_report = validate_json(path)
    lenient, lenient_report = validate_json("--no-strict", path)

    assert strict.code == 1, strict
    assert sorted(rules_of(strict_report)) == ["duplicate-key", "unknown-field"]
    assert lenient.code == 0, lenient
    [finding] = lenient_report["findings"]
    assert (finding["rule"], finding["severity"]) == ("duplicate-key", "warning")
    assert (finding["line"], finding["path"]) == (19, "spec.serviceName")


def test_missing_path_is_an_error_line_and_exit_2_after_checking_the_rest(
    write,
) -> None:
    good = write("good.yaml", VALID_STATEFULSET)

    run = run_cli("validate", str(good), "no-such-file.yaml")

    assert run.code == 2, run
    assert run.stderr == "stsgen: error: no-such-file.yaml: no such file or directory\n"
    assert "1 file, 2 objects: 2 valid" in run.stdout


def test_stdin_is_read_with_dash_and_by_default() -> None:
    explicit, explicit_report = validate_json("-", stdin=TYPO)
    implicit, implicit_report = validate_json(stdin=TYPO)

    assert explicit.code == implicit.code == 1
    assert explicit_report == implicit_report
    assert {f["file"] for f in explicit_report["findings"]} == {"stdin"}


def test_no_path_on_a_terminal_is_a_usage_error() -> None:
    leader, follower = pty.openpty()
    executable = Path(sys.executable).parent / "stsgen"
    try:
        completed = subprocess.run(
            [str(executable), "validate"],
            check=False,
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith("stsgen: error: no input:")


@pytest.mark.parametrize("given", ["1.35", "v1.35.2", "1.35.0"])
def test_kubernetes_version_forms_are_accepted(write, given: str) -> None:
    path = write("web.yaml", VALID_STATEFULSET.replace("apps/v1", "apps/v1beta3"))

    run, report = validate_json("--kubernetes-version", given, path)

    assert run.code == 1, run
    [finding] = report["findings"]
    assert "in Kubernetes 1.35; use apps/v1" in finding["message"]


def test_unbundled_kubernetes_version_lists_the_bundled_ones(write) -> None:
    path = write("web.yaml", VALID_STATEFULSET)

    run = run_cli("validate", "--kubernetes-version", "1.20", str(path))

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "1.34, 1.35, 1.36, 1.37" in run.stderr


def test_skip_turns_a_rule_off_and_unknown_ids_get_a_suggestion(write) -> None:
    path = write("web.yaml", TYPO)

    skipped = run_cli("validate", "--skip", "unknown-field", str(path))
    misspelt = run_cli("validate", "--skip", "unknown-fields", str(path))

    assert skipped.code == 0, skipped
    assert misspelt.code == 2, misspelt
    assert misspelt.stdout == ""
    assert 'did you mean "unknown-field"?' in misspelt.stderr


def test_skip_annotation_turns_rules_off_for_one_object_only(write) -> None:
    annotated = TYPO.replace(
        "metadata:\n  name: web\nspec:\n  serviceName",
        "metadata:\n  name: web\n  annotations:\n"
        "    stsgen.io/skip: unknown-field, other-rule\nspec:\n  serviceName",
    )
    second = TYPO.replace(
        "name: web\nspec:\n  serviceName", "name: db\nspec:\n  serviceName"
    )
    path = write("web.yaml", annotated + "---\n" + second.split("---\n")[1])

    run, report = validate_json(path)

    assert run.code == 1, run
    assert [(f["name"], f["rule"]) for f in report["findings"]] == [
        ("db", "unknown-field")
    ]


def test_fail_on_warning_makes_warnings_fail(write) -> None:
    text = VALID_STATEFULSET.replace("  serviceName: web\n", "  serviceName: web\n" * 2)
    path = write("web.yaml", text)

    default = run_cli("validate", "--no-strict", str(path))
    failing = run_cli("validate", "--no-strict", "--fail-on", "warning", str(path))

    assert default.code == 0, default
    assert failing.code == 1, failing
    assert failing.stdout == default.stdout


def test_missing_schema_is_an_error_unless_ignored(write) -> None:
    custom = """\
    apiVersion: example.com/v1
    kind: Widget
    metadata:
      name: w
    """
    path = write("widget.yaml", custom)

    reported, report = validate_json(path)
    ignored, ignored_report = validate_json("--ignore-missing-schemas", path)

    assert reported.code == 1, reported
    assert rules_of(report) == ["no-schema"]
    assert ignored.code == 0, ignored
    assert ignored_report["findings"] == []
    assert ignored_report["summary"]["skipped"] == 1


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
"""
WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: 0
  colour: red
"""


def test_crds_in_any_input_file_check_custom_resources_in_others(write) -> None:
    # "a-" sorts before "b-": the custom resource is read before its CRD.
    write("input/a-widget.yaml", WIDGET)
    write("input/b-crd.yaml", CRD)

    run, report = validate_json(write("input/a-widget.yaml", WIDGET).parent)

    assert run.code == 1, run
    found = {
        (f["rule"], f["path"], f["line"])
        for f in report["findings"]
        if f["severity"] == "error"
    }
    assert found == {("schema", "spec.size", 6), ("unknown-field", "spec.colour", 7)}


@pytest.mark.parametrize(
    ("scope", "rules"), [("Namespaced", ["metadata-namespace-format"]), ("Cluster", [])]
)
def test_the_namespace_of_a_cluster_scoped_custom_resource_is_not_checked(
    write, scope: str, rules: list[str]
) -> None:
    # The API server clears the namespace of a cluster-scoped object, whatever it
    # holds, before validating it; a namespaced one must name a possible namespace.
    crd = write("crd.yaml", CRD.replace("scope: Namespaced", f"scope: {scope}"))
    widget = WIDGET.replace("  name: w\n", "  name: w\n  namespace: Not_A_Label\n")
    widget = widget.replace("  size: 0\n  colour: red\n", "  size: 1\n")

    run, report = validate_json("--crd", crd, write("widget.yaml", widget))
    # The CRD read as input, in worker processes.
    _, in_workers = validate_json("--workers", "2", crd, write("widget.yaml", widget))

    assert rules_of(report) == rules, run
    assert rules_of(in_workers) == rules


def test_crd_option_reads_files_and_folders(write) -> None:
    crd = write("crds/widget-crd.yaml", CRD)
    widget = write("widget.yaml", WIDGET.replace("  colour: red\n", ""))

    from_file, file_report = validate_json("--crd", crd, widget)
    from_folder, folder_report = validate_json("--crd", crd.parent, widget)
    missing = run_cli("validate", "--crd", "nowhere", str(widget))

    assert from_file.code == from_folder.code == 1
    assert file_report == folder_report
    assert rules_of(file_report) == ["schema"]
    assert file_report["findings"][0]["message"] == "0 is below the minimum of 1"
    assert missing.code == 2, missing
    assert missing.stderr == "stsgen: error: --crd nowhere: no such file or directory\n"


def test_secret_values_never_appear_in_the_report(write) -> None:
    secret = """\
    apiVersion: v1
    kind: Secret
    metadata:
      name: creds
    data:
      password: hunter2-not-base64!
      token: 12345
    stringData:
      extra: [sekrit-in-a-list]
    """
    path = write("secret.yaml", secret)

    for output in ("text", "json", "sarif", "junit", "github"):
        run = run_cli("validate", "-o", output, str(path))
        assert run.code == 1, run
        for value in ("hunter2", "12345", "sekrit"):
            assert value not in run.stdout
            assert value not in run.stderr


def test_every_output_format_is_well_formed(write) -> None:
    path = write("web.yaml", TYPO)

    runs = {
        fmt: run_cli("validate", "-o", fmt, str(path))
        for fmt in ("text", "json", "junit", "sarif", "github")
    }

    assert all(run.code == 1 for run in runs.values()), runs
    assert json.loads(runs["json"].stdout)["summary"]["errorFindings"] == 1
    sarif = json.loads(runs["sarif"].stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "unknown-field"
    assert ElementTree.fromstring(runs["junit"].stdout).tag == "testsuites"
    assert runs["github"].stdout.startswith("::error file=")


def test_hostile_files_each_get_one_finding_and_the_rest_go_on(write) -> None:
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in range(1, 10):
        laughs += (
            f"l{level}: &l{level} ["
            + ",".join([f"*{'a' if level == 1 else f'l{level - 1}'}"] * 9)
            + "]\n"
        )
    write("in/1-binary.yaml", b"\x00\x01\x02binary")
    write("in/2-latin1.yaml", b"kind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    write("in/3-laughs.yaml", laughs)
    write("in/4-deep.yaml", "a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    write("in/5-text.yaml", "just some words\n")
    write("in/6-broken.yaml", "a: [b\n")
    good = write("in/7-good.yaml", VALID_STATEFULSET)

    run, report = validate_json(good.parent)

    assert run.code == 1, run
    assert run.stderr == ""
    by_file = {Path(f["file"]).name: f["rule"] for f in report["findings"]}
    assert by_file == {
        "1-binary.yaml": "unreadable",
        "2-latin1.yaml": "unreadable",
        "3-laughs.yaml": "yaml-syntax",
        "4-deep.yaml": "yaml-syntax",
        "5-text.yaml": "not-an-object",
        "6-broken.yaml": "yaml-syntax",
    }
    assert len(report["findings"]) == 6
    assert report["summary"]["valid"] == 2


def test_an_enormous_file_is_refused_without_reading_it_all(write, tmp_path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(65 * 2**20)

    run, report = validate_json(big)

    assert run.code == 1, run
    assert rules_of(report) == ["unreadable"]
    assert "larger than 64 MiB" in report["findings"][0]["message"]


def test_folders_are_walked_in_sorted_order_skipping_hidden_and_other_files(
    write,
) -> None:
    bad = VALID_STATEFULSET.replace("replicas: 2", "replicas: two")
    write("tree/b.yaml", bad)
    write("tree/a/z.yml", bad)
    write(
        "tree/a/m.json",
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 1}}),
    )
    write("tree/.git/config.yaml", bad)
    write("tree/.hidden.yaml", bad)
    write("tree/notes.txt", bad)
    root = write("tree/c.YAML", bad).parent

    run, report = validate_json(root)

    files = list(dict.fromkeys(f["file"] for f in report["findings"]))
    assert run.code == 1, run
    assert files == [
        f"{root}/a/m.json",
        f"{root}/a/z.yml",
        f"{root}/b.yaml",
        f"{root}/c.YAML",
    ]


def test_parallel_run_is_byte_identical_to_a_single_process_run(tmp_path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate_stream import build_stream

    stream = build_stream(1500)
    # Break a few documents in different ways, spread over the stream.
    stream = stream.replace("replicas: 3", "replicas: three", 3)
    stream = stream.replace("copies: 2", "copies: 20", 2)
    stream = stream.replace("  serviceName: db-40\n", "  serviceNmae: db-40\n")
    # Set rules run on the fields kept of each object, after the workers are done.
    stream = stream.replace("    targetPort: db\n", "    targetPort: dbx\n", 4)
    path = tmp_path / "stream.yaml"
    path.write_text(stream + "---\nnot: [valid\n", encoding="utf-8")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"kind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    paths = (str(latin1), str(path))

    single = run_cli("-v", "validate", "-o", "json", "--workers", "1", *paths)
    double = run_cli("-v", "validate", "-o", "json", "--workers", "2", *paths)

    assert single.code == double.code == 1
    assert single.stdout == double.stdout
    assert single.stderr == double.stderr == ""
    report = json.loads(single.stdout)
    assert report["summary"]["objects"] >= 1500
    assert sorted(set(rules_of(report))) == [
        "ref-service-target-port",
        "schema",
        "unknown-field",
        "unreadable",
        "yaml-syntax",
    ]
    assert report["findings"][0]["line"] == 3  # where the bad byte is


def test_rules_lists_engine_checks_and_registered_rules() -> None:
    listing = run_cli("rules")
    one = run_cli("rules", "unknown-field")
    as_json = run_cli("rules", "-o", "json")
    unknown = run_cli("rules", "unknown-fields")

    assert listing.code == one.code == as_json.code == 0
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert ids == sorted(ids)
    for engine_id in (
        "yaml-syntax",
        "duplicate-key",
        "unknown-field",
        "schema",
        "no-schema",
        "deprecated-api",
        "unreadable",
        "internal-error",
    ):
        assert engine_id in ids
    assert len(ids) > 12  # the registered rules are listed too
    assert one.stdout.startswith("unknown-field (error; kinds: any)\n\n")
    assert "updateStragegy" in one.stdout
    assert [entry["id"] for entry in json.loads(as_json.stdout)] == ids
    assert unknown.code == 2
    assert 'did you mean "unknown-field"?' in unknown.stderr


def test_strict_refs_reports_config_maps_missing_from_the_input(write) -> None:
    text = VALID_STATEFULSET.replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n"
        "        envFrom:\n"
        "        - configMapRef:\n"
        "            name: web-settings\n",
    )
    path = write("web.yaml", text)

    default, default_report = validate_json(path)
    strict, strict_report = validate_json("--strict-refs", path)

    assert default.code == strict.code == 0
    new = [f for f in strict_report["findings"] if f not in default_report["findings"]]
    assert [(f["rule"], f["severity"]) for f in new] == [
        ("ref-config-missing", "warning")
    ]
    assert "web-settings" in new[0]["message"]


def test_a_crashing_rule_is_logged_with_its_traceback_only_at_vv(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stsgen.rules.base import RULES_BY_ID, Rule
    from stsgen.validation.findings import Severity

    def crash(obj, ctx):
        raise RuntimeError("rule bug")

    monkeypatch.setitem(
        RULES_BY_ID,
        "test-crash",
        Rule("test-crash", Severity.ERROR, "Crashes.", frozenset({"Service"}), crash),
    )
    path = write("web.yaml", VALID_STATEFULSET)
    # -vv reconfigures logging; put it back for the tests that follow.
    for name in ("", "stsgen"):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "handlers", list(logger.handlers))
        monkeypatch.setattr(logger, "level", logger.level)

    quiet = run_cli("validate", str(path))
    loud = run_cli("-vv", "validate", str(path))

    assert quiet.code == loud.code == 1
    assert "rule test-crash failed on this object (RuntimeError)" in quiet.stdout
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "rule bug" in loud.stderr


def test_crd_and_custom_resource_in_one_list_document(write) -> None:
    items = "".join(
        "- " + text.replace("\n", "\n  ").rstrip() + "\n" for text in (WIDGET, CRD)
    )
    path = write("list.yaml", "apiVersion: v1\nkind: List\nitems:\n" + items)

    run, report = validate_json("--skip", "ref-custom-resource-order", path)

    assert run.code == 1, run
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [
        ("schema", "spec.size", 9),
        ("unknown-field", "spec.colour", 10),
    ]


def test_unusable_crd_is_a_warning_on_the_crd(write) -> None:
    broken = CRD.replace("  - name: v1\n    served: true", "  - served: true")
    path = write("crd.yaml", "---\n" + broken)

    _run, report = validate_json("--skip", "crd-versions", path)

    unusable = [f for f in report["findings"] if f["rule"] == "crd-unusable"]
    assert [(f["severity"], f["line"], f["kind"]) for f in unusable] == [
        ("warning", 2, "CustomResourceDefinition")
    ]
    assert "name is missing" in unusable[0]["message"]


@pytest.mark.parametrize("blueprint", ["statefulset", "mysql"])
def test_a_folder_written_by_render_validates_clean(blueprint, tmp_path) -> None:
    folder = tmp_path / "out"
    rendered = run_cli("render", blueprint, "--output-dir", str(folder))
    assert rendered.code == 0, rendered
    assert (folder / "kustomization.yaml").is_file()

    run, report = validate_json(folder)

    assert run.code == 0, run
    assert run.stderr == ""
    assert report["findings"] == []
    files = len(list(folder.glob("*.yaml")))
    # Every file holds one object; the kustomization is skipped, not checked.
    assert report["summary"]["objects"] == files
    assert report["summary"]["skipped"] == 1
    assert report["summary"]["valid"] == files - 1


CONFIG_TYPO = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  lables: {app: web}
"""


def test_a_pipe_given_as_a_path_is_read_once(tmp_path) -> None:
    # /dev/stdin stands for <(cmd): a stream that a second read finds empty.
    run = run_command("validate", "-o", "json", "/dev/stdin", stdin=CONFIG_TYPO)

    assert run.code == 1, run
    report = json.loads(run.stdout)
    assert rules_of(report) == ["unknown-field"]
    assert report["findings"][0]["file"] == "/dev/stdin"


def test_a_named_pipe_in_a_folder_is_skipped_not_waited_on(write, tmp_path) -> None:
    write("deploy/settings.yaml", CONFIG_TYPO)
    os.mkfifo(tmp_path / "deploy" / "pipe.yaml")

    run = run_command("validate", "-o", "json", str(tmp_path / "deploy"))

    assert run.code == 1, run
    assert json.loads(run.stdout)["summary"]["files"] == 1


def test_data_nested_too_deep_for_the_schema_check_is_one_finding(write) -> None:
    nested = "{a: " * 300 + "1" + "}" * 300
    deep = write(
        "deep.yaml",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {nested}\n",
    )
    other = write("other.yaml", CONFIG_TYPO)

    run, report = validate_json(deep, other)

    assert run.code == 1, run
    assert [(f["file"], f["rule"]) for f in report["findings"]] == [
        (str(deep), "schema"),
        (str(other), "unknown-field"),
    ]
    assert "nests too deeply" in report["findings"][0]["message"]


def test_thousands_of_duplicate_keys_each_get_their_path(write) -> None:
    keys = "".join(f"  k{n % 50}: v{n}\n" for n in range(3000))
    path = write(
        "dups.yaml",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n{keys}",
    )

    _run, report = validate_json(path)

    duplicates = [f for f in report["findings"] if f["rule"] == "duplicate-key"]
    assert len(duplicates) == 3000 - 50
    assert duplicates[0]["path"] == "data.k0" and duplicates[0]["line"] == 56
    assert {f["path"] for f in duplicates} == {f"data.k{n}" for n in range(50)}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bare_markers_cost_nothing_and_keep_line_numbers(tmp_path, workers) -> None:
    # 200,000 empty documents (800 kB, past the size that starts workers) used to
    # become one piece each, parsed one by one: a minute and a gigabyte for 20 MB.
    empty = "---\n" * 100_000
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: [x]\n"
    path = tmp_path / "markers.yaml"
    path.write_text(
        empty + broken + empty + "--- # nothing\n" + broken.replace("c", "d")
    )

    run, report = validate_json("--workers", workers, path)

    assert run.code == 1, run
    assert report["summary"]["objects"] == 2
    assert [(f["name"], f["line"], f["path"]) for f in report["findings"]] == [
        ("c", 100_005, "data"),
        ("d", 200_011, "data"),
    ]


def test_a_json_file_is_read_as_kubectl_reads_json(write) -> None:
    service, statefulset = yaml.safe_load_all(VALID_STATEFULSET)
    # Go tools indent JSON with tabs; kubectl reads 2e0 as the number 2.
    text = json.dumps(
        {"kind": "List", "apiVersion": "v1", "items": [service, statefulset]},
        indent="\t",
    )
    good = write("good.json", text.replace('"replicas": 2', '"replicas": 2e0'))
    bad = write("bad.json", text.replace('"replicas": 2', '"replicas": 2.5'))

    passed, clean = validate_json(good)
    failed_run, report = validate_json(bad)

    assert passed.code == 0, passed
    assert clean["findings"] == []
    assert failed_run.code == 1, failed_run
    line = text.splitlines().index('\t\t\t\t"replicas": 2,') + 1
    assert [(f["path"], f["line"]) for f in report["findings"]] == [
        ("spec.replicas", line)
    ]


def test_nothing_readable_is_error_lines_and_no_report(tmp_path) -> None:
    run = run_cli("validate", "-o", "json", str(tmp_path / "nowhere"))

    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.endswith("nowhere: no such file or directory\n")


@pytest.mark.parametrize("stdin", ["", "# only a comment\n---\n"])
def test_input_without_any_object_fails_as_kubectl_apply_does(stdin: str) -> None:
    # An empty stream is what a failed render earlier in a pipe leaves.
    run = run_command("validate", "-", stdin=stdin)

    assert run.code == 1, run
    assert run.stderr == (
        "stsgen: error: no Kubernetes objects in the input: nothing was checked\n"
    )
    assert "0 objects" in run.stdout
