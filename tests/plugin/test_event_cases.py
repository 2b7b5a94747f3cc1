"""Event cases: `pytest --faas` makes a mock file's event happen and checks what service.json's triggers fire.

docs/formats.md#event-cases-event-and-expectexecutions. The triggers are created with dtlpy on the deployed
service; the event's resource is created on the platform, whose trigger engine fires real executions.
"""

from __future__ import annotations

import json
import uuid

from faas_code import package_json, simple_package

from pytest_faas import cases
from pytest_faas.cases import CaseRunner, check
from pytest_faas.errors import ExecutionFailed, TriggersFailed
from pytest_faas.manifests.loaded import load_folder

MAIN = '''import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item):
        if item.name.startswith("bad"):
            raise ValueError("cannot read " + item.name)
        return item.name

    def label(self, annotation):
        return annotation.label

    def named(self, dataset):
        return dataset.name
'''
FUNCTIONS = [("run", [("item", "Item")]), ("label", [("annotation", "Annotation")]),
             ("named", [("dataset", "Dataset")])]
SERVICE = {"name": "events-svc", "moduleName": "default_module", "triggers": [
    {"name": "on-train", "filter": {"dir": "/train"}, "resource": "Item", "actions": ["Created"],
     "function": "run", "executionMode": "Once"},
    {"name": "on-tag", "filter": {}, "resource": "Item", "actions": ["Updated"], "function": "run",
     "executionMode": "Always"},
    {"name": "on-label", "resource": "Annotation", "actions": ["Created"], "function": "label"},
    {"name": "on-dataset", "resource": "Dataset", "actions": ["Created"], "function": "named"}]}


def _files(name: str, mocks: dict) -> dict:
    return {"package.json": package_json(name, FUNCTIONS), "main.py": MAIN, "service.json": SERVICE,
            **{f"mocks/{mock}.json": body for mock, body in mocks.items()}}


def test_pytest_faas_runs_the_triggers_and_names_the_one_that_did_not_fire(faas_pytester, packages):
    packages.write("events", _files("events", {
        "train": {"event": {"resource": "Item", "item": {"name": "cat.png", "remote_path": "/train"}},
                  "expect": {"executions": [{"function": "run", "output": "cat.png"}]},
                  "cases": [{}, {"event": {"resource": "Item", "item": {"name": "dog.png", "remote_path": "/val"}},
                                 "expect": {"executions": [{"function": "run", "times": 0}]}}],
                  "inputs": [[], []]},
        "wrong": {"event": {"resource": "Item", "item": {"name": "bird.png", "remote_path": "/val"}},
                  "expect": {"executions": [{"function": "run", "trigger": "on-train"}]}},
    }))
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-rf")
    outcomes = result.parseoutcomes()
    text = result.stdout.str()
    assert (outcomes.get("passed"), outcomes.get("failed")) == (3, 1), text  # ::manifest and two train cases
    assert "run[mocks/wrong.json:0]" in text
    assert ("expected 1 execution(s) of run() by trigger 'on-train' after Item Created on item /val/bird.png, "
            "got 0; trigger 'on-train' (Item Created -> run(), filter {\"dir\": \"/train\"}) did not fire") in text


