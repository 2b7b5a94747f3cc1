"""Cases that run through pipelines: a function inside a one-node pipeline (a mock case with a ``node``), and
a whole pipeline template with its mock file of input sets.

Both use a :class:`~pytest_faas.cases.runner.CaseRunner` for what every case needs (the project, pushed packages,
seeding, the REST session) and the platform's own pipeline routes, as dtlpy would call them.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExecutionFailed, FaasError, PlatformError
from ..manifests.mock import MockCase
from ..manifests.loaded import LoadedPackage, load_folder
from ..manifests.mock_state import ExpectedState
from ..manifests.pipeline_mock import PipelineExpectation
from ..protocol import TERMINAL
from . import state
from .apps import AppCases

# Keys of a saved template that belong to the pipeline it was saved from, not to the copy a case makes.
_PLATFORM_KEYS = ("id", "createdAt", "updatedAt", "url", "status", "compositionId", "creator", "orgId",
                  "revisions", "updatedBy", "projectId")
_CYCLE_ENDS = ("success", "failed", "terminated")
MAX_WAIT_CHUNK_S = 30.0

_caches: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _cache(runner) -> dict:
    return _caches.setdefault(runner, {})


def _ports(declared) -> list[dict]:
    return [{"portId": str(uuid.uuid4()), "name": io.name, "type": str(io.type), "displayName": io.name,
             **({"actions": list(io.actions)} if io.actions else {})} for io in declared]


# -- a function as a node ---------------------------------------------------------------------------------


def execute_in_node(runner, service: dict, case: MockCase, function) -> dict:
    """Execute the case's function as the one node of a pipeline built for it; returns its execution.

    The node carries the case's ``customNodeConfig``, so the function's ``dl.Context`` has a ``node``, a
    ``pipeline`` and a ``pipeline_execution_id``, as on the platform. The pipeline is made once per service,
    function and node.
    """
    key = ("node", service["id"], case.function_name, case.node.model_dump_json(by_alias=True))
    cache = _cache(runner)
    if key not in cache:
        node = {"id": str(uuid.uuid4()), "name": case.node.name, "type": "function",
                "namespace": {"functionName": case.function_name, "serviceName": service["name"],
                              "moduleName": case.module_name, "packageName": service.get("packageName"),
                              "projectName": runner.project().name},
                "inputs": _ports(function.inputs) if function else [],
                "outputs": _ports(function.outputs) if function else [],
                "metadata": {"customNodeConfig": case.node.custom_node_config}, "projectId": service["projectId"]}
        pipeline = runner.client.post("/pipelines", {
            "name": f"{case.node.name}-{len(cache)}", "projectId": service["projectId"], "nodes": [node],
            "connections": [], "startNodes": [{"nodeId": node["id"], "type": "root"}]})
        runner.client.post(f"/pipelines/{pipeline['id']}/install", {})
        cache[key] = (pipeline["id"], node["id"])
    pipeline_id, node_id = cache[key]
    cycle = runner.client.post(f"/pipelines/{pipeline_id}/execute", {"pipeline": {"input": case.inputs}})
    started = cycle["executions"].get(node_id) or []
    if not started:
        raise FaasError(f"the node's execution did not start: {cycle.get('message') or cycle['status']}")
    return {"id": started[0]}


# -- whole pipeline templates ---------------------------------------------------------------------------


def packages_near(template: Path) -> dict[str, LoadedPackage]:
    """Packages a template's function nodes may name: in its folder, its subfolders and its sibling folders."""
    folder = template.parent
    candidates = [folder / "package.json", *sorted(folder.glob("*/package.json")),
                  *sorted(folder.parent.glob("*/package.json"))]
    found: dict[str, LoadedPackage] = {}
    for path in candidates:
        if not path.is_file():
            continue
        loaded = load_folder(path, mocks=[])
        if loaded is not None and loaded.manifest is not None:  # a broken one is its own ::manifest item's
            found.setdefault(loaded.manifest.name, loaded)
    return found


@dataclass
class PipelineOutcome:
    """A template case's pipeline execution, and the node executions it ran, oldest first."""

    cycle: dict
    node_order: list[str] = field(default_factory=list)  # node names in the order each was first reached
    failed_execution: dict | None = None
    logs: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    state_misses: list[str] = field(default_factory=list)  # expect.items and expect.annotations (cases/state.py)

    @property
    def status(self) -> str:
        return self.cycle.get("status", "unknown")


