"""Scale-out for real: `pytest --faas -n 2` (each worker its own platform, each package pushed once per
worker that runs its cases), `--faas-shard i/n` (the shards together run every test exactly once, their junit
files merge), and what keeps each test process's start-up cheap."""

from __future__ import annotations

import gc
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_faas.local import LocalPlatform
from pytest_faas.plugin.settings import parse_shard, resolve
from pytest_faas.plugin.shards import merge_junit, shard_ids

CASES = 24


def _mock(module: str, numbers) -> dict:
    return {"module_name": module, "inputs": [[{"name": "config", "value": {"n": i}}] for i in numbers],
            "cases": [{"expect": {"output": {"n": i}}} for i in numbers]}


def echo_package(name: str, cases: int = CASES) -> dict:
    """One echo function in two modules (so two services), ``cases`` cases between them."""
    function = [{"name": "run", "input": [{"name": "config", "type": "Json"}]}]
    return {
        "package.json": {"name": name, "modules": [
            {"name": "first", "entryPoint": "main.py", "functions": function},
            {"name": "second", "entryPoint": "main.py", "functions": function}]},
        "main.py": "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
                   "    def run(self, config):\n        return config\n",
        "mock.json": _mock("first", range(0, cases, 2)),
        "mocks/second.json": _mock("second", range(1, cases, 2)),
    }


def _kept_folders(result) -> list[Path]:
    return [Path(line.split()[4]) for line in result.stdout.lines if line.startswith("platform data kept in ")]


def _pushed_once(folder: Path) -> set[str]:
    """The packages pushed to the platform kept in ``folder``, asserting each was pushed and deployed once."""
    with LocalPlatform(data_dir=folder, bind_sdk=False, placement="none") as platform:
        store, engine = platform.backend.store, platform.backend.engine
        named = sorted(p["name"] for p in store.all("packages"))
        assert len(named) == len(set(named)), f"{folder}: a package pushed twice: {named}"
        for package in store.all("packages"):
            assert len(engine.packages.revisions(package["id"])) == 1, f"{folder}: {package['name']} pushed again"
        services = sorted((s["packageId"], s["moduleName"]) for s in store.all("services"))
        assert len(services) == len(set(services)), f"{folder}: a module deployed twice: {services}"
        return set(named)


def test_under_xdist_each_worker_pushes_each_package_once_to_its_own_platform(faas_pytester, packages):
    packages.write("echo", echo_package("echo"))
    packages.copy_sample("hello_world")
    result = faas_pytester.runpytest_subprocess("--faas", "-n", "2", "-v", "-p", "no:cacheprovider", "--faas-keep")
    result.assert_outcomes(passed=CASES + 1 + 3 + 1)  # the cases, and each package's manifest item
    names = {"echo": "echo", "hello_world": "default-package"}  # folder -> package name
    ran_by: dict[str, set[str]] = {}
    for worker, folder in re.findall(r"\[(gw\d)\] \[[ \d%]+\] PASSED (\w+)/package\.json::\w+::", result.stdout.str()):
        ran_by.setdefault(worker, set()).add(names[folder])
    folders = _kept_folders(result)
    try:
        assert len(folders) == len(ran_by) == 2, "both workers ran cases, each on a platform of its own"
        pushed_per_worker = [_pushed_once(folder) for folder in folders]
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    # Each worker pushed what it ran cases of, and nothing else (a package is pushed on its first case).
    assert sorted(map(sorted, pushed_per_worker)) == sorted(map(sorted, ran_by.values()))


def test_the_controller_imports_no_dtlpy_and_a_worker_without_cases_starts_no_platform(faas_pytester, packages):
    packages.write("echo", echo_package("echo", 2))
    # Written by each process at its end: the controller has no workerinput.
    faas_pytester.makeconftest("""
import os, sys

def pytest_unconfigure(config):
    who = getattr(config, "workerinput", {}).get("workerid", "controller")
    heavy = sorted(m for m in ("dtlpy", "pydantic", "werkzeug") if m in sys.modules)
    with open(os.path.join(str(config.rootpath), who + ".modules"), "w") as out:
        out.write(" ".join(heavy))
""")
    result = faas_pytester.runpytest_subprocess("--faas", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider",
                                                "--faas-keep")
    result.assert_outcomes(passed=3)
    folders = _kept_folders(result)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    assert len(folders) == 1, "one package on one worker (loadfile): the other worker started no platform"
    assert (faas_pytester.path / "controller.modules").read_text() == ""
    workers = sorted((faas_pytester.path / f"gw{i}.modules").read_text() for i in range(2))
    assert workers == ["dtlpy pydantic werkzeug", "pydantic"], "the idle worker only collected"


def test_dist_loadfile_keeps_each_packages_cases_on_one_worker(faas_pytester, packages):
    packages.write("echo", echo_package("echo", 8))
    packages.copy_sample("hello_world")
    result = faas_pytester.runpytest_subprocess("--faas", "-n", "2", "--dist", "loadfile", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8 + 1 + 3 + 1)
    workers_of: dict[str, set[str]] = {}
    for worker, folder in re.findall(r"\[(gw\d)\] \[[ \d%]+\] PASSED (\w+)/package\.json::", result.stdout.str()):
        workers_of.setdefault(folder, set()).add(worker)
    assert set(workers_of) == {"echo", "hello_world"}
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of


