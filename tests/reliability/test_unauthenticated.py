"""Requests without the token cost the server their headers and nothing more.

`faas serve` runs in a process of its own, so that what it reads is measured alone: ``rchar`` of
``/proc/<pid>/io`` counts every byte its reads returned (sockets included), and its TMPDIR is a private
folder, so a body spooled to disk would show there.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

BODY = 32 * 1024 * 1024  # what each request offers to send
HEADERS_ONLY = 64 * 1024  # what a request may cost: its headers, and what a buffered read took along


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    data_dir, tmp = root / "data", root / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), FAAS_PORT="0")
    proc = subprocess.Popen([sys.executable, "-c", "from pytest_faas.cli import main; main()", "--data-dir", str(data_dir), "serve",
                             "--port", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (data_dir / "serve.json").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "faas serve did not start"
        time.sleep(0.1)
    url = json.loads((data_dir / "serve.json").read_text())["url"]
    parts = urlsplit(url)
    yield {"proc": proc, "addr": (parts.hostname, parts.port), "tmp": tmp,
           "token": (data_dir / "token").read_text().strip()}
    proc.terminate()
    proc.wait(timeout=30)


def read_bytes(proc) -> int:
    for line in Path(f"/proc/{proc.pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/<pid>/io")


def tmp_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def exchange(addr, head: bytes, body_chunks=(), pause: float = 0.0, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send ``head``, then body chunks until the server answers or closes; returns (answer, seconds)."""
    start = time.monotonic()
    with socket.create_connection(addr, timeout=timeout) as conn:
        conn.sendall(head)
        conn.setblocking(False)
        answer = b""
        for chunk in body_chunks:
            try:
                answer += conn.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                conn.send(chunk)
            except (BlockingIOError, ConnectionError):
                time.sleep(0.01)
            if pause:
                time.sleep(pause)
        conn.settimeout(timeout)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionError, socket.timeout):
            pass
    return answer, time.monotonic() - start


def request_head(method: str = "POST", headers: dict | None = None) -> bytes:
    lines = [f"{method} /api/v1/projects HTTP/1.1", "Host: localhost", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


MEGABYTE = b"x" * (1024 * 1024)

CASES = {
    "a declared body": (request_head(headers={"Content-Length": BODY}), [MEGABYTE] * 32, 0.0),
    "a chunked body": (request_head(headers={"Transfer-Encoding": "chunked"}),
                       [b"100000\r\n" + MEGABYTE + b"\r\n"] * 32, 0.0),
    "an absurd chunk size, then close": (request_head(headers={"Transfer-Encoding": "chunked"}),
                                         [b"ffffffffffffffffffff\r\n" + b"y" * 80], 0.0),
    "Expect: 100-continue": (request_head(headers={"Content-Length": BODY, "Expect": "100-continue"}), [], 0.0),
    "a slow body": (request_head(headers={"Content-Length": BODY}), [b"z" * 10] * 20, 0.05),
    "a wrong token": (request_head(headers={"Content-Length": BODY, "Authorization": "Bearer nope"}),
                      [MEGABYTE] * 32, 0.0),
}


@pytest.mark.parametrize("case", CASES)
def test_unauthenticated_requests_cost_their_headers(server, case):
    head, chunks, pause = CASES[case]
    before_read, before_tmp = read_bytes(server["proc"]), tmp_bytes(server["tmp"])
    answer, seconds = exchange(server["addr"], head, chunks, pause)
    time.sleep(0.2)  # let the server's thread finish whatever it would still read
    cost = read_bytes(server["proc"]) - before_read
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"100 Continue" not in answer
    assert b"Connection: close" in answer  # the unread body never reaches a next request
    assert cost < HEADERS_ONLY, f"{case}: the server read {cost} bytes"
    assert tmp_bytes(server["tmp"]) == before_tmp
    assert seconds < 5


def test_an_absurd_chunk_size_with_the_token_ends_at_once(server):
    head = request_head(headers={"Transfer-Encoding": "chunked", "Authorization": f"Bearer {server['token']}"})
    before = read_bytes(server["proc"])
    for size, status in ((b"ffffffffffffffffffff", b"400"), (b"fffffffffffff", b"413")):
        answer, seconds = exchange(server["addr"], head, [size + b"\r\n" + b"y" * 80])
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
        assert seconds < 5
    assert read_bytes(server["proc"]) - before < HEADERS_ONLY
    assert tmp_bytes(server["tmp"]) == 0


def test_a_declared_body_over_the_limit_is_refused_unread(server):
    head = request_head(headers={"Content-Length": 10**12, "Authorization": f"Bearer {server['token']}",
                                 "Expect": "100-continue"})
    before = read_bytes(server["proc"])
    answer, _ = exchange(server["addr"], head, [MEGABYTE] * 8)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"100 Continue" not in answer
    assert read_bytes(server["proc"]) - before < HEADERS_ONLY


def test_the_token_then_100_continue_then_the_body(server):
    body = b'{"name": "after-continue"}'
    head = request_head(headers={"Content-Length": len(body), "Authorization": f"Bearer {server['token']}",
                                 "Expect": "100-continue", "Connection": "close"})
    with socket.create_connection(server["addr"], timeout=10) as conn:
        conn.sendall(head)
        assert conn.recv(64).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(body)
        answer = b""
        while data := conn.recv(65536):
            answer += data
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"after-continue" in answer
