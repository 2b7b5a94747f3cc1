"""`LoadedPackage`: a package folder read once (every mock file, service.json), its problems and findings located.

Both faces (`pytest --faas`, `faas packages test`) hand this on; their own tests are in tests/plugin and
tests/cli. The API prefix helpers of `handle` are pure too, and tested here.
"""

from __future__ import annotations

import json

import pytest
from faas_code import JSON_PACKAGE, write_package

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.handle import API_PREFIX, api_url, gate_url
from pytest_faas.manifests.checks import Finding
from pytest_faas.manifests.loaded import KINDS, kind_of, load_folder, mock_files


def _echo(tmp_path, **extra):
    return write_package(tmp_path / "echo", {**JSON_PACKAGE, **extra})


def _mock(*values, **keys):
    return {"inputs": [[{"name": "config", "value": v}] for v in values], **keys}


def test_every_mock_file_in_case_order_each_case_with_its_file(tmp_path):
    folder = _echo(tmp_path, **{"mocks/b.json": _mock({"b": 0}), "mocks/a.json": _mock({"a": 0}, {"a": 1}),
                                "mocks/notes.txt": "not a mock"})
    package = load_folder(folder / "package.json")
    assert [p.relative_to(folder).as_posix() for p in mock_files(folder)] == ["mock.json", "mocks/a.json",
                                                                             "mocks/b.json"]
    cases = package.cases()
    assert [(c.mock_label, c.case.index, c.case.inputs["config"]) for c in cases] == [
        ("mock.json", 0, {"n": 1}), ("mock.json", 1, {"n": 2}),
        ("mocks/a.json", 0, {"a": 0}), ("mocks/a.json", 1, {"a": 1}), ("mocks/b.json", 0, {"b": 0})]
    assert {c.mock_file for c in cases} == {folder / "mock.json", folder / "mocks/a.json", folder / "mocks/b.json"}
    assert list(package.cases_by_module()) == ["default_module"]
    assert package.errors() == [] and package.warnings() == []


def test_chosen_mock_files_only_and_a_label_for_one_outside_the_folder(tmp_path):
    folder = _echo(tmp_path, **{"mocks/a.json": _mock({"a": 0})})
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(_mock({"x": 1})))
    package = load_folder(folder / "package.json", [outside])
    assert [(c.mock_label, c.case.inputs) for c in package.cases()] == [("elsewhere.json", {"config": {"x": 1}})]


def test_unreadable_files_are_all_kept_located_and_the_rest_still_loads(tmp_path):
    folder = _echo(tmp_path, **{"service.json": "{not json", "mocks/bad.json": {"inputs": [[1]]},
                                "mocks/good.json": _mock({"g": 1})})
    package = load_folder(folder / "package.json")
    assert all(isinstance(p, (ManifestError, ManifestErrors)) for p in package.problems)
    texts = [str(p) for p in package.problems]
    assert len(texts) == 2
    assert texts[0].startswith(str(folder / "service.json")) and texts[1].startswith(str(folder / "mocks/bad.json"))
    assert package.service is None
    assert [c.mock_label for c in package.cases()] == ["mock.json", "mock.json", "mocks/good.json"]
    assert package.errors() == package.problems


def test_service_json_and_mocks_are_checked_against_the_manifest(tmp_path):
    folder = _echo(tmp_path, **{
        "service.json": {"name": "echo-svc", "moduleName": "default_module", "triggers": [
            {"name": "t", "function": "rnu", "spec": {"filter": {}, "resource": "Item", "actions": ["Created"]}}]},
        "mocks/extra.json": {"inputs": [{"name": "config", "value": 1}, {"name": "unused", "value": 2}]},
        "mocks/wrong.json": {"function_name": "nope", "inputs": []}})
    package = load_folder(folder / "package.json")
    assert package.problems == []
    errors = package.errors()
    assert all(isinstance(f, Finding) for f in errors)
    assert [(f.file, f.json_path) for f in errors] == [(str(folder / "service.json"), "triggers[0]"),
                                                       (str(folder / "mocks/wrong.json"), "function_name")]
    assert "did you mean 'run'" in errors[0].message
    assert [(f.file, f.message) for f in package.warnings()] == [
        (str(folder / "mocks/extra.json"), "input 'unused' is not declared by run(); it is ignored")]


def test_the_code_is_checked_once_and_only_when_asked(tmp_path):
    folder = _echo(tmp_path, **{"main.py": "class ServiceRunner:\n    def run(self):\n        return 1\n"})
    package = load_folder(folder / "package.json")
    assert package._findings is None, "loading reads no code"
    first = package.findings()
    assert any("config" in f.message and f.file.endswith("main.py") for f in first)
    assert package.findings() is first


def test_an_unreadable_manifest_keeps_its_problem_and_has_no_cases(tmp_path):
    folder = write_package(tmp_path / "broken", {"package.json": '{"name": "x", "modules": [}',
                                                 "mock.json": _mock({"n": 1})})
    package = load_folder(folder / "package.json")
    assert package.manifest is None and package.cases() == []
    assert len(package.problems) == 1 and str(folder / "package.json") in str(package.problems[0])
    assert package.findings() == []


def test_npm_package_json_is_not_a_package(tmp_path):
    folder = write_package(tmp_path / "web", {"package.json": {"name": "web", "dependencies": {"left-pad": "1"}}})
    assert kind_of(folder / "package.json") is None
    assert load_folder(folder / "package.json") is None
    assert kind_of(_echo(tmp_path) / "package.json") is KINDS["package.json"]
    assert kind_of(tmp_path / "echo" / "mock.json") is None


@pytest.mark.parametrize("given", ["http://127.0.0.1:8123", "http://127.0.0.1:8123/", "http://127.0.0.1:8123/api/v1",
                                   "http://127.0.0.1:8123/api/v1/"])
def test_the_api_prefix_is_added_once_and_stripped_whole(given):
    assert API_PREFIX == "/api/v1"
    assert gate_url(given) == "http://127.0.0.1:8123"
    assert api_url(given) == "http://127.0.0.1:8123/api/v1"
    assert api_url(api_url(given)) == api_url(given) and gate_url(gate_url(given)) == gate_url(given)
