"""Node functions and pipeline templates under `pytest --faas`, run for real in a pytester subprocess."""

from __future__ import annotations

import pytest

NODE_MAIN = '''
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def classify(self, item, progress, context):
        config = context.node.metadata["customNodeConfig"]
        progress.update(action=config["route"].get(item.name, config["default"]))
        return item

    def tag(self, item, context):
        item.metadata.setdefault("user", {})[context.node.name] = True
        item.update(system_metadata=False)
        return item

    def ids(self, config, context):
        return {"node": context.node.name if context.node else None, "pipeline": bool(context.pipeline_id),
                "cycle": bool(context.pipeline_execution_id), "execution": context.execution_id == context.execution.id,
                "service": context.service.name.startswith("nodes"), "project": bool(context.project.id)}

    def boom(self, item):
        raise ValueError("no luck with " + item.name)
'''

ITEM = [{"name": "item", "type": "Item"}]
NODE_PACKAGE_JSON = {"name": "nodes", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
    {"name": "classify", "input": ITEM, "output": [{"name": "item", "type": "Item", "actions": ["cats", "dogs"]}]},
    {"name": "tag", "input": ITEM, "output": [{"name": "item", "type": "Item"}]},
    {"name": "boom", "input": ITEM, "output": [{"name": "item", "type": "Item"}]},
    {"name": "ids", "input": [{"name": "config", "type": "Json"}], "output": []}]}]}

CLASSIFY_MOCK = {
    "function_name": "classify",
    "inputs": [[{"name": "item", "value": "cat-1"}], [{"name": "item", "value": "dog-1"}]],
    "items": [{"id": "cat-1", "name": "cat.png"}, {"id": "dog-1", "name": "dog.png"}],
    "node": {"name": "classify", "customNodeConfig": {"route": {"cat.png": "cats"}, "default": "dogs"}},
    "cases": [{"expect": {"action": "cats"}}, {"expect": {"action": "dogs"}}],
}


def node_package(packages, mock: dict, extra: dict | None = None):
    return packages.write("nodes", {"package.json": NODE_PACKAGE_JSON, "main.py": NODE_MAIN, "mock.json": mock,
                                    **(extra or {})})


def test_a_node_function_reads_its_custom_node_config_from_the_mock_file(faas_pytester, packages):
    node_package(packages, CLASSIFY_MOCK)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_wrong_expected_action_fails_naming_both_actions(faas_pytester, packages):
    mock = dict(CLASSIFY_MOCK, cases=[{"expect": {"action": "dogs"}}, {"expect": {"action": None}}])
    node_package(packages, mock)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*expected action 'dogs' (progress.update(action=...)), got action 'cats'*"])
    result.stdout.fnmatch_lines(["*expected no action (progress.update(action=...)), got action 'dogs'*"])


def test_a_context_without_a_node_has_the_execution_service_and_project(faas_pytester, packages):
    expected = {"node": None, "pipeline": False, "cycle": False, "execution": True, "service": True, "project": True}
    in_node = dict(expected, node="n", pipeline=True, cycle=True)
    node_package(packages, {"function_name": "ids", "inputs": [[{"name": "config", "value": {}}],
                                                               [{"name": "config", "value": {}}]],
                            "cases": [{"expect": {"output": expected}},
                                      {"node": {"name": "n"}, "expect": {"output": in_node}}]})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def pipeline_template(node_ids=("n-classify", "n-cats", "n-dogs", "n-boom")) -> dict:
    def port(pid, actions=None):
        return {"portId": pid, "name": "item", "type": "Item", **({"actions": actions} if actions else {})}

    def node(nid, name, function, outputs_actions=None, config=None):
        return {"id": nid, "name": name, "type": "function",
                "namespace": {"functionName": function, "serviceName": "nodes-svc", "packageName": "nodes",
                              "moduleName": "default_module"},
                "inputs": [port(f"{nid}-in")], "outputs": [port(f"{nid}-out", outputs_actions)],
                "metadata": {"customNodeConfig": config} if config else {}}

    classify, cats, dogs, boom = node_ids
    return {"name": "sorter", "nodes": [
        node(classify, "classify", "classify", ["cats", "dogs", "broken"],
             {"route": {"cat.png": "cats", "bad.png": "broken"}, "default": "dogs"}),
        node(cats, "cats", "tag"), node(dogs, "dogs", "tag"), node(boom, "explode", "boom")],
        "connections": [{"src": {"nodeId": classify, "portId": f"{classify}-out"},
                         "tgt": {"nodeId": target, "portId": f"{target}-in"}, "action": action}
                        for target, action in ((cats, "cats"), (dogs, "dogs"), (boom, "broken"))],
        "startNodes": [{"nodeId": classify, "type": "root"}]}


TEMPLATE_MOCK = {
    "inputs": [[{"name": "item", "value": "cat-1"}], [{"name": "item", "value": "dog-1"}],
               [{"name": "item", "value": "bad-1"}]],
    "items": [{"id": "cat-1", "name": "cat.png"}, {"id": "dog-1", "name": "dog.png"}, {"id": "bad-1", "name": "bad.png"}],
    "cases": [{"expect": {"nodes": ["classify", "cats"]}}, {"expect": {"nodes": ["classify", "dogs"]}},
              {"expect": {"status": "failed", "nodes": ["classify", "explode"], "message": "'explode' failed"}}],
}


@pytest.mark.parametrize("placement", ["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_pipeline_template_case_passes_in_each_placement(faas_pytester, packages, placement):
    node_package(packages, CLASSIFY_MOCK, {"sorter.pipeline.json": pipeline_template(),
                                           "sorter.pipeline.mock.json": TEMPLATE_MOCK})
    result = faas_pytester.runpytest_subprocess("--faas", f"--faas-placement={placement}", "-p", "no:cacheprovider",
                                                "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*sorter.pipeline.json::sorter[[]sorter.pipeline.mock.json:2[]] PASSED*"])


def test_a_pipeline_template_case_that_misses_its_expectation_says_where_the_item_went(faas_pytester, packages):
    mock = dict(TEMPLATE_MOCK, cases=[{"expect": {"nodes": ["classify", "dogs"]}}])
    mock["inputs"] = mock["inputs"][:1]
    node_package(packages, CLASSIFY_MOCK, {"sorter.pipeline.json": pipeline_template(),
                                           "sorter.pipeline.mock.json": mock})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["pipeline sorter[[]sorter.pipeline.mock.json:0[]]: expected the input to pass "
                                 "through nodes [[]'classify', 'dogs'[]], it passed through [[]'classify', 'cats'[]]"])


def test_a_pipeline_template_without_its_mock_file_is_reported(faas_pytester, packages):
    node_package(packages, CLASSIFY_MOCK, {"sorter.pipeline.json": pipeline_template()})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*sorter.pipeline.json: no mock file; write the inputs to run it with in "
                                 "sorter.pipeline.mock.json*"])
