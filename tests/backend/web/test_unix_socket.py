"""The platform's Unix socket, the only way in for containers without a network: the same API, the same
bearer token, nothing without it."""

from __future__ import annotations

import http.client
import json
import socket
import tempfile
from pathlib import Path

import pytest

from pytest_faas.backend import Backend


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


@pytest.fixture
def served():
    backend = Backend("the-token", durable=False)
    folder = tempfile.mkdtemp(prefix="faas-sock-")
    path = str(Path(folder) / "platform.sock")
    backend.serve(f"unix://{path}")
    yield path
    backend.close()
    assert not Path(path).exists(), "the socket file is removed on close"


def get(path: str, route: str, token: str | None) -> tuple[int, dict]:
    connection = UnixConnection(path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection.request("GET", route, headers=headers)
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, body


def test_the_socket_serves_the_api_to_the_token_holder(served):
    status, body = get(served, "/api/v1/users/me", "the-token")
    assert status == 200 and body["id"]


@pytest.mark.parametrize("token", [None, "a-guess"])
@pytest.mark.parametrize("route", ["/api/v1/users/me", "/api/v1/projects", "/api/v1/_faas/agents"])
def test_the_socket_refuses_everything_without_the_token(served, route, token):
    status, body = get(served, route, token)
    assert status == 401 and "token" in body["message"]
