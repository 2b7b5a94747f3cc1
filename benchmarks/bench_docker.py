"""The docker placement: warm invoke latency, deploy and first execution, a code edit, image cache hits.

Baselines, measured in the same run (interleaved where the two can alternate):
- ``docker exec <replica> python3 -c pass``: what a placement that starts a process per invocation in a
  running container pays;
- ``docker run --rm --network none <image> python3 -c pass``: what a placement that starts a container per
  invocation pays (the way most local FaaS runners work); the goal for a deploy and its first execution
  on a cached image is at most 1.5x this;
- the same push, deploy and first execution with the package unchanged, against one after a code edit
  (which must build nothing);
- a rebuild of the requirements image (requirements.txt edited), against the cache hit that an unchanged
  one gets.

Before each deploy the bench waits, unmeasured, for the placement's ready container of the image to have
finished its imports: the state a test session is in once its first service ran (see placements/docker/ready.py). Deploys
that come back to back are measured too: the second one against ``docker run --rm``.

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

from pytest_faas.placements.docker.engine import DockerEngine  # noqa: E402

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

    def __call__(self, timeout: float = 60) -> dict:
        created = self.http.post(f"{self.url}/executions/{self.service_id}",
                                 json={"input": {}, "projectId": self.project_id, "functionName": "noop"}).json()
        deadline = time.monotonic() + timeout
        while True:  # the route waits 300 s at most
            record = self.http.get(f"{self.url}/_faas/executions/{created['id']}/wait",
                                   params={"timeout": min(60.0, timeout)}).json()
            if record["latestStatus"]["status"] not in ("created", "in-progress") or time.monotonic() > deadline:
                break
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
    from pytest_faas.placements.docker.ready import DEPTH, Slot

    with LocalPlatform(placement="docker", durable=False) as platform:
        project = platform.dl.projects.create("bench-docker")
        folder = simple_package(workdir / "noop", "bench-noop", BODY, FUNCTIONS)
        package = project.packages.push(src_path=str(folder), ignore_sanity_check=True)
        service = package.deploy(service_name="noop", runtime={"concurrency": 1})
        invoke = _Invoker(platform, service.id, project.id)
        started = time.perf_counter()
        invoke(timeout=900)  # builds the image if it is new (a busy machine takes minutes), starts the container
        print(f"first execution, image build included if needed: {time.perf_counter() - started:.1f} s")
        placement = platform.supervisor
        image = placement.images[service.id]
        serving = placement.replicas(service.id)[0]
        slot, replica = serving.context, serving.handle.replica  # what its ready containers are ready for

        warm, execs = interleaved(invoke, lambda: _docker("exec", replica.id, "python3", "-c", "pass"), repeat=40)
        report("docker: warm invoke (create + wait, no-op)", warm, goal="<= 10 ms median, <= 0.2x docker exec",
               baseline="docker exec python3 -c pass", baseline_samples=execs)

        def bare_run():
            _docker("run", "--rm", "--network", "none", image, "python3", "-c", "pass")

        def settled():
            """Wait until the ready containers are ready (their starts would otherwise load the next sample)."""
            assert placement.ready.wait_ready(slot, count=DEPTH), "the ready containers were not refilled"

        def first_execution(pkg=package, pod_type=None):
            settled()
            return deploy_and_run(pkg, pod_type)

        def deploy_and_run(pkg=package, pod_type=None):
            started = time.perf_counter()
            fresh = pkg.deploy(service_name=f"noop-{time.time_ns()}",
                               runtime={"concurrency": 1, **({"podType": pod_type} if pod_type else {})})
            _Invoker(platform, fresh.id, project.id)()
            elapsed = time.perf_counter() - started
            fresh.delete()
            return elapsed

        firsts, runs = [], []
        for n in range(1 + 9):  # one warm-up round, then interleaved: first execution, bare run
            first = first_execution()
            settled()
            bare = sample(bare_run, 1, 0)[0]
            if n:
                firsts.append(first)
                runs.append(bare)
        report("docker: deploy + first execution, image cached", firsts, goal="<= 1.5x docker run --rm",
               baseline="docker run --rm python3 -c pass", baseline_samples=runs,
               note="a ready container of the image takes the service: no start, no dtlpy import")
        # Deploys back to back (a session deploying a package's modules): the second comes before a container
        # could be started for it; the pool keeps DEPTH ready, refilled one after another.
        seconds, bare_runs = [], []
        for n in range(1 + 6):
            assert placement.ready.wait_ready(slot, count=DEPTH), "the ready containers were not refilled"
            deploy_and_run()
            second = deploy_and_run()
            assert placement.ready.wait_ready(slot, count=DEPTH), "the ready containers were not refilled"
            bare = sample(bare_run, 1, 0)[0]
            if n:
                seconds.append(second)
                bare_runs.append(bare)
        report("docker: deploys back to back, the second's deploy + first execution", seconds,
               goal="<= 1.5x docker run --rm", baseline="docker run --rm python3 -c pass", baseline_samples=bare_runs,
               note=f"{DEPTH} ready containers per image and pod type, refilled ahead")
        report("docker: warm invoke vs docker run --rm", warm, baseline="docker run --rm python3 -c pass",
               baseline_samples=runs)
        # Pod types not used yet: no ready container for them, as for the first service of an image.
        colds, imports = [], []
        for pod in ("regular-m", "regular-l", "highmem-xs", "highcpu-xs"):
            colds.append(first_execution(pod_type=pod))
            placement.ready.wait_ready(Slot(image, pod), count=DEPTH)  # its followers' starts must not load the next sample
            imports += sample(lambda: _docker("run", "--rm", "--network", "none", image, "python3", "-c",
                                              "import dtlpy"), 1, 0)
        report("docker: deploy + first execution, image cached, no ready container", colds,
               baseline="docker run --rm python3 -c 'import dtlpy'", baseline_samples=imports,
               note="the first service of an image and pod type: a container start and dtlpy's import, the floor")

        def push_then_first_execution(edit: bool) -> float:
            if edit:
                (folder / "main.py").write_text((folder / "main.py").read_text() + f"# edit {time.time_ns()}\n")
            started = time.perf_counter()
            pushed = project.packages.push(src_path=str(folder), ignore_sanity_check=True)
            return time.perf_counter() - started + first_execution(pushed)

        edits, unchanged = [], []
        for n in range(1 + 5):
            edit, same = push_then_first_execution(True), push_then_first_execution(False)
            if n:
                edits.append(edit)
                unchanged.append(same)
        report("docker: code edit, then push + deploy + first execution", edits,
               baseline="the same, package unchanged", baseline_samples=unchanged, goal="no image build: about 1x",
               note=f"image still {image == placement.images[service.id] and 'the same' or 'CHANGED'}")

        builder = placement.builder
        (folder / "requirements.txt").write_text("six\n")
        builder.package_image(folder)  # the requirements image, built once
        hits = sample(lambda: builder.package_image(folder), 20, 1)

        stamped: list[str] = []

        def rebuild():
            (folder / "requirements.txt").write_text(f"six\n# {time.time_ns()}\n")
            built = builder.package_image(folder)
            assert built.built
            stamped.append(built.ref)

        rebuilds = sample(rebuild, 3, 0)
        report("docker: image of an unchanged package (cache hit)", hits,
               baseline="rebuild of the requirements image", baseline_samples=rebuilds,
               note="requirements.txt read and hashed + image inspects")
        for ref in stamped:  # the benchmark's own throw-away images
            placement.engine.remove_image(ref)
