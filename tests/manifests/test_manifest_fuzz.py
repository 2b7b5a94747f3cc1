"""Fuzzing the loaders: whatever the file holds, they return a model or raise located manifest errors.

Three sources of files: arbitrary JSON documents (biased towards the manifests' own keys and values),
random mutations of valid manifests and mock files, and arbitrary bytes. Anything other than a result,
`ManifestError` or `ManifestErrors` escaping a loader is a bug; so is a loaded model that the checks or
`MockFile.cases()` then choke on.
"""

import copy
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_faas.manifests.checks import check_mock, check_package, check_service
from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.jsondoc import INTERNAL
from pytest_faas.manifests.package import declares_modules, load_mock, load_package, load_service

VOCAB = ["name", "modules", "functions", "input", "output", "type", "entryPoint", "className", "initInputs",
         "slots", "services", "moduleName", "functionName", "runtime", "triggers", "resource", "actions", "spec",
         "cron", "startAt", "endAt", "executionMode", "function", "filter", "operation", "inputs", "value",
         "items", "datasets", "cases", "expect", "status", "message", "file", "remote_path", "dataset", "id",
         "init_params", "config", "numReplicas", "replicas", "concurrency", "autoscaler", "minReplicas",
         "maxReplicas", "requirements", "operator", "codebase", "on_reset", "module_name", "function_name",
         "initParams", "packageRevision", "metadata", "annotations", "active"]
WORDS = ["Item", "Item[]", "item", "Dataset", "Json", "String[]", "Created", "Clone", "Once", "Always", "Cron",
         "Event", "run", "default_module", "main.py", "ServiceRunner", "/", "/train", "train", "success",
         "failed", "* * * * *", "2024-01-01T00:00:00", "rerun", "rabbitmq", ">=", "", "\x00", "\ud800",
         "../x.jpg", "/abs.jpg", "C:\\x.jpg", "a" * 300]

scalars = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=10) | st.sampled_from(WORDS))
keys = st.sampled_from(VOCAB) | st.text(max_size=8)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                           max_leaves=30)
documents = st.dictionaries(keys, json_values, max_size=6) | json_values

HELLO_MAIN = ("import dtlpy as dl\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
              "    def __init__(self, **kwargs):\n        pass\n\n    def run(self, item, progress=None):\n        pass\n")
VALID = {
    "package.json": {"name": "p", "modules": [
        {"name": "default_module", "entryPoint": "main.py", "initInputs": [{"type": "Json", "name": "model_name"}],
         "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}], "output": []},
                       {"name": "hello"}]}],
        "slots": [{"moduleName": "default_module", "functionName": "run"}],
        "services": [{"name": "s", "moduleName": "default_module", "runtime": {"gpu": False, "replicas": 1},
                      "triggers": [{"name": "t", "type": "Event", "spec": {
                          "resource": "Item", "actions": ["Created"], "executionMode": "Once", "filter": {},
                          "operation": {"type": "function", "functionName": "run"}}}]}]},
    "service.json": {"name": "s", "packageName": "p", "module_name": "default_module", "on_reset": "rerun",
                     "runtime": {"podType": "regular-s", "numReplicas": 2, "concurrency": 3,
                                 "autoscaler": {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 2}},
                     "initParams": {"model_name": "m"},
                     "triggers": [{"name": "t", "resource": "Item", "actions": ["Created"], "function": "run"},
                                  {"name": "c", "type": "Cron", "cron": "* * * * *", "input": {"item": "a"}}]},
    "mock.json": {"function_name": "run", "init_params": {"model_name": "m"},
                  "inputs": [[{"name": "item", "value": "a"}], [{"name": "item", "value": {"item_id": "b"}}]],
                  "datasets": [{"id": "ds", "name": "pets"}],
                  "items": [{"id": "a", "file": "main.py", "remote_path": "/train", "dataset": "pets"}],
                  "expect": {"status": "success"},
                  "cases": [{"expect": {"output": None}}, {"items": [{"id": "b"}], "expect": {"status": "failed"}}]},
}
LOADERS = {"package.json": load_package, "service.json": load_service, "mock.json": load_mock}
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A package folder (with the code the valid manifests name) to write fuzzed files into."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "main.py").write_text(HELLO_MAIN)
    return folder


