"""Bad input gets a 4xx with a message that says what is wrong, and the store is unchanged after it."""

import json

import pytest


def snapshot(platform):
    """Everything the store holds: every document and every blob's bytes."""
    store = platform.backend.store
    rows = store._db.execute("SELECT kind, id, body FROM documents ORDER BY kind, id").fetchall()
    blobs = {p.name: p.read_bytes() for p in store.blob_dir.iterdir() if not p.name.startswith(".")}
    blobs.update(store._db.execute("SELECT key, data FROM blobs").fetchall())
    return rows, blobs


@pytest.fixture
def unchanged(platform):
    """Asserts, after the test, that the store is exactly as it was before the bad request."""
    holder = {}

    def mark():
        holder["before"] = snapshot(platform)

    yield mark
    assert "before" in holder, "the test must call unchanged() before sending bad input"
    assert snapshot(platform) == holder["before"]


def test_malformed_json_body(api, faas_dataset, unchanged):
    unchanged()
    response = api.post(f"/datasets/{faas_dataset.id}/query", data=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "malformed JSON body" in response.json()["message"]


def test_json_of_the_wrong_shape(api, faas_item, unchanged):
    unchanged()
    response = api.patch(f"/items/{faas_item.id}", json=["not", "an", "object"])
    assert response.status_code == 400
    assert "must be a JSON object" in response.json()["message"]


@pytest.mark.parametrize("method, path", [
    ("get", "/items/000000000000000000000000"),
    ("delete", "/items/000000000000000000000000"),
    ("get", "/datasets/000000000000000000000000"),
    ("get", "/projects/000000000000000000000000"),
    ("get", "/annotations/000000000000000000000000"),
    ("get", "/commands/000000000000000000000000"),
])
def test_unknown_ids_are_404_naming_the_id(api, faas_item, unchanged, method, path):
    unchanged()
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert "000000000000000000000000" in response.json()["message"]


@pytest.mark.parametrize("bad_filter, fragment", [
    ({"dir": {"$foo": 1}}, "$foo"),
    ({"$and": {"dir": "/"}}, "$and"),
    ({"dir": {"$in": "not-a-list"}}, "$in"),
])
def test_invalid_dql_is_400_naming_the_clause(api, faas_item, unchanged, bad_filter, fragment):
    unchanged()
    response = api.post(f"/datasets/{faas_item.dataset_id}/query",
                        json={"filter": bad_filter, "resource": "items", "page": 0, "pageSize": 10})
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_multipart_without_a_file(api, faas_dataset, unchanged):
    unchanged()
    response = api.post(f"/datasets/{faas_dataset.id}/items", files={"path": (None, "/a.txt")})
    assert response.status_code == 400
    assert "no 'file' part" in response.json()["message"]


def test_a_multipart_body_that_ends_early(api, faas_dataset, unchanged):
    unchanged()
    body = b'--b0\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a fi'
    response = api.post(f"/datasets/{faas_dataset.id}/items", data=body,
                        headers={"Content-Type": "multipart/form-data; boundary=b0"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "multipart/form-data body cannot be read" in message, message


def test_upload_that_is_not_multipart(api, faas_dataset, unchanged):
    unchanged()
    response = api.post(f"/datasets/{faas_dataset.id}/items", json={"path": "/a.txt"})
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["message"]


def test_upload_with_bad_metadata_json_stores_nothing(api, faas_dataset, unchanged):
    unchanged()
    response = api.post(f"/datasets/{faas_dataset.id}/items",
                        files={"file": ("a.txt", b"abc"), "path": (None, "/a.txt"), "metadata": (None, "{oops")})
    assert response.status_code == 400
    assert "'metadata' field is not valid JSON" in response.json()["message"]


def test_upload_with_an_unknown_mode(api, faas_dataset, unchanged):
    unchanged()
    response = api.post(f"/datasets/{faas_dataset.id}/items?mode=merge",
                        files={"file": ("a.txt", b"abc"), "path": (None, "/a.txt")})
    assert response.status_code == 400
    assert "skip, overwrite" in response.json()["message"]


def test_annotations_that_are_not_objects(api, faas_item, unchanged):
    unchanged()
    response = api.post(f"/items/{faas_item.id}/annotations", json=[{"type": "class", "label": "a"}, 7])
    assert response.status_code == 400
    assert "annotation [1]" in response.json()["message"]


def test_wrong_token_is_401(platform, faas_item):
    import requests

    response = requests.get(f"{platform.url}/items/{faas_item.id}", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "token" in response.json()["message"]


def test_unknown_route_is_404_not_a_crash(api):
    response = api.get("/no/such/route")
    assert response.status_code == 404
    assert "no such endpoint" in response.json()["message"]


def test_dtlpy_raises_its_own_exceptions(faas_dl):
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dl.items.get(item_id="000000000000000000000000")
    with pytest.raises(faas_dl.exceptions.BadRequest):
        faas_dl.projects.create(project_name="  ")


def test_no_handler_crashed_during_the_session(platform):
    assert platform.backend.app.crashes == []
