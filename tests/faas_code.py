"""FaaS packages the engine and runtime tests push, and small helpers to run them.

Each package is written into a test's ``tmp_path`` and pushed with the real dtlpy SDK.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

CONTRACT_MAIN = '''
import json
import logging
import os
import signal
import socket
import threading
import time

import dtlpy as dl

from .helpers import MARKER

logger = logging.getLogger(__name__)


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, value=None):
        self.value = value

    def echo(self, config):
        return config

    def marker(self):
        return {"marker": MARKER, "value": self.value}

    def entities(self, item, items, dataset, annotation, number, text, progress, context):
        # The entities must work as dtlpy's own do: their repositories fetch and download through dtlpy.
        return {"item": [type(item).__name__, item.id], "items": [i.id for i in items],
                "item_dataset": item.dataset.name, "item_bytes": item.download(save_locally=False).read().decode(),
                "dataset": [type(dataset).__name__, dataset.id],
                "annotation": [type(annotation).__name__, annotation.id, annotation.label],
                "number": number, "text": text, "progress": isinstance(progress, dl.Progress),
                "execution_id": context.execution_id, "trigger_id": context.trigger_id,
                "service": context.service.name}

    def fail(self, config):
        print("about to fail")
        raise ValueError("boom: " + str(config.get("why")))

    def hang(self, config):
        # Appends to a file while it runs, so a test can see whether the work really stopped. A container
        # does not share the test's folders: there the test watches the container itself.
        print("running on", socket.gethostname())
        path = config["file"] if os.path.isdir(os.path.dirname(config["file"])) else "/tmp/ticks"
        for _ in range(600):
            with open(path, "a") as f:
                f.write("tick\\n")
            time.sleep(0.05)

    def interruptible(self, config):
        for _ in range(600):
            self.kill_event()
            time.sleep(0.02)
        return "never interrupted"

    def die(self, config, context):
        # The attempt number comes from the execution record: no file system is shared by every placement.
        if config.get("first_only") and context.execution.attempts > 1:
            return "second attempt"
        if config.get("how") == "signal":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3)

    def not_json(self):
        return object()

    def big(self):
        return "x" * (5 * 1024 * 1024)

    def chatty(self, config):
        for n in range(config["lines"]):
            print(config["tag"], n)
            time.sleep(0.001)
        logger.warning("logged by %s", config["tag"])
        return config["tag"]

    _groups = {}
    _groups_lock = threading.Lock()

    def together(self, config):
        # Each of config["n"] executions of a group waits here for the others: they all get through only
        # when they run at once. No clock is read, so a busy machine changes nothing but the wait.
        with ServiceRunner._groups_lock:
            barrier = ServiceRunner._groups.setdefault(config["group"], threading.Barrier(config["n"]))
        try:
            barrier.wait(timeout=config["within"])
        except threading.BrokenBarrierError:
            return "alone"
        return "together"

    def whereami(self):
        return {"hostname": socket.gethostname(), "uid": os.getuid(),
                "interfaces": sorted(name for _, name in socket.if_nameindex())}

    def report(self, progress):
        progress.update(status="inProgress", progress=50, message="half way")
        return "reported"
'''

CONTRACT_FUNCTIONS = [
    ("echo", [("config", "Json")]),
    ("marker", []),
    ("entities", [("item", "Item"), ("items", "Item[]"), ("dataset", "Dataset"), ("annotation", "Annotation"),
                  ("number", "Integer"), ("text", "String")]),
    ("fail", [("config", "Json")]),
    ("hang", [("config", "Json")]),
    ("interruptible", [("config", "Json")]),
    ("die", [("config", "Json")]),
    ("not_json", []),
    ("big", []),
    ("chatty", [("config", "Json")]),
    ("together", [("config", "Json")]),
    ("report", []),
    ("whereami", []),
]


def package_json(name: str, functions, module: str = "default_module", entry_point: str = "main.py",
                 init_inputs=()) -> dict:
    return {"name": name, "modules": [{
        "name": module, "entryPoint": entry_point, "className": "ServiceRunner",
        "initInputs": [{"name": n, "type": t} for n, t in init_inputs],
        "functions": [{"name": f, "input": [{"name": n, "type": t} for n, t in inputs], "output": []}
                      for f, inputs in functions]}]}


def write_package(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return root


def contract_package(root: Path, name: str = "contract", marker: str = "contract") -> Path:
    """A package whose functions exercise every part of the runner contract."""
    return write_package(root, {
        "package.json": package_json(name, CONTRACT_FUNCTIONS, init_inputs=[("value", "Json")]),
        "main.py": CONTRACT_MAIN,
        "helpers.py": f"MARKER = {marker!r}\n",
    })


def simple_package(root: Path, name: str, body: str, functions, init_inputs=()) -> Path:
    """A package with one main.py whose ServiceRunner has the given method bodies."""
    source = "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n" + textwrap.indent(
        textwrap.dedent(body), "    ")
    return write_package(root, {"package.json": package_json(name, functions, init_inputs=init_inputs),
                                "main.py": source})


def wait(platform, execution_id: str, timeout: float = 120.0) -> dict:
    """The execution's record once final, through the backend's Python API (no polling sleeps)."""
    record = platform.backend.engine.wait(execution_id, timeout)
    assert record["latestStatus"]["status"] in {"success", "failed", "terminated", "system-failure"}, (
        f"execution {execution_id} still {record['latestStatus']['status']} after {timeout} s")
    return record


def container_stops(name: str, within_s: float = 10.0) -> bool:
    """Whether the container ``name`` (an id or name) is gone or stopped within ``within_s`` seconds."""
    import docker  # noqa: PLC0415
    import docker.errors  # noqa: PLC0415

    client = docker.from_env()
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            try:
                if client.containers.get(name).status != "running":
                    return True
            except docker.errors.NotFound:
                return True
            time.sleep(0.05)
        return False
    finally:
        client.close()


# A one-function package that echoes its Json input, with a mock.json of two cases and their outputs.
JSON_PACKAGE = {
    "package.json": {"name": "echo", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
        {"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]},
    "main.py": "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
               "    def run(self, config):\n        return config\n",
    "mock.json": {"inputs": [[{"name": "config", "value": {"n": 1}}], [{"name": "config", "value": {"n": 2}}]],
                  "cases": [{"expect": {"output": {"n": 1}}}, {"expect": {"output": {"n": 2}}}]},
}


class Deployed:
    """A package pushed with the real dtlpy and deployed on a ``LocalPlatform`` of one placement:
    ``deployed.run(function, inputs) -> final record`` and ``deployed.lines(record)``, its log lines."""

    def __init__(self, platform, folder: Path, **deploy):
        import os  # noqa: PLC0415

        self.platform = platform
        self.project = platform.dl.projects.create(f"{folder.name}-{time.time_ns() % 10**8}")
        previous = os.getcwd()
        os.chdir(folder.parent)  # dtlpy's push writes a .dataloop folder into the current directory
        try:
            package = self.project.packages.push(src_path=str(folder), ignore_sanity_check=True)
        finally:
            os.chdir(previous)
        self.service = package.deploy(service_name=folder.name.replace("_", "-"), **deploy)
        self.started = False

    def run(self, function: str, inputs: dict | None = None, timeout: float = 60.0) -> dict:
        """The execution's final record; the first one also waits for the service to start (in the docker
        placement, an image build on an engine other test runs share)."""
        execution = self.service.execute(execution_input=inputs or {}, function_name=function,
                                         project_id=self.project.id)
        record = wait(self.platform, execution.id, timeout if self.started else max(timeout, 900.0))
        self.started = True
        return record

    def lines(self, record: dict) -> list[str]:
        return self.platform.backend.engine.logs.lines(record["id"])


# A function that leaves state on the platform: a thumbnail in /thumbs, a metadata flag, two boxes; its mock
# file's cases expect it met (case 0) and missed in three ways (tests/plugin/test_state_expectations.py).
THUMBS = '''
import io

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item: dl.Item):
        thumb = io.BytesIO(b"a thumbnail")
        thumb.name = "thumb-" + item.name
        item.dataset.items.upload(local_path=thumb, remote_path="/thumbs")
        item.metadata.setdefault("user", {})["tagged"] = True
        item.update()
        builder = item.annotations.builder()
        builder.add(dl.Box(top=0, left=0, bottom=5, right=5, label="car"))
        builder.add(dl.Box(top=1, left=1, bottom=6, right=6, label="car"))
        item.annotations.upload(builder)
        return item.id
'''
MET = {"items": [{"filter": {"dir": "/thumbs"}, "count": 1},
                 {"filter": {"id": "img-1", "metadata.user.tagged": True}, "count": 1}],
       "annotations": [{"item": "img-1", "count": 2, "labels": ["car"], "type": "box"}]}
THUMBS_PACKAGE = {
    "package.json": {"name": "thumbs", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
        {"name": "run", "input": [{"name": "item", "type": "Item"}]}]}]},
    "main.py": THUMBS,
    "mock.json": {
        "inputs": [[{"name": "item", "value": "img-1"}]] * 4,
        "datasets": [{"id": "ds-1", "name": "pets"}],
        "items": [{"id": "img-1", "name": "car.png", "dataset": "pets"}],
        "cases": [{"expect": MET},
                  {"expect": {"annotations": [{"item": "img-1", "count": 3, "labels": ["car"], "type": "box"}]}},
                  {"expect": {"items": [{"filter": {"dir": "/thumbnails"}}]}},
                  {"expect": {"items": [{"filter": {"metadata.user.tagged": True}, "dataset": "pets", "count": 0}],
                              "annotations": [{"item": "img-1", "labels": ["person"]}]}}]},
}
