"""A mock case's code is guarded and stubbed from its first line: the module's import and ``__init__``
get the mock file's ``http`` stubs, and anything else they reach for is refused before a DNS query leaves
the machine. A start that fails shows what the code printed before it failed.

Before, the stubs reached only the function: an ``__init__`` that downloaded its model made a real DNS
lookup, and what a failing ``__init__`` printed was lost (thread, subprocess).
"""

import pytest

STUB = "https://models.example.com/v1/weights"

MAIN = '''
import requests
import dtlpy as dl

LABELS = requests.get("https://labels.example.com/v1/labels", timeout=5).json()  # at import


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self):
        print("downloading the weights")
        self.weights = requests.get("''' + STUB + '''", timeout=5).text

    def run(self):
        return {"labels": LABELS, "weights": self.weights}
'''

LEAKY = '''
import socket
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self):
        print("sending telemetry before the first call")
        try:
            socket.getaddrinfo("telemetry.example.com", 443)
        except OSError:
            pass  # caught: the start must fail all the same

    def run(self):
        return "never"
'''

BROKEN = '''
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self):
        print("loading model from /models/missing.onnx")
        raise RuntimeError("no model")

    def run(self):
        return "never"
'''


def _package(name, main, mock):
    return {"package.json": {"name": name, "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                        "className": "ServiceRunner",
                                                        "functions": [{"name": "run", "input": []}]}]},
            "main.py": main, "mock.json": mock}


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_import_and_init_are_stubbed_and_guarded_and_a_failed_start_shows_its_prints(faas_pytester, packages,
                                                                                    placement):
    packages.write("stubbed", _package("stubbed", MAIN, {
        "inputs": [], "http": [{"url": "https://labels.example.com/v1/labels", "json": ["cat"]},
                               {"url": STUB, "body": "w-1"}],
        "expect": {"output": {"labels": ["cat"], "weights": "w-1"}}}))
    packages.write("leaky", _package("leaky", LEAKY, {"inputs": []}))
    packages.write("broken", _package("broken", BROKEN, {"inputs": []}))
    result = faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "-p", "no:cacheprovider",
                                                "-k", "run")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert [line.split("::")[0] for line in out.splitlines() if line.startswith("FAILED")] == [
        "FAILED broken/package.json", "FAILED leaky/package.json"]
    result.stdout.fnmatch_lines(["*pytest-faas refused looking up the name 'telemetry.example.com'*"])
    result.stdout.fnmatch_lines(["*RuntimeError: no model*"])
    result.stdout.fnmatch_lines(["*What the code printed as it started:*", "*loading model from /models/missing.onnx*"])
