"""Fuzzing the dataloop.json loader: any JSON (or any bytes) loads, or is refused with located errors; what
loads can be checked and planned without a traceback."""

from __future__ import annotations

import copy
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faas_apps import two_module_app, write_app

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.app_checks import check_app
from pytest_faas.manifests.jsondoc import INTERNAL

VOCAB = ["name", "version", "displayName", "scope", "codebase", "attributes", "components", "modules",
         "computeConfigs", "services", "triggers", "pipelineNodes", "panels", "toolbars", "models", "modelTypes",
         "entryPoint", "className", "computeConfig", "functions", "input", "output", "type", "initInputs",
         "runtime", "podType", "concurrency", "runnerImage", "replicas", "executionTimeout", "initParams",
         "moduleName", "namespace", "spec", "resource", "actions", "operation", "functionName", "invoke",
         "filter", "cron", "executionMode", "autoscaler", "minReplicas", "maxReplicas"]
WORDS = ["Item", "Json", "Event", "Cron", "Created", "services.x", "x.m.f", "a.b", "labeller", "counter",
         "two-modules-labeller", "two-modules-counter", "project", "git", "main.py", "../up.py", "", "\x00"]
scalars = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=8) | st.sampled_from(WORDS))
keys = st.sampled_from(VOCAB) | st.text(max_size=6)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                           max_leaves=30)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_app(tmp_path_factory.mktemp("fuzz-app"))


def load_and_use(root, content):
    path = root / f"{next(_names)}-dataloop.json"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode("utf-8", "surrogatepass"))
    try:
        app = load_app(path)
    except ManifestErrors as exc:
        assert len(exc.errors) > 1
        for error in exc.errors:
            assert_located(error, path)
        return exc
    except ManifestError as exc:
        assert_located(exc, path)
        return exc
    [str(f) for f in check_app(root, app)]
    app.services()
    app.as_package()
    return app


def assert_located(error, path):
    assert error.file == str(path) and isinstance(error.json_path, str) and error.render()
    assert error.expected != INTERNAL, error.render()


@SETTINGS
@given(document=st.dictionaries(keys, json_values, max_size=6) | json_values)
def test_any_json_loads_or_is_refused_with_located_errors(root, document):
    load_and_use(root, document)


@SETTINGS
@given(components=st.dictionaries(keys, json_values, max_size=6) | json_values)
def test_any_components_load_or_are_refused_with_located_errors(root, components):
    load_and_use(root, {"name": "fuzz", "components": components})


@st.composite
def mutated(draw):
    """The valid two-module app with one to four random edits somewhere in its tree."""
    document = copy.deepcopy(two_module_app())
    for _ in range(draw(st.integers(1, 4))):
        parent = document
        while True:
            choices = sorted(parent) if isinstance(parent, dict) else list(range(len(parent)))
            if not choices:
                break
            key = draw(st.sampled_from(choices))
            child = parent[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                parent = child
                continue
            edit = draw(st.sampled_from(["replace", "delete", "word"]))
            if edit == "replace":
                parent[key] = draw(json_values)
            elif edit == "delete":
                del parent[key]
            else:
                parent[key] = draw(st.sampled_from(WORDS))
            break
    return document


@SETTINGS
@given(document=mutated())
def test_mutated_apps_load_or_are_refused_with_located_errors(root, document):
    load_and_use(root, document)


@SETTINGS
@given(content=st.binary(max_size=200))
def test_any_bytes_load_or_are_refused_with_located_errors(root, content):
    load_and_use(root, content)
