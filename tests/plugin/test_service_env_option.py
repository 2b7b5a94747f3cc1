"""`pytest --faas` gives services environment variables: service.json's "env", and an env file named by
--faas-env-file, FAAS_ENV_FILE or the ini's faas_env_file (relative to the ini's folder)."""

from __future__ import annotations

import pytest

MAIN = '''
import os

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def read(self, names):
        return {name: os.environ.get(name) for name in names}
'''
NAMES = ["FAAS_P_JSON", "FAAS_P_FILE"]


def env_package(packages, service_env: dict, expected: dict):
    return packages.write("envpkg", {
        "main.py": MAIN,
        "package.json": {"name": "envpkg", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
            {"name": "read", "input": [{"name": "names", "type": "Json"}]}]}]},
        "service.json": {"name": "envpkg", "env": service_env},
        "mock.json": {"function_name": "read", "inputs": [{"name": "names", "value": NAMES}],
                      "expect": {"output": expected}}})


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_service_json_env_and_the_env_file_reach_the_function(faas_pytester, packages, placement):
    env_package(packages, {"FAAS_P_JSON": "json"}, {"FAAS_P_JSON": "json", "FAAS_P_FILE": "file"})
    (faas_pytester.path / "ci.env").write_text("FAAS_P_FILE=file\nFAAS_P_JSON=file loses\n")  # a service's own win
    result = faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "--faas-env-file=ci.env",
                                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["faas: *env_file=ci.env (command line)*"])


def test_the_ini_names_the_env_file_relative_to_its_folder(faas_pytester, packages):
    env_package(packages, {}, {"FAAS_P_JSON": None, "FAAS_P_FILE": "from ini"})
    (faas_pytester.path / "config").mkdir()
    (faas_pytester.path / "config" / "ci.env").write_text("FAAS_P_FILE='from ini'\n")
    faas_pytester.makeini("[pytest]\nfaas_env_file = config/ci.env\n")
    faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_bad_env_file_is_a_usage_error_naming_its_lines(faas_pytester, packages):
    env_package(packages, {}, {})
    (faas_pytester.path / "bad.env").write_text("OK=1\nwhat is this\n")
    result = faas_pytester.runpytest_subprocess("--faas", "--faas-env-file=bad.env", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--faas-env-file (command line): bad.env:2: expected NAME=value, found "
                                 "'what is this'*"])


def test_an_env_file_with_a_remote_platform_says_to_give_it_to_the_server(faas_pytester, packages):
    env_package(packages, {}, {})
    (faas_pytester.path / "ok.env").write_text("OK=1\n")
    result = faas_pytester.runpytest_subprocess("--faas", "--faas-env-file=ok.env",
                                                "--faas-backend-url=http://127.0.0.1:9", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*give them to the server: `faas serve --env-file FILE`*"])
