"""A service's cases run at once, as the platform runs executions: `pytest --faas` submits the upcoming cases of
a service ahead of their tests, up to what the service allows (or --faas-concurrency), and each test waits for
its own. Overlap is read from the platform's own records (each execution's in-progress and final stamps in the
kept data dir), and from functions that wait, for a bounded time, to meet another case running beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_faas.local import LocalPlatform
from pytest_faas.plugin.ahead import _running_span, peak_at_once
from pytest_faas.plugin.settings import resolve
from pytest_faas.protocol import TERMINAL

MEET_MAIN = '''
import os
import time

import dtlpy as dl


def _meet(config):
    """Leave a mark in the case's folder, then wait (at most config["wait"] s) until config["peers"] cases have."""
    os.makedirs(config["dir"], exist_ok=True)
    open(os.path.join(config["dir"], str(config["n"])), "w").close()
    deadline = time.monotonic() + config["wait"]
    while time.monotonic() < deadline:
        if len(os.listdir(config["dir"])) >= config.get("peers", 2):
            return True
        time.sleep(0.02)
    return False


class ServiceRunner(dl.BaseServiceRunner):
    def meet(self, config):
        if config.get("fail"):
            raise ValueError("this case fails on purpose")
        return {"n": config["n"], "met": _meet(config)}

    def remember(self, config):
        self.current = config["n"]  # per-call state on self: wrong when two calls share the instance
        _meet(config)
        time.sleep(0.3)  # both calls have written self.current
        return {"n": self.current}

    def hold(self, item, config):
        met = _meet(config)
        now = dl.items.get(item_id=item.id)
        return {"met": met, "same_item": now.dataset_id == item.dataset_id}
