"""`pytest --faas --cov=.`: the lines of main.py that mock cases ran count as covered, in each placement,
with no coverage configuration in the package repo."""

import json

import pytest

MAIN = '''import dtlpy as dl

from helpers import shout


class ServiceRunner(dl.BaseServiceRunner):
    def greet(self, name):
        if name == "nobody":
            return "never reached"
        return shout(f"hello {name}")

    def home(self):
        import os
        return os.path.basename(os.path.dirname(__file__))
'''

HELPERS = '''def shout(text):
    return text.upper()
'''

PACKAGE = {
    "package.json": {"name": "covered", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                    "className": "ServiceRunner", "functions": [
        {"name": "greet", "input": [{"name": "name", "type": "String"}]}, {"name": "home"}]}]},
    "main.py": MAIN,
    "helpers.py": HELPERS,
    "mock.json": {"function_name": "greet", "inputs": [{"name": "name", "value": "world"}],
                  "expect": {"output": "HELLO WORLD"}},
    # while coverage measures the run, __file__ names the package folder's file (docs/recipes.md)
    "mocks/home.json": {"function_name": "home", "inputs": [], "expect": {"output": "covered"}},
}


def _line(source: str, text: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


def _measured(faas_pytester, packages, placement):
    packages.write("covered", PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "-p", "no:cacheprovider",
                                                "--cov=.", "--cov-report=json:cov.json")
    result.assert_outcomes(passed=3)
    return json.loads((faas_pytester.path / "cov.json").read_text())["files"]


def _assert_the_case_is_counted(files):
    main, helpers = files["covered/main.py"], files["covered/helpers.py"]
    assert _line(MAIN, 'return shout(f"hello') in main["executed_lines"]
    assert _line(MAIN, 'return "never reached"') in main["missing_lines"]  # a line no case ran stays missed
    assert _line(HELPERS, "return text.upper()") in helpers["executed_lines"]  # a sibling module imported by main


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_lines_a_mock_case_ran_are_covered(faas_pytester, packages, placement):
    _assert_the_case_is_counted(_measured(faas_pytester, packages, placement))
