"""Malformed HTTP gets an answer at once, long polls are bounded, and the cron clock cannot be broken."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest


def address(live):
    parts = urlsplit(live.url)
    return parts.hostname, parts.port


def send(live, raw: bytes, timeout: float = 30.0) -> tuple[bytes, float]:
    start = time.monotonic()
    with socket.create_connection(address(live), timeout=timeout) as conn:
        conn.sendall(raw)
        answer = b""
        try:
            while data := conn.recv(65536):
                answer += data
        except socket.timeout:
            answer += b"<no answer>"
    return answer, time.monotonic() - start


def test_an_http_09_request_line_is_answered_at_once(live):
    answer, seconds = send(live, b"GET /\r\n")
    assert b"HTTP/0.9" in answer and b"<no answer>" not in answer


def test_an_unknown_http_version_is_a_505_without_a_logging_error(live, capfd):
    answer, _ = send(live, b"GET / HTTP/9.9\r\n\r\n")
    time.sleep(0.1)
    assert b"505" in answer
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("path", ["//", "//api/v1//projects", "/api/v1//projects", "///x"])
def test_double_slashes_are_never_redirected(live, path):
    answer, _ = send(live, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           f"Authorization: Bearer {live.platform.token}\r\n\r\n".encode())
    head = answer.split(b"\r\n\r\n", 1)[0]
    assert not head.split(b" ")[1].startswith(b"3"), head
    assert b"Location:" not in head


def test_long_polls_end_at_their_bound(live, monkeypatch):
    dispatch = live.platform.backend.engine.dispatch
    monkeypatch.setattr(dispatch, "max_wait_s", 0.5)
    waits = []  # what the request's thread asked the engine's condition to wait for (the watchdog's left out)
    real_wait = dispatch.cond.wait

    def recorded_wait(timeout=None):
        if threading.current_thread().name != "faas-watchdog":
            waits.append(timeout)
        return real_wait(timeout)

    monkeypatch.setattr(dispatch.cond, "wait", recorded_wait)
    live.ok("POST", f"/_faas/agents/{live.ids['agent']}/signals", json={"wait": 10})
    assert waits and all(w is not None and w <= 0.5 for w in waits), f"asked 10 s, bound 0.5 s: waited {waits}"


def test_a_wait_past_its_bound_is_refused(live):
    for path, body in ((f"/_faas/agents/{live.ids['agent']}/claim", {"wait": 1e9}),
                       (f"/_faas/agents/{live.ids['agent']}/signals", {"wait": 11})):
        response = live.call("POST", path, json=body)
        assert response.status_code == 400
        assert "wait" in response.json()["message"]
    response = live.call("GET", f"/_faas/executions/{live.ids['execution']}/wait", params={"timeout": "1e9"})
    assert response.status_code == 400


def test_the_cron_clock_survives_an_absurd_advance(live):
    cron = live.platform.backend.engine.cron
    trigger = live.ok("POST", "/triggers", json={
        "name": "every-minute", "projectId": live.ids["project"], "type": "Cron",
        "spec": {"cron": "* * * * *", "input": {}, "operation": {
            "type": "function", "serviceId": live.ids["service"], "functionName": "run"}}})
    try:
        for seconds in (1e12, 1e300):
            refused = live.call("POST", "/_faas/cron/advance", json={"seconds": seconds})
            assert refused.status_code == 400, refused.text
        fired = live.ok("POST", "/_faas/cron/advance", json={"seconds": 120})["executions"]
        assert len(fired) == 2
        assert cron._thread.is_alive()
        # Nine years of a per-minute schedule: a hundred ticks fired, the rest skipped, not walked.
        fired = live.ok("POST", "/_faas/cron/advance", json={"seconds": 9 * 365 * 86400})["executions"]
        assert len(fired) == 100
        assert len(live.ok("POST", "/_faas/cron/advance", json={"seconds": 60})["executions"]) == 1
    finally:
        live.ok("DELETE", f"/triggers/{trigger['id']}")
