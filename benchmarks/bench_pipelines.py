"""Pipeline latency in the thread placement: a two-node pipeline execution, start to success.

Subject: ``POST /pipelines/{id}/execute`` on an item (the body ``pipeline.execute`` sends), waited for with
the platform's own wait, through two function nodes that pass the item on. Baseline, interleaved with it:
the same two functions executed one after the other with ``POST /executions/{serviceId}`` and the engine's
wait. The ratio is what routing a node's output through the pipeline costs over chaining by hand.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import requests

from harness import interleaved
from pytest_faas.local import LocalPlatform

REPEAT = 150
WAIT_S = 30.0
MAIN = """import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def pass_on(self, item):
        return item
"""
ITEM = [{"name": "item", "type": "Item"}]


def _package(project, root: Path):
    folder = root / "relay"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "relay", "modules": [{
        "name": "default_module", "entryPoint": "main.py",
        "functions": [{"name": "pass_on", "input": ITEM, "output": ITEM}]}]}))
    here = os.getcwd()
    os.chdir(root)  # dtlpy's push writes a .dataloop folder into the current directory
    try:
        return project.packages.push(src_path=str(folder), ignore_sanity_check=True)
    finally:
        os.chdir(here)


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-pipelines-"))
    try:
        with LocalPlatform(durable=False, placement="thread") as platform:
            dl = platform.dl
            project = dl.projects.create("bench-pipelines")
            service = _package(project, root).deploy(service_name="relay", runtime={"concurrency": 10})
            pipeline = project.pipelines.create(name="two")
            first = dl.FunctionNode(name="first", service=service, function_name="pass_on")
            second = dl.FunctionNode(name="second", service=service, function_name="pass_on", position=(2, 1))
            pipeline.nodes.add(first)
            first.connect(second)
            pipeline = pipeline.update()
            pipeline.install()
            item = project.datasets.create("d").items.upload(local_path=io.BytesIO(b"x"), remote_name="x.png")
            _measure(report, platform, service, pipeline, item)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(report, platform, service, pipeline, item) -> None:
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {platform.token}"
    engine, runs = platform.backend.engine, platform.backend.pipeline_runs

    def through_pipeline():
        response = session.post(f"{platform.url}/pipelines/{pipeline.id}/execute",
                                json={"pipeline": {"input": {"item": item.id}}})
        response.raise_for_status()
        assert runs.wait(response.json()["id"], WAIT_S)["status"] == "success"

    def chained_by_hand():
        for _ in range(2):
            response = session.post(f"{platform.url}/executions/{service.id}",
                                    json={"functionName": "pass_on", "input": {"item": item.id}})
            response.raise_for_status()
            assert engine.wait(response.json()["id"], WAIT_S)["latestStatus"]["status"] == "success"

    subject, baseline = interleaved(through_pipeline, chained_by_hand, repeat=REPEAT, warmup=10)
    report("two-node pipeline execute-to-success, REST + wait", subject,
           baseline="the two executions chained by hand", baseline_samples=baseline,
           note="thread placement; the item is fetched by each node")
    session.close()
