"""The server keeps connections open between requests, and a kept-alive stream never loses its place."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from pytest_faas.backend.web.server import ServerThread


def _app(environ, start_response):
    """Answers with what it saw; ``/ignore`` leaves the body unread; ``/chunks`` streams without a length;
    ``/boom`` raises."""
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/chunks":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"one,", b"two"]
    body = b"" if path == "/ignore" else environ["wsgi.input"].read()
    answer = json.dumps({"port": environ.get("REMOTE_PORT"), "path": path, "body": body.decode()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture
def server():
    running = ServerThread(_app).start()
    yield running
    running.stop()


def _raw(server, data: bytes) -> bytes:
    """Send raw bytes on one connection; everything the server answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as conn:
        conn.sendall(data)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def test_one_connection_serves_many_requests(server):
    with requests.Session() as session:
        ports = {session.post(f"{server.url}/x", data=b"abc").json()["port"] for _ in range(20)}
    assert len(ports) == 1


def test_chunked_bodies_are_read_whole_and_the_connection_goes_on(server):
    with requests.Session() as session:
        first = session.post(f"{server.url}/a", data=iter([b"abc", b"defg"])).json()  # chunked
        second = session.post(f"{server.url}/b", data=b"next").json()
    assert (first["body"], second["body"]) == ("abcdefg", "next")
    assert first["port"] == second["port"]


def test_a_body_the_app_never_read_is_not_taken_for_the_next_request(server):
    two = (b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 28\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n.."
           b"POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    answer = _raw(server, two)
    assert answer.count(b"HTTP/1.1 200") == 2
    assert b'"path": "/second", "body": "ok"' in answer and b"smuggled" not in answer


def test_a_bad_content_length_is_a_400_and_closes(server):
    answer = _raw(server, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: nine\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"Content-Length" in answer


def test_answers_without_a_length_are_chunked_or_end_the_connection(server):
    chunked = _raw(server, b"GET /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in chunked and chunked.endswith(b"4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n")
    old = _raw(server, b"GET /chunks HTTP/1.0\r\n\r\n")
    assert b"Connection: close" in old and old.endswith(b"\r\n\r\none,two")
    with requests.get(f"{server.url}/chunks") as response:
        assert response.text == "one,two"


def test_an_app_error_is_a_500_and_the_server_goes_on(server):
    assert requests.get(f"{server.url}/boom").status_code == 500
    assert requests.post(f"{server.url}/after", data=b"x").json()["body"] == "x"


def test_stopping_ends_kept_alive_connections():
    running = ServerThread(_app).start()
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as conn:
        conn.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        running.stop()
        assert conn.recv(65536) == b""  # closed by the server, not left to a stopped platform
