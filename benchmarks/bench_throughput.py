"""Event-trigger throughput: 1,000 items uploaded under a trigger's folder, until all 1,000 executions succeed.

An Item Created trigger with the tutorial's ``dir = /train`` filter runs a one-line function for each item.
The clock starts at the first upload and stops at the last execution's final status, read from the
platform's own records (millisecond timestamps on the same clock), so waiting for the results after the
uploads adds nothing to the figure.

Rows, each with 3 rounds of ``FAAS_BENCH_ITEMS`` items (1,000 by default):

- REST uploads to a platform in its own process (the goal's measurement): the platform runs as
  ``faas serve --placement thread`` does, functions in its process; this process uploads each item with one
  multipart POST, the request dtlpy sends for an upload. Two processes, on 2 cores. Once with the data in
  memory, once in a data folder (SQLite and blob files, as ``faas serve`` and ``pytest --faas`` keep it).
- dtlpy uploads one by one to the same in-memory platform process, as the tutorial uploads: dtlpy's client
  spends about 4 ms of CPU on each upload, which bounds this row.
- Items stored through the backend's Python API in the platform's own process: no HTTP on the upload side;
  what is left is the engine, the agent and the function in one interpreter.

Baseline, once per round: 1,000 bare calls of the same function on a ``dl.Item``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench_engine import bare_instance, package_folder, push
from harness import sample
from pytest_faas.ids import parse_iso
from pytest_faas.local import LocalPlatform
from pytest_faas.dtlpy_binding import DtlpyBinding

ITEMS = int(os.environ.get("FAAS_BENCH_ITEMS", "1000"))
ROUNDS = 3
CONCURRENCY = 32
WAIT_S = 60.0
CHILD = Path(__file__).resolve().parent / "platform_child.py"


class _Platform:
    """What a round needs of a platform, in this process or another: dtlpy, the REST base, the token."""

    def __init__(self, dl, url: str, token: str, backend=None):
        self.dl, self.url, self.token, self.backend = dl, url, token, backend
        self.http = requests.Session()
        self.http.trust_env = False  # loopback: reading proxy settings from the environment costs ~0.5 ms a call
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.url}/api/v1{path}", **kwargs)
        response.raise_for_status()
        return response.json()


def _upload_rest(platform: _Platform, dataset) -> None:
    url = f"{platform.url}/api/v1/datasets/{dataset.id}/items"
    for n in range(ITEMS):
        platform.http.post(url, files={"file": (f"img{n:05d}.txt", b"x")},
                           data={"path": f"/train/img{n:05d}.txt"}).raise_for_status()


def _upload_dtlpy(platform: _Platform, dataset) -> None:
    for n in range(ITEMS):
        dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/train", remote_name=f"img{n:05d}.txt")


def _store_in_process(platform: _Platform, dataset) -> None:
    for n in range(ITEMS):
        platform.backend.items.upload(dataset.id, f"/train/img{n:05d}.txt", b"x")


def _round(platform: _Platform, project, service, upload, name: str) -> tuple[float, float, float]:
    """One round on a new dataset and trigger; returns (seconds until the last execution ended, seconds the
    uploads took, CPU seconds this process spent on them)."""
    dl = platform.dl
    trigger = service.triggers.create(service_id=service.id, resource=dl.TriggerResource.ITEM,
                                      actions=dl.TriggerAction.CREATED, name=name,
                                      filters=dl.Filters(field="dir", values="/train"),
                                      execution_mode=dl.TriggerExecutionMode.ONCE, function_name="on_item")
    dataset = project.datasets.create(dataset_name=name)
    start, cpu = time.time(), time.process_time()  # the wall clock: the platform stamps its records with it
    upload(platform, dataset)
    uploaded, cpu = time.time() - start, time.process_time() - cpu
    # Triggers fire within the upload's request: every execution exists now. Waiting for each is outside
    # the measurement, which ends at the latest final timestamp.
    fired = platform.call("POST", "/query/faas", json={"resource": "executions", "pageSize": 1000,
                                                        "filter": {"$and": [{"triggerId": trigger.id}]}})
    ids = [e["id"] for e in fired["items"]]
    assert len(ids) == ITEMS == fired["totalItemsCount"], f"{len(ids)} executions for {ITEMS} items"
    ends = []
    for execution_id in ids:
        record = platform.call("GET", f"/_faas/executions/{execution_id}/wait", params={"timeout": WAIT_S})
        assert record["latestStatus"]["status"] == "success", record["latestStatus"]
        ends.append(parse_iso(record["latestStatus"]["timestamp"]).timestamp())
    trigger.delete()
    return max(ends) - start, uploaded, cpu


def _setup(platform: _Platform, root: Path):
    project = platform.dl.projects.create("bench-throughput")
    package = push(project, package_folder(root))
    service = package.deploy(service_name="triggered", runtime={"concurrency": CONCURRENCY, "numReplicas": 1})
    return project, service


class _Child:
    """A platform process (``platform_child.py``) with this process's dtlpy pointed at it."""

    def __init__(self, kind: str):
        self.process = subprocess.Popen([sys.executable, str(CHILD), kind], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        address = json.loads(self.process.stdout.readline())
        self.dtlpy_dir = tempfile.mkdtemp(prefix="faas-bench-dtlpy-")
        self.binding = DtlpyBinding(address["url"], address["token"], self.dtlpy_dir)
        self.platform = _Platform(self.binding.activate(), address["url"], address["token"])

    def close(self) -> None:
        self.binding.restore()
        self.process.stdin.close()
        self.process.wait(timeout=30)
        shutil.rmtree(self.dtlpy_dir, ignore_errors=True)


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-throughput-"))
    instance = bare_instance()
    # (label, what runs, platform kind, upload, goal)
    rows = [("rest-memory", "REST uploads, platform process with data in memory", "memory", _upload_rest,
             ">= 300 executions/s on 2 cores"),
            ("rest-durable", "REST uploads, platform process with a data folder", "durable", _upload_rest, ""),
            ("dtlpy", "dtlpy uploads one by one, platform process with data in memory", "memory", _upload_dtlpy,
             ""),
            ("in-process", "items stored through the Python API, one process", "in-process", _store_in_process,
             "")]
    walls = {label: [] for label, *_ in rows}
    uploads = {label: [] for label, *_ in rows}
    cpus = {label: [] for label, *_ in rows}
    bare = []
    try:
        with LocalPlatform(durable=False, placement="thread") as local:
            in_process = _Platform(local.dl, local.base_url, local.token, local.backend)
            item = local.dl.projects.create("bare").datasets.create(dataset_name="bare").items.upload(
                local_path=io.BytesIO(b"x"), remote_path="/val", remote_name="one.txt")
            for label, _, kind, upload, _ in rows:
                child = _Child(kind) if kind != "in-process" else None
                platform = child.platform if child else in_process
                try:
                    project, service = _setup(platform, root / label)
                    _round(platform, project, service, upload, f"{label}-warm")  # imports, caches, first agent
                    for number in range(ROUNDS):
                        wall, uploaded, cpu = _round(platform, project, service, upload, f"{label}-{number}")
                        walls[label].append(wall)
                        uploads[label].append(uploaded)
                        cpus[label].append(cpu)
                        bare.append(sum(sample(lambda: instance.on_item(item=item), repeat=ITEMS, warmup=0)))
                finally:
                    if child:
                        child.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for label, how, _, _, goal in rows:
        rate = ITEMS / statistics.median(walls[label])
        report(f"trigger throughput: {ITEMS:,} items, {how}, until all executions success", walls[label],
               goal=goal, baseline=f"{ITEMS:,} bare calls on a dl.Item", baseline_samples=bare,
               note=f"{rate:.0f} executions/s; uploads alone {statistics.median(uploads[label]) * 1000:.0f} ms; "
               f"uploading process's CPU {statistics.median(cpus[label]) / ITEMS * 1000:.2f} ms an item; "
               f"concurrency {CONCURRENCY}")
