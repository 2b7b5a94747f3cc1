"""An app's ``components.pipelineTemplates`` under `pytest --faas`: each template with its
``<name>.pipeline.mock.json`` beside dataloop.json is one case per input set, run on the installed app; a bad
template is a located finding of the app's ::manifest item."""

from __future__ import annotations

import copy
import json

import pytest

from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.app_checks import check_app

RUN = ("--faas", "-p", "no:cacheprovider")

NODES = '''
import dtlpy as dl


class Nodes(dl.BaseServiceRunner):
    def classify(self, item, progress, context):
        config = context.node.metadata["customNodeConfig"]
        progress.update(action=config["route"].get(item.name, config["default"]))
        return item

    def tag(self, item, context):
        item.metadata.setdefault("user", {})[context.node.name] = True
        return item.update(system_metadata=False)

    def boom(self, item):
        raise ValueError("no luck with " + item.name)
'''

ITEM = [{"name": "item", "type": "Item"}]


def _port(pid, actions=None):
    return {"portId": pid, "name": "item", "type": "Item", **({"actions": actions} if actions else {})}


def _node(nid, name, function, actions=None, config=None):
    return {"id": nid, "name": name, "type": "function",
            "namespace": {"functionName": function, "serviceName": "sorter-nodes", "moduleName": "nodes",
                          "packageName": "sorter-app"},
            "inputs": [_port(f"{nid}-in")], "outputs": [_port(f"{nid}-out", actions)],
            "metadata": {"customNodeConfig": config} if config else {}}


TEMPLATE = {
    "name": "sorter",
    "nodes": [_node("n1", "classify", "classify", ["cats", "dogs", "broken"],
                    {"route": {"cat.png": "cats", "bad.png": "broken"}, "default": "dogs"}),
              _node("n2", "cats", "tag"), _node("n3", "dogs", "tag"), _node("n4", "explode", "boom")],
    "connections": [{"src": {"nodeId": "n1", "portId": "n1-out"}, "tgt": {"nodeId": target, "portId": f"{target}-in"},
                     "action": action} for target, action in (("n2", "cats"), ("n3", "dogs"), ("n4", "broken"))],
    "startNodes": [{"nodeId": "n1", "type": "root"}],
}

APP = {
    "name": "sorter-app", "version": "1.0.0", "scope": "project",
    "components": {
        "computeConfigs": [{"name": "sorter-nodes", "runtime": {"concurrency": 4}}],
        "modules": [{"name": "nodes", "entryPoint": "nodes/main.py", "className": "Nodes",
                     "computeConfig": "sorter-nodes", "functions": [
                         {"name": "classify", "input": ITEM,
                          "output": [{"name": "item", "type": "Item", "actions": ["cats", "dogs", "broken"]}]},
                         {"name": "tag", "input": ITEM, "output": ITEM},
                         {"name": "boom", "input": ITEM, "output": ITEM}]}],
        "pipelineTemplates": [TEMPLATE],
    },
}

MOCK = {
    "inputs": [[{"name": "item", "value": "cat-1"}], [{"name": "item", "value": "dog-1"}],
               [{"name": "item", "value": "bad-1"}]],
    "items": [{"id": "cat-1", "name": "cat.png"}, {"id": "dog-1", "name": "dog.png"}, {"id": "bad-1", "name": "bad.png"}],
    "cases": [{"expect": {"nodes": ["classify", "cats"]}}, {"expect": {"nodes": ["classify", "dogs"]}},
              {"expect": {"status": "failed", "nodes": ["classify", "explode"], "message": "'explode' failed"}}],
}


