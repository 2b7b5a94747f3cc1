"""Every data-plane call of docs/platform.md#rest-routes, through the real dtlpy client over HTTP."""

import io
import json
import os
from pathlib import Path

import pytest

from pytest_faas.mocks.files import png_bytes


def test_project_create_get_by_id_and_name(faas_dl, faas_project):
    assert faas_dl.projects.get(project_id=faas_project.id).name == faas_project.name
    assert faas_dl.projects.get(project_name=faas_project.name).id == faas_project.id
    assert faas_project.id in [p.id for p in faas_dl.projects.list()]


def test_checkout_writes_state_in_cwd_and_get_returns_it(faas_dl, faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    faas_dl.projects.checkout(project_name=faas_project.name)
    state = json.loads((tmp_path / ".dataloop" / "state.json").read_text())
    assert state["project"]["id"] == faas_project.id
    assert faas_dl.projects.get().id == faas_project.id


def test_unknown_project_is_dtlpy_not_found(faas_dl):
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dl.projects.get(project_name="no-such-project")


def test_dataset_create_get_and_list_hide_binaries(faas_project):
    dataset = faas_project.datasets.create(dataset_name="photos")
    assert faas_project.datasets.get(dataset_name="photos").id == dataset.id
    assert [d.name for d in faas_project.datasets.list()] == ["photos"]
    # The Binaries system dataset exists, as on the platform, and is found only through systemSpace, which
    # lists it beside the others (dtlpy's own suite: one dataset without it, two with it).
    assert faas_project.datasets._get_binaries_dataset().name == "Binaries"
    for system, names in ((False, ["photos"]), (True, ["Binaries", "photos"])):
        success, answer = faas_project._client_api.gen_request(
            req_type="post", path="/datasets/query",
            json_req={"resource": "datasets", "context": {"datasets": [faas_project.id]}, "systemSpace": system})
        assert success and sorted(d["name"] for d in answer.json()["items"]) == names


def test_upload_get_and_size_echo(faas_dataset):
    data = png_bytes(5, 4)
    item = faas_dataset.items.upload(local_path=io.BytesIO(data), remote_path="/train", remote_name="a.png")
    assert (item.filename, item.dir, item.name) == ("/train/a.png", "/train", "a.png")
    assert item.metadata["system"]["size"] == len(data)
    assert item.metadata["system"]["mimetype"] == "image/png"
    fetched = faas_dataset.items.get(item_id=item.id)
    assert fetched.filename == "/train/a.png" and fetched.hidden is False


def test_upload_from_a_file_on_disk_with_metadata(faas_dataset, tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("hello")
    item = faas_dataset.items.upload(local_path=str(path), remote_path="/docs", item_metadata={"user": {"k": 1}})
    assert item.filename == "/docs/note.txt"
    assert item.metadata["user"] == {"k": 1}


def test_upload_modes_skip_and_overwrite_keep_the_id(faas_dataset):
    first = faas_dataset.items.upload(local_path=io.BytesIO(b"one"), remote_name="x.txt")
    # Same size on purpose: dtlpy deletes a returned item whose size differs from the bytes it sent.
    skipped = faas_dataset.items.upload(local_path=io.BytesIO(b"two"), remote_name="x.txt")
    assert skipped.id == first.id
    assert skipped.download(save_locally=False).getvalue() == b"one"
    replaced = faas_dataset.items.upload(local_path=io.BytesIO(b"second"), remote_name="x.txt", overwrite=True)
    assert replaced.id == first.id and replaced.metadata["system"]["size"] == 6
    assert replaced.download(save_locally=False).getvalue() == b"second"


def test_dot_folders_make_items_hidden(faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/.cache", remote_name="a.txt")
    assert item.hidden is True
    visible = faas_dataset.items.list()
    assert item.id not in [i.id for i in visible.all()]


def test_download_to_memory_and_to_disk(faas_item, tmp_path):
    buffer = faas_item.download(save_locally=False)
    assert buffer.getvalue() == png_bytes()
    path = faas_item.download(local_path=str(tmp_path))
    assert Path(path).read_bytes() == png_bytes()


def test_stream_honours_range(api, faas_item):
    response = api.get(f"/items/{faas_item.id}/stream", headers={"Range": "bytes=1-3"})
    assert response.status_code == 206
    assert response.content == png_bytes()[1:4]


def test_items_list_pages_with_filters(faas_dl, faas_dataset):
    for i in range(7):
        faas_dataset.items.upload(local_path=io.BytesIO(b"t%d" % i), remote_path="/train", remote_name=f"t{i}.txt")
    for i in range(3):
        faas_dataset.items.upload(local_path=io.BytesIO(b"v"), remote_path="/val", remote_name=f"v{i}.txt")
    filters = faas_dl.Filters(field="dir", values="/train")
    pages = faas_dataset.items.list(filters=filters, page_size=3)
    assert pages.items_count == 7
    assert pages.total_pages_count == 3
    names = [item.name for page in pages for item in page]
    assert names == [f"t{i}.txt" for i in range(7)]


def test_items_list_recursive_filename_and_metadata_filters(faas_dl, make_faas_item):
    make_faas_item(name="a.png", remote_path="/train/cats", metadata={"split": "train"})
    make_faas_item(name="b.png", remote_path="/train", metadata={"split": "train"})
    make_faas_item(name="c.png", remote_path="/val", metadata={"split": "val"})
    dataset = make_faas_item(name="d.png", remote_path="/").dataset
    recursive = dataset.items.list(filters=faas_dl.Filters(field="filename", values="/train"))
    assert sorted(i.name for i in recursive.all()) == ["a.png", "b.png"]
    by_metadata = faas_dl.Filters(field="metadata.user.split", values="val")
    assert [i.name for i in dataset.items.list(filters=by_metadata).all()] == ["c.png"]


def test_item_update_metadata_and_delete(faas_dataset, faas_item):
    faas_item.metadata["user"] = {"reviewed": True}
    updated = faas_item.update()
    assert updated.metadata["user"] == {"reviewed": True}
    assert faas_dataset.items.get(item_id=faas_item.id).metadata["user"]["reviewed"] is True
    assert faas_item.metadata["system"]["size"] == len(png_bytes())
    faas_dataset.items.delete(item_id=faas_item.id)
    with pytest.raises(Exception, match="not found"):
        faas_dataset.items.get(item_id=faas_item.id)


def test_annotation_new_upload_and_item_counters(faas_dl, faas_item):
    annotation = faas_dl.Annotation.new(item=faas_item, annotation_definition=faas_dl.Classification(label="cat")).upload()
    assert annotation.label == "cat" and annotation.type == "class"
    assert annotation.creator and annotation.created_at
    item = faas_item.dataset.items.get(item_id=faas_item.id)
    assert item.annotated is True and item.annotations_count == 1
    assert faas_dl.annotations.get(annotation_id=annotation.id).label == "cat"


def test_annotation_builder_list_update_delete(faas_dl, faas_item):
    builder = faas_item.annotations.builder()
    builder.add(annotation_definition=faas_dl.Box(top=1, left=2, bottom=5, right=6, label="dog"))
    builder.add(annotation_definition=faas_dl.Classification(label="outdoor"))
    faas_item.annotations.upload(builder)
    listed = faas_item.annotations.list()
    assert sorted(a.label for a in listed) == ["dog", "outdoor"]
    box = [a for a in listed if a.type == "box"][0]
    box.label = "puppy"
    box.update()
    assert faas_dl.annotations.get(annotation_id=box.id).label == "puppy"
    box.delete()
    assert [a.label for a in faas_item.annotations.list()] == ["outdoor"]


def test_dataset_items_download_with_filters(faas_dl, make_faas_item, tmp_path):
    make_faas_item(name="a.png", remote_path="/train")
    dataset = make_faas_item(name="b.png", remote_path="/val").dataset
    result = dataset.items.download(filters=faas_dl.Filters(field="dir", values="/train"), local_path=str(tmp_path))
    paths = [result] if isinstance(result, str) else list(result)
    assert [Path(p).relative_to(tmp_path).as_posix() for p in paths] == ["items/train/a.png"]


@pytest.mark.slow
def test_download_annotations_writes_one_json_per_item(faas_dl, make_faas_item, tmp_path):
    make_faas_item(name="a.png", remote_path="/train", annotations=["cat"])
    dataset = make_faas_item(name="b.png", remote_path="/train").dataset
    dataset.download_annotations(local_path=str(tmp_path))
    exported = {p.relative_to(tmp_path / "json").as_posix(): json.loads(p.read_text())
                for p in (tmp_path / "json").rglob("*.json")}
    assert set(exported) == {"train/a.json", "train/b.json"}
    assert [a["label"] for a in exported["train/a.json"]["annotations"]] == ["cat"]
    assert exported["train/b.json"]["annotations"] == []


def test_dtlpy_never_touches_the_users_own_login(faas_dl):
    cookie = faas_dl.client_api.cookie_io.COOKIE
    assert not cookie.startswith(os.path.expanduser("~/.dataloop"))


def test_images_get_width_and_height_like_on_the_platform(faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(png_bytes(6, 3)), remote_name="w.png")
    assert (item.metadata["system"]["width"], item.metadata["system"]["height"]) == (6, 3)
    text = faas_dataset.items.upload(local_path=io.BytesIO(b"plain"), remote_name="t.txt")
    assert "width" not in text.metadata["system"]
