"""Where a package's code comes from, one rule for the routes and the manifests (``protocol.entry_point_ok``
and ``protocol.codebase_problem``): an entryPoint outside the codebase, a filesystem codebase of a system
folder and a git codebase that is a folder of the machine are refused at publish, a 400 that changes
nothing; the same in a package.json or dataloop.json is a located finding of the same words.

Before, ``POST /packages`` and ``POST /app-registry`` took an entryPoint of ``/etc/passwd`` or
``../../etc/hosts.py`` and codebases of ``filesystem: /etc`` or ``git: file:///etc``.
"""

from __future__ import annotations

import json

import pytest

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.package import load_package

MODULE = {"name": "m", "entryPoint": "main.py", "className": "Runner",
          "functions": [{"name": "run", "input": [{"name": "config", "type": "Json"}]}]}
BAD = {
    "absolute entry point": ("modules[0].entryPoint", {"modules": [dict(MODULE, entryPoint="/etc/passwd")]},
                             "a relative path to a .py file inside the package"),
    "entry point out of the codebase": ("modules[0].entryPoint",
                                        {"modules": [dict(MODULE, entryPoint="../../etc/hosts.py")]},
                                        "a relative path to a .py file inside the package"),
    "filesystem codebase of /etc": ("codebase.hostPath", {"codebase": {"type": "filesystem", "hostPath": "/etc"}},
                                    "not a system folder"),
    "local codebase of /proc/self": ("codebase.localPath", {"codebase": {"type": "local", "localPath": "//proc/self/"}},
                                     "not a system folder"),
    "filesystem codebase climbing": ("codebase.containerPath",
                                     {"codebase": {"type": "filesystem", "containerPath": "/code/../etc"}},
                                     "an absolute folder path without '..'"),
    "git codebase of a file URL": ("codebase.gitUrl", {"codebase": {"type": "git", "gitUrl": "file:///etc"}},
                                   "the URL of a git server"),
    "git codebase of a path": ("codebase.gitUrl", {"codebase": {"type": "git", "gitUrl": "/etc"}},
                               "the URL of a git server"),
}


def _package_body(live, keys: dict) -> dict:
    return {"name": "sources", "projectId": live.ids["project"], "modules": [MODULE], **keys}


def _dpk_body(live, keys: dict) -> dict:
    components = {"modules": keys["modules"]} if "modules" in keys else {"modules": [MODULE]}
    body = {"name": "sources-app", "version": "1.0.0", "context": {"project": live.ids["project"]},
            "components": components}
    if "codebase" in keys:
        body["codebase"] = keys["codebase"]
    return body


@pytest.mark.parametrize("case", list(BAD))
def test_publish_refuses_code_from_outside_and_stores_nothing(live, case):
    where, keys, said = BAD[case]
    before = live.snapshot()
    for path, body, prefix in (("/packages", _package_body(live, keys), ""),
                               ("/app-registry", _dpk_body(live, keys), "components." if "modules" in keys else "")):
        response = live.call("POST", path, json=body)
        assert response.status_code == 400, (case, path, response.status_code, response.text[:300])
        message = response.json()["message"]
        assert message.startswith(prefix + where) and said in message, (path, message)
    assert live.snapshot() == before


def test_an_update_is_held_to_the_same_rule(live):
    package = live.ok("POST", "/packages", json=_package_body(live, {"name": "sources-update"}))
    before = live.snapshot()
    response = live.call("PATCH", f"/packages/{package['id']}",
                         json={"codebase": {"type": "filesystem", "hostPath": "/etc"}})
    assert response.status_code == 400 and "not a system folder" in response.json()["message"]
    assert live.snapshot() == before


@pytest.mark.parametrize("case", list(BAD))
def test_a_manifest_gets_a_located_finding_of_the_same_words(tmp_path, case):
    where, keys, said = BAD[case]
    (tmp_path / "package.json").write_text(json.dumps({"name": "sources", "modules": [MODULE], **keys}))
    app = {"name": "sources-app", "components": {"modules": keys.get("modules", [MODULE])}}
    if "codebase" in keys:
        app["codebase"] = keys["codebase"]
    (tmp_path / "dataloop.json").write_text(json.dumps(app))
    for load, file, at in ((load_package, "package.json", where),
                           (load_app, "dataloop.json", ("components." if "modules" in keys else "") + where)):
        with pytest.raises((ManifestError, ManifestErrors)) as caught:
            load(tmp_path / file)
        errors = getattr(caught.value, "errors", [caught.value])
        assert any(e.file == str(tmp_path / file) and e.json_path == at and said in e.render() for e in errors), \
            [e.render() for e in errors]


def test_code_from_where_code_may_come_is_published(live):
    for codebase in ({"type": "git", "gitUrl": "https://github.com/dataloop-ai/dtlpy.git"},
                     {"type": "filesystem", "hostPath": "/home/me/code", "containerPath": "/code"}):
        body = _package_body(live, {"name": f"sources-{codebase['type']}", "codebase": codebase,
                                    "modules": [dict(MODULE, entryPoint="src/main.py")]})
        assert live.ok("POST", "/packages", json=body)["codebase"] == codebase
