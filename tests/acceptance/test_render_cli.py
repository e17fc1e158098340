"""`stsgen render`, `list`, `values` and `--version` driven as a user drives them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stsgen import __version__
from tests.acceptance.helpers import REPO, run_cli, run_command


def test_render_prints_a_stream_kubectl_can_apply() -> None:
    run = run_cli("render", "statefulset", "--name", "web", "--replicas", "3")

    assert run.code == 0, run
    assert run.stderr == ""
    documents = list(yaml.safe_load_all(run.stdout))
    assert [d["kind"] for d in documents] == ["Service", "StatefulSet"]
    assert documents[1]["spec"]["replicas"] == 3
    assert run.stdout.count("---\n# Source: statefulset/") == 2


def test_installed_command_works_from_another_directory(tmp_path: Path) -> None:
    run = run_command("render", "statefulset", cwd=tmp_path)

    assert run.code == 0, run
    assert "claimName" not in run.stdout
    assert "storageClassName: sc-nfs" in run.stdout
    assert 'mountPath: "/usr/share/nginx/html"' in run.stdout


def test_module_entry_point_and_version(tmp_path: Path) -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "stsgen", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0
    assert completed.stdout == f"stsgen {__version__}\n"
    assert completed.stderr == ""


def test_output_is_identical_across_runs_and_environments(tmp_path: Path) -> None:
    first = run_command("render", "statefulset", "-f", "examples/web.yaml")
    second = run_command(
        "render",
        "statefulset",
        "-f",
        str(REPO / "examples" / "web.yaml"),
        cwd=tmp_path,
        env={
            "PYTHONHASHSEED": "123",
            "TZ": "Asia/Shanghai",
            "LANG": "C",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
    )

    assert first.code == second.code == 0
    assert first.stdout == second.stdout


def test_json_output_is_a_list() -> None:
    run = run_cli("render", "statefulset", "-o", "json")

    assert run.code == 0, run
    listing = json.loads(run.stdout)
    assert listing["kind"] == "List"
    assert [item["kind"] for item in listing["items"]] == ["Service", "StatefulSet"]


def test_values_from_stdin() -> None:
    run = run_cli("render", "statefulset", "-f", "-", stdin="replicas: 7\n")

    assert run.code == 0, run
    assert "replicas: 7\n" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "stsgen: error: no blueprint named 'nosuch'"),
        (
            ["statefulset", "-f", "/no/such.yaml"],
            "stsgen: error: /no/such.yaml: cannot read",
        ),
        (
            ["statefulset", "--set", "a[x]=1"],
            "stsgen: error: --set key 'a[x]': bad list",
        ),
        (
            ["statefulset", "--replicas", "-1"],
            "stsgen: error: values: replicas: -1 is below",
        ),
        (
            ["statefulset", "--set", "podManagementPolicy=Sequential"],
            'stsgen: error: values: podManagementPolicy: "Sequential" is not one of',
        ),
        (
            ["statefulset", "--name", "Web_1"],
            'stsgen: error: values: name: "Web_1" is not',
        ),
        (
            ["statefulset", "--set", "replicsa=3"],
            "stsgen: error: values: replicsa: unknown key; did you mean replicas?",
        ),
    ],
    ids=["blueprint", "values-file", "set-syntax", "negative", "enum", "name", "typo"],
)
def test_bad_input_is_one_line_exit_2_and_no_output(
    args: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    run = run_cli("render", *args, "--output-dir", str(out))

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.startswith(message)
    assert run.stderr.count("\n") == 1
    assert not out.exists()


def test_bad_input_from_the_installed_command_has_no_traceback() -> None:
    run = run_command("render", "statefulset", "--set", "replicas=-5")

    assert run.code == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr == (
        "stsgen: error: values: replicas: -5 is below the minimum of 0 "
        "(from --set replicas)\n"
    )


def test_a_bad_value_is_reported_where_it_was_given(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("replicas: 2\nstorage:\n  size: 1Gi\n")
    (tmp_path / "prod.yaml").write_text("name: web\nstorage:\n  size: 10Gb\n")

    from_file = run_command(
        "render", "statefulset", "-f", "base.yaml", "-f", "prod.yaml", cwd=tmp_path
    )
    overridden = run_command(
        "render",
        "statefulset",
        "-f",
        "prod.yaml",
        "--set",
        "storage.size=5Gb",
        cwd=tmp_path,
    )
    from_flag = run_command(
        "render", "statefulset", "-f", "prod.yaml", "--storage-size", "x", cwd=tmp_path
    )

    assert from_file.stderr == (
        "stsgen: error: prod.yaml:3:3: storage.size: "
        '"10Gb" is not a quantity such as 512Mi, 10Gi or 1Ti\n'
    )
    assert overridden.stderr.endswith(
        "is not a quantity such as 512Mi, 10Gi or 1Ti (from --set storage.size)\n"
    )
    assert from_flag.stderr.endswith("(from --storage-size)\n")
    assert (from_file.code, overridden.code, from_flag.code) == (2, 2, 2)


def test_output_dir_writes_files_and_refuses_foreign_ones(tmp_path: Path) -> None:
    first = run_cli("render", "statefulset", "--output-dir", str(tmp_path))
    (tmp_path / "statefulset-myapp.yaml").write_text("edited\n")
    second = run_cli("render", "statefulset", "--output-dir", str(tmp_path))

    assert first.code == 0, first
    assert first.stdout == ""
    assert sorted(os.listdir(tmp_path)) == [
        ".stsgen-files.json",
        "kustomization.yaml",
        "service-myapp-headless.yaml",
        "statefulset-myapp.yaml",
    ]
    assert second.code == 2
    assert "was edited since stsgen wrote it" in second.stderr
    assert (tmp_path / "statefulset-myapp.yaml").read_text() == "edited\n"


def test_list_and_values() -> None:
    listing = run_cli("list")
    values = run_cli("values", "statefulset")

    assert listing.code == values.code == 0
    lines = listing.stdout.splitlines()
    assert any(line.startswith("statefulset  a StatefulSet") for line in lines)
    assert lines == sorted(lines)
    assert values.stdout == (REPO / "templates/statefulset/values.yaml").read_text()
    assert values.stdout.startswith("# Default values")


def test_values_of_unknown_blueprint() -> None:
    run = run_cli("values", "nope")

    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("stsgen: error: no blueprint named 'nope'")


DUPLICATE_PORTS = (
    "ports[0].containerPort=80,ports[1].name=http,ports[1].containerPort=81"
)


def test_render_validates_before_printing() -> None:
    run = run_cli("render", "statefulset", "--set", DUPLICATE_PORTS)

    assert run.code == 1, run
    assert run.stdout == ""
    assert "[service-port-name]" in run.stderr
    assert run.stderr.endswith(
        "stsgen: error: the rendered manifests fail validation, so nothing was "
        "printed (lines are those of the output; --no-validate prints it)\n"
    )


def test_under_output_dir_findings_point_at_the_files_it_writes(
    tmp_path: Path,
) -> None:
    failing = run_cli(
        "render", "statefulset", "--set", DUPLICATE_PORTS, "--output-dir", str(tmp_path)
    )
    assert list(tmp_path.iterdir()) == []
    run_cli(
        "render",
        "statefulset",
        "--set",
        DUPLICATE_PORTS,
        "--output-dir",
        str(tmp_path),
        "--no-validate",
    )

    assert failing.code == 1
    assert "so nothing was written" in failing.stderr
    current = ""
    for line in failing.stderr.splitlines():
        if line.endswith(".yaml"):
            current = line
        elif found := re.match(r"  (\d+):(\d+) +error", line):
            text = (tmp_path / current).read_text().splitlines()
            row, column = int(found[1]), int(found[2])
            assert text[row - 1][column - 1 :] == "name: http", (current, line)


def test_render_findings_point_at_lines_of_the_printed_output() -> None:
    # Each finding's line and column must hold its field in the stream that
    # --no-validate prints.
    failing = run_cli("render", "statefulset", "--set", DUPLICATE_PORTS)
    printed = run_cli(
        "render", "statefulset", "--set", DUPLICATE_PORTS, "--no-validate"
    )

    places = re.findall(r"^  (\d+):(\d+) +error +(\S+):", failing.stderr, re.MULTILINE)
    lines = printed.stdout.splitlines()
    assert [path for _, _, path in places] == [
        "spec.ports[1].name",
        "spec.template.spec.containers[0].ports[1].name",
    ]
    for line, column, _ in places:
        assert lines[int(line) - 1][int(column) - 1 :] == "name: http"
    assert failing.stderr.startswith("rendered output\n")


def test_no_validate_prints_what_was_rendered() -> None:
    run = run_cli("render", "statefulset", "--set", DUPLICATE_PORTS, "--no-validate")

    assert run.code == 0, run
    assert run.stdout.count("name: http") == 4


def test_render_rejects_an_unbundled_kubernetes_version() -> None:
    run = run_cli("render", "statefulset", "--kubernetes-version", "1.20")

    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.startswith(
        "stsgen: error: kubernetes version '1.20' is not bundled"
    )


@pytest.mark.parametrize("version", ["1.34", "1.35", "v1.36.2", "1.37"])
def test_every_blueprint_default_validates_for_every_bundled_version(
    version: str,
) -> None:
    for blueprint in ("statefulset", "mysql"):
        run = run_cli("render", blueprint, "--kubernetes-version", version)
        assert run.code == 0, run
        assert "error" not in run.stderr


def test_a_dependency_missing_from_the_install_is_exit_code_3(tmp_path) -> None:
    # A module that fails to import stands for a broken or partial installation.
    (tmp_path / "typer.py").write_text("raise ImportError('No module named typer')\n")

    run = run_command("list", env={"PYTHONPATH": str(tmp_path)})

    assert run.code == 3, run
    assert run.stdout == ""
    assert run.stderr == "stsgen: error: broken installation: No module named typer\n"


def test_json_output_and_an_output_dir_do_not_mix(tmp_path) -> None:
    folder = tmp_path / "out"

    run = run_cli("render", "statefulset", "-o", "json", "--output-dir", str(folder))

    assert run.code == 2, run
    assert run.stdout == ""
    assert "--output-dir writes YAML files" in run.stderr
    assert not folder.exists()


# Runs the entry point as the console script does and then lists every module the
# process imported, however the command ended.
_LIST_MODULES = """
import sys
sys.argv = ["stsgen", *sys.argv[1:]]
from stsgen.cli import main
try:
    main()
