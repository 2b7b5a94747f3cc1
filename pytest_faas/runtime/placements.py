"""Where runner agents live: a thread of this process, or a process per replica.

Every placement runs the same :class:`~pytest_faas.runtime.agent.Agent`, which talks to the platform
over HTTP only; they differ in how an agent is started, stopped and killed, the hooks of the one
:class:`~pytest_faas.runtime.supervisor.Supervisor` that keeps their replicas, reports the dead to the
engine (``on_died``, the engine's ``replica_died``, connected by :mod:`pytest_faas.local`) and restarts
them with backoff.

- ``thread``: fast and debuggable, but a hung function cannot be stopped (it is abandoned and its slot
  freed) and ``kill_event()`` is the only way to interrupt one. ``os._exit`` and signals to the process,
  called from a function, end that runner's agent instead of the test process.
- ``subprocess``: ``python -m pytest_faas.runtime.launch ...`` per replica, in its own process group;
  timeouts and terminate kill it, so the work really stops.

:class:`Placements` routes each service to one of them; the docker placement
(:mod:`pytest_faas.runtime.containers`) is built by :mod:`pytest_faas.local` and handed in ready.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .agent import Agent, RunnerExit
from .capture import CAPTURE
from .supervisor import Died, Exit, Run, Supervisor

log = logging.getLogger(__name__)


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


class _AgentThread:
    """A thread agent and how it ended: the end of its thread, or the user's code ending its runner."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.thread: threading.Thread | None = None
        self.ended = threading.Event()
        self.exit: Exit | None = None
        self._lock = threading.Lock()

    def end(self, exit_: Exit) -> None:
        with self._lock:  # the first word stands: an os._exit is seen before the thread ends
            if self.exit is None:
                self.exit = exit_
                self.ended.set()


class ThreadPlacement(Supervisor):
    """Agents in daemon threads of this process (dtlpy must already be bound to the platform here).

    ``transport``, when given, carries the agents' protocol calls (a ``requests`` adapter: the platform's
    app called in-process, from :mod:`pytest_faas.local`); the user's dtlpy calls stay real HTTP.
    """

    name = "thread"

    def __init__(self, url: str, token: str, on_died: Died, work_dir: Path, transport=None):
        super().__init__(on_died)
        self.url, self.token = url, token
        self.transport = transport
        self.code_root = Path(work_dir) / "code"

    def launch(self, run: Run) -> _AgentThread:
        agent = Agent(self.url, self.token, run.service_id, run.replica, bind_sdk=False, code_root=self.code_root,
                      transport=self.transport)
        handle = _AgentThread(agent)
        # The user's code ended the runner it shares this process with: seen at once, as a process's end would be.
        agent.on_death = lambda exc: handle.end(Exit(exc.code, f"died: {exc.reason}"))
        handle.thread = threading.Thread(target=self._run, args=(handle,), daemon=True,
                                         name=f"faas-agent-{run.service_id}-{run.replica}")
        _TRAP.acquire()
        handle.thread.start()
        return handle

    @staticmethod
    def _run(handle: _AgentThread) -> None:
        try:
            code = handle.agent.run()
            died = handle.agent.died
            handle.end(Exit(code, f"died: {died.reason}" if died else f"ended with code {code}"))
        except Exception as exc:  # a bug of ours must still end the executions the agent held
            log.exception("thread agent %s crashed", handle.thread.name)
            handle.end(Exit(-1, f"crashed: {exc!r}"))
        finally:
            _TRAP.release()

    def wait(self, run: Run) -> Exit:
        run.handle.ended.wait()
        return run.handle.exit

    def terminate(self, run: Run, grace: float) -> None:
        run.handle.agent.stop(drain=grace > 0)

    def kill(self, run: Run) -> None:
        """A thread cannot be killed: the agent interrupts and abandons the executions on the engine's signals."""

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        """Nothing to kill (see :meth:`kill`); the replica lives on."""

    def stops_on_reset(self, service_id: str) -> bool:
        return False

    def describe(self, run: Run) -> str:
        return f"runner thread {run.handle.thread.name}"

    def identity(self, run: Run) -> dict:
        return {"agent_id": run.handle.agent.agent_id}

    def close(self, timeout: float = 2.0) -> None:
        runs = super().close()
        deadline = time.monotonic() + timeout
        for run in runs:
            run.handle.thread.join(max(0.0, deadline - time.monotonic()))


