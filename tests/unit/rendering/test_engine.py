"""The Jinja2 engine: strict values, parse-back of output, errors by template line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stsgen.errors import BlueprintNotFoundError, TemplateError
from stsgen.rendering.blueprints import find_blueprint, list_blueprints, load_blueprint
from stsgen.rendering.engine import render_blueprint, scalar, to_yaml
from stsgen.rendering.values import load_values, merge

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{ values.name }}
spec:
  clusterIP: None
"""


def make_blueprint(root: Path, templates: dict[str, str], values: str = "name: x\n"):
    folder = root / "demo"
    folder.mkdir()
    (folder / "blueprint.yaml").write_text("description: a test blueprint\n")
    (folder / "values.yaml").write_text(values)
    (folder / "values.schema.json").write_text(json.dumps({"type": "object"}))
    for name, text in templates.items():
        (folder / name).write_text(text)
    return load_blueprint(folder)


def test_renders_and_orders_documents_by_kind(tmp_path: Path) -> None:
    sts = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ values.name }}\n"
    )
    blueprint = make_blueprint(
        tmp_path, {"a-statefulset.yaml.j2": sts, "b-service.yaml.j2": SERVICE}
    )

    rendering = render_blueprint(blueprint, {"name": "web"})

    assert [doc.kind for doc in rendering.documents] == ["Service", "StatefulSet"]
    assert rendering.documents[0].template == "demo/b-service.yaml.j2"


def test_missing_value_fails_by_template_and_line(tmp_path: Path) -> None:
    text = SERVICE + "  ports:\n    - port: {{ values.port }}\n"
    blueprint = make_blueprint(tmp_path, {"service.yaml.j2": text})

    with pytest.raises(TemplateError) as caught:
        render_blueprint(blueprint, {"name": "web"})

    assert (
        str(caught.value)
        == "demo/service.yaml.j2:8: 'dict object' has no attribute 'port'"
    )


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    blueprint = make_blueprint(tmp_path, {"service.yaml.j2": SERVICE + "{% if %}\n"})

    with pytest.raises(TemplateError, match=r"^demo/service.yaml.j2:7: "):
        render_blueprint(blueprint, {"name": "web"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Service\nmetadata:\n  name: a\n",
            "rendered line 1: document has no apiVersion",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {}\n",
            "Service has no metadata.name",
        ),
        ("apiVersion: v1\nkind: [\n", "rendered line 3: not valid YAML"),
        ("- a\n- b\n", "document is not a mapping"),
        (
            "apiVersion: v1\nkind: Service\nkind: Pod\nmetadata: {name: a}\n",
            "rendered line 3: duplicate key 'kind'",
        ),
    ],
    ids=["no-api-version", "no-name", "not-yaml", "not-mapping", "duplicate-key"],
)
def test_output_that_is_not_a_manifest_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    blueprint = make_blueprint(tmp_path, {"service.yaml.j2": text})

    with pytest.raises(TemplateError) as caught:
        render_blueprint(blueprint, {"name": "web"})

    assert str(caught.value).startswith("demo/service.yaml.j2: ")
    assert message in str(caught.value)


def test_several_documents_and_empty_output(tmp_path: Path) -> None:
    two = SERVICE + "---\n" + SERVICE.replace("{{ values.name }}", "other")
    blueprint = make_blueprint(
        tmp_path,
        {"service.yaml.j2": two, "skipped.yaml.j2": "{% if false %}x{% endif %}"},
    )

    rendering = render_blueprint(blueprint, {"name": "web"})

    assert [doc.name for doc in rendering.documents] == ["web", "other"]


def test_the_same_object_twice_is_an_error(tmp_path: Path) -> None:
    blueprint = make_blueprint(tmp_path, {"a.yaml.j2": SERVICE, "b.yaml.j2": SERVICE})

    with pytest.raises(TemplateError, match="Service web is also rendered by demo/a"):
        render_blueprint(blueprint, {"name": "web"})


def test_the_same_kind_and_name_in_another_api_group_is_another_object(
    tmp_path: Path,
) -> None:
    knative = SERVICE.replace("apiVersion: v1", "apiVersion: serving.knative.dev/v1")
    knative = knative.replace("spec:\n  clusterIP: None\n", "spec: {}\n")
    blueprint = make_blueprint(tmp_path, {"a.yaml.j2": SERVICE, "b.yaml.j2": knative})

    rendering = render_blueprint(blueprint, {"name": "web"})

    assert [doc.data["apiVersion"] for doc in rendering.documents] == [
        "v1",
        "serving.knative.dev/v1",
    ]


def test_warnings_are_collected_once(tmp_path: Path) -> None:
    text = "{{ warn('old version') }}{{ warn('old version') }}" + SERVICE
    blueprint = make_blueprint(tmp_path, {"service.yaml.j2": text})

    rendering = render_blueprint(blueprint, {"name": "web"})

    assert rendering.warnings == ["old version"]


