"""Where runner agents live: a thread of this process, or a process per replica.

Every placement runs the same :class:`~pytest_faas.runtime.agent.Agent`, which talks to the platform
over HTTP only; they differ in how an agent is started, stopped and killed. Each implements the engine's
``Runners`` interface (``start(service)``, ``stop(service_id)``, ``reset(...)``) and reports a replica
that died through the ``on_died`` callback it was given (the engine's ``replica_died``, connected by
:mod:`pytest_faas.local`); a replica that died is started again.

- ``thread``: fast and debuggable, but a hung function cannot be stopped (it is abandoned and its slot
  freed) and ``kill_event()`` is the only way to interrupt one. ``os._exit`` and signals to the process,
  called from a function, end that runner's agent instead of the test process.
- ``subprocess``: ``python -m pytest_faas.runtime.agent ...`` per replica, in its own process group;
  timeouts and terminate kill it, so the work really stops.

:class:`Placements` routes each service to one of them; the docker placement
(:mod:`pytest_faas.runtime.containers`) is built by :mod:`pytest_faas.local` and handed in ready.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..protocol import EXIT_STARTUP_FAILED
from .agent import Agent, RunnerExit
from .capture import CAPTURE

log = logging.getLogger(__name__)

Died = Callable[..., int]  # (service_id, replica, reason, *, agent_id=None, pid=None, host=None, requested=False)
STOP_GRACE_S = 10.0  # a replaced subprocess replica drains this long before it is killed


def _replicas(service: dict) -> int:
    return max(1, int((service.get("runtime") or {}).get("numReplicas") or 1))


def restart_backoff(started: float, restarts: int, killed: bool) -> tuple[int, float]:
    """(restart count, seconds to wait) before starting again a runner that exited.

    A runner that keeps dying within 10 s of its start is restarted ever more slowly (0.4 s, 0.8 s, ...,
    at most 5 s); one that ran for a while, or that the platform killed on purpose, comes back at once.
    """
    if killed or time.monotonic() - started >= 10:
        return 0, 0.0
    return restarts + 1, min(0.2 * 2 ** (restarts + 1), 5.0)


# -- thread --------------------------------------------------------------------------------------------

class _ExitTrap:
    """While thread agents run, ``os._exit`` and ``os.kill(<own pid>)`` called by a function end its runner."""

    def __init__(self):
        self._users = 0
        self._lock = threading.Lock()
        self._exit, self._kill = os._exit, os.kill

    def _trapped_exit(self, code=0):
        if threading.get_ident() in CAPTURE.buffers:
            raise RunnerExit(int(code) if isinstance(code, int) else 1, f"the function called os._exit({code!r})")
        self._exit(code)

    def _trapped_kill(self, pid, sig):
        if pid == os.getpid() and threading.get_ident() in CAPTURE.buffers:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            raise RunnerExit(128 + int(sig), f"the function sent {name} to its runner process")
        self._kill(pid, sig)

    def acquire(self) -> None:
        with self._lock:
            if self._users == 0:
                os._exit, os.kill = self._trapped_exit, self._trapped_kill
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                os._exit, os.kill = self._exit, self._kill


_TRAP = _ExitTrap()


@dataclass
class _ThreadReplica:
    service_id: str
    replica: int
    agent: Agent
    thread: threading.Thread | None = None
    retired: bool = False
    reported: bool = False


class ThreadPlacement:
    """Agents in daemon threads of this process (dtlpy must already be bound to the platform here).

    ``transport``, when given, carries the agents' protocol calls (a ``requests`` adapter: the platform's
    app called in-process, from :mod:`pytest_faas.local`); the user's dtlpy calls stay real HTTP.
    """

    name = "thread"

    def __init__(self, url: str, token: str, on_died: Died, work_dir: Path, transport=None):
        self.url, self.token, self.on_died = url, token, on_died
        self.transport = transport
        self.code_root = Path(work_dir) / "code"
        self._replicas: dict[str, list[_ThreadReplica]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, service: dict) -> None:
        self.stop(service["id"])
        with self._lock:
            if self._closed:
                return
            self._replicas[service["id"]] = [self._spawn(service["id"], n) for n in range(_replicas(service))]

    def _spawn(self, service_id: str, replica: int) -> _ThreadReplica:
        agent = Agent(self.url, self.token, service_id, replica, bind_sdk=False, code_root=self.code_root,
                      transport=self.transport)
        entry = _ThreadReplica(service_id, replica, agent)
        agent.on_death = lambda exc: self._died(entry, exc.reason)
        entry.thread = threading.Thread(target=self._run, args=(entry,), daemon=True,
                                        name=f"faas-agent-{service_id}-{replica}")
        _TRAP.acquire()
        entry.thread.start()
        return entry

    def _run(self, entry: _ThreadReplica) -> None:
        try:
            code = entry.agent.run()
            reason = entry.agent.died.reason if entry.agent.died else f"its agent ended with code {code}"
        except Exception as exc:  # a bug of ours must still end the executions the agent held
            log.exception("thread agent for service %s replica %s crashed", entry.service_id, entry.replica)
            code, reason = -1, f"its agent crashed: {exc!r}"
        finally:
            _TRAP.release()
        if code not in (0, EXIT_STARTUP_FAILED):
            self._died(entry, reason)

    def _died(self, entry: _ThreadReplica, reason: str) -> None:
        """Report a dead agent (once) and start its replacement."""
        with self._lock:
            if entry.reported:
                return
            entry.reported = True
        self.on_died(entry.service_id, entry.replica, reason, agent_id=entry.agent.agent_id)
        with self._lock:
            replicas = self._replicas.get(entry.service_id, [])
            if entry.retired or self._closed or entry not in replicas:
                return
            replicas[replicas.index(entry)] = self._spawn(entry.service_id, entry.replica)

    def stop(self, service_id: str, drain: bool = True) -> None:
        with self._lock:
            old = self._replicas.pop(service_id, [])
        for entry in old:
            entry.retired = True
            entry.agent.stop(drain)

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        """Nothing to kill: the agent interrupts and abandons the executions on the engine's signals."""

    def stops_on_reset(self, service_id: str) -> bool:
        return False

    def close(self, timeout: float = 2.0) -> None:
        with self._lock:
            self._closed = True
            service_ids = list(self._replicas)
        threads = [e.thread for sid in service_ids for e in self._replicas.get(sid, []) if e.thread]
        for service_id in service_ids:
            self.stop(service_id, drain=False)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


