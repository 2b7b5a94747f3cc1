"""Concurrent writers over real HTTP: every acknowledged change is present afterwards, counters equal a recount.

Each test releases its clients at one instant (a barrier), on the session's platform, through the same
threaded HTTP server dtlpy uses. Before the store had one transaction per write, 24 PATCHes lost about
40% of their keys and annotation uploads undid PATCHes or brought deleted items back.
"""

from __future__ import annotations

import pytest

from pytest_faas.ids import new_id
from reliability_data import ANNOTATION, Rest, together

CLIENTS = 24


@pytest.fixture
def rest(faas_platform):
    clients = [Rest(faas_platform.url, faas_platform.token) for _ in range(CLIENTS)]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture
def dataset(rest):
    project = rest[0].project(f"races-{new_id()[-8:]}")
    return rest[0].dataset(project["id"])


def _item(rest, dataset, name: str) -> dict:
    response = rest[0].upload(dataset["id"], f"/{name}", b"bytes of " + name.encode())
    assert response.status_code == 200, response.text
    return response.json()


def test_parallel_patches_each_keep_their_key(rest, dataset):
    for round_ in range(5):
        item = _item(rest, dataset, f"patched-{round_}.bin")
        answers = together([
            (lambda c=client, i=i: c.call("PATCH", f"/items/{item['id']}", json={"metadata": {"user": {f"k{i}": i}}}))
            for i, client in enumerate(rest)])
        assert [a.status_code for a in answers] == [200] * CLIENTS
        stored = rest[0].call("GET", f"/items/{item['id']}").json()["metadata"]["user"]
        assert stored == {f"k{i}": i for i in range(CLIENTS)}, f"round {round_}: lost {CLIENTS - len(stored)} keys"


def test_annotation_upload_racing_a_patch_keeps_both(rest, dataset):
    for round_ in range(20):
        item = _item(rest, dataset, f"annotated-{round_}.bin")
        upload, patch = together([
            lambda: rest[0].call("POST", f"/items/{item['id']}/annotations", json=[ANNOTATION]),
            lambda: rest[1].call("PATCH", f"/items/{item['id']}", json={"metadata": {"user": {"kept": True}}}),
        ])
        assert (upload.status_code, patch.status_code) == (200, 200)
        stored = rest[0].call("GET", f"/items/{item['id']}").json()
        assert stored["metadata"]["user"] == {"kept": True}, f"round {round_}: the PATCH was undone"
        assert stored["annotationsCount"] == 1 and stored["annotated"] is True


def test_annotation_upload_racing_a_delete_never_brings_the_item_back(rest, dataset):
    for round_ in range(20):
        item = _item(rest, dataset, f"deleted-{round_}.bin")
        upload, delete = together([
            lambda: rest[0].call("POST", f"/items/{item['id']}/annotations", json=[ANNOTATION]),
            lambda: rest[1].call("DELETE", f"/items/{item['id']}"),
        ])
        assert delete.status_code == 200
        assert upload.status_code in (200, 404), upload.text
        assert rest[0].call("GET", f"/items/{item['id']}").status_code == 404, f"round {round_}: item served again"
        leftover = rest[0].call("POST", f"/datasets/{dataset['id']}/query",
                                json={"resource": "annotations", "filter": {"itemId": item["id"]}}).json()
        assert leftover["totalItemsCount"] == 0
    counted = rest[0].call("GET", f"/datasets/{dataset['id']}").json()
    assert (counted["itemsCount"], counted["annotationsCount"], counted["annotated"]) == (0, 0, 0)


def test_parallel_annotation_uploads_keep_the_counters_equal_to_a_recount(rest, dataset):
    items = [_item(rest, dataset, f"counted-{i}.bin") for i in range(4)]
    answers = together([
        (lambda c=client, i=i: c.call("POST", f"/items/{items[i % 4]['id']}/annotations", json=[ANNOTATION] * (1 + i % 3)))
        for i, client in enumerate(rest)])
    assert [a.status_code for a in answers] == [200] * CLIENTS
    acknowledged = sum(len(a.json()) for a in answers)
    recount = rest[0].call("POST", f"/datasets/{dataset['id']}/query", json={"resource": "annotations"}).json()
    assert recount["totalItemsCount"] == acknowledged
    stored = rest[0].call("GET", f"/datasets/{dataset['id']}").json()
    assert (stored["annotationsCount"], stored["annotated"], stored["itemsCount"]) == (acknowledged, 4, 4)
    for item in items:
        per_item = rest[0].call("GET", f"/items/{item['id']}/annotations").json()
        assert rest[0].call("GET", f"/items/{item['id']}").json()["annotationsCount"] == len(per_item)


def test_same_name_creations_make_one_entity(rest, dataset):
    name = f"twin-{new_id()[-8:]}"
    projects = together([lambda c=client: c.call("POST", "/projects", json={"name": name}) for client in rest])
    assert sorted(p.status_code for p in projects) == [200] + [400] * (CLIENTS - 1)
    assert len(rest[0].call("GET", f"/projects/{name}/name").json()) == 1

    project_id = dataset["projects"][0]
    datasets = together([lambda c=client: c.call("POST", "/datasets", json={"name": name, "projects": [project_id]})
                         for client in rest])
    assert sorted(d.status_code for d in datasets) == [200] + [400] * (CLIENTS - 1)

    uploads = together([lambda c=client, i=i: c.upload(dataset["id"], "/twin.bin", b"copy %d" % i)
                        for i, client in enumerate(rest)])
    assert [u.status_code for u in uploads] == [200] * CLIENTS
    assert len({u.json()["id"] for u in uploads}) == 1
    assert sorted(u.headers["x-item-op"] for u in uploads) == ["created"] + ["skip"] * (CLIENTS - 1)
    stored = rest[0].call("GET", f"/datasets/{dataset['id']}").json()
    query = rest[0].call("POST", f"/datasets/{dataset['id']}/query", json={}).json()
    assert stored["itemsCount"] == query["totalItemsCount"] == 1


def test_parallel_overwrites_leave_bytes_that_match_the_size(rest, dataset):
    # Blobs switch between SQLite rows (small) and files (big) from one overwrite to the next.
    item = _item(rest, dataset, "overwritten.bin")
    sizes = [10 + i if i % 2 else 300_000 + i for i in range(CLIENTS)]
    answers = together([lambda c=client, n=n: c.upload(dataset["id"], "/overwritten.bin", b"x" * n, mode="overwrite")
                        for client, n in zip(rest, sizes)])
    assert [a.status_code for a in answers] == [200] * CLIENTS
    record = rest[0].call("GET", f"/items/{item['id']}").json()
    data = rest[0].call("GET", f"/items/{item['id']}/stream").content
    assert len(data) == record["metadata"]["system"]["size"] and len(data) in sizes
