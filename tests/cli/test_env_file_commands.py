"""Environment variables of a service from the command line: service.json's "env" and `--env-file` on
`faas packages deploy`, `faas services invoke` and `faas serve`; a bad env file names its lines."""

from __future__ import annotations

import json
import os
import re

import pytest

from test_serve import Server, _free_port

MAIN = '''
import os

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def read(self, names):
        return {name: os.environ.get(name) for name in names}
'''
NAMES = ["FAAS_C_FROM_JSON", "FAAS_C_FROM_FILE", "FAAS_C_LATER", "FAAS_C_SERVER"]


def env_package(folder, service_env: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "envpkg", "modules": [{
        "name": "default_module", "entryPoint": "main.py",
        "functions": [{"name": "read", "input": [{"name": "names", "type": "Json"}]}]}]}))
    (folder / "service.json").write_text(json.dumps({"name": "env-service", "packageName": "envpkg",
                                                     "runtime": {"concurrency": 2}, "env": service_env}))


def read(faas, prefix: str = "", extra: str = "") -> dict:
    names = json.dumps({"names": NAMES})
    execution = faas.json(f"{prefix} services invoke -f read --input '{names}' {extra}")
    assert execution["latestStatus"]["status"] == "success", execution
    return execution["output"]


def test_deploy_and_invoke_give_the_service_its_variables(faas, tmp_path):
    env_package(tmp_path / "pkg", {"FAAS_C_FROM_JSON": "json", "FAAS_C_FROM_FILE": "json loses"})
    (tmp_path / "dev.env").write_text("# the developer's own\nFAAS_C_FROM_FILE='file wins'\n")
    (tmp_path / "later.env").write_text("export FAAS_C_LATER=later\n")
    faas("projects create demo")
    faas("packages push --src-path pkg")
    faas("packages deploy --src-path pkg --env-file dev.env")

    assert read(faas) == {"FAAS_C_FROM_JSON": "json", "FAAS_C_FROM_FILE": "file wins", "FAAS_C_LATER": None,
                          "FAAS_C_SERVER": None}
    # invoke adds to what the service has, and the service keeps it
    assert read(faas, extra="--env-file later.env")["FAAS_C_LATER"] == "later"
    assert read(faas)["FAAS_C_LATER"] == "later"
    # a deploy sets exactly service.json's and the file's: what neither gives is gone
    faas("packages deploy --src-path pkg")
    assert read(faas) == {"FAAS_C_FROM_JSON": "json", "FAAS_C_FROM_FILE": "json loses", "FAAS_C_LATER": None,
                          "FAAS_C_SERVER": None}
    assert "FAAS_C_FROM_JSON" not in os.environ  # the embedded platform's thread agents restored it on exit


def test_a_bad_env_file_is_refused_naming_each_line(faas, tmp_path):
    env_package(tmp_path / "pkg", {})
    (tmp_path / "bad.env").write_text("GOOD=1\nnot a line\n2BAD=x\nOPEN=\"no end\n")
    faas("projects create demo")
    faas("packages push --src-path pkg")
    refused = faas("packages deploy --src-path pkg --env-file bad.env", code=2)
    for line in ("bad.env:2: expected NAME=value, found 'not a line'", "bad.env:3: expected NAME=value",
                 "bad.env:4: expected NAME=value, found 'OPEN=\"no end' (close the value's quote)"):
        assert line in refused.stderr
    assert "bad.env:1" not in refused.stderr
    assert faas("packages deploy --src-path pkg --env-file missing.env", code=2).stderr.count("missing.env") == 1


def test_a_bad_env_in_service_json_is_located(faas, tmp_path):
    env_package(tmp_path / "pkg", {"my-var": "x"})
    faas("projects create demo")
    faas("packages push --src-path pkg")
    refused = faas("packages deploy --src-path pkg", code=1)
    assert 'service.json: env["my-var"]: expected a variable name' in refused.stderr
    env_package(tmp_path / "nul", {"GOOD": "1", "HAS_NUL": "a\0b"})
    faas("packages push --src-path nul")
    refused = faas("packages deploy --src-path nul", code=1)
    assert "service.json: env.HAS_NUL: expected a value without NUL characters" in refused.stderr


@pytest.mark.slow
def test_serve_gives_its_env_file_to_every_service(faas, tmp_path):
    port, data_dir = _free_port(), tmp_path / "store"
    (tmp_path / "server.env").write_text("FAAS_C_SERVER=server\nFAAS_C_FROM_JSON=server loses\n")
    env_package(tmp_path / "pkg", {"FAAS_C_FROM_JSON": "json"})
    base = {k: v for k, v in os.environ.items() if not k.startswith("FAAS_")}
    server = Server(["serve", "--quiet", "--port", str(port), "--data-dir", str(data_dir), "--env-file",
                     "server.env"], {**base, "DATALOOP_PATH": str(tmp_path / "serve-home")}, tmp_path)
    try:
        line = server.read_until(r"local platform at http://")
        assert re.search(rf"127\.0\.0\.1:{port}", line)
        on_server = f"--data-dir {data_dir}"
        faas(f"{on_server} projects create demo")
        faas(f"{on_server} packages push --src-path pkg")
        faas(f"{on_server} packages deploy --src-path pkg")
        assert read(faas, on_server) == {"FAAS_C_FROM_JSON": "json", "FAAS_C_FROM_FILE": None, "FAAS_C_LATER": None,
                                         "FAAS_C_SERVER": "server"}
    finally:
        assert server.stop() == 0