# -- subprocess ----------------------------------------------------------------------------------------

@dataclass
class _Process:
    service_id: str
    replica: int
    popen: subprocess.Popen
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    restarts: int = 0
    retired: bool = False
    killed_for: str | None = None


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace").rstrip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("; its last output:\n" + "\n".join(text)) if text else ""


def _send_token(popen: subprocess.Popen, token: str) -> None:
    """The token on the agent's stdin: never on its command line, which ``ps`` shows every user."""
    try:
        popen.stdin.write(token.encode() + b"\n")
        popen.stdin.close()
    except OSError:  # it died at once; its watcher reports that
        pass


class SubprocessPlacement:
    """One ``python -m pytest_faas.runtime.agent`` process per replica, each in its own process group."""

    name = "subprocess"

    def __init__(self, url: str, token: str, on_died: Died, work_dir: Path):
        self.url, self.token, self.on_died = url, token, on_died
        self.work_dir = Path(work_dir)
        self.log_dir = self.work_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._procs: dict[str, list[_Process]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._counter = 0

    def _environment(self) -> dict:
        env = dict(os.environ)
        env.update(PYTHONUNBUFFERED="1", FAAS_CODE_CACHE=str(self.work_dir / "code"),
                   # Even an early `import dtlpy` in the child never reads the user's ~/.dataloop.
                   DATALOOP_PATH=str(self.work_dir / "dtlpy-child"))
        return env

    def _spawn(self, service_id: str, replica: int, restarts: int = 0) -> _Process:
        self._counter += 1
        log_path = self.log_dir / f"{service_id}-{replica}-{self._counter}.log"
        command = [sys.executable, "-m", "pytest_faas.runtime.agent", "--url", self.url,
                   "--service", service_id, "--replica", str(replica)]
        with open(log_path, "ab") as out:
            popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                     env=self._environment(), cwd=self.work_dir, start_new_session=True)
        _send_token(popen, self.token)
        proc = _Process(service_id, replica, popen, log_path, restarts=restarts)
        threading.Thread(target=self._watch, args=(proc,), daemon=True,
                         name=f"faas-watch-{service_id}-{replica}").start()
        return proc

    def start(self, service: dict) -> None:
        self._retire(service["id"], STOP_GRACE_S)
        with self._lock:
            if self._closed:
                return
            self._procs[service["id"]] = [self._spawn(service["id"], n) for n in range(_replicas(service))]

    def stop(self, service_id: str) -> None:
        self._retire(service_id, STOP_GRACE_S)

    def _retire(self, service_id: str, grace: float) -> None:
        """SIGTERM (the agent stops claiming and drains), then SIGKILL after ``grace`` seconds."""
        with self._lock:
            old = self._procs.pop(service_id, [])
        for proc in old:
            proc.retired = True
            self._signal(proc, signal.SIGTERM if grace > 0 else signal.SIGKILL)
            if grace > 0:
                timer = threading.Timer(grace, self._signal, args=(proc, signal.SIGKILL))
                timer.daemon = True
                timer.start()

    @staticmethod
    def _signal(proc: _Process, sig: int) -> None:
        if proc.popen.poll() is None:
            try:
                os.killpg(proc.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stops_on_reset(self, service_id: str) -> bool:
        return True

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        """Kill the replica's process: the only way to really stop the work."""
        with self._lock:
            procs = [p for p in self._procs.get(service_id, [])
                     if p.replica == replica and (pid is None or p.popen.pid == pid)]
        for proc in procs:
            proc.killed_for = reason
            self._signal(proc, signal.SIGKILL)

    def _watch(self, proc: _Process) -> None:
        code = proc.popen.wait()
        if code == EXIT_STARTUP_FAILED or (proc.retired and code == 0):
            return  # the engine heard about it from the agent itself
        cause = f"the platform killed it ({proc.killed_for})" if proc.killed_for else _describe(code)
        reason = f"runner process {proc.popen.pid} {cause}" + ("" if proc.killed_for else _tail(proc.log_path))
        try:
            self.on_died(proc.service_id, proc.replica, reason, pid=proc.popen.pid, requested=bool(proc.killed_for))
        except Exception:  # the platform may be closing; the restart decision below still stands
            log.exception("reporting the death of replica %s of %s failed", proc.replica, proc.service_id)
        with self._lock:
            procs = self._procs.get(proc.service_id, [])
            if proc.retired or self._closed or proc not in procs:
                return
            restarts, delay = restart_backoff(proc.started, proc.restarts, bool(proc.killed_for))
        if delay:
            time.sleep(delay)
        with self._lock:
            procs = self._procs.get(proc.service_id, [])
            if proc in procs and not self._closed:
                procs[procs.index(proc)] = self._spawn(proc.service_id, proc.replica, restarts)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            service_ids = list(self._procs)
        procs = [p for sid in service_ids for p in self._procs.get(sid, [])]
        for service_id in service_ids:
            self._retire(service_id, 0)
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("runner process %s did not exit", proc.popen.pid)


# -- routing -------------------------------------------------------------------------------------------

FACTORIES: dict[str, Callable[..., object]] = {"thread": ThreadPlacement, "subprocess": SubprocessPlacement}


class Placements:
    """The engine's ``Runners``: sends each service to the placement that runs it.

    Args:
        default: the placement for services nobody chose another one for.
        url, token: the platform's API base and bearer token, for the agents.
        on_died: the engine's ``replica_died``.
        work_dir: code cache, agent logs.
        ready: placements already built by the caller, by name (docker's needs more than these arguments).
    """

    def __init__(self, default: str, *, url: str, token: str, on_died: Died, work_dir: Path,
                 ready: dict[str, object] | None = None):
        self._placements: dict[str, object] = dict(ready or {})
        if default not in FACTORIES and default not in self._placements:
            raise ValueError(f"unknown placement {default!r}; choose one of {', '.join(FACTORIES)}, docker")
        self.default = default
        self._args = {"url": url, "token": token, "on_died": on_died, "work_dir": Path(work_dir)}
        self._where: dict[str, str] = {}
        self.choose: Callable[[dict], str] = lambda service: self.default

    def add(self, name: str, placement) -> None:
        """Use a ready placement object under ``name`` (e.g. docker's)."""
        self._placements[name] = placement

    def get(self, name: str):
        if name not in self._placements:
            if name not in FACTORIES:
                raise ValueError(f"unknown placement {name!r}; known: {', '.join(sorted({*FACTORIES, *self._placements}))}")
            self._placements[name] = FACTORIES[name](**self._args)
        return self._placements[name]

    def start(self, service: dict) -> None:
        name = self.choose(service)
        previous = self._where.get(service["id"])
        if previous is not None and previous != name:
            self.get(previous).stop(service["id"])
        self._where[service["id"]] = name
        self.get(name).start(service)

    def stop(self, service_id: str) -> None:
        name = self._where.pop(service_id, None)
        if name is not None:
            self.get(name).stop(service_id)

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        name = self._where.get(service_id)
        if name is not None:
            self.get(name).reset(service_id, replica, execution_ids, reason, pid, host)

    def stops_on_reset(self, service_id: str) -> bool:
        name = self._where.get(service_id)
        return name is not None and bool(self.get(name).stops_on_reset(service_id))

    def close(self) -> None:
        for placement in self._placements.values():
            placement.close()
