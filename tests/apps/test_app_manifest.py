"""dataloop.json: the model, its located errors, and the checks against the code and inside the manifest."""

from __future__ import annotations

import copy
import json

import pytest

from faas_apps import two_module_app, write_app

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.app_checks import check_app, check_app_mock
from pytest_faas.manifests.mock import load_mock


def test_a_two_module_app_loads_and_checks_clean(tmp_path):
    root = write_app(tmp_path)
    app = load_app(root / "dataloop.json")
    assert [m.name for m in app.modules] == ["labeller", "counter"]
    assert [(s["name"], s["moduleName"]) for s in app.services()] == \
        [("two-modules-counter", "counter"), ("two-modules-labeller", "labeller")]
    assert app.components.panels == [{"name": "somePanel", "supportedSlots": []}]  # kept, not run
    assert [f for f in check_app(root, app) if f.severity == "error"] == []


def test_unknown_keys_are_kept(tmp_path):
    manifest = two_module_app()
    manifest["somethingNew"] = {"a": 1}
    manifest["components"]["modules"][0]["futureKey"] = True
    app = load_app(write_app(tmp_path, manifest) / "dataloop.json")
    assert app.document["somethingNew"] == {"a": 1}
    assert app.model_extra["somethingNew"] == {"a": 1}
    assert app.modules[0].model_extra["futureKey"] is True


def test_type_errors_are_all_located_in_one_report(tmp_path):
    manifest = two_module_app()
    manifest["scope"] = "projcet"
    manifest["components"]["modules"][0]["functions"][0]["input"][0]["type"] = "Itme"
    manifest["components"]["computeConfigs"][0]["runtime"]["concurrency"] = 0
    manifest["components"]["triggers"][0]["spec"]["actions"] = ["Craeted"]
    path = write_app(tmp_path, manifest) / "dataloop.json"
    with pytest.raises(ManifestErrors) as caught:
        load_app(path)
    paths = sorted(e.json_path for e in caught.value.errors)
    assert paths == ["components.computeConfigs[0].runtime.concurrency",
                     "components.modules[0].functions[0].input[0].type",
                     "components.triggers[0].spec.actions[0]", "scope"]
    assert all(e.file == str(path) for e in caught.value.errors)
    assert "did you mean 'Item'?" in str(caught.value)


def test_every_broken_reference_and_code_mismatch_is_a_located_finding(tmp_path):
    manifest = two_module_app()
    components = manifest["components"]
    components["modules"][0]["computeConfig"] = "two-modules-labeler"          # no such config
    components["modules"][1]["entryPoint"] = "tools/counting/mian.py"          # no such file
    components["modules"][0]["functions"].append({"name": "missing_method"})   # not in the class
    components["services"].append({"name": "extra", "moduleName": "countr"})   # no such module
    components["triggers"][0]["namespace"] = "services.nowhere"                # no such service
    components["pipelineNodes"][0]["invoke"]["namespace"] = "two-modules-counter.counter.cont"  # no such function
    app = load_app(write_app(tmp_path, manifest) / "dataloop.json")
    findings = {f.json_path: str(f) for f in check_app(tmp_path, app) if f.severity == "error"}
    assert set(findings) == {
        "components.modules[0].computeConfig", "components.modules[1].entryPoint",
        "components.modules[0].functions[2].name", "components.services[1].moduleName",
        "components.triggers[0].namespace", "components.pipelineNodes[0].invoke.namespace"}
    assert "did you mean 'two-modules-labeller'?" in findings["components.modules[0].computeConfig"]
    assert "did you mean 'counter'?" in findings["components.services[1].moduleName"]
    assert "did you mean 'count'?" in findings["components.pipelineNodes[0].invoke.namespace"]
    assert "mian.py" in findings["components.modules[1].entryPoint"]


def test_a_namespace_naming_a_module_its_service_does_not_run(tmp_path):
    manifest = two_module_app()
    manifest["components"]["pipelineNodes"][0]["invoke"]["namespace"] = "two-modules-counter.labeller.echo"
    app = load_app(write_app(tmp_path, manifest) / "dataloop.json")
    [finding] = [f for f in check_app(tmp_path, app) if f.severity == "error"]
    assert finding.json_path == "components.pipelineNodes[0].invoke.namespace"
    assert "runs module 'counter'" in finding.message