def load_and_use(workdir, kind, content):
    """Write `content`, load it, and use what loads; return the result or the located errors."""
    path = workdir / f"{next(_names)}-{kind}"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode("utf-8", "surrogatepass"))
    try:
        result = LOADERS[kind](path)
    except ManifestErrors as exc:
        assert len(exc.errors) > 1 and all(isinstance(e, ManifestError) for e in exc.errors)
        for error in exc.errors:
            assert_located(error, path)
        return exc
    except ManifestError as exc:
        assert_located(exc, path)
        return exc
    finally:
        assert declares_modules(path) in (True, False)
    _use(workdir, kind, result)
    return result


def assert_located(error, path):
    assert error.file == str(path) and isinstance(error.json_path, str) and error.render()
    assert error.expected != INTERNAL, error.render()  # the loaders' safety net caught a bug of ours


def _use(workdir, kind, result):
    # What loads must be usable: the checks and the case expansion take any loaded model.
    package = load_package(workdir / "valid-package.json")
    if kind == "package.json" and result is not None:
        [str(f) for f in check_package(workdir, result)]
        [str(f) for s in result.services for f in check_service(result, s)]
    elif kind == "service.json":
        [str(f) for f in check_service(package, result)]
        result.runtime.effective_replicas
    elif kind == "mock.json":
        cases = result.cases()
        assert len(cases) == (len(result.inputs) if result.threaded else 1)
        [str(f) for f in check_mock(package, result)]


@pytest.fixture(scope="module", autouse=True)
def _valid_files(workdir):
    for kind, document in VALID.items():
        (workdir / f"valid-{kind}").write_text(json.dumps(document))


@pytest.mark.parametrize("kind", list(VALID))
def test_the_valid_fixtures_load_and_check_clean(workdir, kind):
    result = load_and_use(workdir, kind, VALID[kind])
    assert not isinstance(result, Exception), str(result)


@pytest.mark.parametrize("kind", list(LOADERS))
@SETTINGS
@given(document=documents)
def test_any_json_document_loads_or_is_refused_with_located_errors(workdir, kind, document):
    load_and_use(workdir, kind, document)


@SETTINGS
@given(document=st.dictionaries(keys, json_values, max_size=4), modules=json_values)
def test_any_modules_value_loads_or_is_refused_with_located_errors(workdir, document, modules):
    load_and_use(workdir, "package.json", {**document, "modules": modules})


@st.composite
def mutated(draw, kind):
    """A valid document of `kind` with one to four random edits somewhere in its tree."""
    document = copy.deepcopy(VALID[kind])
    for _ in range(draw(st.integers(1, 4))):
        parent, key = document, None
        # Walk down a random branch, stopping at a random depth.
        while isinstance(parent, (dict, list)) and parent and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(parent) if isinstance(parent, dict) else range(len(parent))))
            if not isinstance(parent[key], (dict, list)) or not parent[key]:
                break
            parent = parent[key]
            key = None
        if not isinstance(parent, (dict, list)) or not parent:
            continue
        if key is None:
            key = draw(st.sampled_from(sorted(parent) if isinstance(parent, dict) else range(len(parent))))
        edit = draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "retype"]))
        if edit == "replace":
            parent[key] = draw(json_values)
        elif edit == "delete":
            del parent[key]
        elif edit == "insert" and isinstance(parent, dict):
            parent[draw(keys)] = draw(json_values)
        elif edit == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif edit == "retype" and isinstance(parent[key], str):
            parent[key] = draw(st.sampled_from(WORDS))
    return document


@pytest.mark.parametrize("kind", list(VALID))
@SETTINGS
@given(data=st.data())
def test_mutated_valid_files_load_or_are_refused_with_located_errors(workdir, kind, data):
    load_and_use(workdir, kind, data.draw(mutated(kind)))


@pytest.mark.parametrize("kind", list(LOADERS))
@SETTINGS
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_load_or_are_refused_with_located_errors(workdir, kind, content):
    load_and_use(workdir, kind, content)


@st.composite
def damaged(draw, kind):
    """The text of a valid file, cut short or with a few characters replaced: broken JSON near valid JSON."""
    text = json.dumps(VALID[kind], indent=draw(st.sampled_from([None, 2])))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", ",", "]", "}", '"', "\n", "\u2028", "\x0b", "NaN", "\\u"])) + text[at + 1:]
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


@pytest.mark.parametrize("kind", list(VALID))
@SETTINGS
@given(data=st.data())
def test_damaged_valid_files_load_or_are_refused_with_located_errors(workdir, kind, data):
    result = load_and_use(workdir, kind, data.draw(damaged(kind)).encode("utf-8"))
    if isinstance(result, ManifestError) and result.expected == "valid JSON" and hasattr(result, "line"):
        assert result.line >= 1 and result.column >= 1