def test_updates_annotations_outcomes_and_unexpected_executions(faas_platform, tmp_path):
    name = f"ev-{uuid.uuid4().hex[:8]}"
    folder = simple_package(tmp_path / name, name, "", [])
    for relative, content in _files(name, {"cases": {
        "event": {"resource": "Item", "action": "Updated", "item": {"name": "tagged.png", "remote_path": "/train"}},
        "expect": {"executions": [{"function": "run", "trigger": "on-tag", "output": "tagged.png"}]},
        "cases": [
            {},
            {"event": {"resource": "Annotation", "item": {"remote_path": "/inbox"},
                       "annotation": {"type": "class", "label": "zebra"}},
             "expect": {"executions": [{"function": "label", "output": "zebra"}]}},
            {"event": {"resource": "Item", "item": {"name": "bad.png", "remote_path": "/train"}},
             "expect": {"executions": [{"function": "run", "trigger": "on-train"}]}},
            {"event": {"resource": "Item", "item": {"name": "fine.png", "remote_path": "/train"}},
             "expect": {"executions": [{"function": "label", "times": 0}]}},
            {"event": {"resource": "Dataset", "dataset": {"name": "fresh"}},
             "expect": {"executions": [{"function": "named", "trigger": "on-dataset", "output": "fresh"}]}},
        ],
        "inputs": [[], [], [], [], []]}}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    package = load_folder(folder / "package.json")
    assert package.errors() == [], package.errors()
    runner = CaseRunner(faas_platform, "thread")
    updated, annotated, failing, unexpected, dataset = package.cases()

    outcome = cases.run(runner, package, updated)  # its creation fired on-train too: that is not the event's doing
    assert [(e["functionName"], e["output"]) for e in outcome.executions] == [("run", "tagged.png")]
    check(outcome, updated.case.expect, "thread", "updated")

    outcome = cases.run(runner, package, annotated)
    assert [(e["functionName"], e["output"]) for e in outcome.executions] == [("label", "zebra")]
    check(outcome, annotated.case.expect, "thread", "annotated")

    outcome = cases.run(runner, package, failing)
    try:
        check(outcome, failing.case.expect, "thread", "failing")
    except ExecutionFailed as exc:
        assert "to end success, got failed: " in exc.reason and "cannot read bad.png" in exc.reason
    else:
        raise AssertionError("a failed triggered execution passed")

    outcome = cases.run(runner, package, unexpected)
    try:
        check(outcome, unexpected.case.expect, "thread", "unexpected")
    except TriggersFailed as exc:
        assert "unexpected execution of run() by trigger 'on-train'" in str(exc)
    else:
        raise AssertionError("an execution no entry expects passed")

    outcome = cases.run(runner, package, dataset)
    check(outcome, dataset.case.expect, "thread", "dataset")
    assert [e["output"] for e in outcome.executions] == ["fresh"]


def test_events_nothing_listens_to_are_manifest_findings(tmp_path):
    folder = simple_package(tmp_path / "quiet", "quiet", "", [])
    (folder / "package.json").write_text(json.dumps(package_json("quiet", FUNCTIONS)))
    (folder / "main.py").write_text(MAIN)
    (folder / "service.json").write_text(json.dumps(SERVICE))
    (folder / "mock.json").write_text(json.dumps({
        "event": {"resource": "Item", "action": "Deleted"},
        "expect": {"executions": [{"function": "rn", "trigger": "on-trian"}]}}))
    package = load_folder(folder / "package.json")
    messages = {f.json_path: f.message for f in package.errors()}
    assert "no Event trigger listens to Item Deleted" in messages["event"]
    assert "did you mean 'run'?" in messages["expect.executions[0].function"]
    assert "did you mean 'on-train'?" in messages["expect.executions[0].trigger"]
    (folder / "service.json").unlink()
    package = load_folder(folder / "package.json")
    assert "service.json declares no Event trigger" in {f.json_path: f.message for f in package.errors()}["event"]


def test_faas_packages_test_runs_event_cases_too(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from faas_code import write_package
    from pytest_faas.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path / "dtlpy"))
    monkeypatch.setenv("COLUMNS", "400")  # rich: never fold the reason
    folder = write_package(tmp_path / "events", _files("events", {
        "train": {"event": {"resource": "Item", "item": {"name": "cat.png", "remote_path": "/train"}},
                  "expect": {"executions": [{"function": "run", "output": "cat.png"}]}},
        "wrong": {"event": {"resource": "Item", "item": {"name": "bird.png", "remote_path": "/val"}},
                  "expect": {"executions": [{"function": "run"}]}}}))
    result = CliRunner().invoke(cli, ["packages", "test", "--src-path", str(folder)])
    assert result.exit_code == 1 and "1 of 2 mock cases failed" in result.output, result.output
    assert "trigger 'on-train' (Item Created -> run(), filter {\"dir\": \"/train\"}) did not fire" in result.output
