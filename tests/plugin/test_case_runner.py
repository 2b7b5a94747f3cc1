"""`CaseRunner` against the session's platform and a remote handle, for what pytester runs cannot pin down."""

from __future__ import annotations

import json
import os

import pytest
from faas_code import simple_package

from pytest_faas import cases
from pytest_faas.cases import CaseRunner
from pytest_faas.errors import PlatformError
from pytest_faas.handle import Platform
from pytest_faas.local import LocalPlatform, RemotePlatform
from pytest_faas.manifests.loaded import load_folder


def test_a_push_survives_another_worker_making_dataloop_at_the_same_moment(faas_platform, tmp_path, monkeypatch):
    # dtlpy checks for ./.dataloop, then makes it. Another xdist worker making it in between made the push
    # fail with FileExistsError; here that interleaving is forced rather than waited for.
    monkeypatch.chdir(tmp_path)
    real_mkdir = os.mkdir

    def another_worker_wins(path, *args, **kwargs):
        if os.path.basename(path) == ".dataloop" and not os.path.isdir(path):
            real_mkdir(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", another_worker_wins)
    folder = simple_package(tmp_path / "raced", "raced", "def run(self):\n    return 1\n", [("run", [])])
    package = CaseRunner(faas_platform, "thread").package(load_folder(folder / "package.json"))
    assert package.name == "raced"


def test_the_session_platform_is_a_handle_with_its_app(faas_platform):
    assert isinstance(faas_platform, Platform)
    assert faas_platform.app is faas_platform.backend.app
    assert faas_platform.url == f"{faas_platform.base_url}/api/v1"


def test_a_case_runs_over_http_through_a_remote_handle_and_refusals_are_platform_errors(tmp_path):
    # A platform elsewhere (as `faas serve` is): the runner has no app to call, so every call is real HTTP.
    folder = simple_package(tmp_path / "remote", "remote", "def run(self, config):\n    return config['n'] * 2\n",
                            [("run", [("config", "Json")])])
    (folder / "mock.json").write_text(json.dumps({"inputs": [{"name": "config", "value": {"n": 21}}]}))
    package = load_folder(folder / "package.json")
    with LocalPlatform(bind_sdk=False, placement="subprocess", durable=False) as server:
        remote = RemotePlatform(server.url, server.token)  # the API base is taken as well as the gate URL
        runner = None
        try:
            assert isinstance(remote, Platform) and remote.app is None
            assert (remote.base_url, remote.url) == (server.base_url, server.url)
            runner = CaseRunner(remote, "subprocess")
            assert runner.client.transport is None
            [case] = package.cases()
            outcome = cases.run(runner, package, case)
            assert (outcome.status, outcome.execution["output"]) == ("success", 42), outcome.execution
            with pytest.raises(PlatformError) as refused:
                runner.execute({"id": "0" * 24}, case.case, outcome.execution["projectId"])
            assert refused.value.status == 404 and f"/executions/{'0' * 24}" in str(refused.value)
        finally:
            if runner is not None:
                runner.close()
            remote.close()
    assert remote.dl is None and not os.path.exists(remote._dataloop_path), "the private dtlpy folder is removed"
