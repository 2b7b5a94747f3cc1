"""Environment variables a service may not set, and env files past the bounds, refused before anything starts
and located: one rule (``protocol.env_name_problem``, ``env_size_problem``) for env files (``file:line``),
service.json's ``env`` (its key) and ``PUT /_faas/services/{id}/env`` (a 400).

Before, ``faas serve --env-file`` took PATH, LD_PRELOAD, PYTHONPATH, HOME, DATALOOP_PATH and the agent's own
variables in silence, and checked the variable count only after printing its banner, naming no file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.service import load_service
from pytest_faas.protocol import MAX_ENV_VARS

RUNNER_NAMES = ["PATH", "LD_PRELOAD", "PYTHONPATH", "HOME", "DATALOOP_PATH", "FAAS_AGENT_TOKEN", "FAAS_SOCKET"]


def _serve(tmp_path, env_file) -> subprocess.CompletedProcess:
    """``faas serve --env-file``; bounded: a server that starts is stopped at the timeout (and fails the test)."""
    command = [sys.executable, "-c", "from pytest_faas.cli import main; main()", "--data-dir", str(tmp_path / "data"),
               "serve", "--port", "0", "--placement", "thread", "--env-file", str(env_file)]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, DATALOOP_PATH=str(tmp_path / "dtlpy")))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"faas serve started with {env_file.name}: {exc.stderr!r}"[:2000])


def test_faas_serve_refuses_runner_variables_located_before_it_starts(tmp_path):
    lines = ["# runner variables", "GOOD=1"] + [f"{name}=/tmp/x" for name in RUNNER_NAMES]
    env_file = tmp_path / "svc.env"
    env_file.write_text("\n".join(lines) + "\n")
    done = _serve(tmp_path, env_file)
    assert done.returncode != 0
    for number, name in enumerate(RUNNER_NAMES, start=3):
        assert f"{env_file}:{number}" in done.stderr and name in done.stderr, (name, done.stderr[-2000:])
    assert "runner's own" in done.stderr
    assert "GOOD" not in done.stderr.replace("GOOD=1", "")
    assert not (tmp_path / "data" / "serve.json").exists() and "dtlpy" not in done.stdout  # no banner


def test_faas_serve_refuses_too_many_variables_naming_the_file_and_line(tmp_path):
    env_file = tmp_path / "many.env"
    env_file.write_text("".join(f"V{n}={n}\n" for n in range(MAX_ENV_VARS + 44)))
    done = _serve(tmp_path, env_file)
    assert done.returncode != 0
    assert f"{env_file}:{MAX_ENV_VARS + 1}" in done.stderr and f"at most {MAX_ENV_VARS} variables" in done.stderr
    assert not (tmp_path / "data" / "serve.json").exists()


def test_service_json_env_of_runner_variables_is_a_located_finding(tmp_path):
    path = tmp_path / "service.json"
    path.write_text(json.dumps({"name": "svc", "env": {"OK": "1", "LD_PRELOAD": "/tmp/x.so", "HOME": "/"}}))
    with pytest.raises((ManifestError, ManifestErrors)) as caught:
        load_service(path)
    errors = getattr(caught.value, "errors", [caught.value])
    assert sorted(e.json_path for e in errors) == ["env.HOME", "env.LD_PRELOAD"]
    assert all("runner's own" in e.render() for e in errors)


@pytest.mark.parametrize("name", RUNNER_NAMES)
def test_the_env_route_refuses_runner_variables(live, name):
    before = live.snapshot()
    response = live.call("PUT", f"/_faas/services/{live.ids['service']}/env", json={"env": {"OK": "1", name: "/tmp/x"}})
    assert response.status_code == 400 and "runner's own" in response.json()["message"], response.text
    assert live.snapshot() == before
