"""`faas packages test` reads a package as `pytest --faas` does: every mock file, service.json's findings, all
problems at once (the pytest face of the same is in tests/plugin/test_collection.py)."""

from __future__ import annotations

import json

from faas_code import JSON_PACKAGE, write_package

SERVICE_WITH_A_TYPO = {"name": "echo-svc", "moduleName": "default_module", "triggers": [
    {"name": "t", "function": "rnu", "spec": {"filter": {}, "resource": "Item", "actions": ["Created"]}}]}


def test_every_mock_file_runs_and_warnings_are_shown(faas, tmp_path):
    write_package(tmp_path, {**JSON_PACKAGE, "mocks/more.json": {"inputs": [
        {"name": "config", "value": {"n": 3}}, {"name": "unused", "value": 0}], "expect": {"output": {"n": 3}}}})
    result = faas("--json packages test")
    cases = json.loads(result.stdout)
    assert [(c["case"], c["status"], c["output"]) for c in cases] == [
        ("mock.json[0] default_module.run", "success", {"n": 1}),
        ("mock.json[1] default_module.run", "success", {"n": 2}),
        ("mocks/more.json[0] default_module.run", "success", {"n": 3})]
    assert "mocks/more.json: inputs: warning: input 'unused' is not declared by run(); it is ignored" in result.stderr

    only = json.loads(faas("--json packages test --mock-file mocks/more.json").stdout)
    assert [c["case"] for c in only] == ["mocks/more.json[0] default_module.run"]


def test_a_failing_case_of_a_mocks_file_fails_the_command(faas, tmp_path):
    write_package(tmp_path, {**JSON_PACKAGE, "mocks/wrong.json": {"inputs": [{"name": "config", "value": 1}],
                                                                  "expect": {"output": 2}}})
    result = faas("packages test", code=1)
    assert "1 of 3 mock cases failed" in result.stderr
    assert "mocks/wrong.json[0] default_module.run" in result.stdout and "expected output 2, got 1" in result.stdout


def test_service_json_findings_and_every_bad_file_are_refused_together(faas, tmp_path):
    write_package(tmp_path, {**JSON_PACKAGE, "service.json": SERVICE_WITH_A_TYPO,
                             "mocks/bad.json": {"inputs": [{"name": "config", "value": 1}, [1]]}})
    result = faas("packages test", code=1)
    assert ("service.json: triggers[0]: trigger 't' calls 'rnu', which module 'default_module' does not declare "
            "(did you mean 'run'?)") in result.stderr
    assert "mocks/bad.json: inputs[1]" in result.stderr
    assert result.stdout == "", "nothing ran"


def test_no_mock_file_says_what_to_write(faas, tmp_path):
    write_package(tmp_path, {k: v for k, v in JSON_PACKAGE.items() if k != "mock.json"})
    result = faas("packages test", code=1)
    assert "no mock file" in result.stderr and "mocks/*.json" in result.stderr
