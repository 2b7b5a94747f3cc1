"""Runner agents as the platform sees them: registration, claims, signals, timeouts, leases and deaths.

Agents are HTTP clients (``backend/faas/control.py``); this is their other end. An agent registers for one
replica of one service, long-polls for executions (:meth:`Dispatcher.claim`) and for signals
(:meth:`Dispatcher.signals`: terminate, abandon, stop), and reports results. Starting and killing the
agent processes is not done here but through :class:`Runners`, which :mod:`pytest_faas.local` connects
to the runtime placements; a placement reports a replica that died back through
:meth:`Dispatcher.replica_died`. An agent that stops calling in for ``lease_s`` counts as dead too, so no
execution stays in progress once its runner is gone, whatever the placement.
"""

from __future__ import annotations

import heapq
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from ...errors import PlatformError
from ...ids import new_id
from ...protocol import QUEUED, STACK_MARK, STACK_WAIT_S, TERMINAL
from .executions import Executions
from .logs import log_line
from .services import Services

log = logging.getLogger(__name__)

MAX_WAIT_S = 10.0  # an agent's long polls (claim, signals); the request models refuse longer
RESULT_WAIT_S = 300.0  # a test's wait for an execution's result


class Gone(PlatformError):
    status = 410


class Runners(Protocol):
    """What the engine asks of the placements (implemented in ``placements/__init__.py``)."""

    def start(self, service: dict) -> None:
        """Run the service's replicas with this spec, replacing any that run an older one."""

    def stop(self, service_id: str) -> None:
        """Stop the service's replicas."""

    def reset(self, service_id: str, replica: int, execution_ids: list[str], reason: str,
              pid: int | None, host: str | None) -> None:
        """Really stop the work of these executions (the engine has ended or flagged their records)."""

    def stops_on_reset(self, service_id: str) -> bool:
        """Whether :meth:`reset` stops the replica's runner (so it must claim nothing more)."""


class NullRunners:
    """No placement attached: executions wait in their queues until an agent comes (e.g. over HTTP)."""

    def start(self, service: dict) -> None:
        pass

    def stop(self, service_id: str) -> None:
        pass

    def reset(self, service_id, replica, execution_ids, reason, pid, host) -> None:
        pass

    def stops_on_reset(self, service_id: str) -> bool:
        return False


@dataclass
class Agent:
    id: str
    service_id: str
    replica: int
    replica_id: str
    pid: int | None
    host: str | None
    last_seen: float
    stopping: bool = False
    running: set = field(default_factory=set)
    terminate: list = field(default_factory=list)
    abandon: list = field(default_factory=list)
    dump: list = field(default_factory=list)  # timed-out executions whose stack it is asked for




MAX_FAILURE_LINES = 200  # lines of a placement's failure (pip's output) kept in the service's log


