"""`faas_http` in a user's unit tests, run by pytest as a user runs them (no --faas needed)."""

TESTS = '''
import socket
import urllib.request

import pytest
import requests

URL = "https://api.example.com/v1/labels"


def test_a_declared_call_is_answered_and_dtlpy_passes(faas_http, faas_item):
    faas_http.add("GET", URL, json={"labels": ["cat"]})
    faas_http.add("POST", URL, status=201, body="made")
    assert requests.get(URL, timeout=5).json() == {"labels": ["cat"]}
    made = requests.post(URL, timeout=5)
    assert (made.status_code, made.text) == (201, "made")
    assert faas_item.dataset.items.get(item_id=faas_item.id).name == faas_item.name
    assert faas_http.calls == [("GET", URL), ("POST", URL)]


def test_undeclared(faas_http):
    requests.delete("https://api.example.com/v1/labels/7", timeout=5)


def test_caught(faas_http):
    try:
        requests.put("https://other.example.com/x?y=1", timeout=5)
    except requests.ConnectionError:
        pass


def test_other_client(faas_http):
    try:
        urllib.request.urlopen("http://192.0.2.1:8080/", timeout=5)
    except OSError:
        pass


def test_no_guard_without_the_fixture():
    with pytest.raises(OSError) as refused:
        socket.create_connection(("192.0.2.1", 9), timeout=0.01)
    assert "pytest-faas" not in str(refused.value)
'''


def test_faas_http_answers_stubs_passes_dtlpy_and_fails_undeclared_calls(faas_pytester):
    faas_pytester.makepyfile(test_units=TESTS)
    result = faas_pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    out = result.stdout.str()
    assert "refused DELETE https://api.example.com/v1/labels/7" in out
    assert "faas_http.add('DELETE', 'https://api.example.com/v1/labels/7', json={})" in out
    # caught by the code: the test fails all the same, naming the call
    result.stdout.fnmatch_lines(["*_ test_caught _*", "pytest-faas refused PUT https://other.example.com/x?y=1: *"])
    result.stdout.fnmatch_lines(["*_ test_other_client _*", "pytest-faas refused a connection to 192.0.2.1:8080: *"])