def test_to_yaml_keeps_order_and_writes_scripts_as_blocks() -> None:
    assert to_yaml({"b": 1, "a": "x\ny\n"}) == "b: 1\na: |\n  x\n  y"
    assert to_yaml({}) == "{}"
    assert to_yaml(["a"]) == "- a"


def test_unknown_blueprint_suggests_the_closest() -> None:
    with pytest.raises(BlueprintNotFoundError, match="did you mean statefulset"):
        find_blueprint("statefulst")


def test_every_bundled_blueprint_renders_its_defaults() -> None:
    from stsgen.rendering.values import load_values

    for blueprint in list_blueprints():
        rendering = render_blueprint(blueprint, load_values(blueprint))
        assert rendering.documents, blueprint.name


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("web", "web"),
        ("sc-nfs", "sc-nfs"),
        # YAML 1.1 words and numbers, as PyYAML reads them.
        ("yes", "'yes'"),
        ("null", "'null'"),
        ("0644", "'0644'"),
        ("123", "'123'"),
        # go-yaml (the API server) reads these as true, false and 15.
        ("y", "'y'"),
        ("n", "'n'"),
        ("0o17", "'0o17'"),
        ("", "''"),
    ],
)
def test_scalar_quotes_what_would_not_read_back_as_the_string(value, written) -> None:
    assert scalar(value) == written
    assert to_yaml({"key": value}) == f"key: {written}"


@pytest.mark.parametrize("name", ["yes", "y", "123", "off"])
def test_names_that_yaml_reads_as_other_types_render_as_strings(name: str) -> None:
    blueprint = find_blueprint("statefulset")
    values = merge(
        load_values(blueprint),
        {
            "name": name,
            "namespace": name,
            "ports": [{"name": name, "containerPort": 80}] if name[0].isalpha() else [],
            "volumeClaimTemplates": [{"name": name, "mountPath": "/data"}],
        },
    )

    rendering = render_blueprint(blueprint, values)

    by_kind = {doc.kind: doc.data for doc in rendering.documents}
    statefulset = by_kind["StatefulSet"]
    assert statefulset["metadata"]["name"] == name
    assert statefulset["metadata"]["namespace"] == name
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == name
    if name[0].isalpha():
        assert by_kind["Service"]["spec"]["ports"][0]["targetPort"] == name


@pytest.mark.parametrize(
    ("blueprint", "sets"),
    [
        ("statefulset", []),
        ("statefulset", ["podAntiAffinity=hard", "updateStrategy.type=OnDelete"]),
        ("mysql", []),
        ("mysql", ["replicas=1", "auth.existingSecret=db-auth"]),
    ],
)
def test_compiled_templates_render_the_same_bytes(
    tmp_path: Path, monkeypatch, blueprint: str, sets: list[str]
) -> None:
    from stsgen.rendering import engine
    from stsgen.rendering.blueprints import templates_root
    from stsgen.rendering.values import SetExpression

    found = find_blueprint(blueprint)
    values = load_values(found, sets=[SetExpression(text) for text in sets])
    from_files = render_blueprint(found, values)
    engine.compile_templates(templates_root(), tmp_path)
    monkeypatch.setattr(engine, "compiled_templates", lambda: tmp_path)
    # A template read from its file would fail: only the compiled modules are used.
    monkeypatch.setattr(engine, "_bytecode_cache", lambda: None)
    monkeypatch.setattr(
        engine.jinja2.FileSystemLoader,
        "get_source",
        lambda *args: pytest.fail("a template was read from its file"),
    )
    compiled = render_blueprint(found, values)

    assert [doc.text for doc in compiled.documents] == [
        doc.text for doc in from_files.documents
    ]
    assert compiled.warnings == from_files.warnings
    templates = [
        path
        for path in templates_root().rglob("*")
        if path.is_file() and path.name not in engine.BLUEPRINT_FILES
    ]
    assert len(list(tmp_path.glob("tmpl_*.py"))) == len(templates)


def test_compiled_templates_are_used_only_under_their_jinja_version(
    tmp_path: Path, monkeypatch
) -> None:
    from stsgen.rendering import engine

    (tmp_path / "compiled" / f"jinja-{engine.jinja2.__version__}").mkdir(parents=True)
    monkeypatch.setattr(engine, "wheel_data_dir", lambda name: tmp_path / name)

    assert engine.compiled_templates() == (
        tmp_path / "compiled" / f"jinja-{engine.jinja2.__version__}"
    )
    monkeypatch.setattr(engine.jinja2, "__version__", "0.0.0")
    assert engine.compiled_templates() is None
