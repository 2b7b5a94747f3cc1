"""Run one generated case on a platform: push once per package content, deploy once per module and init
parameters, seed what the case names, execute, wait, and check the expectation.

Push and deploy go through the real dtlpy SDK, as a user's would. The per-case hot path (seed, execute,
wait, logs) makes the same REST calls through the platform's one client (`runtime.client.PlatformClient`):
a kept-alive HTTP session, or, for a platform of this process, its app called without a socket; so that a
case costs milliseconds beyond the user's own code. A refused call raises `errors.PlatformError`.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from . import seed as casedata, state
from ..errors import CheckError, PlatformError
from ..handle import Platform
from ..ids import parse_iso
from ..manifests.codebase import read_codebase
from ..manifests.loaded import LoadedPackage
from ..manifests.mock import MockCase
from ..manifests.service import ServiceManifest
from ..protocol import QUEUED, REPLICA_BOUND_SAID, TERMINAL
from ..runner import outbound
from ..runner.client import PlatformClient
from ..dtlpy_binding import CHATTER

# Never zipped into a codebase, never part of its content hash (dtlpy also skips .git and .dataloop).
QUEUED_LIMIT_S = 3600.0  # how long a case waits for its execution to start (docker: an image build first)
_SKIP_DIRS = {".git", ".dataloop", ".faas", "__pycache__", ".pytest_cache", ".hypothesis", ".venv", "tests"}


def content_hash(package_dir: Path) -> str:
    """A hash of every file the codebase would carry, so unchanged code is pushed once.

    Raises:
        CheckError: the folder holds what no push could upload (a FIFO, a link out of it, too many bytes):
            the package's ``::manifest`` item names each; nothing of it was opened.
    """
    codebase = read_codebase(package_dir)
    if codebase.findings:
        raise CheckError(codebase.findings)
    digest = hashlib.sha256()
    for relative, path in codebase.files.items():
        parts = relative.split("/")
        if _SKIP_DIRS.intersection(parts[:-1]) or relative.endswith((".pyc", ".pyo")):
            continue
        digest.update(relative.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class CaseOutcome:
    """What a case produced."""

    execution: dict
    logs: list[str]
    wall_s: float
    state_misses: list[str] = field(default_factory=list)  # expect.items and expect.annotations (cases/state.py)

    @property
    def status(self) -> str:
        return self.execution.get("latestStatus", {}).get("status", "unknown")

    @property
    def user_s(self) -> float:
        """Time spent in the user's function, as the agent measured it."""
        return float(self.execution.get("duration") or 0.0)


_Part = TypeVar("_Part")


