"""`--faas-timeout`: a case that runs too long fails naming the limit and showing where its function was,
and its execution ends, in each placement."""

import json

import pytest

MAIN = '''import time

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def hang(self):
        print("waiting for a reply that never comes")
        self.wait_for_reply()

    def wait_for_reply(self):
        while True:
            time.sleep(0.05)

    def quick(self):
        return "done"
'''

PACKAGE = {
    "package.json": {"name": "hangs", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                  "className": "ServiceRunner", "functions": [
        {"name": "hang"}, {"name": "quick"}]}]},
    "main.py": MAIN,
    "mock.json": {"function_name": "hang", "inputs": []},
    "mocks/quick.json": {"function_name": "quick", "inputs": [], "expect": {"output": "done"}},
}


def _line(text: str) -> int:
    return next(n for n, line in enumerate(MAIN.splitlines(), 1) if text in line)


def _run(faas_pytester, packages, placement, *options):
    packages.write("hangs", PACKAGE)
    return faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "-p", "no:cacheprovider",
                                              *options)


def _assert_the_hang_is_shown_and_ended(result, faas_pytester):
    result.assert_outcomes(passed=2, failed=1)  # ::manifest and quick pass, after the hang
    out = result.stdout.str()
    assert "status failed" in out  # ended on the platform, not left in progress
    assert "Execution stopped due to runner timeout" in out and "--faas-timeout=2" in out
    main = faas_pytester.path / "hangs" / "main.py"
    stack = out[out.index("the function was here when its time ran out"):]
    # its own file and line first: the loop it was stuck in, then how it got there
    first, then = f'File "{main}", line {_line("time.sleep(0.05)")}, in wait_for_reply', \
        f'File "{main}", line {_line("self.wait_for_reply()")}, in hang'
    assert first in stack.splitlines()[1], stack[:600]
    assert stack.index(then) < stack.rindex(first)
    assert "pytest_faas/" not in stack.split("Its stack")[1].split("\n\n")[0]  # no harness frames


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_a_hung_case_fails_with_its_stack_and_ends(faas_pytester, packages, placement):
    result = _run(faas_pytester, packages, placement, "--faas-timeout=2")
    _assert_the_hang_is_shown_and_ended(result, faas_pytester)
    result.stdout.fnmatch_lines(["faas: *timeout=2 (command line)*"])


@pytest.mark.docker
def test_a_hung_case_fails_with_its_stack_in_the_docker_placement(faas_pytester, packages):
    result = _run(faas_pytester, packages, "docker", "--faas-timeout=2")
    _assert_the_hang_is_shown_and_ended(result, faas_pytester)


def test_the_timeout_comes_from_ini_or_environment_and_a_bad_one_is_a_usage_error(faas_pytester, packages,
                                                                                   monkeypatch):
    packages.write("hangs", PACKAGE)
    faas_pytester.makeini("[pytest]\nfaas_timeout = 7\n")
    header = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-p", "no:cacheprovider")
    header.stdout.fnmatch_lines(["faas: *timeout=7 (ini)*"])
    monkeypatch.setenv("FAAS_TIMEOUT", "9")
    header = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-p", "no:cacheprovider")
    header.stdout.fnmatch_lines(["faas: *timeout=9 (environment)*"])
    bad = faas_pytester.runpytest_subprocess("--faas", "--faas-timeout=soon", "-p", "no:cacheprovider")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--faas-timeout expects whole seconds from 1 to 86400*'soon'*"])