def test_inputs_are_checked_against_the_signature(tmp_path):
    manifest = two_module_app()
    manifest["components"]["modules"][1]["functions"][0]["input"] = [{"type": "Json", "name": "cfg"}]
    app = load_app(write_app(tmp_path, manifest) / "dataloop.json")
    messages = [f.message for f in check_app(tmp_path, app) if f.severity == "error"]
    assert any("parameter 'config' is not declared" in m for m in messages), messages
    assert any("declares 'cfg'" in m for m in messages), messages


def test_a_mock_for_a_module_no_service_runs(tmp_path):
    manifest = two_module_app()
    del manifest["components"]["services"]
    del manifest["components"]["pipelineNodes"]
    root = write_app(tmp_path, manifest)
    (root / "mock.json").write_text(json.dumps({"module_name": "counter", "function_name": "count",
                                                "inputs": [{"name": "config", "value": {}}]}))
    app = load_app(root / "dataloop.json")
    warnings = [f for f in check_app(root, app) if f.severity == "warning"]
    assert [f.json_path for f in warnings] == ["components.modules[1]"]
    [error] = check_app_mock(app, load_mock(root / "mock.json"))
    assert error.json_path == "module_name" and "runs in no service" in error.message


@pytest.mark.parametrize("document, path", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "a", "components": []}, "components"),
    ({"name": "a", "components": {"modules": [{"name": "m"}, {"name": "m"}]}}, "components.modules[1].name"),
    ({"name": "a", "components": {"computeConfigs": [{"runtime": {}}]}}, "components.computeConfigs[0].name"),
    ({"name": "a", "codebase": {"type": "svn"}}, "codebase.type"),
])
def test_single_problems_are_located(tmp_path, document, path):
    file = tmp_path / "dataloop.json"
    file.write_text(json.dumps(document))
    with pytest.raises(ManifestError) as caught:
        load_app(file)
    assert caught.value.json_path == path


def test_the_document_is_not_changed_by_loading(tmp_path):
    manifest = two_module_app()
    app = load_app(write_app(tmp_path, copy.deepcopy(manifest)) / "dataloop.json")
    assert app.document == manifest


def test_shapes_seen_in_published_apps(tmp_path):
    """Services without a module name, two-part namespaces, function-level compute configs, models, extra keys."""
    manifest = {
        "name": "shapes", "version": "v0.1.3", "scope": "public", "metadata": {"system": {"systemCompute": True}},
        "codebase": {"type": "git", "gitUrl": "https://example.invalid/x.git", "gitTag": "v0.1.3"},
        "components": {
            "computeConfigs": [{"name": "deploy", "versions": {"dtlpy": "1.89.11"},
                                "runtime": {"podType": "gpu-t4", "concurrency": 1, "autoscaler": {
                                    "type": "rabbitmq", "minReplicas": 0, "maxReplicas": 2, "queueLength": 100}}},
                               {"name": "train"}],
            "modules": [
                {"name": "nodes", "entryPoint": "modules/nodes.py", "className": "Runner",
                 "functions": [{"name": "split", "input": [{"type": "Item", "name": "item"}],
                                "displayIcon": "qa-sampling"}]},
                {"name": "adapter", "entryPoint": "adapter.py", "className": "Adapter", "computeConfig": "deploy",
                 "initInputs": [{"type": "Model", "name": "model_entity"}],
                 "functions": [{"name": "train_model", "computeConfig": "train",
                                "input": [{"type": "Model", "name": "model"}]}]},
            ],
            "services": [{"name": "split-nodes", "panelNames": ["splitPanel"], "operation": "none",
                          "runtime": {"podType": "regular-xs", "executionTimeout": 7200}}],
            "pipelineNodes": [{"name": "split", "invoke": {"type": "function", "namespace": "split-nodes.split"},
                               "configuration": {"fields": []}}],
            "models": [{"name": "m", "moduleName": "adapter", "status": "pre-trained", "configuration": {}}],
        },
    }
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "nodes.py").write_text("class Runner:\n    def split(self, item):\n        return item\n")
    (tmp_path / "adapter.py").write_text("class Adapter:\n    def __init__(self, model_entity):\n        pass\n\n"
                                         "    def train_model(self, model):\n        pass\n")
    (tmp_path / "dataloop.json").write_text(json.dumps(manifest))
    app = load_app(tmp_path / "dataloop.json")
    # The model's module runs when the model is deployed: no service at install, and no warning about it.
    assert [(s["name"], s["moduleName"]) for s in app.services()] == [("split-nodes", "nodes")]
    assert check_app(tmp_path, app) == []
