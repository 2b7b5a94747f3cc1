"""Seeding the entities a mock file names, with exactly their ids, through the private routes."""

import base64


def seed_item(api, dataset_id, path, data, **extra):
    body = {"datasetId": dataset_id, "path": path, "contentBase64": base64.b64encode(data).decode(), **extra}
    response = api.post("/_faas/seed/items", json=body)
    assert response.ok, response.text
    return response.json()


def test_seeded_entities_keep_the_ids_the_mock_gives(api, faas_dl, faas_project):
    dataset = api.post("/_faas/seed/datasets", json={"projectId": faas_project.id, "name": "pets", "id": "pets"}).json()
    assert dataset["id"] == "pets"
    item = seed_item(api, "pets", "/train/cat.png", b"meow", id="cat-1", metadata={"user": {"k": 1}},
                     annotations=[{"type": "class", "label": "cat"}])
    fetched = faas_dl.items.get(item_id="cat-1")
    assert (fetched.id, fetched.filename, fetched.dataset_id) == ("cat-1", "/train/cat.png", "pets")
    assert fetched.download(save_locally=False).getvalue() == b"meow"
    assert fetched.metadata["user"] == {"k": 1}
    assert [a.label for a in fetched.annotations.list()] == ["cat"]
    assert item["annotationsCount"] == 1


def test_seeding_again_replaces_the_earlier_entities(api, faas_dl, faas_project):
    api.post("/_faas/seed/datasets", json={"projectId": faas_project.id, "name": "d", "id": "d-1"})
    seed_item(api, "d-1", "/a.txt", b"old", id="x-1")
    seed_item(api, "d-1", "/b.txt", b"other")
    api.post("/_faas/seed/datasets", json={"projectId": faas_project.id, "name": "d", "id": "d-1"})
    seed_item(api, "d-1", "/a.txt", b"new", id="x-1")
    dataset = faas_dl.datasets.get(dataset_id="d-1")
    assert [i.name for i in dataset.items.list().all()] == ["a.txt"]
    assert faas_dl.items.get(item_id="x-1").download(save_locally=False).getvalue() == b"new"


def test_bad_seed_requests_say_what_is_missing(api):
    response = api.post("/_faas/seed/items", json={"path": "/a"})
    assert response.status_code == 400 and "datasetId" in response.json()["message"]
    response = api.post("/_faas/seed/items", json={"datasetId": "x", "path": "/a", "contentBase64": "%%%"})
    assert response.status_code == 400 and "base64" in response.json()["message"]
