"""The thread placement: each replica's agent in a thread of this process.

Fast and debuggable, but a hung function cannot be stopped (it is abandoned and its slot freed) and
``kill_event()`` is the only way to interrupt one. ``os._exit`` and signals to the process, called from a
function, end that runner's agent instead of the test process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

from ..runner.agent import Agent, RunnerExit
from ..runner import outbound
from ..runner.capture import CAPTURE
from .supervisor import Died, Exit, Run, Supervisor

log = logging.getLogger(__name__)


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
        self.work_root = Path(work_dir) / "work"
        outbound.allow_platform(url)  # this process's dtlpy talks to it, also from threads a function started

    def launch(self, run: Run) -> _AgentThread:
        agent = Agent(self.url, self.token, run.service_id, run.replica, bind_sdk=False, code_root=self.code_root,
                      transport=self.transport, work_root=self.work_root)
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
        outbound.forget_platform(self.url)  # its port is free for anyone now: no guard may let it through
        runs = super().close()
        deadline = time.monotonic() + timeout
        for run in runs:
            run.handle.thread.join(max(0.0, deadline - time.monotonic()))
