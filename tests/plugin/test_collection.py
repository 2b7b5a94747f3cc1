"""`pytest --faas` collection: gated by the option, ids, and a located failure for each kind of bad file."""

import json

from faas_code import JSON_PACKAGE


def test_without_faas_nothing_is_collected(faas_pytester, packages):
    packages.copy_sample()
    result = faas_pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert "package.json" not in result.stdout.str()
    assert result.ret == 5  # no tests: the plugin added nothing


def test_npm_package_json_is_ignored(faas_pytester, packages):
    packages.write("web", {"package.json": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "1"}}})
    result = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert "web/package.json" not in result.stdout.str()


def test_ids_name_module_function_mock_file_and_index(faas_pytester, packages):
    packages.copy_sample()
    first = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-p", "no:cacheprovider")
    first.stdout.fnmatch_lines([
        "hello_world/package.json::manifest",
        "hello_world/package.json::default_module::run[[]mock.json:0[]]",
        "hello_world/package.json::default_module::run[[]mocks/several_items.json:0[]]",
        "hello_world/package.json::default_module::run[[]mocks/several_items.json:1[]]",
    ])
    again = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert first.stdout.lines[:4] == again.stdout.lines[:4]


def test_k_selects_cases_by_function_or_mock_file(faas_pytester, packages):
    packages.copy_sample()
    result = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-k", "several_items",
                                                "-p", "no:cacheprovider")
    assert sum("several_items" in line for line in result.stdout.lines) == 2
    assert "mock.json:0" not in result.stdout.str()


def test_generated_cases_carry_the_faas_marker(faas_pytester, packages):
    packages.write("echo", JSON_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-m", "faas", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["echo/package.json::default_module::run[[]mock.json:0[]]", "*2/3 tests collected*"])


def test_invalid_json_fails_the_manifest_item_with_line_and_column(faas_pytester, packages):
    packages.write("broken", {"package.json": '{"name": "x", "modules": [\n  {"name": }\n]}', "main.py": ""})
    packages.write("echo", JSON_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*broken/package.json*line 2*"])


def test_schema_problems_name_the_json_path_and_suggest(faas_pytester, packages):
    package = dict(JSON_PACKAGE)
    package["package.json"] = {"name": "echo", "modules": [{"name": "m", "functions": [
        {"name": "run", "input": [{"name": "config", "type": "Jsn"}]}]}]}
    packages.write("echo", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*package.json: modules[[]0[]].functions[[]0[]].input[[]0[]].type*'Jsn'*did you mean 'Json'*"])


def test_bad_service_json_and_mock_are_located(faas_pytester, packages):
    package = dict(JSON_PACKAGE)
    package["service.json"] = {"name": "s", "runtime": {"concurrency": "ten"}, "on_reset": "restart"}
    package["mocks/bad.json"] = {"function_name": "run", "inputs": [{"name": "config", "value": 1}, [1]]}
    packages.write("echo", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "service.json: runtime.concurrency" in text
    assert "service.json: on_reset" in text
    assert "bad.json: inputs[1]" in text
    assert "list of dictionaries or list of lists" in text


def test_manifest_code_mismatch_lists_every_finding(faas_pytester, packages):
    package = dict(JSON_PACKAGE)
    package["package.json"] = {"name": "echo", "modules": [{"name": "default_module", "functions": [
        {"name": "run", "input": [{"name": "config", "type": "Json"}, {"name": "extra", "type": "Json"}]},
        {"name": "missing_method", "input": []}]}]}
    package["main.py"] = ("import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
                          "    def run(self, config, undeclared):\n        return config\n")
    packages.write("echo", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "5 problems" in text  # the mock's two input sets also lack 'extra'
    assert "echo/main.py:5:" in text
    for fragment in ("'extra'", "'missing_method'", "'undeclared'", "mock.json: inputs[1]"):
        assert fragment in text


def test_a_broken_package_does_not_stop_the_others(faas_pytester, packages):
    packages.write("broken", {"package.json": '{"name": "b", "modules": [}', "main.py": ""})
    packages.write("echo", JSON_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["broken/package.json::manifest", "echo/package.json::manifest",
                                 "echo/package.json::default_module::run*"])


def test_bad_option_value_is_a_usage_error(faas_pytester, monkeypatch):
    monkeypatch.setenv("FAAS_PLACEMENT", "cloud")
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*FAAS_PLACEMENT must be one of thread, subprocess, docker, found 'cloud'*"])


def test_header_says_where_each_setting_came_from(faas_pytester, packages, monkeypatch):
    monkeypatch.setenv("FAAS_PLACEMENT", "subprocess")
    faas_pytester.makeini("[pytest]\nfaas_keep = false\n")
    result = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["faas: placement=subprocess (environment), backend_url=None (default), keep=False (ini)*"])


SERVICE_WITH_A_TYPO = {"name": "echo-svc", "moduleName": "default_module", "triggers": [
    {"name": "t", "function": "rnu", "spec": {"filter": {}, "resource": "Item", "actions": ["Created"]}}]}


def test_service_json_findings_fail_the_manifest_item(faas_pytester, packages):
    # `faas packages test` refuses the same finding (tests/cli/test_packages_test.py).
    packages.write("echo", {**JSON_PACKAGE, "service.json": SERVICE_WITH_A_TYPO})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*service.json: triggers[[]0[]]: trigger 't' calls 'rnu', which module "
                                 "'default_module' does not declare (did you mean 'run'?)*"])


def test_the_items_are_handed_their_package_and_case(faas_pytester, packages):
    packages.write("echo", {**JSON_PACKAGE, "mocks/more.json": {"inputs": [{"name": "config", "value": 3}]}})
    items, _ = faas_pytester.inline_genitems("--faas", "-p", "no:cacheprovider")
    manifest, *cases = items
    assert manifest.name == "manifest"
    assert all(item.package is manifest.package for item in cases), "one LoadedPackage, read once"
    assert [(item.name, item.case.mock_file.name, item.case.case.inputs) for item in cases] == [
        ("run[mock.json:0]", "mock.json", {"config": {"n": 1}}),
        ("run[mock.json:1]", "mock.json", {"config": {"n": 2}}),
        ("run[mocks/more.json:0]", "more.json", {"config": 3})]
    assert not hasattr(manifest.parent, "loaded"), "nothing is left on the file node for the items to fetch"


def test_the_summary_counts_each_runs_own_cases(faas_pytester):
    # The figures live in each run's stash: a second run in the same process does not count the first's.
    faas_pytester.makepyfile(test_figures="""
        def test_one(record_property):
            record_property("faas", {"status": "success", "user_s": 0.25, "wall_s": 1.0})
    """)
    for _ in range(2):
        result = faas_pytester.runpytest("--faas", "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*- faas -*", "1 executions: 1 success",
                                     "time: 1.00s in cases, of which 0.25s in user code and 0.75s in the harness*"])
    without = faas_pytester.runpytest("-p", "no:cacheprovider")
    assert "- faas -" not in without.stdout.str(), "inert without --faas"
