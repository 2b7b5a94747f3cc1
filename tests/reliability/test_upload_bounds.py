"""Item uploads and the DQL paths of the second hardening pass: every one a 4xx naming the bound (or a plain
answer), none a 500 or a server traceback, nothing stored by a refusal.

Before, one upload with a path 8,000 levels deep made 7,999 folder items and left ``directoryTree`` a 500
for good; metadata nested 50,000 deep was refused only after a traceback in the server's log; a lone
surrogate in the metadata was stored, though a JSON body holding one is refused; a DQL list index of more
than 4,300 digits was a 500.
"""

from __future__ import annotations

import json
import logging

import pytest

from pytest_faas.dql.compiler import MAX_PATH_CHARS, MAX_PATH_DEPTH


def _upload(live, path: str, metadata: str | bytes | None = None):
    fields = {"file": ("a.txt", b"hello"), "path": (None, path)}
    if metadata is not None:
        fields["metadata"] = (None, metadata)
    return live.call("POST", f"/datasets/{live.ids['dataset']}/items", files=fields)


@pytest.fixture
def no_traceback(caplog):
    """The platform runs in this process: what its server logs is captured here."""
    caplog.set_level(logging.WARNING)
    yield
    logged = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage()[:300] for r in logged]


@pytest.mark.parametrize("path, bound", [
    ("/d" * 8000 + "/a.txt", f"at most {MAX_PATH_DEPTH} levels"),
    ("/d" * MAX_PATH_DEPTH + "/a.txt", f"at most {MAX_PATH_DEPTH} levels"),
    ("/" + "x" * 600 + "/" + "y" * 600 + ".txt", f"longer than {MAX_PATH_CHARS} characters"),
])
def test_an_upload_path_past_the_bounds_is_a_400_naming_the_limit(live, no_traceback, path, bound):
    before = live.snapshot()
    response = _upload(live, path)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    message = response.json()["message"]
    assert bound in message and len(message) < 400  # the path is shown cut short
    assert live.snapshot() == before
    tree = live.call("GET", f"/datasets/{live.ids['dataset']}/directoryTree")
    assert tree.status_code == 200 and tree.json()["value"]["filename"] == "/"


def test_a_path_at_the_bounds_is_stored_and_its_tree_answers(live, no_traceback):
    path = "/deep" * (MAX_PATH_DEPTH - 1) + "/a.txt"
    item = live.ok("POST", f"/datasets/{live.ids['dataset']}/items",
                   files={"file": ("a.txt", b"hello"), "path": (None, path)})
    assert item["filename"] == path
    node, depth = live.ok("GET", f"/datasets/{live.ids['dataset']}/directoryTree"), 0
    while any(child["value"]["filename"].startswith("/deep") for child in node["children"]):
        node = next(c for c in node["children"] if c["value"]["filename"].startswith("/deep"))
        depth += 1
    assert depth == MAX_PATH_DEPTH - 1


@pytest.mark.parametrize("metadata, said", [
    ('{"user": ' + "[" * 50_000 + "]" * 50_000 + "}", "'metadata' field"),
    ('{"user": ' + "[" * 200 + "]" * 200 + "}", "nested more than"),
    ('{"user": {"name": "\\udcff"}}', "lone"),
    ('{"user": {"name": "\udcff"}}'.encode("utf-8", "surrogatepass"), "'metadata' field"),  # the raw bytes
    ('{"user": {"x": NaN}}', "'metadata' field"),
])
def test_upload_metadata_is_read_as_a_json_body_is(live, no_traceback, metadata, said):
    before = live.snapshot()
    response = _upload(live, "/meta/a.txt", metadata)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert said in response.json()["message"]
    assert live.snapshot() == before
    # The same text as a JSON body is refused as well: one rule.
    raw = metadata if isinstance(metadata, bytes) else metadata.encode()
    body = live.call("PATCH", f"/items/{live.ids['item']}", data=b'{"metadata": ' + raw + b"}",
                     headers={"Content-Type": "application/json"})
    assert body.status_code == 400


def test_a_dql_list_index_of_thousands_of_digits_is_no_index(live, no_traceback):
    item = live.ok("POST", f"/datasets/{live.ids['dataset']}/items", files={
        "file": ("a.txt", b"hello"), "path": (None, "/tags/a.txt"),
        "metadata": (None, json.dumps({"user": {"tags": ["cat"]}}))})
    query = {"resource": "items", "filter": {"$and": [{"metadata.user.tags." + "9" * 4301: "cat"}]}}
    response = live.call("POST", f"/datasets/{live.ids['dataset']}/query", json=query)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert item["id"] not in [found["id"] for found in response.json()["items"]]
    query["filter"]["$and"][0] = {"metadata.user.tags.0": "cat"}
    assert [found["id"] for found in live.ok("POST", f"/datasets/{live.ids['dataset']}/query", json=query)["items"]
            ] == [item["id"]]
