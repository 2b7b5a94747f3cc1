"""`pytest --faas` on repositories of several apps: a `.dataloop.cfg` at the root lists manifests in
sub-folders, whose entry points are relative to the repository root; each app is packed from the root as
`dlp app publish` packs it. An app no `.dataloop.cfg` lists keeps the manifest-relative form."""

from __future__ import annotations

import json

import pytest

from faas_apps import TINY_APP_CODE, write_repo

RUN = ("--faas", "-p", "no:cacheprovider")
CASES = ["nodes/hello/dataloop.json::manifest", "nodes/hello/dataloop.json::hello::greet[mock.json:0]",
         "nodes/tiler/dataloop.json::manifest", "nodes/tiler/dataloop.json::tiler::split[mock.json:0]"]


def collected(result) -> list[str]:
    return [line for line in result.stdout.lines if "::" in line]


@pytest.mark.parametrize("placement", ["thread", "subprocess"])
def test_two_apps_listed_by_dataloop_cfg_run_from_the_repository_root(faas_pytester, placement):
    write_repo(faas_pytester.path)
    result = faas_pytester.runpytest_subprocess(*RUN, f"--faas-placement={placement}", "-v")
    result.assert_outcomes(passed=4)
    # HELLO_MOCK's expected output says what the codebase holds: the root's shared package, and not the
    # .gitignore'd secret.env nor artifacts/, which dtlpy's pack leaves out.
    assert [line.split(" ")[0] for line in collected(result) if " PASSED" in line] == CASES


def test_the_repository_is_found_from_a_sub_folder_run(faas_pytester):
    write_repo(faas_pytester.path)
    # pytest started in the repository, given one app's folder: the rootdir is that folder, the config above it.
    result = faas_pytester.runpytest_subprocess(*RUN, "nodes/hello", "-v")
    result.assert_outcomes(passed=2)


def test_a_listed_app_may_keep_entry_points_relative_to_its_own_folder(faas_pytester):
    write_repo(faas_pytester.path, tiler_entry="split.py")  # beside its dataloop.json, not from the root
    faas_pytester.runpytest_subprocess(*RUN).assert_outcomes(passed=4)


def test_an_app_no_config_lists_keeps_the_manifest_relative_form(faas_pytester):
    root = faas_pytester.path / "apps" / "standalone"
    root.mkdir(parents=True)
    (root / "main.py").write_text(TINY_APP_CODE)
    (root / "dataloop.json").write_text(json.dumps({
        "name": "standalone", "version": "1.0.0", "components": {
            "computeConfigs": [{"name": "standalone"}],
            "modules": [{"name": "tiny", "entryPoint": "main.py", "computeConfig": "standalone",
                         "functions": [{"name": "run", "input": [{"type": "Json", "name": "config"}]}]}]}}))
    (root / "mock.json").write_text(json.dumps({"module_name": "tiny", "inputs": [{"name": "config", "value": 2}],
                                                "expect": {"output": 4}}))
    faas_pytester.runpytest_subprocess(*RUN).assert_outcomes(passed=2)


def test_root_relative_entry_points_without_a_config_name_both_places_looked_in(faas_pytester):
    write_repo(faas_pytester.path)
    (faas_pytester.path / ".dataloop.cfg").unlink()
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*nodes/hello/dataloop.json: components.modules[[]0[]].entryPoint: module 'hello': "
                                 "entry point 'nodes/hello/main.py' not found in *nodes/hello*"])


@pytest.mark.parametrize(("config", "where", "said"), [
    ('{"manifests": ["nodes/hello/dataloop.json",]}', ".dataloop.cfg", "trailing comma"),
    ({"manifests": "nodes/hello/dataloop.json"}, ".dataloop.cfg: manifests", "a list of manifest paths"),
    ({"manifests": ["nodes/hello/dataloop.json", "nodes/tiler/dataloop.jsn"]}, ".dataloop.cfg: manifests[1]",
     "fix the path, or remove the entry"),
    ({"manifests": ["../elsewhere/dataloop.json"]}, ".dataloop.cfg: manifests[0]", "a path inside the repository"),
])
def test_a_malformed_config_is_a_located_finding_of_each_app_beneath_it(faas_pytester, config, where, said):
    write_repo(faas_pytester.path, config=config)
    result = faas_pytester.runpytest_subprocess(*RUN, "-k", "manifest")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert f"{where}: expected" in text and said in text, text


@pytest.mark.docker
def test_two_apps_listed_by_dataloop_cfg_run_in_containers(faas_pytester):
    write_repo(faas_pytester.path)
    faas_pytester.runpytest_subprocess(*RUN, "--faas-placement=docker").assert_outcomes(passed=4)


def test_layout_of_walks_up_no_higher_than_its_stop(tmp_path):
    from pytest_faas.manifests.repo import layout_of

    repo = write_repo(tmp_path / "repo")
    manifest = repo / "nodes" / "hello" / "dataloop.json"
    assert layout_of(manifest, stop=repo).root == repo.resolve()
    assert layout_of(manifest, stop=repo).config == (repo / ".dataloop.cfg").resolve()
    assert layout_of(manifest, stop=manifest.parent).root == manifest.parent.resolve()  # the cfg is above the stop
    assert layout_of(manifest).config is None
