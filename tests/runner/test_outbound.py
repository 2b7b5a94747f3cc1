"""runner/outbound.py on its own: what a guarded execution's thread may reach, and what it is told otherwise.

No platform is needed: a listening socket on loopback stands in for the platform's address. No test sends
traffic off the machine: the unreachable addresses are TEST-NET ones (192.0.2.0/24), and each test checks
that the guard refused them before any connection was attempted (its own message, not a network error).
"""

import socket
import threading
import urllib.error
import urllib.request

import pytest
import requests
from requests.adapters import HTTPAdapter

from pytest_faas.runner import inherit, outbound

STUB_URL = "https://api.example.com/v1/labels"


@pytest.fixture
def platform_address():
    """A loopback listener standing in for the platform: the one TCP address a guarded thread may reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server.getsockname()
    server.close()


@pytest.fixture
def guarded(platform_address):
    """Run the body under a guard with the given stubs; returns (log lines, leave's message)."""
    def run(http, body, source="mocks/labels.json"):
        lines = []
        guard = outbound.enter({"http": http, "source": source, "case": 0},
                               f"http://127.0.0.1:{platform_address[1]}/api/v1", lines.append)
        try:
            body()
        finally:
            problem = outbound.leave(guard)
        return lines, problem

    return run


def test_a_stub_answers_a_requests_call_and_the_call_is_logged(guarded):
    answers = []
    lines, problem = guarded([{"method": "GET", "url": STUB_URL, "json": {"labels": ["cat"]}}],
                             lambda: answers.append(requests.get(STUB_URL, timeout=5).json()))
    assert answers == [{"labels": ["cat"]}]
    assert lines == [f"{outbound.CALL_MARK}GET {STUB_URL} -> 200"]
    assert outbound.answered_calls(lines) == [("GET", STUB_URL)]
    assert problem is None


def test_an_undeclared_call_raises_naming_method_url_and_mock_file_and_fails_even_if_caught(guarded):
    errors = []

    def body():
        try:
            requests.post("http://192.0.2.1/v1/labels", json={"a": 1}, timeout=5)
        except requests.ConnectionError as exc:  # the function swallows it: the execution must still fail
            errors.append(exc)

    _, problem = guarded([], body)
    assert isinstance(errors[0], outbound.UndeclaredCall)
    for text in (str(errors[0]), problem):
        assert "POST http://192.0.2.1/v1/labels" in text
        assert 'the "http" list of mocks/labels.json' in text


def test_repeat_limits_the_answers_and_match_narrows_them(guarded):
    got = []

    def body():
        got.append(requests.get(STUB_URL, params={"page": "2"}, timeout=5).status_code)
        got.append(requests.get(STUB_URL, params={"page": "1"}, timeout=5).status_code)
        with pytest.raises(outbound.UndeclaredCall):
            requests.get(STUB_URL, params={"page": "1"}, timeout=5)

    stubs = [{"url": STUB_URL, "status": 201, "match": {"query": {"page": "2"}}},
             {"url": STUB_URL, "status": 202, "repeat": 1}]
    _, problem = guarded(stubs, body)
    assert got == [201, 202]
    assert f"GET {STUB_URL}?page=1" in problem


def test_other_clients_are_refused_before_any_connection_and_name_lookups_never_leave(guarded):
    errors = {}

    def body():
        try:
            urllib.request.urlopen("http://192.0.2.1/v1/labels", timeout=5)
        except urllib.error.URLError as exc:
            errors["urllib"] = exc.reason
        try:
            socket.getaddrinfo("api.example.com", 443)
        except socket.gaierror as exc:
            errors["lookup"] = exc
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.sendto(b"query", ("192.0.2.53", 53))
        except ConnectionRefusedError as exc:
            errors["udp"] = exc
        finally:
            udp.close()

    _, problem = guarded([], body)
    assert isinstance(errors["urllib"], ConnectionRefusedError)
    assert "pytest-faas refused a connection to 192.0.2.1:80" in str(errors["urllib"])
    assert "urllib, http.client, httpx and aiohttp calls are refused" in str(errors["urllib"])
    assert "refused looking up the name 'api.example.com'" in str(errors["lookup"])
    assert "pytest-faas refused a connection to 192.0.2.53:53" in str(errors["udp"])
    assert problem.startswith("pytest-faas refused a connection to 192.0.2.1:80")


def test_the_platform_and_unix_sockets_stay_reachable(guarded, platform_address, tmp_path):
    def body():
        with socket.create_connection(platform_address, timeout=5):
            pass
        other = socket.socket(socket.AF_UNIX)
        try:
            assert other.connect_ex(str(tmp_path / "absent.sock")) != 0  # not refused by the guard: just absent
        finally:
            other.close()

    _, problem = guarded([], body)
    assert problem is None


def test_a_thread_the_function_starts_is_guarded_too(guarded):
    errors = []

    def body():
        def escape():
            try:
                socket.create_connection(("192.0.2.1", 443), timeout=5)
            except OSError as exc:
                errors.append(exc)
        helper = threading.Thread(target=escape)
        helper.start()
        helper.join(10)

    _, problem = guarded([], body)
    assert "pytest-faas refused a connection to 192.0.2.1:443" in str(errors[0])
    assert problem is not None


def test_no_patch_outlives_the_last_guard(guarded):
    users = inherit._users  # other tests' thread-placement replicas in this worker may hold it (their folders)
    guarded([], lambda: None)
    assert HTTPAdapter.send is outbound._ORIGINAL_SEND
    assert inherit._users == users, "the guard still holds threading.Thread.start"
    if users == 0:
        assert threading.Thread.start is inherit._ORIGINAL_START
    with socket.create_server(("127.0.0.1", 0)) as other:  # the audit hook stays, and lets everything through
        socket.create_connection(other.getsockname(), timeout=5).close()


def test_an_execution_without_a_declaration_is_left_alone():
    execution = {"id": "e1", "input": {"url": STUB_URL}}
    assert outbound.take(execution) == (execution, None)
    assert outbound.enter(None, "http://127.0.0.1:1/api/v1", print) is None
    carried = {"id": "e2", "input": {"url": STUB_URL, outbound.INPUT_KEY: {"http": []}}}
    stripped, declared = outbound.take(carried)
    assert stripped["input"] == {"url": STUB_URL} and declared == {"http": []}
    assert outbound.INPUT_KEY in carried["input"]  # the claimed record itself is not changed


def test_a_thread_a_function_started_reaches_later_platforms_of_the_process_only(guarded):
    """A pool thread the function started keeps its guard; the test process's dtlpy may reuse it for another
    platform of the same run (thread placement), which it still reaches."""
    ready, go, outcome = threading.Event(), threading.Event(), {}

    def worker():
        ready.set()
        go.wait(30)
        with socket.create_server(("127.0.0.1", 0)) as later, socket.create_server(("127.0.0.1", 0)) as other:
            outbound.allow_platform(f"http://127.0.0.1:{later.getsockname()[1]}/api/v1")
            socket.create_connection(later.getsockname(), timeout=5).close()
            try:
                socket.create_connection(other.getsockname(), timeout=5)
            except ConnectionRefusedError as exc:
                outcome["other"] = str(exc)

    helper = threading.Thread(target=worker)
    guarded([], lambda: (helper.start(), ready.wait(30)))
    go.set()
    helper.join(30)
    assert outcome["other"].startswith("pytest-faas refused a connection to 127.0.0.1")
