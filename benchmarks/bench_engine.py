"""FaaS engine latency in the thread placement: created-to-success of a no-op function.

One execution of a no-op function, created with the same POST dtlpy's `service.execute` sends (on one
kept-alive `requests` session) and waited for until it is final with the engine's own wait, so no polling
sleep is measured; then the same through dtlpy's `service.execute`. Baseline, interleaved with the subject:
a bare Python call of the same method. The HTTP server, the engine, the agent and the client share this
process. Throughput has its own bench (``bench_throughput.py``), which uses the package defined here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import requests

from harness import interleaved
from pytest_faas.local import LocalPlatform

LATENCY_REPEAT = 300
WAIT_S = 30.0
MAIN = """import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return None

    def on_item(self, item):
        return None
"""
FUNCTIONS = [{"name": "noop", "input": [], "output": []},
             {"name": "on_item", "input": [{"name": "item", "type": "Item"}], "output": []}]


def package_folder(root: Path) -> Path:
    """The bench package (``main.py`` and ``package.json``), written under ``root``."""
    folder = root / "engine"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "engine-bench", "modules": [{
        "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner", "functions": FUNCTIONS}]}))
    return folder


def bare_instance():
    """The same class, constructed in this process without the platform: what a bare call costs."""
    namespace: dict = {}
    exec(compile(MAIN, "main.py", "exec"), namespace)
    return namespace["ServiceRunner"]()


def push(project, folder: Path):
    # dtlpy's push writes a .dataloop folder into the current directory: keep it out of the checkout.
    here = os.getcwd()
    os.chdir(folder.parent)
    try:
        # dtlpy's sanity check would import the module in this process; the agent loads it anyway.
        return project.packages.push(src_path=str(folder), ignore_sanity_check=True)
    finally:
        os.chdir(here)


def _final(engine, execution_id: str) -> None:
    record = engine.wait(execution_id, WAIT_S)
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]


def _latency(report, platform, service, instance) -> None:
    engine = platform.backend.engine
    session = requests.Session()
    session.trust_env = False  # loopback: reading proxy settings from the environment costs ~0.5 ms a call
    session.headers["Authorization"] = f"Bearer {platform.token}"
    url = f"{platform.url}/executions/{service.id}"
    body = {"projectId": service.project_id, "functionName": "noop"}  # the body service.execute sends

    def over_rest():
        response = session.post(url, json=body)
        response.raise_for_status()
        _final(engine, response.json()["id"])

    def bare():
        instance.noop()

    subject, baseline = interleaved(over_rest, bare, repeat=LATENCY_REPEAT, warmup=20)
    report("no-op created-to-success, REST POST + engine.wait", subject, goal="<= 5 ms median",
           baseline="bare call of the method", baseline_samples=baseline, note="thread placement")

    def over_dtlpy():
        _final(engine, service.execute(function_name="noop", project_id=service.project_id).id)

    subject, baseline = interleaved(over_dtlpy, bare, repeat=LATENCY_REPEAT // 2, warmup=10)
    report("no-op created-to-success, dtlpy service.execute + engine.wait", subject,
           baseline="bare call of the method", baseline_samples=baseline, note="thread placement; dtlpy's own "
           "request cost included")
    session.close()


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-engine-"))
    instance = bare_instance()
    try:
        with LocalPlatform(durable=False, placement="thread") as platform:
            project = platform.dl.projects.create("bench-engine")
            package = push(project, package_folder(root))
            latency = package.deploy(service_name="latency", runtime={"concurrency": 10, "numReplicas": 1})
            _latency(report, platform, latency, instance)
    finally:
        shutil.rmtree(root, ignore_errors=True)
