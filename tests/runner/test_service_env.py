"""Environment variables of a service reach its code in every placement: the platform's defaults (an env file
of `faas serve` or `pytest --faas`), overridden by the service's own (service.json's "env", `--env-file`), set
before the code is imported; in the thread placement they are bounded to the replicas that set them."""

from __future__ import annotations

import contextlib
import json
import os
import time

import pytest
import requests

PLACEMENTS = ["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)]

MAIN = '''
import os

import dtlpy as dl

AT_IMPORT = os.environ.get("FAAS_T_GREETING")


class ServiceRunner(dl.BaseServiceRunner):
    def read(self, names):
        return {"at_import": AT_IMPORT, **{name: os.environ.get(name) for name in names}}
'''
NAMES = ["FAAS_T_GREETING", "FAAS_T_DEFAULT", "FAAS_T_SHARED"]


@pytest.fixture(scope="module", params=PLACEMENTS)
def platform(request):
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement=request.param, service_env={"FAAS_T_DEFAULT": "from-defaults",
                                                             "FAAS_T_GREETING": "default"}) as running:
        yield running


@pytest.fixture(scope="module")
def package(platform, tmp_path_factory):
    from pytest_faas.ids import new_id

    folder = tmp_path_factory.mktemp("env") / "envpkg"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "envpkg", "modules": [{
        "name": "default_module", "entryPoint": "main.py",
        "functions": [{"name": "read", "input": [{"name": "names", "type": "Json"}]}]}]}))
    project = platform.dl.projects.create(f"env-{new_id()[-8:]}")
    with contextlib.chdir(folder.parent):  # dtlpy's push writes ./.dataloop
        return project.packages.push(src_path=str(folder), ignore_sanity_check=True)


def put_env(platform, service_id, env):
    return requests.put(f"{platform.url}/_faas/services/{service_id}/env", json={"env": env},
                        headers={"Authorization": f"Bearer {platform.token}"}, timeout=30)


def run(service, timeout=60):
    execution = service.execute(execution_input={"names": NAMES}, function_name="read", project_id=service.project_id)
    execution = execution.wait()
    assert execution.latest_status["status"] == "success", execution.latest_status
    return execution.output


def test_a_services_own_variables_override_the_defaults_and_are_set_before_its_code_is_imported(platform, package):
    service = package.deploy(service_name="env-own", runtime={"concurrency": 2})
    assert run(service) == {"at_import": "default", "FAAS_T_GREETING": "default", "FAAS_T_DEFAULT": "from-defaults",
                            "FAAS_T_SHARED": None}

    answer = put_env(platform, service.id, {"FAAS_T_GREETING": "hello", "FAAS_T_SHARED": "one"})

    assert answer.status_code == 200, answer.text
    assert run(service) == {"at_import": "hello", "FAAS_T_GREETING": "hello", "FAAS_T_DEFAULT": "from-defaults",
                            "FAAS_T_SHARED": "one"}
    assert platform.dl.services.get(service_id=service.id).to_json().get("env") is None  # not in the record
    service.delete()
    assert platform.backend.store.find("service_env", service.id) is None  # gone with its service


@pytest.mark.parametrize("env, message", [
    ({"1BAD": "x"}, "is not a variable name"), ({"A": 1}, "env"), (["A=1"], "env"),
    ({"A": "x\u0000y"}, "NUL"), ({f"V{i}": "x" for i in range(300)}, "at most 256")])
def test_bad_variables_are_refused_and_nothing_changes(platform, package, env, message):
    service = package.deploy(service_name="env-bad", runtime={"concurrency": 1})
    assert put_env(platform, service.id, {"FAAS_T_SHARED": "kept"}).status_code == 200

    answer = put_env(platform, service.id, env)

    assert answer.status_code == 400 and message in answer.json()["message"], answer.text
    kept = requests.get(f"{platform.url}/_faas/services/{service.id}/env",
                        headers={"Authorization": f"Bearer {platform.token}"}, timeout=30).json()
    assert kept["env"] == {"FAAS_T_SHARED": "kept"}
    assert put_env(platform, "0" * 24, {"A": "b"}).status_code == 404  # an id of the right shape, unknown
    service.delete()


def test_in_the_thread_placement_variables_are_bounded_to_the_replicas_that_set_them(platform, package):
    if platform.placement != "thread":
        pytest.skip("only a thread agent shares the test process's environment")
    gone(["FAAS_T_SHARED"])  # from the services of the tests before, once their replicas stopped
    first = package.deploy(service_name="env-first", runtime={"concurrency": 1})
    put_env(platform, first.id, {"FAAS_T_SHARED": "one"})
    assert run(first)["FAAS_T_SHARED"] == "one"
    assert os.environ.get("FAAS_T_SHARED") == "one"  # the process's environment, while the replica runs

    second = package.deploy(service_name="env-second", runtime={"concurrency": 1})
    put_env(platform, second.id, {"FAAS_T_SHARED": "two"})
    execution = second.execute(execution_input={"names": NAMES}, function_name="read", project_id=second.project_id)
    execution = execution.wait()
    assert execution.latest_status["status"] == "failed"
    message = execution.latest_status["message"]
    assert "FAAS_T_SHARED" in message and "--faas-placement=subprocess" in message

    second.delete()
    first.delete()
    gone(["FAAS_T_SHARED"])  # restored once the last replica that set it stopped


def gone(names, within_s=15.0):
    deadline = time.monotonic() + within_s  # a stopped replica drains, then its agent restores the variables
    while any(name in os.environ for name in names) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [name for name in names if name in os.environ]