def write_app(root, manifest=APP, mocks=None):
    (root / "nodes").mkdir(parents=True, exist_ok=True)
    (root / "nodes" / "main.py").write_text(NODES)
    (root / "dataloop.json").write_text(json.dumps(manifest, indent=2))
    for name, mock in (mocks if mocks is not None else {"sorter.pipeline.mock.json": MOCK}).items():
        (root / name).write_text(json.dumps(mock))
    return root


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_an_apps_pipeline_template_is_one_case_per_input_set(faas_pytester, placement):
    write_app(faas_pytester.path / "app")
    result = faas_pytester.runpytest_subprocess(*RUN, f"--faas-placement={placement}", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*app/dataloop.json::manifest PASSED*",
        "*app/dataloop.json::pipelineTemplates::sorter[[]sorter.pipeline.mock.json:0[]] PASSED*",
        "*app/dataloop.json::pipelineTemplates::sorter[[]sorter.pipeline.mock.json:1[]] PASSED*",
        "*app/dataloop.json::pipelineTemplates::sorter[[]sorter.pipeline.mock.json:2[]] PASSED*"])


def test_a_missed_expectation_says_where_the_item_went_and_a_template_without_mock_is_skipped(faas_pytester):
    manifest = copy.deepcopy(APP)
    manifest["components"]["pipelineTemplates"].append(dict(copy.deepcopy(TEMPLATE), name="untested"))
    mock = dict(MOCK, inputs=MOCK["inputs"][:1], cases=[{"expect": {"nodes": ["classify", "dogs"]}}])
    write_app(faas_pytester.path / "app", manifest, {"sorter.pipeline.mock.json": mock})
    result = faas_pytester.runpytest_subprocess(*RUN, "-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "pipeline sorter[[]sorter.pipeline.mock.json:0[]]: expected the input to pass through nodes "
        "[[]'classify', 'dogs'[]], it passed through [[]'classify', 'cats'[]]",
        "*pipeline template 'untested' of dataloop.json has no mock file: write the input sets to run it with in "
        "untested.pipeline.mock.json beside dataloop.json*"])


def test_a_bad_mock_file_of_a_template_fails_with_its_json_paths(faas_pytester):
    write_app(faas_pytester.path / "app", mocks={"sorter.pipeline.mock.json": dict(MOCK, expect={"status": "done"},
                                                                                  items="cat-1")})
    result = faas_pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "sorter.pipeline.mock.json: expect.status" in text and "sorter.pipeline.mock.json: items" in text


def _broken() -> dict:
    manifest = copy.deepcopy(APP)
    template = manifest["components"]["pipelineTemplates"][0]
    template["nodes"][1]["namespace"]["serviceName"] = "sorter-node"
    template["nodes"][2]["namespace"]["functionName"] = "tga"
    template["nodes"][3]["type"] = "task"
    template["connections"][0]["tgt"]["nodeId"] = "n9"
    manifest["components"]["pipelineTemplates"].append({"nodes": []})
    return manifest


def test_every_problem_of_a_template_is_a_finding_at_its_json_path(tmp_path):
    root = write_app(tmp_path / "app", _broken())
    found = {(f.json_path, f.severity): f.message for f in check_app(root, load_app(root / "dataloop.json"))}
    at = "components.pipelineTemplates"
    assert "did you mean 'sorter-nodes'?" in found[(f"{at}[0].nodes[1].namespace", "error")]
    assert "did you mean 'tag'?" in found[(f"{at}[0].nodes[2].namespace", "error")]
    assert "function and dataset nodes only" in found[(f"{at}[0].nodes[3].type", "warning")]
    assert "'n9' is not the id of a node" in found[(f"{at}[0].connections[0].tgt.nodeId", "error")]
    assert "needs a 'name'" in found[(f"{at}[1].name", "error")]
    assert not [key for key in found if key[0].startswith(f"{at}[0].nodes[0]")]  # the sound node says nothing


def test_a_bad_template_fails_the_apps_manifest_item_with_every_finding(faas_pytester):
    write_app(faas_pytester.path / "app", _broken())
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    for path in ("app/dataloop.json: components.pipelineTemplates[0].nodes[1].namespace",
                 "app/dataloop.json: components.pipelineTemplates[0].nodes[2].namespace",
                 "app/dataloop.json: components.pipelineTemplates[0].connections[0].tgt.nodeId",
                 "app/dataloop.json: components.pipelineTemplates[1].name"):
        assert path in text, path
