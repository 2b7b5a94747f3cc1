"""What real apps need from `pytest --faas`, each on an app shaped like a public one: a node's config in the
function's context, event cases on the app's own triggers, a case's init params every time, a dataset
loader's module, cases kept when dataloop.json has a type error, and findings that name what is wrong."""

from __future__ import annotations

import copy
import json

import pytest

from faas_apps import HELLO_MOCK, two_module_app, write_app, write_repo

from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.app_checks import check_app

RUN = ("--faas", "-p", "no:cacheprovider")


def write_json(path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_a_mock_files_node_reaches_an_apps_function(faas_pytester, placement):
    root = write_repo(faas_pytester.path)
    node = {"name": "split-image", "customNodeConfig": {"tile_height": 500, "tile_width": 250}}
    expect = dict(HELLO_MOCK["expect"]["output"], custom=node["customNodeConfig"])
    write_json(root / "nodes/hello/mocks/node.json", dict(HELLO_MOCK, node=node, expect={"output": expect}))
    result = faas_pytester.runpytest_subprocess(*RUN, f"--faas-placement={placement}", "-k", "node.json", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*nodes/hello/dataloop.json::hello::greet[[]mocks/node.json:0[]] PASSED*"])


EVENTS = {"module_name": "labeller", "function_name": "label_item",
          "event": {"resource": "Item", "action": "Created", "item": {"name": "cat.png", "remote_path": "/incoming"}},
          "expect": {"executions": [{"function": "label_item", "trigger": "two-modules-on-upload", "times": 1}]},
          "cases": [{}, {"event": {"resource": "Item", "item": {"remote_path": "/elsewhere"}},
                         "expect": {"executions": []}}]}


def test_event_cases_run_on_an_apps_own_triggers_without_inputs(faas_pytester):
    root = write_app(faas_pytester.path / "repo")
    write_json(root / "mocks/events.json", EVENTS)
    result = faas_pytester.runpytest_subprocess(*RUN, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*repo/dataloop.json::labeller::label_item[[]mocks/events.json:0[]] PASSED*",
                                 "*repo/dataloop.json::labeller::label_item[[]mocks/events.json:1[]] PASSED*"])


def test_an_event_no_app_trigger_listens_to_is_a_finding_of_dataloop_json(faas_pytester):
    root = write_app(faas_pytester.path / "repo")
    write_json(root / "mocks/events.json", dict(EVENTS, event={"resource": "Dataset"}, cases=[],
                                                expect={"executions": [{"function": "label_itme"}]}))
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*mocks/events.json: event: no Event trigger listens to Dataset Created, so this event can fire nothing; "
        "dataloop.json's triggers: two-modules-on-upload (Item Created)*",
        "*mocks/events.json: expect.executions[[]0[]].function: module 'labeller' has no function 'label_itme' "
        "(did you mean 'label_item'?)*"])


def test_a_cases_init_params_are_used_every_time(faas_pytester):
    # The race: the install starts the service with the compute config's params, the case changes them; a
    # replica that read the service before the change must never run the case. Eight installs in one run.
    for n in range(8):
        manifest = two_module_app(f"params-{n}")
        write_app(faas_pytester.path / f"app{n}", manifest)
        write_json(faas_pytester.path / f"app{n}/mock.json", {
            "module_name": "labeller", "function_name": "echo", "init_params": {"label": f"mocked-{n}"},
            "inputs": [{"name": "config", "value": n}], "expect": {"output": {"echo": n, "label": f"mocked-{n}"}}})
    result = faas_pytester.runpytest_subprocess(*RUN, "--faas-placement=thread", "-k", "echo")
    result.assert_outcomes(passed=8)


DATASET_LOADER = '''
import dtlpy as dl


class DatasetExample(dl.BaseServiceRunner):
    def upload_dataset(self, dataset: dl.Dataset, source: str):
        dataset.items.upload(local_path=__file__, remote_path="/loaded")
        return {"dataset": dataset.name, "source": source}
'''


def test_a_module_bound_only_by_a_datasets_compute_config_runs(faas_pytester):
    # Shaped like data-management-demo-dataset: the loader's module is named only by components.datasets[].
    root = faas_pytester.path / "demo-dataset"
    root.mkdir()
    (root / "dataset_loader.py").write_text(DATASET_LOADER)
    write_json(root / "dataloop.json", {
        "name": "dataset-images-animals", "version": "0.0.33", "scope": "public",
        "components": {
            "computeConfigs": [{"name": "dataset-images-animals-deploy", "runtime": {"concurrency": 1}}],
            "modules": [{"name": "dataset-adapter", "entryPoint": "dataset_loader.py", "className": "DatasetExample",
                         "functions": [{"name": "upload_dataset", "input": [{"type": "Dataset", "name": "dataset"},
                                                                            {"type": "String", "name": "source"}]}]}],
            "datasets": [{"name": "Demo Dataset", "invoke": {"namespace": "dataset-adapter.upload_dataset"},
                          "computeConfig": "dataset-images-animals-deploy"}]}})
    write_json(root / "mock.json", {
        "module_name": "dataset-adapter", "function_name": "upload_dataset", "datasets": [{"id": "d1", "name": "demo"}],
        "inputs": [{"name": "dataset", "value": {"dataset_id": "d1"}}, {"name": "source", "value": "github"}],
        "expect": {"output": {"dataset": "demo", "source": "github"}}})
    result = faas_pytester.runpytest_subprocess(*RUN, "-W", "error::pytest.PytestWarning")
    result.assert_outcomes(passed=2)


