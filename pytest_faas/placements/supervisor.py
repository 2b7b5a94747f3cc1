"""One replica supervisor: the lifecycle every placement shares, written once.

A placement (thread, subprocess, docker) says only how one replica's agent is launched, waited for,
terminated and killed (the hooks below). The supervisor keeps the replicas of each service, retires them
on ``stop`` or a new ``start`` (drain for ``STOP_GRACE_S``, then kill), kills one on the engine's ``reset``,
reports every replica that ended unasked to the engine (``on_died``, with its last lines of output), and
starts it again under one restart policy (:func:`restart_backoff`).

It implements the engine's ``Runners`` interface: ``start(service)``, ``stop(service_id)``,
``reset(...)``, ``stops_on_reset(service_id)``, plus ``close()``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import FaasError
from ..protocol import EXIT_STARTUP_FAILED
from ..runner.loader import LoadError

log = logging.getLogger(__name__)

Died = Callable[..., int]  # (service_id, replica, reason, *, agent_id=None, pid=None, host=None, requested=False)
Failed = Callable[[str, str], None]  # (service_id, message): the service cannot run at all
STOP_GRACE_S = 10.0  # a replaced or stopped replica drains this long before it is killed
QUICK_DEATH_S = 10.0  # a replica that dies sooner than this after its start is restarted ever more slowly
MAX_BACKOFF_S = 5.0
TAIL_LINES = 12


def restart_backoff(started: float, restarts: int, killed: bool,
                    quick_s: float = QUICK_DEATH_S) -> tuple[int, float]:
    """(restart count, seconds to wait) before starting again a replica that ended.

    One that keeps dying within ``quick_s`` of its start comes back ever more slowly (0.4 s, 0.8 s,
    1.6 s, ..., at most ``MAX_BACKOFF_S``); one that ran for a while, or that the platform killed on purpose
    (a timeout, a terminate), comes back at once.
    """
    if killed or time.monotonic() - started >= quick_s:
        return 0, 0.0
    return restarts + 1, min(0.2 * 2 ** (restarts + 1), MAX_BACKOFF_S)


def last_lines(text: str, lines: int = TAIL_LINES) -> str:
    """``"; its last output:\\n..."`` for a death report, or "" when it printed nothing."""
    kept = (text or "").rstrip().splitlines()[-lines:]
    return ("; its last output:\n" + "\n".join(kept)) if kept else ""


def replicas_of(service: dict) -> int:
    return max(1, int((service.get("runtime") or {}).get("numReplicas") or 1))


@dataclass(eq=False)
class Run:
    """One launch of one replica of a service (a restart is a new Run)."""

    service: dict
    replica: int
    context: Any  # what the placement's ``prepare`` made for the service (docker: its image)
    generation: int  # the service's start this belongs to; a newer start or a stop makes it stale
    restarts: int = 0
    started: float = field(default_factory=time.monotonic)
    handle: Any = None  # the placement's own: a thread, a Popen, a container
    retired: bool = False
    killed_for: str | None = None

    @property
    def service_id(self) -> str:
        return self.service["id"]


@dataclass(frozen=True)
class Exit:
    """How a replica ended, as its placement saw it."""

    code: int | None  # None: unknown (it was removed under us)
    cause: str  # "exited with code 3", "killed by signal SIGKILL", ...
    output: str = ""  # what it printed last


@dataclass(frozen=True)
class Restart:
    """A restart the supervisor decided (kept in ``Supervisor.restarts``, for tests and reports)."""

    service_id: str
    replica: int
    attempt: int  # 0 after a replica that ran a while or was killed on purpose; 1, 2, ... in a crash loop
    delay: float
    reason: str


class Supervisor:
    """The replicas of every service of one placement, and the one restart policy.

    Subclasses implement the hooks ``launch``, ``wait``, ``terminate``, ``kill`` and ``describe``, and may
    override ``prepare`` (work done once per service start, e.g. an image), ``discard`` (clean-up after
    a replica ended) and ``identity`` (what identifies the replica to the engine: pid, host, agent id).
    """

    name = "?"
    starts_in_background = False  # ``start`` returns at once and prepares in a thread (docker's builds)
    quick_death_s = QUICK_DEATH_S  # the restart policy's "soon after its start"

    def __init__(self, on_died: Died, on_failed: Failed | None = None):
        self.on_died, self.on_failed = on_died, on_failed
        self.restarts: list[Restart] = []
        self._runs: dict[str, list[Run]] = {}
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()

    # -- hooks --------------------------------------------------------------------------------------------

    def prepare(self, service: dict) -> Any:
        """What every replica of this start of the service needs (run once per start)."""
        return None

    def launch(self, run: Run) -> Any:
        """Start the replica's agent; return its handle."""
        raise NotImplementedError

    def wait(self, run: Run) -> Exit:
        """Block until the replica has ended."""
        raise NotImplementedError

    def terminate(self, run: Run, grace: float) -> None:
        """Ask it to stop (it stops claiming and drains), and kill it after ``grace`` seconds; at once if 0."""
        raise NotImplementedError

    def kill(self, run: Run) -> None:
        """End it now (the engine's ``reset``: the only way to really stop a function)."""
        raise NotImplementedError

    def describe(self, run: Run) -> str:
        """The replica in a death report: "runner process 1234"."""
        raise NotImplementedError

    def discard(self, run: Run) -> None:
        """Clean up after a replica that ended (called once, after its report)."""

    def identity(self, run: Run) -> dict:
        """Keyword arguments of ``on_died`` that single out this replica: ``pid``, ``host`` or ``agent_id``."""
        return {}

    # -- the engine's Runners interface --------------------------------------------------------------------

    def start(self, service: dict) -> None:
        self._retire(service["id"], STOP_GRACE_S)
        with self._lock:
            if self._closing.is_set():
                return
            generation = self._generation[service["id"]] = self._generation.get(service["id"], 0) + 1
        if self.starts_in_background:
            threading.Thread(target=self._deploy, args=(service, generation), daemon=True,
                             name=f"faas-{self.name}-deploy-{service['id']}").start()
        else:
            self._deploy(service, generation)

    def stop(self, service_id: str) -> None:
        with self._lock:
            self._generation[service_id] = self._generation.get(service_id, 0) + 1
        self._retire(service_id, STOP_GRACE_S)

    def stops_on_reset(self, service_id: str) -> bool:
        return True

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        """Kill the replica's agent; its watcher reports the death (as requested) and starts another."""
        with self._lock:
            targets = [r for r in self._runs.get(service_id, [])
                       if r.replica == replica and self._matches(r, pid=pid, host=host)]
        for run in targets:
            run.killed_for = reason
            self.kill(run)

    def close(self, grace: float = 0.0) -> list[Run]:
        """Kill every replica (after ``grace`` seconds to stop by themselves); nothing restarts from here on.
        Returns what was running (to wait for)."""
        with self._lock:
            self._closing.set()
            runs = [run for runs in self._runs.values() for run in runs]
            service_ids = list(self._runs)
        for service_id in service_ids:
            self._retire(service_id, grace)
        return runs

    def replicas(self, service_id: str) -> list[Run]:
        """The service's current replicas."""
        with self._lock:
            return list(self._runs.get(service_id, []))

    # -- the lifecycle ------------------------------------------------------------------------------------

    def _current(self, service_id: str, generation: int) -> bool:
        with self._lock:
            return not self._closing.is_set() and self._generation.get(service_id) == generation

    def _deploy(self, service: dict, generation: int) -> None:
        try:
            context = self.prepare(service)
            for replica in range(replicas_of(service)):
                if not self._current(service["id"], generation):
                    return
                self._launch(Run(service, replica, context, generation))
        except Exception as exc:
            self._failed(service["id"], generation, exc)

    def _failed(self, service_id: str, generation: int, exc: Exception, what: str = "") -> None:
        if self.on_failed is None:
            raise exc
        if self._current(service_id, generation):
            log.error("service %s cannot run in the %s placement: %s", service_id, self.name, exc,
                      exc_info=not isinstance(exc, (FaasError, OSError, LoadError)))  # a bug of ours: its trace
            self.on_failed(service_id, f"{self.name} placement: {what}{str(exc) or repr(exc)}")

    def _launch(self, run: Run) -> None:
        run.handle = self.launch(run)
        with self._lock:
            stale = self._closing.is_set() or self._generation.get(run.service_id) != run.generation
            if not stale:
                runs = self._runs.setdefault(run.service_id, [])
                runs[:] = [r for r in runs if r.replica != run.replica] + [run]
        if stale:  # a stop or a newer start while this one launched: it belongs to nobody
            run.retired = True
            self.terminate(run, 0)
        threading.Thread(target=self._watch, args=(run,), daemon=True,
                         name=f"faas-{self.name}-watch-{run.service_id}-{run.replica}").start()

    def _retire(self, service_id: str, grace: float) -> None:
        with self._lock:
            old = self._runs.pop(service_id, [])
        for run in old:
            run.retired = True
            self.terminate(run, grace)

    def _matches(self, run: Run, **wanted) -> bool:
        """Whether the engine's pid/host point at this run (a value the placement does not know matches)."""
        have = self.identity(run)
        return all(value is None or have.get(key) is None or have[key] == value for key, value in wanted.items())

    def _watch(self, run: Run) -> None:
        try:
            end = self.wait(run)
        except Exception as exc:  # a bug of ours must still report the replica gone
            log.exception("waiting for replica %s of %s failed", run.replica, run.service_id)
            end = Exit(None, f"could not be watched ({exc!r})")
        try:
            # A clean exit after a stop, or a start-up failure the agent reported itself: nothing to say.
            if end.code == EXIT_STARTUP_FAILED or (run.retired and end.code in (0, None)):
                return
            cause = f"the platform killed it ({run.killed_for})" if run.killed_for else \
                end.cause + last_lines(end.output)
            reason = f"{self.describe(run)} {cause}"
            try:
                self.on_died(run.service_id, run.replica, reason, requested=bool(run.killed_for),
                             **self.identity(run))
            except Exception:  # the platform may be closing; the restart decision below still stands
                log.exception("reporting the death of replica %s of %s failed", run.replica, run.service_id)
        finally:
            self.discard(run)
        self._restart(run, reason)

    def _restart(self, run: Run, reason: str) -> None:
        with self._lock:
            if run.retired or self._closing.is_set() or run not in self._runs.get(run.service_id, []):
                return
            restarts, delay = restart_backoff(run.started, run.restarts, bool(run.killed_for), self.quick_death_s)
            self.restarts.append(Restart(run.service_id, run.replica, restarts, delay, reason))
        if delay and self._closing.wait(delay):
            return
        with self._lock:
            if run not in self._runs.get(run.service_id, []):
                return  # stopped, restarted or closed meanwhile
        try:
            self._launch(Run(run.service, run.replica, run.context, run.generation, restarts))
        except Exception as exc:
            if self.on_failed is None:
                log.exception("restarting replica %s of %s failed", run.replica, run.service_id)
            else:
                self._failed(run.service_id, run.generation, exc, f"restarting replica {run.replica}: ")
