"""`pytest --faas` on apps: dataloop.json is collected as package.json is (a ::manifest item and one case per
mock input set), its cases run on the installed app, and an npm package.json beside it is never collected."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from faas_apps import two_module_app, write_app

from pytest_faas.cli import cli

RUN = ("--faas", "-p", "no:cacheprovider")
MOCKS = {
    "mock.json": {"module_name": "labeller", "function_name": "echo", "init_params": {"label": "mocked"},
                  "inputs": [{"name": "config", "value": {"a": 1}}],
                  "expect": {"output": {"echo": {"a": 1}, "label": "mocked"}}},
    "mocks/count.json": {"module_name": "counter", "function_name": "count",
                         "inputs": [[{"name": "config", "value": {"a": 1, "b": 2}}], [{"name": "config", "value": {}}]],
                         "cases": [{"expect": {"output": {"count": 4}}}, {"expect": {"output": {"count": 0}}}]},
    "mocks/label.json": {"module_name": "labeller", "function_name": "label_item",
                         "inputs": [{"name": "item", "value": {"item_id": "pic-1"}}],
                         "items": [{"id": "pic-1", "name": "pic.jpg"}]},
}


def write_mocks(root, mocks=MOCKS):
    for relative, content in mocks.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(json.dumps(content))


def test_an_app_made_by_faas_app_init_passes_unchanged(faas_pytester):
    result = CliRunner().invoke(cli, ["app", "init", "--name", "hello-app", "--src-path",
                                      str(faas_pytester.path / "hello-app")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = faas_pytester.runpytest_subprocess(*RUN, "-v")
    run.assert_outcomes(passed=2)
    run.stdout.fnmatch_lines(["*hello-app/dataloop.json::manifest PASSED*",
                              "*hello-app/dataloop.json::hello_app::run[[]mock.json:0[]] PASSED*"])


def test_code_in_sub_folders_and_an_npm_package_json_are_collected_by_dataloop_json(faas_pytester):
    root = write_app(faas_pytester.path / "repo", npm=True)
    write_mocks(root)
    collected = faas_pytester.runpytest_subprocess(*RUN, "--collect-only", "-q")
    lines = [line for line in collected.stdout.lines if "::" in line]
    assert lines == ["repo/dataloop.json::manifest",
                     "repo/dataloop.json::labeller::echo[mock.json:0]",
                     "repo/dataloop.json::labeller::label_item[mocks/label.json:0]",
                     "repo/dataloop.json::counter::count[mocks/count.json:0]",
                     "repo/dataloop.json::counter::count[mocks/count.json:1]"]
    # Two modules, two services, entry points under sub-folders, relative imports: every case runs.
    faas_pytester.runpytest_subprocess(*RUN).assert_outcomes(passed=5)


def test_without_faas_nothing_is_collected_from_an_app(faas_pytester):
    write_mocks(write_app(faas_pytester.path / "repo"))
    result = faas_pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert "dataloop.json" not in result.stdout.str()


def test_every_problem_of_a_broken_dataloop_json_is_in_one_report_with_its_json_path(faas_pytester):
    manifest = two_module_app()
    manifest["scope"] = "projcet"
    manifest["components"]["modules"][0]["functions"][0]["input"][0]["type"] = "Itme"
    manifest["components"]["computeConfigs"][0]["runtime"]["concurrency"] = 0
    write_app(faas_pytester.path / "typos", manifest)
    manifest = two_module_app()
    manifest["components"]["modules"][0]["computeConfig"] = "two-modules-labeler"
    manifest["components"]["modules"][1]["entryPoint"] = "tools/counting/mian.py"
    manifest["components"]["triggers"][0]["namespace"] = "services.nowhere"
    manifest["components"]["pipelineNodes"][0]["invoke"]["namespace"] = "two-modules-counter.counter.cont"
    write_app(faas_pytester.path / "references", manifest)
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    for path in ("typos/dataloop.json: scope", "typos/dataloop.json: components.modules[0].functions[0].input[0].type",
                 "typos/dataloop.json: components.computeConfigs[0].runtime.concurrency",
                 "references/dataloop.json: components.modules[0].computeConfig",
                 "references/dataloop.json: components.modules[1].entryPoint",
                 "references/dataloop.json: components.triggers[0].namespace",
                 "references/dataloop.json: components.pipelineNodes[0].invoke.namespace"):
        assert path in text, path
    assert "did you mean 'Item'?" in text and "did you mean 'two-modules-labeller'?" in text


def test_warnings_of_the_checks_are_pytest_warnings_and_the_manifest_passes(faas_pytester):
    manifest = two_module_app()
    del manifest["components"]["services"]
    del manifest["components"]["pipelineNodes"]
    write_app(faas_pytester.path / "repo", manifest)
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*module 'counter' runs in no service*"])


@pytest.mark.docker
def test_an_apps_cases_run_in_containers(faas_pytester):
    write_mocks(write_app(faas_pytester.path / "repo", npm=True))
    faas_pytester.runpytest_subprocess(*RUN, "--faas-placement=docker").assert_outcomes(passed=5)
