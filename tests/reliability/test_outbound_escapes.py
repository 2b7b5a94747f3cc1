"""The outbound guard of a mock case's function, against the ways out the first guard missed, in the two
placements where the function shares a process with the harness's agent (thread, subprocess).

Each way out aims at a loopback listener of this test, on a port that is not the platform's: the guard must
refuse it (the execution fails with the guard's message) and the listener must have received nothing. Before
the audit hook, each of these reached the listener: ``sendmsg`` and the ``_socket`` module were not patched,
a fresh copy of the ``socket`` module (what ``importlib.reload(socket)`` makes) brought unpatched methods,
ctypes called libc's ``connect``, and a thread the function started connected once the guard was gone.
"""

from __future__ import annotations

import socket
import time

import pytest

from faas_code import Deployed, simple_package
from pytest_faas.runner.outbound import INPUT_KEY

BODY = '''
def escape(self, how, port, folder):
    import ctypes, importlib.util, os, pathlib, socket, struct, sys, threading, time
    target = ("127.0.0.1", port)
    if how == "udp sendmsg":
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendmsg([b"escaped"], [], 0, target)
    elif how == "_socket module":
        import _socket
        _socket.socket().connect(target)
    elif how == "duplicated descriptor":
        import _socket
        original = socket.socket()
        _socket.socket(fileno=os.dup(original.fileno())).connect(target)
    elif how == "reloaded socket module":
        spec = importlib.util.spec_from_file_location("socket_again", socket.__file__)
        fresh = sys.modules["socket_again"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fresh)
        fresh.create_connection(target, timeout=5)
    elif how == "ctypes connect":
        raw = socket.socket()
        address = struct.pack("=H", socket.AF_INET) + struct.pack(">H", port) + socket.inet_aton("127.0.0.1") + bytes(8)
        ctypes.CDLL(None).connect(raw.fileno(), address, len(address))
    elif how == "thread after return":
        def late():
            go = pathlib.Path(folder, "go")
            while not go.exists():
                time.sleep(0.01)
            try:
                socket.create_connection(target, timeout=5)
                outcome = "connected"
            except OSError as exc:
                outcome = f"refused: {exc}"
            pathlib.Path(folder, "done").write_text(outcome)
        threading.Thread(target=late, daemon=True).start()
        return "returned"
    return "escaped"
'''
WAYS = ["udp sendmsg", "_socket module", "duplicated descriptor", "reloaded socket module", "ctypes connect"]


@pytest.fixture(scope="module", params=["thread", "subprocess"])
def deployed(request, tmp_path_factory):
    from pytest_faas.local import LocalPlatform

    folder = simple_package(tmp_path_factory.mktemp("escapes") / "escapes", "escapes", BODY,
                            [("escape", [("how", "String"), ("port", "Integer"), ("folder", "String")])])
    with LocalPlatform(placement=request.param) as platform:
        yield Deployed(platform, folder)


@pytest.fixture
def listener():
    """A TCP and a UDP socket on loopback, on one port that is not the platform's."""
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(tcp.getsockname())
    tcp.setblocking(False)
    udp.setblocking(False)
    yield tcp, udp
    tcp.close()
    udp.close()


def _reached(tcp, udp) -> bool:
    for receive in (tcp.accept, lambda: udp.recvfrom(64)):
        try:
            receive()
            return True
        except BlockingIOError:
            pass
    return False


def _guarded(how, port, folder) -> dict:
    return {"how": how, "port": port, "folder": str(folder), INPUT_KEY: {"http": [], "source": "mock.json"}}


@pytest.mark.parametrize("how", WAYS)
def test_a_way_around_the_guard_is_refused_and_fails_the_execution(deployed, listener, how, tmp_path):
    tcp, udp = listener
    record = deployed.run("escape", _guarded(how, tcp.getsockname()[1], tmp_path))
    assert record["latestStatus"]["status"] == "failed", (how, record["output"])
    assert "pytest-faas refused" in record["latestStatus"]["message"]
    assert not _reached(tcp, udp), f"{how} reached the listener"


def test_a_thread_the_function_started_stays_guarded_after_it_returned(deployed, listener, tmp_path):
    tcp, udp = listener
    record = deployed.run("escape", _guarded("thread after return", tcp.getsockname()[1], tmp_path))
    assert record["latestStatus"]["status"] == "success"
    (tmp_path / "go").touch()
    done = tmp_path / "done"
    deadline = time.monotonic() + 30
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert done.read_text().startswith("refused: pytest-faas refused a connection to 127.0.0.1")
    assert not _reached(tcp, udp)