finally:
    sys.stderr.write("\\n".join(sorted(sys.modules)) + "\\n")
"""


@pytest.mark.parametrize("blueprint", ["statefulset", "mysql"])
def test_render_imports_nothing_it_does_not_use(blueprint: str) -> None:
    # Start-up is part of issue 2: the validation a render runs needs no reporter,
    # no process pool, no Rich and no pure-Python JSON Schema engine.
    completed = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, "render", blueprint],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    imported = set(completed.stderr.split())

    assert "stsgen.rules.statefulset" in imported  # the render did validate
    unused = {
        "concurrent.futures.process",
        "jsonschema",
        "multiprocessing",
        "rich",
        "stsgen.cli.validate",
        "stsgen.output.text",
    }
    assert unused & imported == set()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["render", "statefulset", "--replicas", "abc"],
            (
                "invalid value for '--replicas': 'abc' is not a valid int "
                "(see 'stsgen render --help')"
            ),
        ),
        (["render"], "missing argument 'blueprint' (see 'stsgen render --help')"),
        (["bogus"], "no such command 'bogus' (see 'stsgen --help')"),
    ],
)
def test_a_bad_option_is_one_line_too(args: list[str], message: str) -> None:
    run = run_command(*args)

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr == f"stsgen: error: {message}\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_output_is_one_line_and_exit_2() -> None:
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "stsgen", "render", "statefulset"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )

    assert completed.returncode == 2
    assert completed.stderr == "stsgen: error: output: No space left on device\n"


@pytest.mark.parametrize(
    ("closed", "args"),
    [(1, ["statefulset"]), (2, ["statefulset", "--replicas", "-1"])],
    ids=["stdout", "stderr"],
)
def test_a_closed_standard_stream_is_no_internal_error(
    closed: int, args: list[str]
) -> None:
    # Python leaves sys.stdout or sys.stderr as None when the fd is closed (>&-).
    completed = subprocess.run(
        [sys.executable, "-m", "stsgen", "render", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        preexec_fn=lambda: os.close(closed),
    )

    assert completed.returncode == 2
    if closed == 1:
        assert completed.stderr == "stsgen: error: output: standard output is closed\n"
    else:
        assert completed.stdout == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    ("args", "code"),
    [(["render", "mysql"], 0), (["render", "statefulset", "--replicas", "-1"], 2)],
)
def test_diagnostics_that_cannot_be_written_change_nothing_else(
    args: list[str], code: int
) -> None:
    # mysql warns on stderr; a full stderr must not cost the manifests or the code.
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "stsgen", *args],
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            check=False,
            timeout=120,
        )

    assert completed.returncode == code
    assert ("kind: StatefulSet" in completed.stdout) == (code == 0)


def claim_specs(run) -> list[dict]:
    (statefulset,) = [
        d for d in yaml.safe_load_all(run.stdout) if d["kind"] == "StatefulSet"
    ]
    return [claim["spec"] for claim in statefulset["spec"]["volumeClaimTemplates"]]


@pytest.mark.parametrize("blueprint", ["statefulset", "mysql"])
@pytest.mark.parametrize(
    ("flag", "expected"), [("-", ""), ("", None), ("fast", "fast")]
)
def test_storage_class_dash_means_none_as_in_helm_charts(
    blueprint: str, flag: str, expected: str | None
) -> None:
    # "" leaves the field out (the cluster's default class); "-" writes
    # storageClassName: "", which binds only PersistentVolumes without a class.
    run = run_cli("render", blueprint, "--storage-class", flag)

    assert run.code == 0, run
    assert [spec.get("storageClassName") for spec in claim_specs(run)] == [expected]


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            "updateStrategy.type=OnDelete,updateStrategy.partition=2",
            "updateStrategy: partition and maxUnavailable apply to RollingUpdate only",
        ),
        (
            "volumeClaimTemplates[1].name=myappdata,volumeClaimTemplates[1].mountPath=/b",
            "volumeClaimTemplates: name myappdata is given twice",
        ),
    ],
)
def test_values_a_schema_cannot_express_are_refused(sets: str, message: str) -> None:
    run = run_cli("render", "statefulset", "--set", sets)

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.startswith(f"stsgen: error: values: {message}")


@pytest.mark.parametrize("blueprint", ["statefulset", "mysql"])
def test_a_service_name_starting_with_a_digit_warns_about_older_clusters(
    blueprint: str,
) -> None:
    run = run_cli("render", blueprint, "--name", "1abc")
    older = run_cli(
        "render", blueprint, "--name", "1abc", "--kubernetes-version", "1.35"
    )

    assert run.code == 0, run
    assert "accepts only from 1.36 (RelaxedServiceNameValidation)" in run.stderr
    assert older.code == 1 and "is not a DNS-1035 label" in older.stderr


def copy_blueprint(tmp_path: Path, name: str, blueprint: str = "statefulset") -> Path:
    """A bundled blueprint copied, as it is, to ``tmp_path/name``."""
    import shutil

    folder = tmp_path / name
    shutil.copytree(REPO / "templates" / blueprint, folder)
    return folder


def test_a_blueprint_folder_of_ones_own_renders_by_path(tmp_path: Path) -> None:
    copy_blueprint(tmp_path, "web")

    own = run_command("render", "./web", "--replicas", "2", cwd=tmp_path)
    bundled = run_command("render", "statefulset", "--replicas", "2")

    assert own.code == 0, own
    assert own.stdout == bundled.stdout.replace(
        "# Source: statefulset/", "# Source: web/"
    )
    assert run_command("values", "./web", cwd=tmp_path).stdout.startswith("# Default")


@pytest.mark.parametrize(
    ("template", "change", "message"),
    [
        ("service.yaml.j2", ("kind: Service\n", ""), "service.yaml.j2: rendered line"),
        (
            "service.yaml.j2",
            ("clusterIP: None\n", "clusterIP: None\n  x: [\n"),
            "not valid YAML",
        ),
        (
            "statefulset.yaml.j2",
            ("values.replicas }}", "values.replicaz }}"),
            "has no attribute 'replicaz'",
        ),
        ("service.yaml.j2", ("{% if values.ports %}", "{% if %}"), "Expected an"),
        ("service.yaml.j2", ('"./_helpers.j2"', '"./_gone.j2"'), "is missing"),
        ("values.schema.json", ("{", "{{"), "values.schema.json is unreadable"),
        ("values.yaml", ("replicas: 3\n", "replicas: 3\nreplicas: 4\n"), "twice"),
        ("blueprint.yaml", ("description", "summary"), "has no description"),
    ],
)
def test_faults_of_a_blueprint_folder_are_one_line_naming_the_file(
    tmp_path: Path, template: str, change: tuple[str, str], message: str
) -> None:
    folder = copy_blueprint(tmp_path, "web")
    path = folder / template
    path.write_text(path.read_text().replace(*change, 1))

    run = run_command("render", "./web", cwd=tmp_path)

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and message in run.stderr
    assert run.stderr.startswith("stsgen: error: web/")


def test_a_copied_mysql_blueprint_renders_under_another_name(tmp_path: Path) -> None:
    # Its templates import, and include scripts from a subfolder, by relative paths.
    copy_blueprint(tmp_path, "db", "mysql")

    own = run_command(
        "render", "./db", "--generate-secret", "--no-validate", cwd=tmp_path
    )
    bundled = run_command("render", "mysql", "--generate-secret", "--no-validate")

    assert own.code == 0, own
    assert own.stdout.count("# Source: db/") == bundled.stdout.count("# Source: mysql/")
    assert "start_replication_once" in own.stdout


def test_a_blueprint_folder_cannot_include_files_beside_it(tmp_path: Path) -> None:
    folder = copy_blueprint(tmp_path, "web")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret.j2").write_text("stolen: true\n")
    service = folder / "service.yaml.j2"
    service.write_text(service.read_text() + '{% include "../other/secret.j2" %}\n')

    run = run_command("render", "./web", cwd=tmp_path)

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr == (
        "stsgen: error: web/service.yaml.j2: template web/../other/secret.j2 is "
        "outside the blueprint folder\n"
    )


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        (
            '{% include "./link.txt" %}',
            "template web/link.txt is outside the blueprint",
        ),
        (
            '{{ lipsum.__globals__["os"].getcwd() }}',
            "access to attribute '__globals__' of 'function' object is unsafe",
        ),
    ],
    ids=["symlink", "sandbox"],
)
def test_a_blueprint_folder_reaches_nothing_outside_it(
    tmp_path: Path, addition: str, message: str
) -> None:
    # A folder may come from anywhere: its templates are as confined as Helm's.
    folder = copy_blueprint(tmp_path, "web")
    (tmp_path / "secret.txt").write_text("TOPSECRET\n")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    service = folder / "service.yaml.j2"
    service.write_text(service.read_text() + addition + "\n")

    run = run_command("render", "./web", cwd=tmp_path)

    assert run.code == 2, run
    assert run.stdout == ""
    assert message in run.stderr and run.stderr.count("\n") == 1


def test_a_blueprint_schema_fetches_no_reference(tmp_path: Path) -> None:
    folder = copy_blueprint(tmp_path, "web")
    schema = json.loads((folder / "values.schema.json").read_text())
    schema["properties"]["name"] = {"$ref": "file:///etc/hostname"}
    (folder / "values.schema.json").write_text(json.dumps(schema))

    run = run_command("render", "./web", cwd=tmp_path)

    assert run.code == 2, run
    assert "web/values.schema.json is not a valid schema" in run.stderr
    assert "Retrieval is disabled" in run.stderr


def test_a_path_that_is_no_blueprint_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    missing = run_command("render", "./nowhere", cwd=tmp_path)
    empty = run_command("render", "./empty", cwd=tmp_path)

    assert (missing.code, empty.code) == (2, 2)
    assert (
        missing.stderr == "stsgen: error: blueprint folder ./nowhere does not exist\n"
    )
    assert empty.stderr == (
        "stsgen: error: ./empty is not a blueprint: it has no blueprint.yaml\n"
    )


def test_an_installed_wheel_carries_its_templates_compiled() -> None:
    from stsgen.rendering.engine import compiled_templates
    from stsgen.resources import wheel_data_dir

    if wheel_data_dir("templates") is None:
        pytest.skip("an editable install compiles its templates as they change")
    # Built with the Jinja2 that is installed: pip builds and installs in one go.
    assert compiled_templates() is not None


def test_quiet_leaves_only_errors_on_stderr(tmp_path: Path) -> None:
    loud = run_command("render", "mysql", "--output-dir", str(tmp_path / "a"))
    quiet = run_command("-q", "render", "mysql", "--output-dir", str(tmp_path / "b"))

    assert loud.code == quiet.code == 0
    assert "warning" in loud.stderr and "wrote" in loud.stderr
    assert quiet.stderr == ""