# -- subprocess ----------------------------------------------------------------------------------------

def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class _Process:
    popen: subprocess.Popen
    log_path: Path


def _send_token(popen: subprocess.Popen, token: str) -> None:
    """The token on the agent's stdin: never on its command line, which ``ps`` shows every user."""
    try:
        popen.stdin.write(token.encode() + b"\n")
        popen.stdin.close()
    except OSError:  # it died at once; its watcher reports that
        pass


class SubprocessPlacement(Supervisor):
    """One ``python -m pytest_faas.runtime.launch`` process per replica, each in its own process group."""

    name = "subprocess"

    def __init__(self, url: str, token: str, on_died: Died, work_dir: Path):
        super().__init__(on_died)
        self.url, self.token = url, token
        self.work_dir = Path(work_dir)
        self.log_dir = self.work_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)

    def _environment(self) -> dict:
        env = dict(os.environ)
        env.update(PYTHONUNBUFFERED="1", FAAS_CODE_CACHE=str(self.work_dir / "code"),
                   # Even an early `import dtlpy` in the child never reads the user's ~/.dataloop.
                   DATALOOP_PATH=str(self.work_dir / "dtlpy-child"))
        return env

    def launch(self, run: Run) -> _Process:
        log_path = self.log_dir / f"{run.service_id}-{run.replica}-{next(self._counter)}.log"
        command = [sys.executable, "-m", "pytest_faas.runtime.launch", "--url", self.url,
                   "--service", run.service_id, "--replica", str(run.replica)]
        with open(log_path, "ab") as out:
            popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                     env=self._environment(), cwd=self.work_dir, start_new_session=True)
        _send_token(popen, self.token)
        return _Process(popen, log_path)

    def wait(self, run: Run) -> Exit:
        code = run.handle.popen.wait()
        try:
            output = run.handle.log_path.read_text(errors="replace")
        except OSError:
            output = ""
        return Exit(code, _describe(code), output)

    def terminate(self, run: Run, grace: float) -> None:
        """SIGTERM (the agent stops claiming and drains), then SIGKILL after ``grace`` seconds."""
        if grace <= 0:
            self.kill(run)
            return
        self._signal(run.handle.popen, signal.SIGTERM)
        timer = threading.Timer(grace, self._signal, args=(run.handle.popen, signal.SIGKILL))
        timer.daemon = True
        timer.start()

    def kill(self, run: Run) -> None:
        self._signal(run.handle.popen, signal.SIGKILL)

    @staticmethod
    def _signal(popen: subprocess.Popen, sig: int) -> None:
        if popen.poll() is None:
            try:
                os.killpg(popen.pid, sig)
            except ProcessLookupError:
                pass

    def describe(self, run: Run) -> str:
        return f"runner process {run.handle.popen.pid}"

    def identity(self, run: Run) -> dict:
        return {"pid": run.handle.popen.pid}

    def close(self, timeout: float = 5.0) -> None:
        runs = super().close()
        deadline = time.monotonic() + timeout
        for run in runs:
            try:
                run.handle.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("runner process %s did not exit", run.handle.popen.pid)


# -- routing -------------------------------------------------------------------------------------------

FACTORIES: dict[str, Callable[..., object]] = {"thread": ThreadPlacement, "subprocess": SubprocessPlacement}


class Placements:
    """The engine's ``Runners``: the placement every service of this platform runs in.

    Args:
        default: the placement's name.
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

    def get(self, name: str):
        if name not in self._placements:
            if name not in FACTORIES:
                raise ValueError(f"unknown placement {name!r}; known: {', '.join(sorted({*FACTORIES, *self._placements}))}")
            self._placements[name] = FACTORIES[name](**self._args)
        return self._placements[name]

    def start(self, service: dict) -> None:
        self.get(self.default).start(service)

    def stop(self, service_id: str) -> None:
        self.get(self.default).stop(service_id)

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        self.get(self.default).reset(service_id, replica, execution_ids, reason, pid, host)

    def stops_on_reset(self, service_id: str) -> bool:
        return bool(self.get(self.default).stops_on_reset(service_id))

    def close(self) -> None:
        for placement in self._placements.values():
            placement.close()