'''


def _function(name: str, inputs) -> dict:
    return {"name": name, "input": [{"name": n, "type": t} for n, t in inputs]}


def meet_package(folder: Path, numbers, *, function: str = "meet", wait: float = 20.0, peers: int = 2) -> dict:
    """Cases ``numbers`` of one function, each waiting (at most ``wait`` s) for ``peers`` cases to run at once."""
    inputs = [("item", "Item"), ("config", "Json")] if function == "hold" else [("config", "Json")]
    sets = [[{"name": "config", "value": {"n": n, "dir": str(folder), "wait": wait, "peers": peers}}] for n in numbers]
    return {
        "package.json": {"name": "meet", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                      "functions": [_function(function, inputs)]}]},
        "main.py": MEET_MAIN,
        "mock.json": {"module_name": "default_module", "function_name": function, "inputs": sets,
                      "expect": {"status": "success"}},
    }


def _executions(result) -> list[dict]:
    """The executions of the run's platform (kept with --faas-keep), oldest first."""
    kept = [line.split()[4] for line in result.stdout.lines if line.startswith("platform data kept in ")]
    assert len(kept) == 1, result.stdout.str()
    with LocalPlatform(data_dir=kept[0], bind_sdk=False, placement="none") as platform:
        return sorted(platform.backend.store.all("executions"), key=lambda e: e["createdAt"])


def _peak(executions) -> int:
    """The most of these executions in progress at one moment, by the platform's stamps."""
    spans = [_running_span(e) for e in executions]
    return max(peak_at_once(span, spans) for span in spans)


def _inputs(execution) -> int:
    return execution["input"]["config"]["n"]


def test_a_services_cases_run_at_once_and_report_in_order_as_selected(faas_pytester, packages):
    folder = faas_pytester.path / "marks"
    packages.write("meet", meet_package(folder, [0, 1, 2, 3], peers=3))
    deselected = "meet/package.json::default_module::meet[mock.json:2]"
    result = faas_pytester.runpytest_subprocess("--faas", "-v", "-p", "no:cacheprovider", "--faas-keep",
                                                "--deselect", deselected)
    result.assert_outcomes(passed=4, deselected=1)  # ::manifest and three cases
    result.stdout.fnmatch_lines(["*meet[[]mock.json:0[]] PASSED*", "*meet[[]mock.json:1[]] PASSED*",
                                 "*meet[[]mock.json:3[]] PASSED*"])
    executions = _executions(result)
    assert [_inputs(e) for e in executions] == [0, 1, 3]  # the deselected case never ran
    assert all(e["output"]["met"] for e in executions), [e["output"] for e in executions]
    assert _peak(executions) == 3


@pytest.mark.parametrize("option", ["--faas-concurrency=1", "-s", "--faas-pdb"])
def test_one_at_a_time_with_concurrency_1_or_a_debugger_at_hand(faas_pytester, packages, option):
    folder = faas_pytester.path / "marks"
    # Each case runs for a second (waiting for a peer that would run beside it): any overlap would show.
    packages.write("meet", meet_package(folder, [0, 1, 2], wait=1.0, peers=9))
    result = faas_pytester.runpytest_subprocess("--faas", option, "-p", "no:cacheprovider", "--faas-keep")
    result.assert_outcomes(passed=4)
    executions = _executions(result)
    assert [_inputs(e) for e in executions] == [0, 1, 2]
    assert _peak(executions) == 1


def test_concurrency_comes_from_the_ini_and_env_and_is_checked():
    assert resolve({}, {"concurrency": "4"}, {}).concurrency == "4"
    assert resolve({"concurrency": "2"}, {"concurrency": "4"}, {"FAAS_CONCURRENCY": "3"}).concurrency == "2"
    assert resolve({}, {"concurrency": "4"}, {"FAAS_CONCURRENCY": "3"}).concurrency == "3"
    for bad in ("0", "many", "1001"):
        with pytest.raises(ValueError, match="FAAS_CONCURRENCY expects a whole number from 1 to 1000"):
            resolve({}, {}, {"FAAS_CONCURRENCY": bad})


def test_after_x_stops_the_run_what_was_submitted_ahead_is_terminated(faas_pytester, packages):
    folder = faas_pytester.path / "marks"
    files = meet_package(folder, [])
    # Case 0 fails at once; cases 1 to 3, submitted beside it, each wait alone (their own folders) for long.
    files["mock.json"]["inputs"] = [
        [{"name": "config", "value": {"n": 0, "dir": str(folder / "0"), "wait": 0, "fail": True}}],
        *[[{"name": "config", "value": {"n": n, "dir": str(folder / str(n)), "wait": 120}}] for n in (1, 2, 3)]]
    packages.write("meet", files)
    result = faas_pytester.runpytest_subprocess("--faas", "-x", "-p", "no:cacheprovider", "--faas-keep")
    result.assert_outcomes(passed=1, failed=1)
    executions = _executions(result)
    assert [_inputs(e) for e in executions] == [0, 1, 2, 3]
    assert executions[0]["latestStatus"]["status"] == "failed"
    for execution in executions[1:]:  # the session terminated them (a sleeping thread ends with the platform)
        assert execution["toTerminate"], execution["statusLog"]
        assert execution["latestStatus"]["status"] in TERMINAL, execution["statusLog"]


def test_cases_that_seed_the_same_item_never_run_at_once(faas_pytester, packages):
    folder = faas_pytester.path / "marks"
    files = meet_package(folder, [], function="hold")
    files.pop("mock.json")
    for name, n, item_id in (("a", 0, "shared-item"), ("b", 1, "shared-item"), ("c", 2, "own-item")):
        meeting = folder / ("a" if name == "a" else "bc")  # a alone; b and c would meet if they overlap
        files[f"mocks/{name}.json"] = {
            "module_name": "default_module", "function_name": "hold",
            "inputs": [{"name": "item", "value": {"item_id": item_id}},
                       {"name": "config", "value": {"n": n, "dir": str(meeting), "wait": 3.0}}],
            "items": [{"id": item_id}], "expect": {"status": "success"}}
    packages.write("meet", files)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-keep")
    executions = _executions(result)
    outputs = {_inputs(e): e["output"] for e in executions}
    assert all(output["same_item"] for output in outputs.values()), outputs  # no case's item was replaced
    assert _peak(executions[:2]) == 1  # a and b share their item: one after the other
    assert _peak(executions[1:]) == 2 and outputs[1]["met"] and outputs[2]["met"]  # b and c ran at once


def test_per_call_state_on_self_fails_and_says_how_many_ran_at_once(faas_pytester, packages):
    folder = faas_pytester.path / "marks"
    files = meet_package(folder, [0, 1], function="remember", wait=5.0)
    files["mock.json"]["cases"] = [{"expect": {"output": {"n": 0}}}, {"expect": {"output": {"n": 1}}}]
    packages.write("meet", files)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*expected output {\"n\": ?}, got {\"n\": ?}*",
                                 "*the service ran 2 executions at once while this one ran*"
                                 "`pytest --faas --faas-concurrency=1` runs one case at a time, to check*"])
    serial = faas_pytester.runpytest_subprocess("--faas", "--faas-concurrency=1", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=3)


def test_under_xdist_a_workers_queued_cases_run_at_once(faas_pytester, packages):
    folder = faas_pytester.path / "marks"
    packages.write("meet", meet_package(folder, [0, 1, 2, 3], peers=4))
    # loadfile queues the whole package on one worker: its queue is what that worker submits ahead.
    result = faas_pytester.runpytest_subprocess("--faas", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider",
                                                "--faas-keep")
    result.assert_outcomes(passed=5)
    kept = [line.split()[4] for line in result.stdout.lines if line.startswith("platform data kept in ")]
    assert len(kept) == 1, result.stdout.str()  # the other worker ran nothing, started nothing
    executions = _executions(result)
    assert all(e["output"]["met"] for e in executions) and _peak(executions) == 4
