"""Deleting and updating projects and datasets, clones, unlock, the directory tree and service revisions,
through the real dtlpy client (issue 17, points 1, 3 and 8)."""

from __future__ import annotations

import io
import threading

import pytest

from faas_code import simple_package, wait


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # dtlpy's push writes a .dataloop folder into the current directory
    return tmp_path


def upload(dataset, path: str, data: bytes = b"data"):
    folder, name = path.rsplit("/", 1)
    return dataset.items.upload(local_path=io.BytesIO(data), remote_path=folder or "/", remote_name=name)


def trigger_executions(faas_dl, trigger) -> list:
    filters = faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION, field="triggerId", values=trigger.id)
    return list(faas_dl.executions.list(filters=filters).all())


def dataset_service(faas_project, here):
    # A Json input named after the resource receives the ids the trigger passes, also for a deleted dataset.
    simple_package(here / "pkg", "on-dataset", "def on_dataset(self, dataset):\n    return dataset\n",
                   [("on_dataset", [("dataset", "Json")])])
    return faas_project.packages.push(src_path=str(here / "pkg")).deploy(service_name="on-dataset")


def test_dataset_delete_takes_items_annotations_and_its_recipe_and_fires_dataset_deleted(
        faas_platform, faas_dl, faas_project, here):
    service = dataset_service(faas_project, here)
    trigger = service.triggers.create(name="gone", resource=faas_dl.TriggerResource.DATASET,
                                      actions=[faas_dl.TriggerAction.DELETED], function_name="on_dataset")
    dataset = faas_project.datasets.create(dataset_name="doomed")
    item = upload(dataset, "/a/b/x.txt")
    faas_dl.Annotation.new(item=item, annotation_definition=faas_dl.Classification(label="dog")).upload()
    recipe_id = dataset.metadata["system"]["recipes"][0]
    store = faas_platform.backend.store

    assert faas_project.datasets.delete(dataset_id=dataset.id, sure=True, really=True) is True

    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_project.datasets.get(dataset_id=dataset.id)
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dl.items.get(item_id=item.id)
    assert store.children("items", dataset.id) == []
    assert store.find("recipes", recipe_id) is None
    assert not any(a["datasetId"] == dataset.id for a in store.all("annotations"))
    [execution] = trigger_executions(faas_dl, trigger)
    assert wait(faas_platform, execution.id)["output"] == {"dataset_id": dataset.id}


def test_binaries_cannot_be_deleted_alone(faas_dl, faas_project):
    binaries = faas_project.datasets._get_binaries_dataset()
    with pytest.raises(faas_dl.exceptions.BadRequest, match="system dataset"):
        faas_project.datasets.delete(dataset_id=binaries.id, sure=True, really=True)


def test_dataset_update_renames_and_fires_dataset_updated(faas_platform, faas_dl, faas_project, here):
    service = dataset_service(faas_project, here)
    trigger = service.triggers.create(name="changed", resource=faas_dl.TriggerResource.DATASET,
                                      actions=[faas_dl.TriggerAction.UPDATED], function_name="on_dataset")
    dataset = faas_project.datasets.create(dataset_name="before")
    dataset.name = "after"
    dataset.update()
    assert faas_project.datasets.get(dataset_id=dataset.id).name == "after"
    [execution] = trigger_executions(faas_dl, trigger)
    assert wait(faas_platform, execution.id)["output"] == {"dataset_id": dataset.id}


def test_project_update_renames_and_refuses_platform_fields(faas_dl, api):
    project = faas_dl.projects.create(project_name="renamed-before")
    project.name = "renamed-after"
    faas_dl.projects.update(project=project)
    assert faas_dl.projects.get(project_id=project.id).name == "renamed-after"
    refused = api.patch(f"/projects/{project.id}", json={"creator": "someone@else"})
    assert refused.status_code == 400 and "creator" in refused.json()["message"]
    refused = api.patch(f"/projects/{project.id}", json={"colour": "red"})
    assert refused.status_code == 400 and "colour" in refused.json()["message"]
    refused = api.patch(f"/projects/{project.id}", json={"name": "p" * 257})  # POST's bound holds for PATCH
    assert refused.status_code == 400 and "at most 256" in refused.json()["message"]
    dataset = project.datasets.create(dataset_name="bounded")
    refused = api.patch(f"/datasets/{dataset.id}", json={"name": "d" * 257})
    assert refused.status_code == 400 and "at most 256" in refused.json()["message"]
    assert faas_dl.datasets.get(dataset_id=dataset.id).name == "bounded"
    assert faas_dl.projects.get(project_id=project.id).name == "renamed-after"


def test_project_delete_takes_its_datasets_services_and_triggers(faas_platform, faas_dl, here):
    project = faas_dl.projects.create(project_name="short-lived")
    dataset = project.datasets.create(dataset_name="data")
    item = upload(dataset, "/x.txt")
    service = dataset_service(project, here)
    trigger = service.triggers.create(name="t", resource=faas_dl.TriggerResource.DATASET,
                                      function_name="on_dataset")
    store = faas_platform.backend.store

    assert faas_dl.projects.delete(project_id=project.id, sure=True, really=True) is True

    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dl.projects.get(project_id=project.id)
    for kind, record_id in [("datasets", dataset.id), ("items", item.id), ("services", service.id),
                            ("triggers", trigger.id), ("packages", service.package_id)]:
        assert store.find(kind, record_id) is None, kind
    assert store.children("datasets", project.id) == []


