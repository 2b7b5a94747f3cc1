"""Bulk deletes and updates through a query really change what they match (issue 17, point 6)."""

from __future__ import annotations

import io

import pytest

from faas_code import simple_package, wait


def upload(dataset, folder: str, name: str):
    return dataset.items.upload(local_path=io.BytesIO(b"data"), remote_path=folder, remote_name=name)


def filenames(dataset) -> list[str]:
    return sorted(item.filename for item in dataset.items.list().all())


def test_items_delete_by_filter(faas_dl, faas_dataset):
    for name in ("a.txt", "b.txt"):
        upload(faas_dataset, "/drop", name)
    upload(faas_dataset, "/keep", "c.txt")
    assert faas_dataset.items.delete(filters=faas_dl.Filters(field="dir", values="/drop")) is True
    assert filenames(faas_dataset) == ["/keep/c.txt"]
    assert faas_dl.datasets.get(dataset_id=faas_dataset.id).items_count == 1


def test_items_update_by_filter_sets_user_and_system_metadata(faas_dl, faas_dataset):
    first, second = upload(faas_dataset, "/x", "a.txt"), upload(faas_dataset, "/x", "b.txt")
    other = upload(faas_dataset, "/y", "c.txt")
    faas_dataset.items.update(filters=faas_dl.Filters(field="dir", values="/x"), update_values={"reviewed": True})
    faas_dataset.items.update(filters=faas_dl.Filters(field="dir", values="/x"),
                              system_update_values={"batch": 7}, system_metadata=True)
    for item in (first, second):
        fetched = faas_dataset.items.get(item_id=item.id)
        assert fetched.metadata["user"]["reviewed"] is True and fetched.metadata["system"]["batch"] == 7
    untouched = faas_dataset.items.get(item_id=other.id)
    assert "reviewed" not in untouched.metadata["user"] and "batch" not in untouched.metadata["system"]


def test_annotations_delete_and_update_by_filter(faas_dl, faas_dataset):
    item = upload(faas_dataset, "/", "a.txt")
    builder = item.annotations.builder()
    for label in ("cat", "dog", "cat"):
        builder.add(annotation_definition=faas_dl.Classification(label=label))
    item.annotations.upload(builder)
    cats = faas_dl.Filters(resource=faas_dl.FiltersResource.ANNOTATION, field="label", values="cat")
    faas_dataset.items.update(filters=cats, update_values={"checked": 1})
    assert sorted(a.metadata["user"].get("checked", 0) for a in item.annotations.list()) == [0, 1, 1]

    assert faas_dataset.annotations.delete(filters=cats) is True
    assert [a.label for a in item.annotations.list()] == ["dog"]
    assert faas_dataset.items.get(item_id=item.id).annotations_count == 1


def test_bulk_changes_fire_deleted_and_updated_triggers(faas_platform, faas_dl, faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "bulk", "def on_item(self, item):\n    return item.id\n\n"
                   "def on_annotation(self, annotation):\n    return annotation.id\n",
                   [("on_item", [("item", "Item")]), ("on_annotation", [("annotation", "Annotation")])])
    service = faas_project.packages.push(src_path=str(tmp_path / "pkg")).deploy(service_name="bulk")
    updated = service.triggers.create(name="updated", function_name="on_item", resource=faas_dl.TriggerResource.ITEM,
                                      actions=[faas_dl.TriggerAction.UPDATED])
    deleted = service.triggers.create(name="ann-deleted", function_name="on_annotation",
                                      resource=faas_dl.TriggerResource.ANNOTATION,
                                      actions=[faas_dl.TriggerAction.DELETED],
                                      filters=faas_dl.Filters(resource=faas_dl.FiltersResource.ANNOTATION))
    dataset = faas_project.datasets.create(dataset_name="bulk")
    item = upload(dataset, "/", "a.txt")
    annotation = faas_dl.Annotation.new(item=item, annotation_definition=faas_dl.Classification(label="x")).upload()

    dataset.items.update(filters=faas_dl.Filters(), update_values={"k": 1})
    dataset.annotations.delete(filters=faas_dl.Filters(resource=faas_dl.FiltersResource.ANNOTATION))

    def runs(trigger):
        found = faas_dl.executions.list(filters=faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION,
                                                                 field="triggerId", values=trigger.id))
        return [wait(faas_platform, e.id) for e in found.all()]

    assert [r["input"]["item"]["item_id"] for r in runs(updated)] == [item.id]
    assert [r["input"]["annotation"]["annotation_id"] for r in runs(deleted)] == [annotation.id]


@pytest.mark.parametrize("body, status, fragment", [
    ({"filter": {}, "delete": "yes"}, 400, "'delete' must be true"),
    ({"filter": {}, "delete": True, "update": {"metadata": {}}}, 400, "not both"),
    ({"filter": {}, "update": {"name": "x"}}, 400, "cannot set name"),
    ({"filter": {}, "update": {}}, 400, "non-empty object"),
    ({"filter": {}, "update": {"metadata": {"system": {"a": 1}}}}, 400, "systemSpace"),
    ({"filter": {"dir": {"$nope": 1}}, "delete": True}, 400, "$nope"),
    ({"filter": {}, "references": {"operation": "create", "refs": []}}, 501, "references"),
])
def test_bad_bulk_bodies_are_refused_and_change_nothing(api, faas_dataset, body, status, fragment):
    upload(faas_dataset, "/", "a.txt")
    before = api.post(f"/datasets/{faas_dataset.id}/query", json={"filter": {}}).json()["items"]
    response = api.post(f"/datasets/{faas_dataset.id}/query", json={"resource": "items", **body})
    assert response.status_code == status and fragment in response.json()["message"]
    assert api.post(f"/datasets/{faas_dataset.id}/query", json={"filter": {}}).json()["items"] == before
