"""The pipelines REST surface dtlpy uses: request parsing and response shaping only.

Behaviour lives in ``pipelines.py`` (the records) and ``pipeline_executions.py`` (cycles and routing).
``GET /_faas/pipelines/{id}/executions/{id}/wait?timeout=s`` is ours: a long poll for a cycle's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ...errors import BadRequest
from ..web.wsgi import Route, read_json, read_query

if TYPE_CHECKING:
    from .executions import PipelineRuns
    from .graph import Pipelines

MAX_WAIT_S = 30.0


def graph_routes(pipelines: "Pipelines", runs: "PipelineRuns") -> list[Route]:
    """Pipelines as records: create, get, update, delete, query, name checks."""

    def create(request: Request):
        return pipelines.create(read_json(request, expect=dict))

    def get(request: Request, pipeline_id: str):
        return pipelines.get(pipeline_id)

    def update(request: Request, pipeline_id: str):
        return pipelines.update(pipeline_id, read_json(request, expect=dict))

    def delete(request: Request, pipeline_id: str):
        pipelines.delete(pipeline_id)
        return {"id": pipeline_id, "deleted": True}

    def query(request: Request):
        body = read_query(request, "POST /pipelines/query")
        resource = body.get("resource", "pipeline")
        if resource == "pipeline":
            return pipelines.query(body)
        if resource == "pipelineState":
            result = runs.query(body)
            result["items"] = [runs.public(c) for c in result["items"]]
            return result
        raise BadRequest(f"/pipelines/query resource must be 'pipeline' or 'pipelineState', found {resource!r}")

    def validate_name(request: Request, name: str):
        if not name.strip() or len(name) > 100:
            raise BadRequest(f"invalid pipeline name {name!r}: use 1 to 100 characters")
        return {}

    return [
        Route("/pipelines", ("POST",), create),
        Route("/pipelines/<pipeline_id>", ("GET",), get),
        Route("/pipelines/<pipeline_id>", ("PATCH",), update),
        Route("/pipelines/<pipeline_id>/variables", ("PATCH",), update),
        Route("/pipelines/<pipeline_id>/settings", ("PATCH",), update),
        Route("/pipelines/<pipeline_id>", ("DELETE",), delete),
        Route("/pipelines/query", ("POST",), query),
        Route("/piper-misc/naming/pipelines/<path:name>", ("GET",), validate_name),
    ]


def run_routes(pipelines: "Pipelines", runs: "PipelineRuns") -> list[Route]:
    """Installing pipelines and running them: install, uninstall, execute, an execution and its wait."""

    def install(request: Request, pipeline_id: str):
        read_json(request, expect=dict)
        return pipelines.install(pipeline_id)

    def uninstall(request: Request, pipeline_id: str):
        read_json(request, expect=dict)
        return pipelines.pause(pipeline_id)

    def execute(request: Request, pipeline_id: str):
        return runs.execute(pipeline_id, read_json(request, expect=dict))

    def get_execution(request: Request, pipeline_id: str, cycle_id: str):
        return runs.public(runs.get(pipeline_id, cycle_id))

    def wait_execution(request: Request, pipeline_id: str, cycle_id: str):
        try:
            timeout = min(max(float(request.args.get("timeout", "10")), 0.0), MAX_WAIT_S)
        except ValueError:
            raise BadRequest(f"'timeout' must be a number of seconds, found {request.args['timeout']!r}") from None
        runs.get(pipeline_id, cycle_id)
        return runs.wait(cycle_id, timeout)

    return [
        Route("/pipelines/<pipeline_id>/install", ("POST",), install),
        Route("/pipelines/<pipeline_id>/uninstall", ("POST",), uninstall),
        Route("/pipelines/<pipeline_id>/execute", ("POST",), execute),
        Route("/pipelines/<pipeline_id>/executions/<cycle_id>", ("GET",), get_execution),
        Route("/_faas/pipelines/<pipeline_id>/executions/<cycle_id>/wait", ("GET",), wait_execution),
    ]


def pipeline_routes(pipelines: "Pipelines", runs: "PipelineRuns") -> list[Route]:
    return graph_routes(pipelines, runs) + run_routes(pipelines, runs)
