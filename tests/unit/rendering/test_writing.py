"""Output: the YAML stream, the JSON List, and the guarded --output-dir folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from stsgen.documents import iter_documents
from stsgen.errors import OutputError
from stsgen.rendering.engine import RenderedDocument
from stsgen.rendering.writing import (
    LEDGER_NAME,
    file_name,
    format_json_list,
    format_stream,
    write_output_dir,
)


def document(
    kind: str, name: str, template: str = "demo/x.yaml.j2"
) -> RenderedDocument:
    text = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {json.dumps(name)}\n"
    return RenderedDocument(template, text, next(iter_documents(text, template)))


def test_stream_puts_separator_and_source_before_each_document() -> None:
    text = format_stream([document("Service", "a"), document("ConfigMap", "b")])

    assert text.startswith("---\n# Source: demo/x.yaml.j2\napiVersion: v1\n")
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(text)] == ["a", "b"]


def test_json_is_a_v1_list() -> None:
    listing = json.loads(format_json_list([document("Service", "a")]))

    assert listing["kind"] == "List" and listing["apiVersion"] == "v1"
    assert listing["items"][0]["metadata"]["name"] == "a"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web", "service-web.yaml"),
        ("../../etc/passwd", "service-etc-passwd.yaml"),
        ("a/b\\c", "service-a-b-c.yaml"),
        ("UPPER.case", "service-upper.case.yaml"),
    ],
)
def test_file_names_stay_inside_the_folder(name: str, expected: str) -> None:
    assert file_name(document("Service", name)) == expected


def test_writes_files_kustomization_and_ledger(tmp_path: Path) -> None:
    out = tmp_path / "out"

    write_output_dir(out, [document("Service", "a"), document("ConfigMap", "b")])

    names = sorted(path.name for path in out.iterdir())
    assert names == [
        LEDGER_NAME,
        "configmap-b.yaml",
        "kustomization.yaml",
        "service-a.yaml",
    ]
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["service-a.yaml", "configmap-b.yaml"]


def test_rewrites_its_own_files_and_removes_stale_ones(tmp_path: Path) -> None:
    write_output_dir(tmp_path, [document("Service", "a"), document("ConfigMap", "b")])

    write_output_dir(tmp_path, [document("Service", "a")])

    assert not (tmp_path / "configmap-b.yaml").exists()
    assert (tmp_path / "service-a.yaml").exists()


def test_refuses_a_file_it_did_not_write_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "service-a.yaml").write_text("mine\n")

    with pytest.raises(OutputError, match="was not written by stsgen"):
        write_output_dir(
            tmp_path, [document("ConfigMap", "b"), document("Service", "a")]
        )

    assert sorted(p.name for p in tmp_path.iterdir()) == ["service-a.yaml"]


def test_refuses_a_file_edited_since_unless_forced(tmp_path: Path) -> None:
    write_output_dir(tmp_path, [document("Service", "a")])
    edited = tmp_path / "service-a.yaml"
    edited.write_text(edited.read_text() + "# my change\n")

    with pytest.raises(OutputError, match="was edited since"):
        write_output_dir(tmp_path, [document("Service", "a")])
    assert edited.read_text().endswith("# my change\n")

    write_output_dir(tmp_path, [document("Service", "a")], force=True)
    assert "# my change" not in edited.read_text()


def test_refuses_two_objects_for_one_file(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="would overwrite service-a.yaml"):
        write_output_dir(tmp_path, [document("Service", "a"), document("Service", "A")])
    assert list(tmp_path.iterdir()) == []


def in_namespace(kind: str, name: str, namespace: str) -> RenderedDocument:
    text = (
        f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
        f"  namespace: {namespace}\n"
    )
    return RenderedDocument("demo/x.yaml.j2", text, next(iter_documents(text, "x")))


def test_one_name_in_two_namespaces_gets_the_namespace_in_its_files(
    tmp_path: Path,
) -> None:
    documents = [
        in_namespace("ConfigMap", "a", "dev"),
        in_namespace("ConfigMap", "a", "prod"),
        document("Service", "a"),
    ]

    write_output_dir(tmp_path, documents)

    assert sorted(path.name for path in tmp_path.iterdir() if path.name[0] != ".") == [
        "configmap-dev_a.yaml",
        "configmap-prod_a.yaml",
        "kustomization.yaml",
        "service-a.yaml",
    ]


def test_namespaced_file_names_cannot_collide(tmp_path: Path) -> None:
    # Names hold no "_": "a-b" + "c" and "a" + "b-c" stay apart.
    documents = [
        in_namespace("ConfigMap", "c", "a-b"),
        in_namespace("ConfigMap", "c", "q"),
        in_namespace("ConfigMap", "b-c", "a"),
        in_namespace("ConfigMap", "b-c", "r"),
    ]

    written = write_output_dir(tmp_path, documents)

    assert len({path.name for path in written.paths}) == 5


def test_a_name_too_long_for_a_file_keeps_its_start_and_a_digest(
    tmp_path: Path,
) -> None:
    long = [document("ConfigMap", "a" * 253), document("ConfigMap", "a" * 252 + "b")]

    written = write_output_dir(tmp_path, long)

    names = sorted(path.name for path in written.paths if path.name.startswith("c"))
    assert len(names) == 2 and names[0] != names[1]
    assert all(len(name) <= 205 and name.startswith("configmap-aaaa") for name in names)
    assert names == sorted(file_name(d) for d in long)


def test_refuses_a_symlink_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "service-a.yaml").symlink_to(outside)

    with pytest.raises(OutputError, match="not a regular file"):
        write_output_dir(out, [document("Service", "a")], force=True)
    assert outside.read_text() == "keep\n"


def secret(password: str) -> RenderedDocument:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: auth\n"
        f"stringData:\n  password: {password}\n"
    )
    return RenderedDocument("demo/s.yaml.j2", text, next(iter_documents(text, "s")))


def test_a_full_disk_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_output_dir(out, [document("Service", "a")])
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("stsgen.rendering.writing.os.fsync", fsync)
    with pytest.raises(OutputError, match="No space left on device"):
        write_output_dir(out, [document("Service", "b"), document("ConfigMap", "c")])
    fresh = tmp_path / "fresh"
    calls.clear()
    with pytest.raises(OutputError, match="No space left on device"):
        write_output_dir(fresh, [document("Service", "b")])

    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert not fresh.exists()  # the folder it made is gone again


def test_secrets_are_private_and_other_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_output_dir(tmp_path, [document("Service", "a"), secret("x")])
    finally:
        os.umask(old)

    assert (tmp_path / "secret-auth.yaml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "service-a.yaml").stat().st_mode & 0o777 == 0o640


def test_new_credentials_do_not_replace_old_ones_without_force(tmp_path: Path) -> None:
    write_output_dir(tmp_path, [secret("first")])

    with pytest.raises(OutputError, match="holds the credentials of an earlier"):
        write_output_dir(tmp_path, [secret("second")])
    write_output_dir(tmp_path, [secret("first")])  # the same content: no harm

    assert "first" in (tmp_path / "secret-auth.yaml").read_text()
    write_output_dir(tmp_path, [secret("second")], force=True)
    assert "second" in (tmp_path / "secret-auth.yaml").read_text()


def test_files_a_render_no_longer_makes_go_unless_edited_or_secret(
    tmp_path: Path,
) -> None:
    write_output_dir(tmp_path, [document("Service", "a"), document("Service", "b")])
    write_output_dir(tmp_path, [document("Service", "a"), secret("x")])
    edited = tmp_path / "service-b.yaml"
    assert not edited.exists()
    write_output_dir(tmp_path, [document("Service", "a"), document("Service", "b")])
    edited.write_text(edited.read_text() + "# mine\n")

    written = write_output_dir(tmp_path, [document("Service", "c")])

    assert [path.name for path, _ in written.kept] == [
        "secret-auth.yaml",
        "service-b.yaml",
    ]
    assert not (tmp_path / "service-a.yaml").exists()
    ledger = json.loads((tmp_path / LEDGER_NAME).read_text())
    assert "secret-auth.yaml" in ledger and "service-b.yaml" not in ledger
    assert written.paths == [
        tmp_path / "service-c.yaml",
        tmp_path / "kustomization.yaml",
    ]
