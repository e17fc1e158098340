"""Values: Helm-style --set parsing, deep merge, precedence and schema messages."""

from __future__ import annotations

import pytest

from stsgen.errors import ValuesError
from stsgen.rendering.blueprints import find_blueprint
from stsgen.rendering.values import (
    SetExpression,
    assign,
    load_values,
    merge,
    parse_key,
    parse_set,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1", [(["a"], 1)]),
        ("a.b=true,c=FALSE", [(["a", "b"], True), (["c"], False)]),
        ("a=0644", [(["a"], "0644")]),  # Helm keeps a leading zero as a string
        ("a=0", [(["a"], 0)]),
        ("a=1.5", [(["a"], "1.5")]),  # Helm does not type floats
        ("a=-3", [(["a"], -3)]),
        ("a=null", [(["a"], None)]),
        ("a={x,y}", [(["a"], ["x", "y"])]),
        ("a[1].b=x", [(["a", 1, "b"], "x")]),
        (r"a\.b=c\,d", [(["a.b"], "c,d")]),
        ("a=", [(["a"], "")]),
        ("a=x=y", [(["a"], "x=y")]),
    ],
    ids=[
        "int",
        "bools",
        "leading-zero",
        "zero",
        "float",
        "negative",
        "null",
        "list",
        "index",
        "escapes",
        "empty",
        "equals-in-value",
    ],
)
def test_parse_set_types_values_like_helm(text: str, expected: list) -> None:
    assert parse_set(text) == expected


def test_an_empty_set_and_one_trailing_comma_are_nothing_as_in_helm() -> None:
    assert parse_set("") == []
    assert parse_set("a=1,") == [(["a"], 1)]


def test_set_string_keeps_every_value_a_string() -> None:
    assert parse_set("a=1,b=true", as_string=True) == [(["a"], "1"), (["b"], "true")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "has no '=value'"),
        ("a[x]=1", "bad list index [x]"),
        (".a=1", "empty name"),
        ("a[99999999]=1", "is over"),
        ("a[1=2", "cannot read"),
        (",", "an empty pair before a ','"),
        ("a=1,,b=2", "an empty pair before a ','"),
        ("a={x,y", "has no closing '}'"),
    ],
)
def test_parse_set_rejects_bad_syntax(text: str, message: str) -> None:
    with pytest.raises(ValuesError, match=message.replace("[", r"\[")):
        parse_set(text)


def test_parse_key_reads_nested_indexes() -> None:
    assert parse_key("a[0][2].b") == ["a", 0, 2, "b"]


def test_assign_creates_maps_and_lists_and_null_removes() -> None:
    values = {"a": {"keep": 1, "drop": 2}}

    assign(values, ["a", "list", 1, "x"], "y")
    assign(values, ["a", "drop"], None)

    assert values == {"a": {"keep": 1, "list": [None, {"x": "y"}]}}


def test_assign_refuses_to_index_a_map() -> None:
    with pytest.raises(ValuesError, match="is not a list"):
        assign({"a": {}}, ["a", 0], 1)


def test_merge_is_deep_replaces_lists_and_does_not_mutate() -> None:
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2]}

    merged = merge(base, {"a": {"b": 9, "c": None}, "l": [3]})

    assert merged == {"a": {"b": 9}, "l": [3]}
    assert base == {"a": {"b": 1, "c": 2}, "l": [1, 2]}


