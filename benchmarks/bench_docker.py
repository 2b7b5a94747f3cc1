"""The docker placement: warm invoke latency, first execution on a cached image, image cache hits.

Baselines, measured in the same run (interleaved where the two can alternate):
- ``docker exec <replica> python3 -c pass``: what a placement that starts a process per invocation in a
  running container pays;
- ``docker run --rm --network none <image> python3 -c pass``: what a placement that starts a container per
  invocation pays (the way most local FaaS runners work);
- a forced rebuild of the package image layer, against the cache hit that an unchanged package gets.

Needs a Docker engine and the base image (``bash scripts/docker-engine.sh``); skipped, saying so, otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from harness import interleaved, sample

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from faas_code import simple_package  # noqa: E402

from pytest_faas.runtime.docker import DockerEngine  # noqa: E402

FUNCTIONS = [("noop", [])]
BODY = "def noop(self):\n    return None\n"


def _docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class _Invoker:
    """Create an execution and wait for its end with two REST calls, as the generated cases do."""

    def __init__(self, platform, service_id: str, project_id: str):
        self.url, self.service_id, self.project_id = platform.url, service_id, project_id
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {platform.token}"

    def __call__(self) -> dict:
        created = self.http.post(f"{self.url}/executions/{self.service_id}",
                                 json={"input": {}, "projectId": self.project_id, "functionName": "noop"}).json()
        record = self.http.get(f"{self.url}/_faas/executions/{created['id']}/wait", params={"timeout": 60}).json()
        assert record["latestStatus"]["status"] == "success", record["latestStatus"]
        return record


def run(report) -> None:
    reason = DockerEngine.unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return

    workdir = Path(tempfile.mkdtemp(prefix="faas-bench-docker-"))
    previous = os.getcwd()
    os.chdir(workdir)  # dtlpy's push leaves a .dataloop folder in the current directory
    try:
        _measure(report, workdir)
    finally:
        os.chdir(previous)


def _measure(report, workdir: Path) -> None:
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement="docker", durable=False) as platform:
        project = platform.dl.projects.create("bench-docker")
        folder = simple_package(workdir / "noop", "bench-noop", BODY, FUNCTIONS)
        package = project.packages.push(src_path=str(folder), ignore_sanity_check=True)
        service = package.deploy(service_name="noop", runtime={"concurrency": 1})
        invoke = _Invoker(platform, service.id, project.id)
        started = time.perf_counter()
        invoke()  # builds the image if this package is new, starts the container
        print(f"first execution, image build included if needed: {time.perf_counter() - started:.1f} s")
        placement = platform.placements.get("docker")
        image = placement.images[service.id]
        replica = placement.engine.replicas(placement.platform_id, service.id)[0]

        warm, execs = interleaved(invoke, lambda: _docker("exec", replica.id, "python3", "-c", "pass"), repeat=40)
        report("docker: warm invoke (create + wait, no-op)", warm, goal="<= 10 ms median, <= 0.2x docker exec",
               baseline="docker exec python3 -c pass", baseline_samples=execs)
        runs = sample(lambda: _docker("run", "--rm", "--network", "none", image, "python3", "-c", "pass"), 10, 1)
        report("docker: warm invoke vs docker run --rm", warm, baseline="docker run --rm python3 -c pass",
               baseline_samples=runs)

        def first_execution():
            fresh = package.deploy(service_name=f"noop-{time.time_ns()}", runtime={"concurrency": 1})
            try:
                _Invoker(platform, fresh.id, project.id)()
            finally:
                fresh.delete()

        firsts = sample(first_execution, 5, 1)
        report("docker: deploy + first execution, image cached", firsts,
               baseline="docker run --rm python3 -c pass", baseline_samples=runs,
               note="a new container: start, forwarder, agent import of dtlpy")

        builder = placement.builder
        builder.package_image(folder, name="bench-noop")  # the host folder's own image, built once
        hits = sample(lambda: builder.package_image(folder, name="bench-noop"), 20, 1)

        stamped: list[str] = []

        def rebuild():
            (folder / "changed.py").write_text(f"STAMP = {time.time_ns()}\n")
            built = builder.package_image(folder, name="bench-noop")
            assert built.built
            stamped.append(built.ref)

        rebuilds = sample(rebuild, 3, 0)
        report("docker: image of an unchanged package (cache hit)", hits, baseline="rebuild of the package layer",
               baseline_samples=rebuilds, note="content hash + one image inspect")
        for ref in stamped:  # the benchmark's own throw-away images
            placement.engine.remove_image(ref)
