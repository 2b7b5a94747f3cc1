"""Private routes under ``/api/v1/_faas``: the runner agents' protocol and test controls.

Not part of the Dataloop API, and never called by dtlpy. Agents (``runner/agent.py``) use:

- ``POST /_faas/agents`` ``{serviceId, replica, pid, host}`` -> ``{agentId, replicaId, service, package,
  module, leaseS, maxWaitS, functionToken}``: register one replica's runner; ``functionToken`` is what the
  agent binds to the user's code (it reaches the Dataloop API, not these routes).
- ``POST /_faas/agents/{agentId}/claim`` ``{max, wait}`` -> ``{executions: [...], stop}``: long-poll for work.
- ``POST /_faas/agents/{agentId}/signals`` ``{wait}`` -> ``{terminate: [ids], abandon: [ids], stop}``:
  long-poll for orders; also the agent's heartbeat.
- ``POST /_faas/agents/{agentId}/executions/{executionId}/finish`` ``{attempt, status, output, message,
  lines}`` -> ``{accepted, execution}``: a late result for a record the agent no longer holds is ignored.
- ``POST /_faas/agents/{agentId}/logs`` ``{entries: [{executionId, lines}]}``: lines while running; an entry
  without ``executionId`` holds the replica's own lines (its start-up: what ``__init__`` printed).
- ``POST /_faas/agents/{agentId}/failed`` ``{message}``: the code could not be loaded or constructed.
- ``DELETE /_faas/agents/{agentId}``: a clean exit after draining.

These need the agent token or the platform's (``backend/web/wsgi.py``, ``REACH``). Bodies are checked by the
models of :mod:`.bodies`: waits are at most ``bodies.MAX_WAIT_S``, a claim at most ``bodies.MAX_CLAIM``.

Tests and the CLI use (the platform's own token only):

- ``POST /_faas/cron/advance`` ``{seconds}`` -> ``{now, executions}``; ``GET /_faas/cron`` -> ``{now}``.
- ``GET /_faas/executions/{id}/wait?timeout=s`` -> the record once final.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ...errors import BadRequest
from ..web import bodies
from .dispatch import RESULT_WAIT_S
from ..web.wsgi import Route, check, read_json

if TYPE_CHECKING:
    from .engine import Engine
    from .service_env import ServiceEnv

PREFIX = "/_faas"


def _body(request: Request, model):
    """The JSON object body as ``model`` (its fields parsed), or a 400 naming what is wrong."""
    return check(model, read_json(request, expect=dict))


def agent_routes(engine: "Engine", service_env: "ServiceEnv", function_token: str) -> list[Route]:
    """The agents' protocol: register, environment, claim, signals, finish, logs, failures, goodbye."""

    dispatch = engine.dispatch

    def register(request: Request):
        body = _body(request, bodies.Register)
        registration = dispatch.register(body.serviceId, body.replica, body.pid, body.host)
        # What the agent binds to the user's code: a token that reaches the Dataloop API only; and the
        # variables it sets before loading the code.
        return {**registration, "functionToken": function_token,
                "env": service_env.of(body.serviceId)}

    def get_env(request: Request, service_id: str):
        return {"env": service_env.own(service_id), "defaults": sorted(service_env.defaults)}

    def put_env(request: Request, service_id: str):
        return {"env": service_env.set(service_id, _body(request, bodies.ServiceEnvBody).env)}

    def claim(request: Request, agent_id: str):
        body = _body(request, bodies.Claim)
        return dispatch.claim(agent_id, body.max, body.wait)

    def signals(request: Request, agent_id: str):
        return dispatch.signals(agent_id, _body(request, bodies.Signals).wait)

    def finish(request: Request, agent_id: str, execution_id: str):
        body = read_json(request, expect=dict)
        check(bodies.Finish, body)
        return dispatch.finish(agent_id, execution_id, body)

    def logs(request: Request, agent_id: str):
        body = read_json(request, expect=dict)
        check(bodies.Logs, body)
        return {"stored": dispatch.append_logs(agent_id, body.get("entries") or [])}

    def failed(request: Request, agent_id: str):
        dispatch.startup_failed(agent_id, _body(request, bodies.Failed).message or "unknown error")
        return {}

    def bye(request: Request, agent_id: str):
        dispatch.bye(agent_id)
        return {}

    return [
        Route(f"{PREFIX}/agents", ("POST",), register),
        Route(f"{PREFIX}/services/<service_id>/env", ("GET",), get_env),
        Route(f"{PREFIX}/services/<service_id>/env", ("PUT",), put_env),
        Route(f"{PREFIX}/agents/<agent_id>/claim", ("POST",), claim),
        Route(f"{PREFIX}/agents/<agent_id>/signals", ("POST",), signals),
        Route(f"{PREFIX}/agents/<agent_id>/executions/<execution_id>/finish", ("POST",), finish),
        Route(f"{PREFIX}/agents/<agent_id>/logs", ("POST",), logs),
        Route(f"{PREFIX}/agents/<agent_id>/failed", ("POST",), failed),
        Route(f"{PREFIX}/agents/<agent_id>", ("DELETE",), bye),
    ]


def test_control_routes(engine: "Engine") -> list[Route]:
    """Test controls: the cron clock, and the long poll for an execution's end."""

    dispatch = engine.dispatch

    def cron_now(request: Request):
        return {"now": engine.cron.now().isoformat()}

    def cron_advance(request: Request):
        fired = engine.cron.advance(_body(request, bodies.CronAdvance).seconds)
        return {"now": engine.cron.now().isoformat(), "executions": fired}

    def wait_execution(request: Request, execution_id: str):
        try:
            timeout = float(request.args.get("timeout", 30))
        except ValueError:
            raise BadRequest("'timeout' must be a number of seconds") from None
        if not 0 <= timeout <= RESULT_WAIT_S:  # NaN included
            raise BadRequest(f"'timeout' must be a number of seconds from 0 to {RESULT_WAIT_S:g}")
        return engine.wait(execution_id, min(timeout, dispatch.max_result_wait_s))

    return [
        Route(f"{PREFIX}/cron", ("GET",), cron_now),
        Route(f"{PREFIX}/cron/advance", ("POST",), cron_advance),
        Route(f"{PREFIX}/executions/<execution_id>/wait", ("GET",), wait_execution),
    ]


def control_routes(engine: "Engine", service_env: "ServiceEnv", function_token: str) -> list[Route]:
    return agent_routes(engine, service_env, function_token) + test_control_routes(engine)
