"""Requests without the token cost the server their headers and nothing more.

`faas serve` runs in a process of its own. Each request sends its headers only and then waits: the answer
must come without a single byte of the body sent, so nothing of the body was needed (nor read, nor spooled
to disk). The body sent afterwards meets a closed connection. The server's CPU time and thread count are
read from ``/proc/<pid>``: nothing keeps working, or spinning, after the answer.
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    data_dir, tmp = root / "data", root / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), FAAS_PORT="0")
    proc = subprocess.Popen([sys.executable, "-c", "from pytest_faas.cli import main; main()", "--data-dir", str(data_dir), "serve",
                             "--port", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=root)  # PYTHONPATH, not the cwd, picks the code
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


def cpu_seconds(proc) -> float:
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def threads(proc) -> int:
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def tmp_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def exchange(addr, head: bytes, preamble: bytes = b"", body: bytes = b"", timeout: float = 60.0) -> tuple[bytes, float, int]:
    """Send ``head`` (and ``preamble``, a start of the body), wait for the answer, then offer ``body``.

    An answer at all proves the server did not wait for the body: the body is offered only after it.

    Returns (answer, seconds to the answer, body bytes the connection took after the answer).
    """
    start = time.monotonic()
    with socket.create_connection(addr, timeout=timeout) as conn:
        conn.sendall(head + preamble)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or answer.startswith(b"HTTP/1.1 100"):
                data = conn.recv(65536)
                if not data:
                    break
                answer += data
        except socket.timeout:
            return answer + b"<no answer>", time.monotonic() - start, 0
        seconds = time.monotonic() - start
        taken = 0
        try:
            for offset in range(0, len(body), 65536):
                taken += conn.send(body[offset:offset + 65536])
        except OSError:
            pass
    return answer, seconds, taken


def request_head(method: str = "POST", headers: dict | None = None) -> bytes:
    lines = [f"{method} /api/v1/projects HTTP/1.1", "Host: localhost", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


BIG = BODY
CASES = {
    "a declared body": (request_head(headers={"Content-Length": BIG}), b""),
    "a chunked body": (request_head(headers={"Transfer-Encoding": "chunked"}), b""),
    "an absurd chunk size": (request_head(headers={"Transfer-Encoding": "chunked"}),
                             b"ffffffffffffffffffff\r\n" + b"y" * 80),
    "Expect: 100-continue": (request_head(headers={"Content-Length": BIG, "Expect": "100-continue"}), b""),
    "a wrong token": (request_head(headers={"Content-Length": BIG, "Authorization": "Bearer nope"}), b""),
}


@pytest.mark.parametrize("case", CASES)
def test_unauthenticated_requests_cost_their_headers(server, case):
    head, preamble = CASES[case]
    proc = server["proc"]
    before_cpu, before_threads, before_tmp = cpu_seconds(proc), threads(proc), tmp_bytes(server["tmp"])
    answer, seconds, _ = exchange(server["addr"], head, preamble, b"x" * (4 * 1024 * 1024))
    time.sleep(0.3)  # whatever the server would still do with this request, it does now
    cpu = cpu_seconds(proc) - before_cpu
    print(f"\n{case}: answered in {seconds * 1000:.0f} ms, server CPU {cpu * 1000:.0f} ms")  # quoted in docs
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"100 Continue" not in answer
    assert b"Connection: close" in answer  # the unread body never reaches a next request
    assert threads(proc) <= before_threads
    assert tmp_bytes(server["tmp"]) == before_tmp


def test_a_slow_client_is_answered_before_its_body(server):
    head = request_head(headers={"Content-Length": 10})
    with socket.create_connection(server["addr"], timeout=5) as conn:
        for byte in head:  # the headers a byte at a time: the answer waits for them, not for the body
            conn.send(bytes([byte]))
        assert conn.recv(64).startswith(b"HTTP/1.1 401")


def test_an_absurd_chunk_size_with_the_token_ends_at_once(server):
    head = request_head(headers={"Transfer-Encoding": "chunked", "Authorization": f"Bearer {server['token']}"})
    before_tmp = tmp_bytes(server["tmp"])
    for size, status in ((b"ffffffffffffffffffff", b"400"), (b"fffffffffffff", b"413")):
        answer, seconds, _ = exchange(server["addr"], head, size + b"\r\n" + b"y" * 80)
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    time.sleep(0.3)
    assert tmp_bytes(server["tmp"]) == before_tmp


def test_a_declared_body_over_the_limit_is_refused_unread(server):
    head = request_head(headers={"Content-Length": 10**12, "Authorization": f"Bearer {server['token']}",
                                 "Expect": "100-continue"})
    answer, seconds, _ = exchange(server["addr"], head)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"100 Continue" not in answer


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