def test_precedence_defaults_files_set_then_flags(tmp_path) -> None:
    blueprint = find_blueprint("statefulset")
    first = tmp_path / "one.yaml"
    first.write_text("replicas: 4\nname: one\nimage: first:1\n")
    second = tmp_path / "two.yaml"
    second.write_text("replicas: 5\n")

    values = load_values(
        blueprint,
        [str(first), str(second)],
        [SetExpression("replicas=6,image=set:1")],
        {"replicas": 7, "name": None},
    )

    assert values["replicas"] == 7  # the flag wins
    assert values["image"] == "set:1"  # --set beats files
    assert values["name"] == "one"  # an unset flag changes nothing
    assert values["storage"]["className"] == "sc-nfs"  # defaults remain


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("replicsa=3", "values: replicsa: unknown key; did you mean replicas?"),
        ("replicas=-1", "values: replicas: -1 is below the minimum of 0"),
        (
            "podManagementPolicy=Sequential",
            (
                'values: podManagementPolicy: "Sequential" is not one of '
                '"OrderedReady", "Parallel"'
            ),
        ),
        ("name=Web", 'values: name: "Web" is not a DNS-1123 label'),
        ("storage.size=10Gb", 'values: storage.size: "10Gb" is not a quantity'),
        ("updateStrategy.maxUnavailable=0", "values: updateStrategy.maxUnavailable: 0"),
        (
            "ports[0].name=a-very-long-port-name",
            'values: ports[0].name: "a-very-long-port-name" is longer than 15 characters',
        ),
        (
            "labels.tier=front end",
            'values: labels.tier: "front end" is not a label value',
        ),
        ("labels.a\\.b/c/d=x", "values: labels['a.b/c/d']: the key is not a label key"),
        (
            "podAnnotations.Example\\.COM/x=1",
            "values: podAnnotations['Example.COM/x']: 1",
        ),
        ("resources.limit.cpu=1", "values: resources.limit: unknown key; did you mean"),
        ("resources.limits.cpu=lots", 'values: resources.limits.cpu: "lots" is not of'),
        ("replicas=2147483648", "values: replicas: 2147483648 is above the maximum"),
        (
            "env[0].name=A,env[0].value=1",
            "values: env[0].value: 1 is not of type string",
        ),
    ],
    ids=[
        "typo",
        "negative",
        "enum",
        "dns-label",
        "quantity",
        "max-unavailable",
        "port-name",
        "label-value",
        "label-key",
        "annotation-key-case",
        "resources-typo",
        "resource-quantity",
        "int32",
        "env-value",
    ],
)
def test_schema_errors_name_the_value_path(expression: str, message: str) -> None:
    blueprint = find_blueprint("statefulset")

    with pytest.raises(ValuesError) as caught:
        load_values(blueprint, sets=[SetExpression(expression)])

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_flag_the_blueprint_does_not_have(tmp_path) -> None:
    blueprint = find_blueprint("statefulset")
    unsupported = type(blueprint)(blueprint.name, blueprint.path, "x", {})

    with pytest.raises(ValuesError, match="has no --replicas option"):
        load_values(unsupported, flags={"replicas": 2})


BILLION_LAUGHS = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 9)
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a: [1,\n", "not valid YAML"),
        ("- 1\n- 2\n", "must hold a mapping, not list"),
        ("replicas: 2\nreplicas: 3\n", "bad.yaml:2:1: key 'replicas' is given twice"),
        ("replicas: 2\n---\nreplicas: 3\n", "bad.yaml:3: a values file holds one"),
        (BILLION_LAUGHS, "bad.yaml:7:5: aliases expand this document past"),
        ("labels: " + "{a: " * 300 + "b" + "}" * 300 + "\n", "values nest too deeply"),
    ],
    ids=["syntax", "list", "duplicate", "two-documents", "laughs", "deep"],
)
def test_bad_values_files(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)

    with pytest.raises(ValuesError, match=message):
        load_values(find_blueprint("statefulset"), [str(path)])


def test_missing_values_file() -> None:
    with pytest.raises(ValuesError, match="cannot read values file"):
        load_values(find_blueprint("statefulset"), ["/no/such/values.yaml"])


