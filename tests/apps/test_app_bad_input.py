"""The app routes answer bad bodies with a 4xx and a message, never a 500, and leave the store as it was:
a refused publish stores nothing, a refused install creates no package, service or trigger."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from faas_apps import two_module_app

from pytest_faas.backend import Backend

TOKEN = "t"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def backend():
    """A platform with no placements: installed services are stored, never started."""
    backend = Backend(TOKEN, durable=False)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def project(backend):
    return backend.projects.create_project("apps-bad-input")["id"]


def call(backend, method, path, body=None):
    response = Client(backend.app).open(f"/api/v1{path}", method=method, json=body,
                                        headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, response.get_json()


def snapshot(backend):
    return backend.store._db.execute("SELECT kind, id, body FROM documents ORDER BY kind, id").fetchall()


def refused(backend, method, path, body):
    before = snapshot(backend)
    status, answer = call(backend, method, path, body)
    assert 400 <= status < 500, (status, answer)
    assert answer["message"]
    assert snapshot(backend) == before
    return answer["message"]


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d.pop("name"), "'name' is required"),
    (lambda d: d.update(version=2), "'version' must be a string"),
    (lambda d: d.update(components=[]), "'components' must be an object"),
    (lambda d: d["components"].update(triggers={"a": 1}), "components.triggers must be a list"),
    (lambda d: d["components"]["modules"].append(copy.deepcopy(d["components"]["modules"][0])), "duplicate module"),
    (lambda d: d["components"]["modules"][0].update(computeConfig="nope"), "components.modules[0].computeConfig"),
    (lambda d: d["components"]["services"][0].update(moduleName="nope"), "components.services[0].moduleName"),
    (lambda d: d.pop("context"), "context.project"),
])
def test_a_bad_publish_is_refused_saying_where(backend, project, edit, fragment):
    document = dict(two_module_app("bad-publish"), context={"project": project})
    edit(document)
    assert fragment in refused(backend, "POST", "/app-registry", document)


@pytest.mark.parametrize("body, fragment", [
    ({"dpkName": "never-published"}, "Dpk not found"),
    ({"dpkName": 3}, "'dpkName' is required"),
    ({"name": ["x"], "dpkName": "install-me"}, "'name' must be a string"),
    ({"dpkName": "install-me", "dpkVersion": "9.9.9"}, "version not found"),
])
def test_a_bad_install_is_refused(backend, project, body, fragment):
    publish(backend, project, two_module_app("install-me"))
    assert fragment in refused(backend, "POST", "/apps", dict(body, projectId=project))


def publish(backend, project, manifest):
    status, answer = call(backend, "POST", "/app-registry", dict(manifest, context={"project": project}))
    assert status in (200, 409), answer
    return answer


def test_an_install_whose_service_exists_already_creates_nothing(backend, project):
    publish(backend, project, two_module_app("first"))
    status, _ = call(backend, "POST", "/apps", {"name": "first", "dpkName": "first", "projectId": project})
    assert status == 200
    # Same compute config name, so the same service name, in the same project.
    manifest = two_module_app("second")
    manifest["components"]["computeConfigs"][0]["name"] = "first-labeller"
    manifest["components"]["modules"][0]["computeConfig"] = "first-labeller"
    manifest["components"]["triggers"][0]["namespace"] = "services.first-labeller"
    publish(backend, project, manifest)
    assert "exists already" in refused(backend, "POST", "/apps", {"name": "second", "dpkName": "second", "projectId": project})


def test_a_trigger_the_platform_refuses_rolls_the_install_back(backend, project):
    manifest = two_module_app("bad-trigger")
    manifest["components"]["triggers"][0]["spec"]["resource"] = "Nothing"
    publish(backend, project, manifest)
    assert "spec.resource" in refused(backend, "POST", "/apps", {"name": "bad-trigger", "dpkName": "bad-trigger",
                                                          "projectId": project})


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                           max_leaves=12)
_count = iter(range(10 ** 9))


@st.composite
def damaged(draw):
    """A valid app with one part replaced by any JSON value."""
    document = two_module_app(f"fuzz-{next(_count)}")
    components = document["components"]
    target = draw(st.sampled_from([document, components, *components["modules"], *components["computeConfigs"],
                                   *components["services"], *components["triggers"], *components["pipelineNodes"],
                                   components["triggers"][0]["spec"], components["computeConfigs"][0]["runtime"]]))
    key = draw(st.sampled_from(sorted(target)) | st.text(max_size=6))
    if key == "name" and target is document:
        return document
    target[key] = draw(json_values)
    return document


@SETTINGS
@given(document=damaged())
def test_any_publish_then_install_is_answered_without_a_500(backend, project, document):
    before = snapshot(backend)
    status, answer = call(backend, "POST", "/app-registry", dict(document, context={"project": project}))
    assert status < 500, answer
    if status >= 400:
        assert snapshot(backend) == before
        return
    before = snapshot(backend)
    status, answer = call(backend, "POST", "/apps", {"name": document["name"], "dpkName": document["name"],
                                                     "projectId": project})
    assert status < 500, answer
    if status >= 400:
        assert snapshot(backend) == before
    else:
        status, answer = call(backend, "DELETE", f"/apps/{answer['id']}")
        assert status == 200, answer



@pytest.mark.parametrize("actions", [True, 3, [{"a": 1}], [["Created"]]])
def test_a_trigger_whose_actions_are_not_names_rolls_the_install_back(backend, project, actions):
    # Found by the fuzz: `"actions": true` reached the trigger's own check as a bool and crashed it (a 500).
    name = f"bad-actions-{abs(hash(repr(actions))) % 10000}"
    manifest = two_module_app(name)
    manifest["components"]["triggers"][0]["spec"]["actions"] = actions
    publish(backend, project, manifest)
    assert "spec.actions" in refused(backend, "POST", "/apps", {"name": name, "dpkName": name, "projectId": project})
