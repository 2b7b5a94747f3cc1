"""The in-process transport answers exactly as the HTTP server does: same routes, token, bodies, errors."""

from __future__ import annotations

import pytest
import requests

from pytest_faas.backend.web.inprocess import InProcessAdapter


@pytest.fixture
def sessions(platform):
    """(over HTTP, in-process), both with the platform's token."""
    pair = []
    for in_process in (False, True):
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = f"Bearer {platform.token}"
        if in_process:
            session.mount(platform.url, InProcessAdapter(platform.backend.app))
        pair.append(session)
    yield pair
    for session in pair:
        session.close()


def both(sessions, method, url, **kwargs):
    return [session.request(method, url, **kwargs) for session in sessions]


def test_json_answers_and_errors_match(platform, sessions, faas_item):
    for path in (f"/items/{faas_item.id}", "/users/me", f"/items/{'0' * 24}", "/no/such/route"):
        http, local = both(sessions, "GET", platform.url + path)
        assert (local.status_code, local.json()) == (http.status_code, http.json()), path
        assert local.headers["Content-Type"] == http.headers["Content-Type"]


def test_the_token_is_checked_in_process_too(platform, sessions):
    local = sessions[1]
    answer = local.get(f"{platform.url}/users/me", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401 and "token" in answer.json()["message"]


def test_bodies_query_strings_and_binary_ranges(platform, sessions, faas_dataset, faas_item):
    created = [s.post(f"{platform.url}/projects", json={"name": f"via-{n}"}).json() for n, s in enumerate(sessions)]
    assert [c["name"] for c in created] == ["via-0", "via-1"]
    http, local = both(sessions, "GET", f"{platform.url}/items/{faas_item.id}/stream", headers={"Range": "bytes=1-3"})
    assert (local.status_code, local.content) == (http.status_code, http.content) and len(local.content) == 3
    query = {"filter": {"$and": [{"hidden": False}]}, "page": 0, "pageSize": 10}
    http, local = both(sessions, "POST", f"{platform.url}/datasets/{faas_dataset.id}/query", json=query)
    assert local.json()["items"] == http.json()["items"]
