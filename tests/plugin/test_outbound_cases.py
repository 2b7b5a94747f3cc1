"""Mock files' "http" stubs and expect.calls, run for real in each placement.

The unreachable URLs are at TEST-NET addresses (192.0.2.0/24) or names under example.com: the guard's own
refusal message in the report shows the call was stopped before any connection or name lookup.
"""

import pytest

STUB_URL = "https://api.example.com/v1/labels"

MAIN = '''
import urllib.request

import dtlpy as dl
import requests


class ServiceRunner(dl.BaseServiceRunner):
    def fetch(self, url, **rest):
        assert not rest, f"the harness's own input reached the function: {sorted(rest)}"
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return response.json()

    def swallow(self, url):
        try:
            requests.get(url, timeout=5)
        except requests.RequestException:
            return "handled"

    def fetch_urllib(self, url):
        return urllib.request.urlopen(url, timeout=5).read().decode()

    def lazy(self, url):
        return "did not call"
'''


def _function(name):
    return {"name": name, "input": [{"name": "url", "type": "String"}]}


OUTBOUND_PACKAGE = {
    "package.json": {"name": "outbound", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                     "className": "ServiceRunner", "functions": [
        _function("fetch"), _function("swallow"), _function("fetch_urllib"), _function("lazy")]}]},
    "main.py": MAIN,
    "mocks/fetch.json": {
        "function_name": "fetch",
        "inputs": [[{"name": "url", "value": STUB_URL}], [{"name": "url", "value": "http://192.0.2.1/v1/labels"}]],
        "http": [{"method": "GET", "url": STUB_URL, "json": {"labels": ["cat"]}}],
        "expect": {"output": {"labels": ["cat"]}, "calls": [{"method": "GET", "url": STUB_URL, "times": 1}]},
        "cases": [{}, {"expect": {"calls": []}}]},
    "mocks/swallow.json": {"function_name": "swallow",
                           "inputs": [{"name": "url", "value": "https://hooks.example.com/notify"}]},
    "mocks/urllib.json": {"function_name": "fetch_urllib", "inputs": [{"name": "url", "value": "http://192.0.2.1/"}]},
    "mocks/lazy.json": {"function_name": "lazy", "inputs": [{"name": "url", "value": STUB_URL}],
                        "http": [{"url": STUB_URL, "json": {}}], "expect": {"calls": [{"url": STUB_URL}]}},
}


def _run(faas_pytester, packages, placement, *selection):
    packages.write("outbound", OUTBOUND_PACKAGE)
    return faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "-p", "no:cacheprovider",
                                              *selection)


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_stubs_answer_undeclared_calls_fail_and_expected_calls_are_checked(faas_pytester, packages, placement):
    result = _run(faas_pytester, packages, placement)
    result.assert_outcomes(passed=2, failed=4)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        # the undeclared requests call: method, URL and the mock file to declare it in
        "*pytest-faas refused GET http://192.0.2.1/v1/labels*no stub matches it: declare it in the \"http\" list "
        "of mocks/fetch.json (cases[[]1[]] or the top level)*",
    ])
    result.stdout.fnmatch_lines(["*pytest-faas refused GET https://hooks.example.com/notify*mocks/swallow.json*"])
    result.stdout.fnmatch_lines(["*pytest-faas refused a connection to 192.0.2.1:80*urllib*"])
    result.stdout.fnmatch_lines([f"*lazy*expected the call GET {STUB_URL} at least once, it was made 0 time(s)*"])
    failed = sorted(l.split("::")[-1].split(" ")[0] for l in out.splitlines() if l.startswith("FAILED"))
    assert failed == ["fetch[mocks/fetch.json:1]", "fetch_urllib[mocks/urllib.json:0]", "lazy[mocks/lazy.json:0]",
                      "swallow[mocks/swallow.json:0]"]


@pytest.mark.docker
def test_stubs_answer_and_undeclared_calls_fail_in_the_docker_placement(faas_pytester, packages):
    result = _run(faas_pytester, packages, "docker", "-k", "fetch and not urllib")
    result.assert_outcomes(passed=1, failed=1, deselected=4)
    result.stdout.fnmatch_lines(["*refused GET http://192.0.2.1/v1/labels*mocks/fetch.json*"])
    assert "FAILED outbound/package.json::default_module::fetch[mocks/fetch.json:1]" in result.stdout.str()


def test_an_expected_call_no_stub_declares_is_a_manifest_error(faas_pytester, packages):
    package = {k: v for k, v in OUTBOUND_PACKAGE.items() if not k.startswith("mocks/")}
    package["mock.json"] = {"function_name": "lazy", "inputs": [{"name": "url", "value": STUB_URL}],
                            "http": [{"url": STUB_URL}], "expect": {"calls": [{"url": STUB_URL + "/x"}]}}
    packages.write("outbound", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)  # a mock file that cannot be read yields no cases
    result.stdout.fnmatch_lines([f"*expect.calls[[]0[]]*declared in the \"http\" stubs*{STUB_URL}/x*"])


def test_a_refused_call_is_read_once_then_the_whole_log_in_its_section(faas_pytester, packages):
    result = _run(faas_pytester, packages, "thread", "-k", "fetch and 1", "-rN")
    result.assert_outcomes(failed=1, deselected=5)
    failure, _, section = result.stdout.str().partition("Captured faas execution log call")
    refusal = "pytest-faas refused GET http://192.0.2.1/v1/labels"
    assert failure.count(refusal) == 1, failure  # the traceback's last line, not again as message and log tail
    assert failure.count("Traceback (most recent call last)") == 1
    assert failure.count("in fetch") == 1, "the user's frame once: no second traceback in the log tail"
    log = section.split("\n", 1)[1].split("\n---")[0]
    assert log.count(refusal) == 1 and log.count("Traceback (most recent call last)") == 1, log
    assert log.rstrip().endswith("[Done] Executing function."), "the whole log, to its end marker"