def test_two_shards_together_run_every_test_exactly_once_and_their_junit_files_merge(faas_pytester, packages):
    packages.write("echo", echo_package("echo"))
    packages.copy_sample("hello_world")
    faas_pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    collected = faas_pytester.runpytest_subprocess("--faas", "--collect-only", "-q", "-p", "no:cacheprovider")
    every = {line for line in collected.outlines if "::" in line}
    assert len(every) == CASES + 1 + 3 + 1 + 1
    ran, files = [], []
    for shard, workers in (("1/2", ()), ("2/2", ("-n", "2"))):  # with and without xdist: the same split
        out = faas_pytester.path / f"shard-{shard[0]}.xml"
        result = faas_pytester.runpytest_subprocess("--faas", f"--faas-shard={shard}", "-p", "no:cacheprovider",
                                                    *workers, f"--junitxml={out}")
        # Said in the summary of a run without -n; under xdist the workers select, and the header says it.
        said = f"faas: shard {shard[0]} of 2 ran * of the {len(every)} selected tests" if not workers else \
            f"faas: shard {shard[0]} of 2 (--faas-shard)"
        result.stdout.fnmatch_lines([said])
        assert result.ret == 0
        cases = list(ET.parse(out).getroot().iter("testcase"))
        ran.append({f"{c.get('classname')}::{c.get('name')}" for c in cases})
        assert len(ran[-1]) == len(cases) > 0, "a shard runs each of its tests once"
        files.append(out)
    assert not ran[0] & ran[1], "no test runs in both shards"
    assert abs(len(ran[0]) - len(ran[1])) <= 1, "the shards are the same size"
    assert len(ran[0] | ran[1]) == len(every)
    merged = faas_pytester.path / "merged.xml"
    assert merge_junit(files, merged) == len(every)
    root = ET.parse(merged).getroot()
    assert root.tag == "testsuites" and root.get("tests") == str(len(every)) and root.get("failures") == "0"


def test_a_shard_is_a_block_of_the_sorted_ids_whatever_their_order():
    ids = [f"pkg{i % 3}/package.json::m::run[mock.json:{i}]" for i in range(101)]
    shards = [shard_ids(ids, i, 4) for i in range(1, 5)]
    assert shard_ids(list(reversed(ids)), 2, 4) == shards[1], "the order of collection does not matter"
    assert sorted(x for s in shards for x in s) == sorted(ids)
    assert {len(s) for s in shards} <= {25, 26}
    assert shard_ids(ids, 1, 1) == sorted(ids) and shard_ids([], 1, 3) == []
    assert all(a < b for a, b in zip(shards, shards[1:])), "contiguous blocks, in order"


def test_bad_shards_say_what_is_expected_wherever_they_come_from(faas_pytester):
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1/1 ") == (1, 1)
    for bad in ("0/2", "3/2", "1", "a/b", "1/0", "-1/2"):
        with pytest.raises(ValueError, match="expects i/n with 1 <= i <= n"):
            parse_shard(bad)
    with pytest.raises(ValueError, match=r"environment: FAAS_SHARD expects i/n .*found '5/4'"):
        resolve({}, {}, {"FAAS_SHARD": "5/4"})
    assert resolve({"shard": "1/2"}, {}, {}).shard == "1/2"
    assert resolve({}, {"shard": "2/3"}, {}).shard == "2/3"  # faas_shard in the ini file
    with pytest.raises(ValueError, match=r"ini: faas_shard expects i/n .*found '1-2'"):
        resolve({}, {"shard": "1-2"}, {})
    result = faas_pytester.runpytest_subprocess("--faas", "--faas-shard=2/1")
    result.stderr.fnmatch_lines(["*command line: --faas-shard expects i/n with 1 <= i <= n*found '2/1'"])
    result = faas_pytester.runpytest_subprocess("--faas-shard=1/2")
    result.stderr.fnmatch_lines(["*--faas-shard splits a `pytest --faas` run: add --faas"])


def test_dtlpy_finds_its_upload_event_loop_running(faas_dl, faas_dataset):
    # dtlpy sleeps a second after starting its event loop itself; the binding starts it, running, beforehand.
    loop = faas_dl.client_api._event_loop
    assert loop is not None and loop.is_alive() and loop.loop.is_running()
    faas_dataset.items.upload(local_path=__file__, remote_path="/scaleout")  # uploads go through that loop
    assert faas_dl.client_api.event_loop is loop, "dtlpy kept the loop it found, it did not make its own"


def test_the_objects_of_a_started_platform_are_left_out_of_garbage_collections(faas_platform):
    assert gc.get_freeze_count() > 10_000  # dtlpy, numpy, werkzeug... moved to the permanent generation