class CaseRunner:
    """Runs cases on one platform; keeps pushed packages and deployed services for reuse.

    Args:
        platform: a started platform handle (`LocalPlatform`, `RemotePlatform`, the CLI's session).
        placement: recorded in failure reports.
    """

    def __init__(self, platform: Platform, placement: str, timeout_s: int | None = None):
        self.platform = platform
        self.placement = placement
        self.timeout_s = timeout_s  # `--faas-timeout`: each case's execution ends after it at the latest
        self.dl = platform.dl
        transport = None
        if platform.app is not None:  # a platform of this process: no socket needed
            from ..backend.web.inprocess import InProcessAdapter  # noqa: PLC0415

            transport = InProcessAdapter(platform.app)
        self.client = PlatformClient(platform.url, platform.token, transport=transport)
        self._project = None
        self._packages: dict[str, Any] = {}
        self._services: dict[str, dict] = {}
        self._running: collections.OrderedDict[str, str] = collections.OrderedDict()  # key -> id, least recent first
        self._hashes: dict[Path, str] = {}  # folder -> content hash (folder_hash)
        self._case_counter = 0
        self._binaries: dict[str, str] = {}  # project id -> its Binaries dataset
        self._parts: dict[type, Any] = {}  # kinds of case with setup of their own (apps, events): one each

    def part(self, kind: type[_Part]) -> _Part:
        """This runner's one ``kind`` (`AppCases`, `EventCases`): made on first use, with what it set up
        (installed apps, created triggers) kept for the runner's later cases."""
        if kind not in self._parts:
            self._parts[kind] = kind(self)
        return self._parts[kind]

    def close(self) -> None:
        """Release the client's connections (the platform stays up)."""
        self.client.close()

    # -- setup, cached ----------------------------------------------------------------------------------

    def project(self):
        if self._project is None:
            name = f"faas-cases-{os.getpid()}-{int(time.time() * 1000) % 10**8}"
            self._project = self.dl.projects.create(project_name=name)
        return self._project

    def folder_hash(self, folder: Path) -> str:
        """The content hash of a package or app folder, computed once per run (its files do not change under it)."""
        if folder not in self._hashes:
            self._hashes[folder] = content_hash(folder)
        return self._hashes[folder]

    def package(self, package: LoadedPackage):
        package_dir, manifest = package.folder, package.runnable
        key = self.folder_hash(package_dir)
        if key not in self._packages:
            # dtlpy packs the codebase in ./.dataloop, made with a check-then-mkdir that fails when two
            # xdist workers push at the same moment; making it first, as dtlpy would, takes the race away.
            os.makedirs(".dataloop", exist_ok=True)
            with CHATTER.harness_call():  # dtlpy's "Uploading 1 items.." is the harness's, not the user's
                self._packages[key] = self.project().packages.push(
                    src_path=str(package_dir.resolve()), package_name=manifest.name,
                    # Our own checks read the code without running it (the ::manifest item); dtlpy's would
                    # import the user's module in this process.
                    ignore_sanity_check=True)
        return self._packages[key]

    def service(self, loaded: LoadedPackage, case: MockCase, source: str | None = None) -> dict:
        """The case's service, deployed once per code, module and init params. A generated case's (``source``
        names its mock file) also gets its stubs in its init params: they answer from the module's import on
        (runner/outbound.py), so cases whose stubs differ run on services of their own."""
        manifest, service_file = loaded.runnable, loaded.service
        package = self.package(loaded)
        wanted = service_file if service_file_applies(service_file, case) else None
        init_params = dict(case.init_params)
        if source is not None:  # neither the case nor its file: cases whose stubs are the same share a service
            init_params[outbound.INPUT_KEY] = _declaration(case, "a mock file of this module", with_index=False)
        key = json.dumps([package.id, package.version, case.module_name, init_params], sort_keys=True, default=str)
        if key not in self._services:
            runtime = {"concurrency": wanted.runtime.concurrency if wanted else 10,
                       "numReplicas": wanted.runtime.effective_replicas if wanted else 1,
                       "podType": wanted.runtime.pod_type if wanted else "regular-s"}
            if wanted and wanted.runtime.runner_image:
                runtime["runnerImage"] = wanted.runtime.runner_image
            digest = hashlib.sha256(key.encode()).hexdigest()[:8]
            name = re.sub(r"[^a-z0-9-]+", "-", f"{manifest.name}-{case.module_name}".lower()).strip("-")[:40]
            init_input = [self.dl.FunctionIO(type="Json", name=k, value=v) for k, v in init_params.items()]
            service = self._within_replica_bound(lambda: package.deploy(
                service_name=f"{name}-{digest}", module_name=case.module_name, init_input=init_input or None,
                runtime=runtime, execution_timeout=self._execution_timeout(wanted),
                on_reset=wanted.on_reset if wanted else "failed",
                max_attempts=wanted.max_attempts if wanted and wanted.max_attempts else None))
            if wanted and wanted.env:  # before the first execution: the replicas restart with them
                self.client.call("PUT", f"/_faas/services/{service.id}/env", {"env": wanted.env})
            self._services[key] = service.to_json()
        elif key not in self._running:  # paused to make room for others: its case runs it again
            service_id = self._services[key]["id"]
            self._within_replica_bound(lambda: self.client.call("POST", f"/services/{service_id}/resume", {}))
        self._running[key] = self._services[key]["id"]
        self._running.move_to_end(key)
        return self._services[key]

    def _execution_timeout(self, wanted) -> int:
        """The service's executionTimeout (3600 by default), lowered to the run's per-case timeout: the
        platform then ends a longer execution as it ends any timed-out one, with the function's stack."""
        own = wanted.execution_timeout if wanted and wanted.execution_timeout else 3600
        return min(own, self.timeout_s) if self.timeout_s else own

    def _within_replica_bound(self, action: Callable[[], _Part]) -> _Part:
        """``action()`` (a deploy or a resume). When the platform refuses it for its bound on replicas in all
        (a suite of hundreds of packages), the older half of this runner's services are paused, their
        replicas stopped as a cluster leaves pods pending, and it is tried once more; a later case of a
        paused service resumes it."""
        try:
            return action()
        except (PlatformError, self.dl.exceptions.BadRequest) as exc:
            if REPLICA_BOUND_SAID not in str(exc) or not self._running:
                raise
        for key in list(self._running)[: max(1, len(self._running) // 2)]:
            self.client.call("POST", f"/services/{self._running.pop(key)}/stop", {})
        return action()

    # -- the hot path -----------------------------------------------------------------------------------

    def seed(self, case: MockCase, input_types: dict[str, str], mock_file: Path) -> str | None:
        """Create the case's entities in a project of its own; returns that project's id (None: nothing to seed)."""
        plan = casedata.plan(case, input_types, mock_file)
        if plan.empty:
            return None
        self._case_counter += 1
        project = self.client.post("/projects", {"name": f"case-{os.getpid()}-{self._case_counter}-"
                                                        f"{int(time.time() * 1000) % 10**8}"})
        datasets: dict[str, str] = {}
        for request in plan.datasets:
            created = self.client.post("/_faas/seed/datasets",
                                       {"projectId": project["id"], "name": request["name"], "id": request["id"]})
            datasets[request["name"]] = datasets[created["id"]] = created["id"]
        default = next(iter(datasets.values()), None)
        for request in plan.items:
            target = datasets.get(request.pop("dataset") or "", None) or default
            if target is None:
                target = default = self.client.post("/_faas/seed/datasets",
                                                    {"projectId": project["id"], "name": "items"})["id"]
            self.client.post("/_faas/seed/items", {**request, "datasetId": target})
        return project["id"]

    def seed_artifacts(self, loaded: LoadedPackage, case: MockCase, project_id: str) -> None:
        """Keep the case's artifacts in the project's Binaries dataset, where dtlpy's artifacts repository
        looks: ``/artifacts/packages/<package>/<file name>``."""
        if not case.artifacts:
            return
        if project_id not in self._binaries:
            found = self.client.post("/datasets/query", {"filter": {"name": "Binaries"}, "systemSpace": True,
                                                         "context": {"projects": [project_id]}})
            self._binaries[project_id] = found["items"][0]["id"]
        for artifact in case.artifacts:
            package = artifact.package or loaded.runnable.name
            data = ((case.package_dir or loaded.folder) / artifact.file).read_bytes()
            self.client.post("/_faas/seed/items", {"datasetId": self._binaries[project_id],
                                                   "path": f"/artifacts/packages/{package}/{artifact.name}",
                                                   "contentBase64": base64.b64encode(data).decode()})

    def execute(self, service: dict, case: MockCase, project_id: str, source: str | None = None) -> dict:
        inputs = case.inputs
        if source is not None:  # a generated case: its function reaches only its stubs (runner/outbound.py)
            inputs = {**inputs, outbound.INPUT_KEY: _declaration(case, source)}
        return self.client.post(f"/executions/{service['id']}",
                                {"input": inputs, "projectId": project_id, "functionName": case.function_name})

    def wait(self, execution_id: str, limit_s: float) -> dict:
        """The execution once it is final (a long poll), or as it is when ``limit_s`` has passed since it
        started: time in its queue (an image build, a container start; at most ``QUEUED_LIMIT_S``) is not its
        own, so a short executionTimeout is not spent before the function runs."""
        deadline = time.monotonic() + limit_s
        queued_until = time.monotonic() + QUEUED_LIMIT_S
        while True:
            chunk = max(0.0, min(30.0, deadline - time.monotonic()))
            execution = self.client.get(f"/_faas/executions/{execution_id}/wait?timeout={chunk:.3f}",
                                        timeout=chunk + 30.0)
            status, now = execution.get("latestStatus", {}).get("status"), time.monotonic()
            if status in QUEUED and now < queued_until:
                deadline = max(deadline, now + limit_s)
            elif status in TERMINAL or now >= deadline:
                return execution

    def finish(self, submitted: Submitted, *, all_logs: bool = False) -> CaseOutcome:
        """Wait for a submitted case's execution to end; read its logs when they are wanted (it did not succeed,
        it expects calls, which are logged, or ``all_logs``)."""
        service, mock_case = submitted.service, submitted.case
        timeout = float(service.get("executionTimeout") or 3600)
        execution = self.wait(submitted.execution["id"], limit_s=timeout + 30)
        wanted = all_logs or mock_case.expect.calls or execution.get("latestStatus", {}).get("status") != "success"
        logs = self.logs(service["id"], execution["id"]) if wanted else []
        # The case's own time: its submission, then its execution's life on the platform; not the moment its
        # test came to read it (a case submitted ahead may have ended long before).
        ended = execution.get("latestStatus", {}).get("status") in TERMINAL
        misses = state.misses(self.client, mock_case.expect, submitted.project_id or service["projectId"], ended)
        return CaseOutcome(execution, logs, submitted.setup_s + platform_span(execution), misses)

    def logs(self, service_id: str, execution_id: str) -> list[str]:
        try:
            body = self.client.post("/services/logs", {"serviceId": service_id, "executionId": [execution_id],
                                                       "direction": "asc", "follow": False, "size": 10000})
        except PlatformError:
            return []
        return [entry.get("message", "") for entry in body.get("logs", [])]


@dataclass
class Submitted:
    """A case whose execution was created: what :meth:`CaseRunner.finish` needs to wait for it."""

    service: dict
    execution: dict
    case: MockCase
    setup_s: float  # deploying (the first time), seeding and creating the execution
    project_id: str | None = None  # the project its entities were seeded in (None: none; the service's)


def platform_span(execution: dict) -> float:
    """Seconds from an execution's creation to its last status, as the platform stamped them."""
    log = execution.get("statusLog") or execution.get("status") or []
    if not isinstance(log, list) or len(log) < 2:
        return 0.0
    try:
        first, last = (parse_iso(entry["timestamp"]) for entry in (log[0], log[-1]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return 0.0
    return max(0.0, (last - first).total_seconds())


def _declaration(case: MockCase, source: str, with_index: bool = True) -> dict:
    """What the agent guards a generated case's code with: its stubs, and where to declare more (the case's
    own entry, or for what its module does at import and ``__init__``, shared by its cases, the top level)."""
    declared = {"http": [stub.declaration() for stub in case.http], "source": source}
    return {**declared, "case": case.index} if with_index else declared


def service_file_applies(service_file: ServiceManifest | None, case: MockCase) -> bool:
    """service.json's runtime applies to the cases of the module it deploys (all, when it names none)."""
    return service_file is not None and service_file.module_name in (None, case.module_name)
