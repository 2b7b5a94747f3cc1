"""FaaS engine speed in the thread placement: created-to-success latency, and event-trigger throughput.

- Latency: one execution of a no-op function, created with the same POST dtlpy's `service.execute` sends
  (on one kept-alive `requests` session) and waited for until it is final with the engine's own wait, so
  no polling sleep is measured; then the same through dtlpy's `service.execute`. Baseline, interleaved with
  the subject: a bare Python call of the same method.
- Throughput: an event trigger on Item Created with the tutorial's ``dir = /train`` filter runs a function
  for each of 1,000 small items uploaded one by one through dtlpy, measured from the first upload until
  every triggered execution is success. A second row stores the items through the backend's Python API
  instead, which leaves out dtlpy and HTTP on the upload side: what remains is the engine, the agent and
  the function. Baseline, once per round between the rounds: 1,000 bare calls of the same function on a
  `dl.Item`.

The HTTP server, the engine, the agent and dtlpy as the client all share this process and its GIL, so on a
2-core machine these are the figures of one busy interpreter.

Set ``FAAS_BENCH_ITEMS`` to change the number of items per throughput round (1,000 by default).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import requests

from harness import interleaved, sample
from pytest_faas.local import LocalPlatform

ITEMS = int(os.environ.get("FAAS_BENCH_ITEMS", "1000"))
ROUNDS = 3
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


def _package(root: Path) -> Path:
    folder = root / "engine"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "engine-bench", "modules": [{
        "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner", "functions": FUNCTIONS}]}))
    return folder


def _bare_instance():
    """The same class, constructed in this process without the platform: what a bare call costs."""
    namespace: dict = {}
    exec(compile(MAIN, "main.py", "exec"), namespace)
    return namespace["ServiceRunner"]()


def _push(project, folder: Path):
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


def _upload_with_dtlpy(platform, dataset) -> None:
    # One dtlpy upload per item, as the tutorial uploads: dtlpy's bulk upload (a list of in-memory buffers)
    # was no faster here (17 to 22 s for 1,000 items against 21 to 22 s), and adds its progress bar.
    for n in range(ITEMS):
        dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/train", remote_name=f"img{n:05d}.txt")


def _upload_in_process(platform, dataset) -> None:
    # The backend's Python API stores the item and publishes the same event, without dtlpy and HTTP: what
    # is left is the engine, the agent and the function.
    for n in range(ITEMS):
        platform.backend.items.upload(dataset.id, f"/train/img{n:05d}.txt", b"x")


def _round(platform, project, service, upload, name: str) -> tuple[float, float]:
    """Upload ``ITEMS`` items under /train into a new dataset; returns (seconds until every execution they
    triggered is success, seconds the uploads alone took)."""
    store, engine = platform.backend.store, platform.backend.engine
    dataset = project.datasets.create(dataset_name=name)
    start = time.perf_counter()
    upload(platform, dataset)
    uploaded = time.perf_counter() - start
    # Triggers fire in the upload's own request, so every execution exists by now. Executions are children
    # of their service in the store, and waiting for each is a condition wait on the engine, not a poll.
    fired = [d["id"] for d in store.children("executions", service.id)
             if (d.get("eventContext") or {}).get("datasetId") == dataset.id]
    assert len(fired) == ITEMS, f"{len(fired)} executions for {ITEMS} items"
    for execution_id in fired:
        _final(engine, execution_id)
    return time.perf_counter() - start, uploaded


def _throughput(report, platform, project, service, instance) -> None:
    dl = platform.dl
    service.triggers.create(service_id=service.id, resource=dl.TriggerResource.ITEM,
                            actions=dl.TriggerAction.CREATED, name="on-train",
                            filters=dl.Filters(field="dir", values="/train"),
                            execution_mode=dl.TriggerExecutionMode.ONCE, function_name="on_item")
    item = project.datasets.create(dataset_name="bare").items.upload(local_path=io.BytesIO(b"x"),
                                                                     remote_path="/val", remote_name="one.txt")
    # (label, how the items arrive, upload, goal): the first is the measurement the goal is about.
    paths = [("dtlpy", "uploaded one by one with dtlpy", _upload_with_dtlpy, ">= 300 executions/s"),
             ("in-process", "stored through the backend's Python API", _upload_in_process, "")]
    walls = {label: [] for label, *_ in paths}
    uploads = {label: [] for label, *_ in paths}
    bare = []
    # Interleaved by round: a round is too long to alternate call by call with its baseline.
    for number in range(ROUNDS):
        for label, _, upload, _ in paths:
            wall, uploaded = _round(platform, project, service, upload, f"{label}-{number}")
            walls[label].append(wall)
            uploads[label].append(uploaded)
        bare.append(sum(sample(lambda: instance.on_item(item=item), repeat=ITEMS, warmup=0)))
    for label, how, _, goal in paths:
        rate = ITEMS / statistics.median(walls[label])
        report(f"trigger throughput: {ITEMS:,} items {how}, until all executions success", walls[label],
               goal=goal, baseline=f"{ITEMS:,} bare calls on a dl.Item", baseline_samples=bare,
               note=f"{rate:.0f} executions/s; uploads alone {statistics.median(uploads[label]) * 1000:.0f} ms; "
               "concurrency 32")


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-engine-"))
    instance = _bare_instance()
    try:
        with LocalPlatform(durable=False, placement="thread") as platform:
            project = platform.dl.projects.create("bench-engine")
            package = _push(project, _package(root))
            latency = package.deploy(service_name="latency", runtime={"concurrency": 10, "numReplicas": 1})
            _latency(report, platform, latency, instance)
            # Its own service, so that its agent claims nothing but triggered executions while measured.
            triggered = package.deploy(service_name="triggered", runtime={"concurrency": 32, "numReplicas": 1})
            _throughput(report, platform, project, triggered, instance)
    finally:
        shutil.rmtree(root, ignore_errors=True)