class Dispatcher:
    """Hands queued executions to agents and ends the ones their runners cannot finish."""

    def __init__(self, executions: Executions, services: Services, cond: threading.Condition,
                 lease_s: float = 30.0):
        self.executions = executions
        self.services = services
        self.cond = cond
        self.lease_s = lease_s
        # The bounds of the long waits; a test platform may set them lower (the fuzz does, to stay fast).
        self.max_wait_s = MAX_WAIT_S
        self.max_result_wait_s = RESULT_WAIT_S
        self.runners: Runners = NullRunners()
        self.agents: dict[str, Agent] = {}
        self._deadlines: list[tuple[float, str, int]] = []
        # Timed-out executions whose agent was asked where the function is (it logs the stack, then they end).
        self._asked: set[str] = set()
        self._closed = False
        self.closing = False  # set when the platform shuts down: what runners drop then ends as "platform"
        self._thread = threading.Thread(target=self._watch, name="faas-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        with self.cond:
            self._closed = True
            self.wake_agents()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def wake_agents(self) -> None:
        """Wake every long-poll of every agent, and the watchdog, to look at what changed (lock held)."""
        self.cond.notify_all()
        self.executions.work.notify_all()

    # -- services -------------------------------------------------------------------------------------

    def on_service(self, action: str, service: dict) -> None:
        """Services listener: retire the service's agents, then (re)start or stop its replicas."""
        with self.cond:
            for agent in self.agents.values():
                if agent.service_id == service["id"]:
                    agent.stopping = True
            if action == "start":
                self.executions.startup_errors.pop(service["id"], None)
            if action == "delete":
                self.executions.end_queued(service["id"], "deleted")
            self.wake_agents()
        if action == "start":
            self.runners.start(service)
        else:
            self.runners.stop(service["id"])

    # -- agent protocol -------------------------------------------------------------------------------

    def register(self, service_id: str, replica: int, pid: int | None = None, host: str | None = None) -> dict:
        # The record is read and the agent listed in one step under the lock that `on_service` retires
        # agents under: read before a PATCH and listed after its retirement, an agent would run the old
        # initParams, unretired, and claim the executions meant for the new ones.
        with self.cond:
            service = self.services.get(service_id)
            revision, module = self.services.code(service)
            # Each start of a replica is a new pod on the platform, with an id of its own: the service's
            # name, the replica's number and a token, so that executions before and after a restart or an
            # update name different replicas (the service's name stays in it, as dtlpy's own tests read it).
            replica_id = f"{service['name']}-{int(replica)}-{secrets.token_hex(3)}"
            agent = Agent(new_id(), service_id, int(replica), replica_id, pid, host, time.monotonic())
            self.agents[agent.id] = agent
        log.debug("agent %s registered for %s replica %s (pid %s)", agent.id, service["name"], replica, pid)
        return {"agentId": agent.id, "replicaId": agent.replica_id, "service": service, "package": revision,
                "module": module, "leaseS": self.lease_s, "maxWaitS": self.max_wait_s}

    def claim(self, agent_id: str, limit: int, wait_s: float) -> dict:
        """Long-poll: up to ``limit`` executions for the agent's service, or none after ``wait_s``."""
        deadline = time.monotonic() + max(0.0, min(float(wait_s), self.max_wait_s))
        with self.cond:
            while True:
                agent = self.agents.get(agent_id)
                if agent is None or agent.stopping or self._closed:
                    return {"executions": [], "stop": True}
                agent.last_seen = time.monotonic()
                service = self.services.store.find("services", agent.service_id)
                if service is not None and service.get("active") and limit > 0:
                    started = self.executions.claim(agent.service_id, min(int(limit), 1000), agent.id,
                                                    agent.replica_id)
                    if started:
                        timeout = service["executionTimeout"]
                        earliest = self._deadlines[0][0] if self._deadlines else float("inf")
                        for doc in started:
                            agent.running.add(doc["id"])
                            heapq.heappush(self._deadlines, (time.monotonic() + timeout, doc["id"], doc["attempts"]))
                        if self._deadlines[0][0] < earliest:
                            self.cond.notify_all()  # the watchdog sleeps until the earliest deadline
                        return {"executions": [self.executions.public(d) for d in started], "stop": False}
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {"executions": [], "stop": False}
                self.executions.work.wait(remaining)

    def signals(self, agent_id: str, wait_s: float) -> dict:
        """Long-poll: executions to terminate or abandon, and whether to stop. Also the agent's heartbeat."""
        deadline = time.monotonic() + max(0.0, min(float(wait_s), self.max_wait_s))
        with self.cond:
            while True:
                agent = self.agents.get(agent_id)
                if agent is None or self._closed:
                    return {"terminate": [], "abandon": [], "dump": [], "stop": True}
                agent.last_seen = time.monotonic()
                remaining = deadline - time.monotonic()
                if agent.terminate or agent.abandon or agent.dump or agent.stopping or remaining <= 0:
                    answer = {"terminate": agent.terminate, "abandon": agent.abandon, "dump": agent.dump,
                              "stop": agent.stopping}
                    agent.terminate, agent.abandon, agent.dump = [], [], []
                    return answer
                self.cond.wait(remaining)

    def finish(self, agent_id: str, execution_id: str, body: dict) -> dict:
        with self.cond:
            agent = self.agents.get(agent_id)
            if agent is not None:
                agent.last_seen = time.monotonic()
                agent.running.discard(execution_id)
            doc, accepted = self.executions.finish(execution_id, agent_id, body.get("attempt", -1), body)
        return {"accepted": accepted, "execution": self.executions.public(doc)}

    def append_logs(self, agent_id: str, entries: list[dict]) -> int:
        """Lines of running executions, sent while they run; lines for records the agent lost are dropped."""
        stored = 0
        for entry in entries:
            if entry.get("executionId") is None:  # the replica's own lines: the service's log has them
                agent = self.agents.get(agent_id)
                if agent is not None:
                    service = self.services.get(agent.service_id)
                    self.executions.logs.append_replica(service, agent.replica_id, entry.get("lines") or [])
                    stored += 1
                continue
            doc = self.executions.store.find("executions", entry.get("executionId", ""))
            if doc is None or doc.get("agentId") != agent_id or doc["latestStatus"]["status"] in TERMINAL:
                continue
            self.executions.logs.append(doc, entry.get("lines") or [])
            stored += 1
            self._stack_came(doc, entry.get("lines") or [])
        return stored

    def _stack_came(self, doc: dict, lines: list) -> None:
        """A timed-out execution's stack is in its log now: it ends at once (the watchdog ends it)."""
        if not any(isinstance(line, dict) and line.get("message") == STACK_MARK for line in lines):
            return
        with self.cond:
            if doc["id"] in self._asked:
                heapq.heappush(self._deadlines, (time.monotonic(), doc["id"], doc["attempts"]))
                self.cond.notify_all()

    def startup_failed(self, agent_id: str, message: str) -> None:
        """The agent could not load the code or construct the class: its service cannot run anything."""
        with self.cond:
            agent = self.agents.pop(agent_id, None)
            if agent is None:
                return
            self.executions.startup_errors[agent.service_id] = message
            self.executions.end_queued(agent.service_id, "startup", reason=message)
            self._bury(agent, "its runner could not start", "crash")

    def service_failed(self, service_id: str, message: str) -> None:
        """A placement cannot run the service at all (its image did not build, its container did not
        start): end what is queued, and what comes later, with that message until the next deploy."""
        with self.cond:
            self.executions.startup_errors[service_id] = message
            self.executions.end_queued(service_id, "startup", reason=message)
            service = self.executions.store.find("services", service_id)
            if service is not None:  # the service's log says why, as the platform shows pip's error there
                lines = [log_line(line, "ERROR") for line in message.splitlines()[:MAX_FAILURE_LINES] if line.strip()]
                self.executions.logs.append_replica(service, None, lines)
            self.wake_agents()

    def bye(self, agent_id: str) -> None:
        """A clean exit after draining; whatever it still held was stopped by that exit."""
        with self.cond:
            agent = self.agents.get(agent_id)
            if agent is not None:
                self._bury(agent, "its runner stopped before it finished", "reset")

    # -- platform-side ends ---------------------------------------------------------------------------

    def terminate(self, execution_id: str) -> dict:
        doc, running = self.executions.terminate(execution_id)
        if running:
            with self.cond:
                agent = self.agents.get(doc.get("agentId") or "")
                if agent is not None:
                    agent.terminate.append(execution_id)
                    agent.stopping = agent.stopping or self.runners.stops_on_reset(agent.service_id)
                    self.wake_agents()
            if agent is not None:
                self.runners.reset(agent.service_id, agent.replica, [execution_id], "terminate", agent.pid, agent.host)
        return doc

    def reset_service(self, service_id: str) -> list[str]:
        """``PATCH /services/{id}?force=true``: what the service's replicas run now is reset at once, as on
        the platform, instead of draining: queued again while attempts remain, else failed. Returns the ids."""
        resets, ended = [], []
        with self.cond:
            for agent in list(self.agents.values()):
                if agent.service_id != service_id:
                    continue
                for execution_id in sorted(agent.running):
                    doc = self.executions.store.find("executions", execution_id)
                    if doc is None or doc.get("agentId") != agent.id or doc["latestStatus"]["status"] in TERMINAL | QUEUED:
                        continue
                    if self.runners.stops_on_reset(service_id):
                        agent.stopping = True  # its runner is about to be killed: it must claim nothing more
                    self.executions.end(doc, "forced")
                    agent.running.discard(execution_id)
                    agent.abandon.append(execution_id)
                    resets.append((service_id, agent.replica, [execution_id], "reset", agent.pid, agent.host))
                    ended.append(execution_id)
            self.wake_agents()
        for reset in resets:
            self.runners.reset(*reset)
        return ended

    def replica_died(self, service_id: str, replica: int, reason: str, *, agent_id: str | None = None,
                     pid: int | None = None, host: str | None = None, requested: bool = False) -> int:
        """A placement saw a replica's runner die: end what it held. Returns the number of agents buried.

        ``requested`` says the placement killed it on the engine's ``reset`` (a timeout or a terminate):
        what it still held then ends per ``onReset``; otherwise the runner crashed (``system-failure``, or a
        rerun with ``onReset: rerun``). Executions flagged ``toTerminate`` end as killed either way.
        """
        with self.cond:
            dead = [a for a in self.agents.values()
                    if a.service_id == service_id and a.replica == int(replica)
                    and (agent_id is None or a.id == agent_id) and (pid is None or a.pid == pid)
                    and (host is None or a.host == host)]
            for agent in dead:
                self._bury(agent, reason, "reset" if requested else "crash")
            return len(dead)

    def _bury(self, agent: Agent, reason: str, kind: str) -> None:
        """Forget an agent and end the executions it held (lock held)."""
        self.agents.pop(agent.id, None)
        for execution_id in sorted(agent.running):
            doc = self.executions.store.find("executions", execution_id)
            if doc is None or doc.get("agentId") != agent.id or doc["latestStatus"]["status"] in TERMINAL | QUEUED:
                continue
            end = "platform" if self.closing else "killed" if doc.get("toTerminate") else kind
            self.executions.end(doc, end, reason=reason)
        agent.running.clear()
        self.wake_agents()

    def _expire(self) -> list[tuple]:
        """End timed-out executions and silent agents (lock held); returns the resets to ask for."""
        now = time.monotonic()
        resets = []
        while self._deadlines and self._deadlines[0][0] <= now:
            _, execution_id, attempt = heapq.heappop(self._deadlines)
            doc = self.executions.store.find("executions", execution_id)
            if doc is None or doc["attempts"] != attempt or doc["latestStatus"]["status"] in TERMINAL | QUEUED:
                self._asked.discard(execution_id)
                continue
            agent = self.agents.get(doc.get("agentId") or "")
            if agent is not None and execution_id not in self._asked:  # first ask where the function is
                self._asked.add(execution_id)
                agent.dump.append(execution_id)
                heapq.heappush(self._deadlines, (now + STACK_WAIT_S, execution_id, attempt))
                self.wake_agents()
                continue
            self._asked.discard(execution_id)
            if agent is not None and self.runners.stops_on_reset(agent.service_id):
                agent.stopping = True  # a replica about to be killed must not take the rerun (or anything)
            self.executions.end(doc, "timeout")
            if agent is not None:
                agent.running.discard(execution_id)
                agent.abandon.append(execution_id)
                resets.append((agent.service_id, agent.replica, [execution_id], "timeout", agent.pid, agent.host))
        for agent in list(self.agents.values()):
            if now - agent.last_seen > self.lease_s:
                log.warning("agent %s (%s) sent nothing for %.0f s: declared dead", agent.id, agent.replica_id,
                            self.lease_s)
                self._bury(agent, f"the runner stopped answering (no call for {self.lease_s:.0f} s)", "crash")
        return resets

    def _watch(self) -> None:
        while True:
            with self.cond:
                if self._closed:
                    return
                resets = self._expire()
                if resets:
                    self.wake_agents()  # their agents have executions to abandon, and may have to stop
                else:
                    wait = 1.0
                    if self._deadlines:
                        wait = min(wait, max(0.0, self._deadlines[0][0] - time.monotonic()))
                    self.cond.wait(wait + 0.001)
            for reset in resets:
                try:
                    self.runners.reset(*reset)
                except Exception:  # a placement failing to kill must not stop timeouts of other executions
                    log.exception("resetting replica %s of service %s failed", reset[1], reset[0])

    def status(self, service_id: str) -> dict:
        """``GET /services/{id}/status``."""
        service = self.services.get(service_id)
        with self.cond:
            replicas = [{"replicaId": a.replica_id, "agentId": a.id, "pid": a.pid, "host": a.host,
                         "running": len(a.running), "status": "stopping" if a.stopping else "running"}
                        for a in self.agents.values() if a.service_id == service_id]
            queued = len(self.executions.queues.get(service_id, ()))
            error = self.executions.startup_errors.get(service_id)
        return {"active": service.get("active"), "status": "failed" if error else "running" if replicas else "pending",
                "replicas": replicas, "queued": queued, "startupError": error}
