"""The page's one stream of changes (``GET /api/v1/_faas/events``): bounded in streams, in time and in
messages, with a heartbeat, resumable, and free for the platform until a page opens it."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from pytest_faas.local import LocalPlatform


@pytest.fixture
def platform():
    with LocalPlatform(placement="none", bind_sdk=False) as platform:
        yield platform


def read_to_the_end(response, stream=None, within: float = 60.0) -> list[dict]:
    """Every message until the server ends the stream; fails if it has not ended within ``within`` seconds."""
    received: list[dict] = []
    failed: list[BaseException] = []

    def read():
        try:
            received.extend(stream or messages(response))
        except Exception as exc:  # a read timeout: the server neither wrote nor ended the stream
            failed.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(within)
    if reader.is_alive():
        response.close()
        pytest.fail(f"the stream did not end within {within} s; got {received}")
    assert not failed, f"the stream did not end, it went quiet: {failed[0]!r}"
    return received


def open_stream(platform, last_event_id: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {platform.token}"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    return requests.get(f"{platform.url}/_faas/events", headers=headers, stream=True, timeout=10)


def messages(response: requests.Response):
    """The stream's messages as dicts of their fields (comments under ``comment``), as they come."""
    message: dict = {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw == "":
            if message:
                yield message
            message = {}
        elif raw.startswith(":"):
            yield {"comment": raw[1:].strip()}
        else:
            key, _, value = raw.partition(":")
            message[key] = value.removeprefix(" ")
    if message:
        yield message


def next_event(stream, name: str) -> dict:
    """The next ``name`` event; a stream that goes quiet ends in the request's read timeout."""
    for message in stream:
        if message.get("event") == name:
            return message
    raise AssertionError(f"the stream ended before a {name} event")


def wait_until(check, within: float = 60.0) -> None:
    """Wait for ``check()``, polling, at most ``within`` seconds (a bound, not a figure)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within} s")
        time.sleep(0.05)


def test_nothing_is_watched_until_a_page_opens_a_stream(platform):
    store = platform.backend.store
    assert store._watchers == []
    platform.backend.projects.create_project("before")
    response = open_stream(platform)
    try:
        hello = next_event(messages(response), "hello")
        assert json.loads(hello["data"]) == {"reset": True}  # first contact: the page loads what is there
        assert store._watchers == [platform.backend.feed._on_commit]
    finally:
        response.close()


def test_changes_come_once_each_with_their_current_state(platform):
    backend = platform.backend
    backend.feed.batch_s = 0.5
    response = open_stream(platform)
    stream = messages(response)
    try:
        next_event(stream, "hello")
        project = backend.projects.create_project("live")
        dataset = backend.projects.create_dataset(project["id"], "pictures")
        for n in range(20):  # twenty changes of one dataset's items, in quick succession
            backend.items.upload(dataset["id"], f"/a/{n}.txt", b"x")
        seen = {}
        deadline = time.monotonic() + 10
        # (the folder item /a comes too: count the files)
        while len([c for c in seen.values() if c["kind"] == "items" and c.get("name") != "a"]) < 20:
            assert time.monotonic() < deadline, seen
            changes = json.loads(next_event(stream, "changes")["data"])
            keys = [(c["kind"], c["id"]) for c in changes]
            assert len(keys) == len(set(keys))  # each thing once per message
            seen.update({(c["kind"], c["id"]): c for c in changes})
        assert seen[("projects", project["id"])]["kind"] == "projects"
        item = next(c for c in seen.values() if c["kind"] == "items" and c.get("name") != "a")
        assert item["datasetId"] == dataset["id"] and item["name"].endswith(".txt")
        # The dataset changed 21 times (its item count with each upload): fewer messages than changes.
        assert backend.feed._seq >= 42
    finally:
        response.close()


def test_an_execution_comes_with_its_status_and_logs_with_their_execution(platform):
    backend = platform.backend
    response = open_stream(platform)
    stream = messages(response)
    try:
        next_event(stream, "hello")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {platform.token}"
        project = api.post(f"{platform.url}/projects", json={"name": "p"}).json()
        package = api.post(f"{platform.url}/packages", json={
            "name": "pkg", "projectId": project["id"],
            "modules": [{"name": "m", "entryPoint": "main.py", "className": "ServiceRunner",
                         "functions": [{"name": "run", "input": []}]}]}).json()
        service = api.post(f"{platform.url}/services", json={"name": "svc", "projectId": project["id"],
                                                             "packageId": package["id"]}).json()
        execution = api.post(f"{platform.url}/executions/{service['id']}", json={"functionName": "run"}).json()
        with backend.engine.cond:  # the engine ends it (as when a service cannot start): logs, then status
            backend.engine.executions.end(backend.engine.executions.get(execution["id"]), "startup", reason="no")
        found = {}
        deadline = time.monotonic() + 10
        while ("executions", "failed") not in found or "logs" not in found:
            assert time.monotonic() < deadline, found
            for change in json.loads(next_event(stream, "changes")["data"]):
                if change["kind"] == "executions" and change["id"] == execution["id"]:
                    found[("executions", change["status"])] = change
                if change["kind"] == "logs":
                    found["logs"] = change
        change = found[("executions", "failed")]
        assert change["serviceId"] == service["id"] and change["functionName"] == "run"
        assert change["message"].startswith("The service's runner could not start")
        assert found["logs"]["executionId"] == execution["id"]
    finally:
        response.close()


def test_streams_are_limited_and_give_their_place_back(platform):
    feed = platform.backend.feed
    feed.max_streams, feed.heartbeat_s = 2, 0.1
    first, second = open_stream(platform), open_stream(platform)
    readers = [messages(first), messages(second)]  # kept: a reader that is dropped closes its connection
    try:
        for response, reader in zip((first, second), readers):
            assert response.status_code == 200
            next_event(reader, "hello")
        refused = open_stream(platform)
        assert refused.status_code == 429
        assert "2 pages are watching" in refused.json()["message"]
        first.close()  # the client goes: its place is free once a write fails (a heartbeat or two later)
        wait_until(lambda: feed.open_streams == 1)
        third = open_stream(platform)
        assert third.status_code == 200
        third.close()
    finally:
        first.close()
        second.close()


def test_a_quiet_stream_sends_heartbeats_and_ends_in_time(platform):
    feed = platform.backend.feed
    feed.heartbeat_s, feed.stream_s = 0.2, 1.5
    response = open_stream(platform)
    start = time.monotonic()
    received = read_to_the_end(response)  # the server ends the stream by itself, heartbeats or not
    assert time.monotonic() - start >= 1.4, "the stream ended before its time"
    assert received[0]["event"] == "hello" and received[0]["retry"] == "1000"  # the browser comes back in 1 s
    assert [m for m in received if m.get("comment") == "heartbeat"], received
    wait_until(lambda: feed.open_streams == 0)


def test_a_stream_resumes_where_it_left_and_starts_afresh_otherwise(platform):
    backend, feed = platform.backend, platform.backend.feed
    response = open_stream(platform)
    hello = next_event(messages(response), "hello")
    response.close()
    last = hello["id"]
    project = backend.projects.create_project("while away")
    resumed = open_stream(platform, last)
    try:
        stream = messages(resumed)
        first = next(stream)
        assert first == {"retry": "1000", "comment": "resumed"} or first.get("comment") == "resumed"
        change = json.loads(next_event(stream, "changes")["data"])
        assert {"kind": "projects", "id": project["id"], "projectId": None} in change
    finally:
        resumed.close()
    for stale in (f"{'0' * 8}-1", "not-an-id", f"{feed.epoch}-{feed._seq + 5}"):  # another run, junk, ahead
        again = open_stream(platform, stale)
        try:
            assert json.loads(next_event(messages(again), "hello")["data"]) == {"reset": True}, stale
        finally:
            again.close()


def test_a_hostile_last_event_id_starts_afresh_and_keeps_no_place(platform):
    feed = platform.backend.feed
    feed.max_streams, feed.heartbeat_s = 2, 0.1  # a closed client's place is free at the next write
    # '²' passes str.isdigit() but not int(); 5,000 digits pass isdigit() but int() refuses them
    for hostile in (f"{feed.epoch}-\u00b2", f"{feed.epoch}-{'9' * 5000}", f"{feed.epoch}-\u0663"):
        for _ in range(3):  # more than max_streams: a place kept by a refused stream would show as a 429
            response = requests.get(f"{platform.url}/_faas/events", params={"lastEventId": hostile},
                                    headers={"Authorization": f"Bearer {platform.token}"}, stream=True, timeout=10)
            try:
                assert response.status_code == 200, response.text
                assert json.loads(next_event(messages(response), "hello")["data"]) == {"reset": True}
            finally:
                response.close()
            wait_until(lambda: feed.open_streams == 0, within=10)


def test_closing_the_platform_ends_its_streams_at_once(tmp_path):
    platform = LocalPlatform(placement="none", bind_sdk=False).start()
    response = open_stream(platform)
    stream = messages(response)
    next_event(stream, "hello")
    platform.close()
    # Ended by the close, not by the stream's 300 s or its next heartbeat in 15 s: read_to_the_end waits 60 s.
    rest = read_to_the_end(response, stream)
    assert all(m.get("event") != "changes" for m in rest)
