"""Private routes under ``/api/v1/_faas``: the runner agents' protocol and test controls.

Not part of the Dataloop API, and never called by dtlpy. Agents (``runtime/agent.py``) use:

- ``POST /_faas/agents`` ``{serviceId, replica, pid, host}`` -> ``{agentId, replicaId, service, package,
  module, leaseS, maxWaitS}``: register one replica's runner.
- ``POST /_faas/agents/{agentId}/claim`` ``{max, wait}`` -> ``{executions: [...], stop}``: long-poll for work.
- ``POST /_faas/agents/{agentId}/signals`` ``{wait}`` -> ``{terminate: [ids], abandon: [ids], stop}``:
  long-poll for orders; also the agent's heartbeat.
- ``POST /_faas/agents/{agentId}/executions/{executionId}/finish`` ``{attempt, status, output, message,
  lines}`` -> ``{accepted, execution}``: a late result for a record the agent no longer holds is ignored.
- ``POST /_faas/agents/{agentId}/logs`` ``{entries: [{executionId, lines}]}``: lines while running.
- ``POST /_faas/agents/{agentId}/failed`` ``{message}``: the code could not be loaded or constructed.
- ``DELETE /_faas/agents/{agentId}``: a clean exit after draining.

Tests and the CLI use:

- ``POST /_faas/cron/advance`` ``{seconds}`` -> ``{now, executions}``; ``GET /_faas/cron`` -> ``{now}``.
- ``GET /_faas/executions/{id}/wait?timeout=s`` -> the record once final.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ..errors import BadRequest
from .http import Route, read_json

if TYPE_CHECKING:
    from . import Backend

PREFIX = "/_faas"


def _number(body: dict, name: str, default: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadRequest(f"{name!r} must be a non-negative number, found {value!r}")
    return float(value)


def control_routes(backend: "Backend") -> list[Route]:
    engine = backend.engine
    dispatch = engine.dispatch

    def register(request: Request):
        body = read_json(request, expect=dict)
        if not body.get("serviceId"):
            raise BadRequest("agent registration needs 'serviceId'")
        replica = body.get("replica", 0)
        if isinstance(replica, bool) or not isinstance(replica, int) or replica < 0:
            raise BadRequest(f"'replica' must be a non-negative integer, found {replica!r}")
        return dispatch.register(body["serviceId"], replica, body.get("pid"), body.get("host"))

    def claim(request: Request, agent_id: str):
        body = read_json(request, expect=dict)
        return dispatch.claim(agent_id, int(_number(body, "max", 1)), _number(body, "wait", 0))

    def signals(request: Request, agent_id: str):
        return dispatch.signals(agent_id, _number(read_json(request, expect=dict), "wait", 0))

    def finish(request: Request, agent_id: str, execution_id: str):
        return dispatch.finish(agent_id, execution_id, read_json(request, expect=dict))

    def logs(request: Request, agent_id: str):
        entries = read_json(request, expect=dict).get("entries") or []
        if not isinstance(entries, list):
            raise BadRequest("'entries' must be a list of {executionId, lines}")
        return {"stored": dispatch.append_logs(agent_id, entries)}

    def failed(request: Request, agent_id: str):
        dispatch.startup_failed(agent_id, str(read_json(request, expect=dict).get("message") or "unknown error"))
        return {}

    def bye(request: Request, agent_id: str):
        dispatch.bye(agent_id)
        return {}

    def cron_now(request: Request):
        return {"now": engine.cron.now().isoformat()}

    def cron_advance(request: Request):
        body = read_json(request, expect=dict)
        fired = engine.cron.advance(_number(body, "seconds", 0))
        return {"now": engine.cron.now().isoformat(), "executions": fired}

    def wait_execution(request: Request, execution_id: str):
        try:
            timeout = float(request.args.get("timeout", 30))
        except ValueError:
            raise BadRequest("'timeout' must be a number of seconds") from None
        return engine.wait(execution_id, min(max(timeout, 0.0), 300.0))

    return [
        Route(f"{PREFIX}/agents", ("POST",), register),
        Route(f"{PREFIX}/agents/<agent_id>", ("DELETE",), bye),
        Route(f"{PREFIX}/agents/<agent_id>/claim", ("POST",), claim),
        Route(f"{PREFIX}/agents/<agent_id>/signals", ("POST",), signals),
        Route(f"{PREFIX}/agents/<agent_id>/executions/<execution_id>/finish", ("POST",), finish),
        Route(f"{PREFIX}/agents/<agent_id>/logs", ("POST",), logs),
        Route(f"{PREFIX}/agents/<agent_id>/failed", ("POST",), failed),
        Route(f"{PREFIX}/cron", ("GET",), cron_now),
        Route(f"{PREFIX}/cron/advance", ("POST",), cron_advance),
        Route(f"{PREFIX}/executions/<execution_id>/wait", ("GET",), wait_execution),
    ]