def test_a_type_error_in_dataloop_json_keeps_the_apps_cases(faas_pytester):
    manifest = two_module_app()
    manifest["components"]["modules"][1]["functions"][0]["input"][0]["type"] = "int"
    root = write_app(faas_pytester.path / "repo", manifest)
    write_json(root / "mock.json", {"module_name": "counter", "function_name": "count",
                                    "inputs": [{"name": "config", "value": [1, 2]}],
                                    "expect": {"output": {"count": 4}}})
    result = faas_pytester.runpytest_subprocess(*RUN, "-v")
    result.assert_outcomes(failed=1, passed=1)  # the ::manifest finding, and the case, which still runs
    result.stdout.fnmatch_lines(["*repo/dataloop.json::counter::count[[]mock.json:0[]] PASSED*",
                                 "*components.modules[[]1[]].functions[[]0[]].input[[]0[]].type*found 'int'*"])


def test_a_triggers_function_is_checked_when_its_service_names_an_unknown_module(tmp_path):
    manifest = two_module_app()
    manifest["components"]["services"][0]["moduleName"] = "countre"
    manifest["components"]["triggers"][0]["namespace"] = "services.two-modules-counter"
    manifest["components"]["triggers"][0]["spec"]["operation"]["functionName"] = "lable_item"
    root = write_app(tmp_path / "repo", manifest)
    found = {f.json_path: f.message for f in check_app(root, load_app(root / "dataloop.json"))}
    assert "did you mean 'counter'" in found["components.services[0].moduleName"]
    said = found["components.triggers[0].namespace"]
    assert "calls 'lable_item' on service 'two-modules-counter', whose module 'countre'" in said, said
    assert "no module of the app declares 'lable_item' (did you mean 'label_item'?)" in said, said


def test_an_apps_missing_class_names_dataloop_json_and_its_json_path(faas_pytester):
    manifest = two_module_app()
    manifest["components"]["modules"][1]["className"] = "Countr"
    root = write_app(faas_pytester.path / "repo", manifest)
    write_json(root / "mock.json", {"module_name": "counter", "function_name": "count",
                                    "inputs": [{"name": "config", "value": []}]})
    result = faas_pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert "repo/dataloop.json: components.modules[1].className: module 'counter': no class 'Countr'" in text, text
    assert "has no class 'Countr' (components.modules[1].className in dataloop.json)" in text, text
    assert "package.json" not in text, text


def test_a_template_refused_here_names_its_nodes_paths_and_the_apps_services(faas_pytester):
    from test_app_pipeline_templates import APP, MOCK, write_app as write_template_app

    manifest = copy.deepcopy(APP)
    nodes = manifest["components"]["pipelineTemplates"][0]["nodes"]
    nodes[1]["namespace"]["serviceName"] = "sorter-node"
    nodes[3]["type"] = "code"
    write_template_app(faas_pytester.path / "app", manifest, {"sorter.pipeline.mock.json": dict(
        MOCK, inputs=MOCK["inputs"][:1], cases=MOCK["cases"][:1])})
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "pipelineTemplates")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "components.pipelineTemplates[0].nodes[1].namespace: pipeline template 'sorter', node 'cats' calls " \
           "service 'sorter-node', which the app does not create" in text, text
    assert "components.pipelineTemplates[0].nodes[3].type: pipeline template 'sorter', node 'explode' is a " \
           "'code' node" in text, text
    assert "(the app's services: sorter-nodes)" in text, text


VENDOR = '''
import requests


class Vendor:
    def ask(self, config):
        return requests.get("https://vendor.example.com/v1/answer", params={"q": config}).json()
'''


def test_an_apps_http_stubs_answer_and_other_calls_are_refused(faas_pytester):
    root = faas_pytester.path / "vendor-app"
    root.mkdir()
    (root / "vendor.py").write_text(VENDOR)
    write_json(root / "dataloop.json", {"name": "vendor-app", "version": "1.0.0", "components": {
        "computeConfigs": [{"name": "vendor-app"}],
        "modules": [{"name": "vendor", "entryPoint": "vendor.py", "className": "Vendor", "computeConfig": "vendor-app",
                     "functions": [{"name": "ask", "input": [{"type": "Json", "name": "config"}]}]}]}})
    write_json(root / "mock.json", {
        "module_name": "vendor", "function_name": "ask",
        "inputs": [[{"name": "config", "value": "a"}], [{"name": "config", "value": "b"}]],
        "http": [{"url": "https://vendor.example.com/v1/answer", "match": {"query": {"q": "a"}}, "json": {"a": 1}}],
        "cases": [{"expect": {"output": {"a": 1}}},
                  {"expect": {"status": "failed",  # refused, naming the file to declare it in
                              "message": 'no stub matches it: declare it in the "http" list of mock.json'}}]})
    faas_pytester.runpytest_subprocess(*RUN).assert_outcomes(passed=3)