def test_dataset_clone_copies_items_metadata_and_annotations(faas_dl, faas_project):
    source = faas_project.datasets.create(dataset_name="source")
    item = source.items.upload(local_path=io.BytesIO(b"bytes"), remote_path="/in", remote_name="a.txt",
                               item_metadata={"user": {"k": 1}})
    faas_dl.Annotation.new(item=item, annotation_definition=faas_dl.Classification(label="cat")).upload()

    clone = faas_project.datasets.clone(dataset_id=source.id, clone_name="copy")

    assert clone.name == "copy" and clone.id != source.id
    [copied] = list(clone.items.list().all())
    assert copied.filename == "/in/a.txt" and copied.id != item.id
    assert copied.metadata["user"] == {"k": 1}
    assert copied.download(save_locally=False).read() == b"bytes"
    assert [a.label for a in copied.annotations.list()] == ["cat"]


def test_item_clone_into_another_dataset(faas_dl, faas_project):
    source = faas_project.datasets.create(dataset_name="from")
    target = faas_project.datasets.create(dataset_name="to")
    item = upload(source, "/x.txt", b"xyz")
    clone = source.items.clone(item_id=item.id, dst_dataset_id=target.id, remote_filepath="/copied/y.txt",
                               with_annotations=False)
    assert (clone.dataset_id, clone.filename) == (target.id, "/copied/y.txt")
    assert clone.download(save_locally=False).read() == b"xyz"


def test_clone_bad_bodies_are_400_and_change_nothing(faas_dl, faas_project, api):
    source = faas_project.datasets.create(dataset_name="bad-clone")
    item = upload(source, "/x.txt")
    before = [d.id for d in faas_project.datasets.list()]
    for body in [{"name": "n", "cloneDatasetParams": {"withMetadata": "yes"}}, {"cloneDatasetParams": {}},
                 {"name": "n", "filter": {"filter": {"dir": {"$bad": 1}}}},
                 {"name": "n", "cloneDatasetParams": {"targetDirectory": "/../up"}}]:  # was a 500 after making "n"
        response = api.post(f"/datasets/{source.id}/clone", json=body)
        assert response.status_code == 400, body
    response = api.post(f"/items/{item.id}/clone", json={"targetDatasetId": source.id})
    assert response.status_code == 400 and "already has an item" in response.json()["message"]
    assert [d.id for d in faas_project.datasets.list()] == before
    assert len(list(source.items.list().all())) == 1


def test_an_export_with_lock_locks_until_unlock_and_unlocking_an_unlocked_dataset_is_refused(faas_dl,
                                                                                             faas_project, api):
    dataset = faas_project.datasets.create(dataset_name="locked")
    with pytest.raises(faas_dl.exceptions.BadRequest, match="dataset is not locked"):
        faas_project.datasets.unlock(dataset=dataset)
    assert faas_project.datasets.get(dataset_id=dataset.id).readonly is False
    answer = api.post(f"/datasets/{dataset.id}/export", json={"datasetLock": True, "lockTimeoutSec": "soon"})
    assert answer.status_code == 400 and "lockTimeoutSec" in answer.json()["message"]
    assert faas_project.datasets.get(dataset_id=dataset.id).readonly is False  # a refused export locks nothing
    assert api.post(f"/datasets/{dataset.id}/export", json={"datasetLock": True}).status_code == 200
    assert faas_project.datasets.get(dataset_id=dataset.id).readonly is True
    assert faas_project.datasets.unlock(dataset=dataset).readonly is False
    assert faas_project.datasets.get(dataset_id=dataset.id).readonly is False


def test_a_lock_with_a_timeout_ends_by_itself(faas_project, api):
    held, timed = (faas_project.datasets.create(dataset_name=n) for n in ("held", "timed"))
    assert api.post(f"/datasets/{held.id}/export", json={"datasetLock": True, "lockTimeoutSec": 3600}).ok
    assert faas_project.datasets.get(dataset_id=held.id).readonly is True
    dataset = timed
    assert api.post(f"/datasets/{dataset.id}/export", json={"datasetLock": True, "lockTimeoutSec": 0.2}).ok
    deadline = threading.Event()
    for _ in range(100):  # the lock's own end, polled with a generous bound
        if faas_project.datasets.get(dataset_id=dataset.id).readonly is False:
            break
        deadline.wait(0.1)
    assert faas_project.datasets.get(dataset_id=dataset.id).readonly is False
    assert api.patch(f"/datasets/{dataset.id}/unlock").status_code == 400


def test_directory_tree_lists_the_folders(faas_dl, faas_project):
    dataset = faas_project.datasets.create(dataset_name="tree")
    upload(dataset, "/a/b/x.txt")
    upload(dataset, "/c/y.txt")
    tree = dataset.directory_tree
    # the platform's own folders too
    assert sorted(tree.dir_names) == ["/", "/.dataloop", "/.dataloop/thumbnails", "/a", "/a/b", "/c"]


def test_service_revisions_grow_with_each_update(faas_project, here):
    service = dataset_service(faas_project, here)
    assert len(service.revisions) == 1
    service.runtime.concurrency = 3
    updated = service.update()
    assert len(updated.revisions) == 2
    assert [r["runtime"]["concurrency"] for r in updated.revisions][-1] == 3
