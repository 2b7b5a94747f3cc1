"""projects, datasets and items: the commands that work on the data plane, in embedded mode."""

from __future__ import annotations

from pytest_faas.local import LocalPlatform


def test_projects_create_checkout_ls_persist_across_invocations(faas, tmp_path):
    created = faas("projects create demo")
    assert "Created project demo" in created.stdout
    faas("projects create other")  # create checks out, as dlp does
    listed = faas.json("projects ls")
    assert sorted(p["name"] for p in listed) == ["demo", "other"]
    assert "* │ other" in faas("projects ls").stdout

    faas("projects checkout demo")
    assert "* │ demo" in faas("projects ls").stdout
    faas("datasets create pictures")
    assert [d["name"] for d in faas.json("datasets ls")] == ["pictures"]
    assert faas.json("--project other datasets ls") == []
    assert faas.json("datasets ls --project other") == []  # after the verb too

    # The store is the data dir: a plain LocalPlatform on it sees the same projects.
    with LocalPlatform(data_dir=tmp_path / ".faas") as platform:
        assert sorted(p.name for p in platform.dl.projects.list()) == ["demo", "other"]


def test_checkout_by_id_and_dlp_spelling(faas):
    project_id = faas.json("projects create demo")["id"]
    faas("projects create other")
    faas(f"projects checkout --project-name {project_id}")
    assert "* │ demo" in faas("projects ls").stdout


def test_data_dir_option_and_environment(faas, tmp_path, monkeypatch):
    faas("--data-dir store projects create demo")
    assert (tmp_path / "store" / "platform.sqlite3").exists() and not (tmp_path / ".faas").exists()
    monkeypatch.setenv("FAAS_DATA_DIR", str(tmp_path / "store"))
    assert [p["name"] for p in faas.json("projects ls")] == ["demo"]


def test_items_upload_and_ls(faas, project, tmp_path):
    (tmp_path / "cat.txt").write_text("meow")
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "dog.txt").write_text("woof")
    uploaded = faas.json("items upload cat.txt --remote-path /train")
    assert [i["filename"] for i in uploaded] == ["/train/cat.txt"]
    table = faas("items upload val --remote-path / --dataset pictures")
    assert "/val/dog.txt" in table.stdout

    assert sorted(i["filename"] for i in faas.json("items ls")) == ["/train/cat.txt", "/val/dog.txt"]
    assert [i["filename"] for i in faas.json("items ls --remote-path /train")] == ["/train/cat.txt"]
    listed = faas("items ls").stdout
    assert uploaded[0]["id"] in listed and "/train/cat.txt" in listed


def test_items_need_a_clear_dataset(faas, project, tmp_path):
    (tmp_path / "cat.txt").write_text("meow")
    faas("datasets create second")
    result = faas("items upload cat.txt", code=1)
    assert "several datasets (pictures, second): pass --dataset NAME" in result.stderr
    faas("items upload cat.txt -d second")
    assert faas.json("items ls -d pictures") == []