def _refuse_unrunnable(app_dir: Path, app, index: int) -> None:
    """Refuse an app's template before it is made, naming each node that cannot run here at its JSON path
    with the app's own fix: a service the app does not create (and the services it does), a code, task or
    other node that is not a function node of one of those services."""
    from ..manifests.app_checks import check_app  # noqa: PLC0415 (reads the code with ast, never runs it)

    at = f"components.pipelineTemplates[{index}]"
    found = [f for f in check_app(app_dir, app) if f.json_path == at or f.json_path.startswith((at + ".", at + "["))]
    if found:
        services = ", ".join(p["name"] for p in app.services()) or "none"
        said = "; ".join(f"{f.json_path}: {f.message}" for f in found)
        raise FaasError(f"{app.source or app_dir / 'dataloop.json'}: {said} (the app's services: {services})")


class TemplateRunner:
    """Makes a template's pipeline in a project where the services its function nodes name run, installs it
    once per run, and runs input sets through it.

    Two kinds of templates: a ``*.pipeline.json`` file (`from_file`: the packages beside it are pushed and
    deployed under the nodes' service names) and an entry of an app's ``pipelineTemplates`` (`from_app`: the
    app is published and installed as its other cases install it, and the nodes name its services).
    """

    def __init__(self, runner, template: dict, origin: str, place):
        """``place(template)`` makes the services the template's function nodes name and returns the
        project (``{id, name}``) they run in; ``origin`` starts every message about the template."""
        self.runner = runner
        self.template = template
        self.origin = origin
        self._place = place

    @classmethod
    def from_file(cls, runner, template_path: Path) -> TemplateRunner:
        try:
            template = json.loads(template_path.read_text())
        except ValueError as exc:
            raise FaasError(f"{template_path}: not valid JSON: {exc}") from None
        if not isinstance(template, dict) or not isinstance(template.get("nodes"), list):
            raise FaasError(f"{template_path}: a pipeline template is the JSON of pipeline.to_json(), an object "
                            "with 'nodes', 'connections' and 'startNodes'")
        made = cls(runner, template, str(template_path), None)
        made._place = made._deploy_packages_near(template_path)
        return made

    @classmethod
    def from_app(cls, runner, app_dir: Path, app, index: int) -> TemplateRunner:
        """The app's ``components.pipelineTemplates[index]``, run on the app as `pytest --faas` installs it."""
        def place(template: dict) -> dict:
            _refuse_unrunnable(app_dir, app, index)
            services = runner.part(AppCases).install(app_dir, app)
            if not services:
                raise FaasError(f"app {app.name!r} creates no service, so no function node can run")
            return runner.client.get(f"/projects/{next(iter(services.values()))['projectId']}")

        origin = f"{app.source or app_dir / 'dataloop.json'}: components.pipelineTemplates[{index}]"
        return cls(runner, app.components.pipeline_templates[index], origin, place)

    def _deploy_packages_near(self, path: Path):
        def place(template: dict) -> dict:
            packages = packages_near(path)
            for node in template["nodes"]:
                if isinstance(node, dict) and node.get("type") == "function":
                    self._service(node, packages)
            project = self.runner.project()
            return {"id": project.id, "name": project.name}
        return place

    def _service(self, node: dict, packages: dict) -> dict:
        namespace = node.get("namespace") or {}
        name, package_name = namespace.get("serviceName"), namespace.get("packageName")
        cache = _cache(self.runner)
        if ("service", name) in cache:
            return cache[("service", name)]
        if package_name not in packages:
            raise FaasError(f"{self.origin}: node {node.get('name')!r} runs package {package_name!r}, but no "
                            f"package.json of that name is beside the template (found {sorted(packages)})")
        loaded = packages[package_name]
        package = self.runner.package(loaded)
        module = namespace.get("moduleName") or loaded.manifest.modules[0].name
        service = package.deploy(service_name=name, module_name=module,
                                 runtime={"concurrency": 10, "numReplicas": 1, "podType": "regular-s"})
        cache[("service", name)] = service.to_json()
        return cache[("service", name)]

    def pipeline(self) -> dict:
        """The template as a pipeline of the project its services run in, installed (made once per template)."""
        cache = _cache(self.runner)
        key = ("template", self.origin)
        if key in cache:
            return cache[key]
        body = {k: copy.deepcopy(v) for k, v in self.template.items() if k not in _PLATFORM_KEYS}
        if not isinstance(body.get("nodes"), list):
            raise FaasError(f"{self.origin}: a pipeline template needs 'nodes', a list of nodes")
        project = self._place(body)
        body["name"] = f"{self.template.get('name') or 'template'}-{len(cache)}"
        body["projectId"] = project["id"]
        for node in body["nodes"]:
            if isinstance(node, dict) and node.get("type") == "function" and isinstance(node.get("namespace"), dict):
                node["projectId"] = project["id"]
                node["namespace"]["projectName"] = project["name"]
        try:
            pipeline = self.runner.client.post("/pipelines", body)
            pipeline = self.runner.client.post(f"/pipelines/{pipeline['id']}/install", {})
        except PlatformError as exc:
            raise FaasError(f"{self.origin}: {exc.message}") from None
        cache[key] = pipeline
        return pipeline

    def run(self, case: MockCase, mock_path: Path, limit_s: float = 3600.0,
            expect: ExpectedState | None = None) -> PipelineOutcome:
        start = time.perf_counter()
        pipeline = self.pipeline()
        root = next((s["nodeId"] for s in pipeline["startNodes"] if s.get("type") == "root"),
                    pipeline["startNodes"][0]["nodeId"])
        start_node = next(n for n in pipeline["nodes"] if n["id"] == root)
        project_id = self.runner.seed(case, {p["name"]: p.get("type") for p in start_node.get("inputs") or []},
                                      mock_path) or pipeline["projectId"]
        cycle = self.runner.client.post(f"/pipelines/{pipeline['id']}/execute", {"pipeline": {"input": case.inputs}})
        deadline = time.monotonic() + limit_s
        while cycle["status"] not in _CYCLE_ENDS and time.monotonic() < deadline:
            chunk = max(0.0, min(MAX_WAIT_CHUNK_S, deadline - time.monotonic()))
            cycle = self.runner.client.get(f"/_faas/pipelines/{pipeline['id']}/executions/{cycle['id']}/wait"
                                           f"?timeout={chunk:.3f}", timeout=chunk + 30.0)
        names = {n["id"]: n["name"] for n in pipeline["nodes"]}
        firsts = sorted((min(ids), node_id) for node_id, ids in cycle["executions"].items() if ids)
        outcome = PipelineOutcome(cycle, [names[node_id] for _, node_id in firsts])
        if cycle["status"] != "success":
            outcome.failed_execution, outcome.logs = self._failed(cycle)
        if expect is not None:
            outcome.state_misses = state.misses(self.runner.client, expect, project_id, cycle["status"] in _CYCLE_ENDS)
        outcome.wall_s = time.perf_counter() - start
        return outcome

    def _failed(self, cycle: dict) -> tuple[dict | None, list[str]]:
        """The node execution that did not succeed (the last one when all did), and its log lines."""
        ids = sorted(i for ids in cycle["executions"].values() for i in ids)
        records = [self.runner.client.get(f"/executions/{i}") for i in ids]
        failed = [r for r in records if r["latestStatus"]["status"] in TERMINAL
                  and r["latestStatus"]["status"] != "success"]
        record = (failed or records or [None])[-1]
        if record is None:
            return None, []
        return record, self.runner.logs(record["serviceId"], record["id"])


def check_pipeline(outcome: PipelineOutcome, expect: PipelineExpectation, placement: str, label: str) -> None:
    """Raise :class:`ExecutionFailed` (or :class:`FaasError`) when the pipeline execution misses ``expect``."""
    reasons = []
    if outcome.status != expect.status:
        reasons.append(f"expected pipeline status {expect.status}, got {outcome.status}")
    if expect.nodes is not None and outcome.node_order != expect.nodes:
        reasons.append(f"expected the input to pass through nodes {expect.nodes}, it passed through "
                       f"{outcome.node_order}")
    message = outcome.cycle.get("message") or ""
    if expect.message is not None and expect.message not in message:
        reasons.append(f"expected the pipeline message to contain {expect.message!r}, got {message!r}")
    reasons += outcome.state_misses
    if not reasons:
        return
    reason = "; ".join(reasons) + (f" ({message})" if message else "")
    if outcome.failed_execution is not None:
        raise ExecutionFailed(outcome.failed_execution, outcome.logs, placement, f"{label}: {reason}")
    raise FaasError(reason)  # the item's report puts the label first
