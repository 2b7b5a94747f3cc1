"""pytest-faas's hooks (plugin/hookspecs.py), each implemented in a user's conftest.py and run for real."""

from pathlib import Path

HOOKED_PACKAGE = {
    "package.json": {"name": "hooked", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                   "className": "ServiceRunner", "functions": [
        {"name": "run", "input": [{"name": "item", "type": "Item"}, {"name": "leak", "type": "Boolean"}]}]}]},
    "main.py": (
        "import os\n\n"
        "import dtlpy as dl\n\n\n"
        "class ServiceRunner(dl.BaseServiceRunner):\n"
        "    def run(self, item, leak):\n"
        "        if leak:\n"
        "            print('token=SECRET-123')\n"
        "        return {'by': item.metadata['user']['by'], 'name': item.name, 'pid': os.getpid()}\n"),
    "mock.json": {"inputs": [[{"name": "item", "value": "seeded-1"}, {"name": "leak", "value": False}],
                             [{"name": "item", "value": "seeded-1"}, {"name": "leak", "value": True}]]},
}

CONFTEST = '''
import os

import pytest

from pytest_faas.manifests.checks import Finding
from pytest_faas.manifests.mock import ItemSpec

FINISHED = []


def pytest_faas_platform_options(config, options):
    options["placement"] = "subprocess"


def pytest_faas_case_entities(case, items, datasets):
    items.append(ItemSpec(id="seeded-1", name="from-hook.txt", metadata={"user": {"by": "hook"}}))


def pytest_faas_execution_finished(item, status, output, execution, logs):
    FINISHED.append(item.name)
    if output is not None:
        # the function ran in another process: the placement the hook chose
        assert output["pid"] != os.getpid(), "the function ran in the test process"
        assert output == {"by": "hook", "name": "from-hook.txt", "pid": output["pid"]}
    assert execution["latestStatus"]["status"] == status
    if any("SECRET" in line for line in logs):
        pytest.fail(f"{item.name}: an execution log shows a secret")


def pytest_faas_manifest_findings(package_dir, manifest, service, mocks):
    if not (package_dir / "README.md").is_file():
        yield Finding(file=str(package_dir / "package.json"), line=None, json_path="name",
                      message=f"team rule: package {manifest.name!r} needs a README.md ({len(mocks)} mock file)")


def pytest_sessionfinish(session):
    print("finished hook saw:", sorted(FINISHED))
'''


def test_each_hook_shapes_the_run_from_a_conftest(faas_pytester, packages):
    packages.write("hooked", HOOKED_PACKAGE)
    faas_pytester.makeconftest(CONFTEST)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*hooked/package.json: name: team rule: package 'hooked' needs a README.md (1 mock file)*"])
    result.stdout.fnmatch_lines(["hooked/default_module.run[[]mock.json:1[]]: run[[]mock.json:1[]]: an execution log shows a secret"])
    assert "finished hook saw: ['run[mock.json:0]', 'run[mock.json:1]']" in result.stdout.str()
    failed = sorted(line.split("::")[-1].split(" ")[0] for line in result.stdout.lines if line.startswith("FAILED"))
    assert failed == ["manifest", "run[mock.json:1]"]


def test_a_placement_hook_must_choose_a_known_placement(faas_pytester, packages):
    packages.write("hooked", HOOKED_PACKAGE)
    faas_pytester.makeconftest("def pytest_faas_platform_options(options):\n    options['placement'] = 'cloud'\n")
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "run")
    result.assert_outcomes(failed=2, deselected=1)
    result.stdout.fnmatch_lines(["*pytest_faas_platform_options set placement to 'cloud'; it must be one of "
                                 "thread, subprocess, docker*"])


def test_a_misspelt_hook_argument_is_refused_by_pytest(faas_pytester):
    faas_pytester.makeconftest("def pytest_faas_execution_finished(item, state):\n    pass\n")
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "state" in (result.stdout.str() + result.stderr.str())


def test_the_sample_conftest_hook_fails_a_success_that_logged_a_traceback(faas_pytester, packages):
    sample_conftest = Path(__file__).resolve().parents[2] / "sample_package" / "conftest.py"
    faas_pytester.makeconftest(sample_conftest.read_text())
    packages.write("careless", {
        "package.json": {"name": "careless", "modules": [{"name": "default_module", "functions": [
            {"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]},
        "main.py": ("import traceback\n\nimport dtlpy as dl\n\n\n"
                    "class ServiceRunner(dl.BaseServiceRunner):\n"
                    "    def run(self, config):\n"
                    "        try:\n"
                    "            config['missing']\n"
                    "        except KeyError:\n"
                    "            traceback.print_exc()\n"
                    "        return config\n"),
        "mock.json": {"inputs": [{"name": "config", "value": {}}]}})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*run[[]mock.json:0[]] succeeded but its log shows a traceback"])