def test_values_files_are_read_as_helm_and_the_api_server_read_them(tmp_path) -> None:
    path = tmp_path / "values.yaml"
    # go-yaml v2: a plain y is a boolean; 12:30 (base 60 for PyYAML) a string.
    path.write_text("labels: {debug: y}\n")

    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint("statefulset"), [str(path)])
    assert str(caught.value) == (
        f"{path}:1:10: labels.debug: true is not of type string"
    )

    path.write_text("containerName: 12:30\n")
    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint("statefulset"), [str(path)])
    assert str(caught.value).startswith(f'{path}:1:1: containerName: "12:30"')


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (".inf", "replicas: .inf or a number too long is not a usable value"),
        ("9" * 5000, "replicas: .inf or a number too long is not a usable value"),
        (".nan", "replicas: NaN is not a usable value"),
    ],
    ids=["inf", "digits", "nan"],
)
def test_numbers_no_json_can_carry_are_named_as_written(
    tmp_path, written: str, message: str
) -> None:
    # The schema engine alone would report them as null.
    path = tmp_path / "values.yaml"
    path.write_text(f"replicas: {written}\n")

    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint("statefulset"), [str(path)])

    assert str(caught.value) == f"{path}:1:1: {message}"


def test_a_long_value_is_shown_shortened() -> None:
    with pytest.raises(ValuesError) as caught:
        load_values(
            find_blueprint("statefulset"), sets=[SetExpression("replicas=" + "9" * 500)]
        )

    assert str(caught.value) == (
        f'values: replicas: "{"9" * 60}..." is not of type integer '
        "(from --set replicas)"
    )


def test_a_name_that_is_neither_empty_nor_a_label_says_what_is_wrong() -> None:
    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint("statefulset"), flags={"namespace": "Bad_NS"})

    assert str(caught.value) == (
        'values: namespace: "Bad_NS" is not "" or a DNS-1123 label '
        "(lower case letters, digits and '-') (from --namespace)"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "storage.className=Bad_SC",
            'storage.className: "Bad_SC" is not "", "-" or a DNS-1123 subdomain',
        ),
        (
            "terminationGracePeriodSeconds=abc",
            'terminationGracePeriodSeconds: "abc" is not of type null or integer',
        ),
        (
            "terminationGracePeriodSeconds=-1",
            "terminationGracePeriodSeconds: -1 is below the minimum of 0",
        ),
    ],
)
def test_a_value_failing_every_alternative_names_them_all(
    expression: str, message: str
) -> None:
    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint("statefulset"), sets=[SetExpression(expression)])

    assert str(caught.value).startswith(f"values: {message}")


def test_origins_follow_merging_maps_merge_lists_replace() -> None:
    from stsgen.documents import iter_documents
    from stsgen.rendering.origins import Origin, origin_of

    (document,) = iter_documents("storage:\n  size: 1Gi\nports:\n- port: 80\n", "f")
    origins = [
        Origin("f", document),
        Origin("--set storage.className", path=("storage", "className")),
    ]

    assert origin_of(origins, ["storage", "size"]) is origins[0]
    assert origin_of(origins, ["storage", "className"]) is origins[1]
    assert origin_of(origins, ["ports", 0, "name"]) is origins[0]  # its list
    assert origin_of(origins, ["replicas"]) is None  # a default
    assert origins[0].place(["ports", 0, "port"]) == "f:4:3"


def test_a_missing_key_is_blamed_on_what_removed_it(tmp_path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("storage:\n  size: null\n")
    blueprint = find_blueprint("statefulset")

    with pytest.raises(ValuesError) as by_file:
        load_values(blueprint, [str(path)])
    with pytest.raises(ValuesError) as by_set:
        load_values(
            blueprint,
            sets=[SetExpression("storage=null")],
            flags={"storage-size": "1Gi"},
        )

    assert str(by_file.value) == f"{path}:2:3: storage: missing required key size"
    assert str(by_set.value) == (
        "values: storage: missing required key accessModes (from --set storage)"
    )


def test_a_folder_blueprints_own_defaults_are_named(tmp_path) -> None:
    import shutil

    folder = tmp_path / "web"
    shutil.copytree(find_blueprint("statefulset").path, folder)
    defaults = folder / "values.yaml"
    defaults.write_text(defaults.read_text().replace("\nname: myapp", "\nname: Bad", 1))

    with pytest.raises(ValuesError) as caught:
        load_values(find_blueprint(str(folder)))

    assert str(caught.value).startswith('web/values.yaml:8:1: name: "Bad" is not')
