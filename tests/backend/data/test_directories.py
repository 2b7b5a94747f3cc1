"""Directory items through the real dtlpy client (issue 17, point 2): ``items.make_dir``, the folders an
upload makes, ``codebases.list()`` and folder filters."""

from __future__ import annotations

import io

import pytest

from faas_code import simple_package


def dirs(faas_dl, dataset) -> list[str]:
    found = dataset.items.list(filters=faas_dl.Filters(field="type", values="dir")).all()
    return sorted(item.filename for item in found)


def test_make_dir_creates_a_directory_item_and_its_parents(faas_dl, faas_dataset):
    made = faas_dataset.items.make_dir(directory="/a/b")
    assert (made.type, made.filename, made.name, made.dir) == ("dir", "/a/b", "b", "/a")
    assert dirs(faas_dl, faas_dataset) == ["/a", "/a/b"]
    assert faas_dataset.items.make_dir(directory="/a/b").id == made.id  # an existing folder is returned
    # dtlpy's default listing shows files only; the folders do not count as items of the dataset.
    assert list(faas_dataset.items.list().all()) == []
    assert faas_dl.datasets.get(dataset_id=faas_dataset.id).items_count == 0


def test_upload_makes_the_parent_directories(faas_dl, faas_dataset):
    faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/train/cats", remote_name="a.txt")
    assert dirs(faas_dl, faas_dataset) == ["/train", "/train/cats"]
    in_train = faas_dataset.items.list(filters=faas_dl.Filters(field="dir", values="/train")).all()
    assert [i.filename for i in in_train] == []  # the folder /train/cats is not a file
    folders = faas_dl.Filters(field="dir", values="/train")
    folders.add(field="type", values="dir")
    assert [i.filename for i in faas_dataset.items.list(filters=folders).all()] == ["/train/cats"]


def test_deleting_a_directory_deletes_what_is_inside(faas_dl, faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/gone/deep", remote_name="a.txt")
    kept = faas_dataset.items.upload(local_path=io.BytesIO(b"y"), remote_path="/kept", remote_name="b.txt")
    [folder] = [i for i in faas_dataset.items.list(filters=faas_dl.Filters(field="type", values="dir")).all()
                if i.filename == "/gone"]
    assert faas_dataset.items.delete(item_id=folder.id) is True
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dataset.items.get(item_id=item.id)
    assert faas_dataset.items.get(item_id=kept.id).filename == "/kept/b.txt"
    assert dirs(faas_dl, faas_dataset) == ["/kept"]


def test_codebases_list_finds_pushed_packages(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("first", "second"):
        simple_package(tmp_path / name, name, "def run(self):\n    return 1\n", [("run", [])])
        faas_project.packages.push(src_path=str(tmp_path / name))
    names = sorted(codebase.filename for codebase in faas_project.codebases.list().all())
    assert names == ["/codebases/first", "/codebases/second"]


@pytest.mark.parametrize("form, fragment", [
    ({"type": "file", "path": "/x"}, "type=dir"),
    ({"type": "dir"}, "type=dir"),
    ({"type": "dir", "path": "/x", "extra": "1"}, "extra"),
    ({"type": "dir", "path": "/../x"}, ".."),
])
def test_bad_make_dir_forms_are_400_and_change_nothing(api, faas_dataset, form, fragment):
    response = api.post(f"/datasets/{faas_dataset.id}/items", data=form)
    assert response.status_code == 400 and fragment in response.json()["message"]
    assert api.post(f"/datasets/{faas_dataset.id}/query", json={"filter": {}}).json()["totalItemsCount"] == 0


def test_a_file_and_a_folder_cannot_share_a_path(api, faas_dataset):
    faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/", remote_name="taken")
    response = api.post(f"/datasets/{faas_dataset.id}/items", data={"type": "dir", "path": "/taken/sub"})
    assert response.status_code == 400 and "is a file" in response.json()["message"]
    faas_dataset.items.make_dir(directory="/folder")
    response = api.post(f"/datasets/{faas_dataset.id}/items",
                        files={"file": ("folder", b"x"), "path": (None, "/folder")})
    assert response.status_code == 400 and "is a directory" in response.json()["message"]
