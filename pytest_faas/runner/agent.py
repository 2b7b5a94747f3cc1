"""The runner agent: ONE implementation for every placement (thread, subprocess, docker).

It registers as one replica of one service, loads the service's code (``runner/loader.py``),
constructs the module's class once with ``initParams``, then claims executions from the platform and runs
up to ``runtime.concurrency`` of them at once, each in its own thread with its output captured
(``runner/capture.py``), its inputs resolved and its output checked (``runner/invoke.py``). It speaks
only HTTP to the platform (``/api/v1/_faas/...``, see ``backend/faas/control.py``), so it works the same in the
test process, in a child process, or in a container (a process starts one with ``runner/launch.py``). The
function token the registration answers with is what the user's code gets in its dtlpy.

A second thread long-polls for signals (terminate, abandon, stop), which are also its heartbeat; a third
sends the lines of running executions every half second.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..ids import now_iso
from ..protocol import AGENT_ROUTES, EXIT_STARTUP_FAILED, printed_traceback
from .capture import CAPTURE, Buffer, encodable
from .client import PlatformClient, PlatformGone, RequestFailed
from .loader import LoadError
from . import envvars, outbound, workdir

log = logging.getLogger(__name__)

# `pytest --faas-pdb`: in the thread placement, a failing function opens pdb in its failing frame. Only there:
# an agent that is a process of its own has no terminal to talk to.
POST_MORTEM = False


def _post_mortem(exc: BaseException) -> None:
    import pdb  # noqa: PLC0415

    debugger = pdb.Pdb(stdin=sys.__stdin__, stdout=sys.__stdout__)  # past the execution's capture
    debugger.reset()
    try:
        debugger.interaction(None, exc.__traceback__)
    except Exception as problem:  # noqa: BLE001 (no terminal: stdin captured; pytest needs -s)
        log.warning("--faas-pdb could not open the debugger (run pytest with -s): %s", problem)

CLAIM_WAIT_S = 5.0
SIGNAL_WAIT_S = 10.0
FLUSH_S = 0.5
DRAIN_S = 10.0


class RunnerExit(BaseException):
    """Raised in an execution thread when the user's code ends the runner process (``os._exit`` or a
    signal to itself) in a placement where that process is shared; the agent then dies as a runner would."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class _Run:
    execution: dict
    tid: int | None = None
    buffer: Buffer | None = None
    abandoned: bool = False
    active: bool = False  # the user's code is running in thread ``tid``
    send_lock: threading.Lock = field(default_factory=threading.Lock)


def default_code_root() -> Path:
    return Path(os.environ.get("FAAS_CODE_CACHE") or Path(tempfile.gettempdir()) / "pytest-faas-code")


def default_work_root() -> Path:
    return Path(os.environ.get("FAAS_WORK_ROOT") or Path(tempfile.gettempdir()) / "pytest-faas-work")


class Agent:
    """One replica's runner.

    Args:
        url: the platform's API base, ``http://host:port/api/v1``.
        token: its bearer token.
        service_id: the service to run.
        replica: the replica number (0-based).
        bind_sdk: point this process's dtlpy at the platform (False when it already is: the thread placement).
        owns_process: the agent is the whole process (subprocess, docker): it may change directory.
        code_root: where codebases are unpacked.
        transport: a ``requests`` transport adapter for the platform's URL (the thread placement hands
            in one that calls the platform's app in-process); real HTTP when None.
        work_root: where the replica's working folder (a copy of its codebase) is made.
    """

    def __init__(self, url: str, token: str, service_id: str, replica: int = 0, *, bind_sdk: bool = True,
                 owns_process: bool = False, code_root: Path | None = None, claim_wait_s: float = CLAIM_WAIT_S,
                 transport=None, work_root: Path | None = None):
        self.url = url.rstrip("/")
        self.transport = transport
        self.token = token
        self.service_id = service_id
        self.replica = replica
        self.bind_sdk = bind_sdk
        self.owns_process = owns_process
        self.code_root = Path(code_root) if code_root else default_code_root()
        self.claim_wait_s = claim_wait_s
        self.agent_id: str | None = None
        self.died: RunnerExit | None = None
        # Called (in the dying execution's thread) when the user's code ends a runner it shares a process
        # with: the placement reports the death at once, as the end of a real process would be seen.
        self.on_death = None
        self.client: PlatformClient | None = None
        self._stopping = threading.Event()
        self._drain_s = DRAIN_S
        self._cond = threading.Condition(threading.RLock())
        self._running: dict[str, _Run] = {}
        self._binding = None
        self._dataloop_path: str | None = None
        self._package_name: str | None = None
        self._unset_env = None
        self.work_root = Path(work_root) if work_root else default_work_root()
        self.work_dir: Path | None = None
        self._in_workdir = False
        self._startup_lines: list[str] = []

    # -- lifecycle ------------------------------------------------------------------------------------

    def stop(self, drain: bool = True) -> None:
        """Stop claiming. With ``drain`` running executions may finish (for up to ``DRAIN_S``); without,
        they are abandoned at once: asked to stop, and their results never reported."""
        self._stopping.set()
        with self._cond:
            if not drain:
                self._drain_s = 0.0
                for execution_id in list(self._running):
                    self._interrupt(execution_id, abandon=True)
            self._cond.notify_all()

    def run(self) -> int:
        """Register, load, serve until told to stop; returns the process exit code."""
        self.client = PlatformClient(self.url, self.token, transport=self.transport)
        try:
            registration = self.client.post(AGENT_ROUTES, {"serviceId": self.service_id, "replica": self.replica,
                                                          "pid": os.getpid(), "host": _hostname()})
        except (PlatformGone, RequestFailed) as exc:
            log.error("agent for service %s replica %s could not register: %s", self.service_id, self.replica, exc)
            return 2
        self.agent_id = registration["agentId"]
        self.replica_id = registration["replicaId"]
        try:
            self._setup(registration)
        except Exception as exc:
            from .invoke import noted, startup_failure  # noqa: PLC0415 (imports dtlpy; bound by now or never)

            message = noted(startup_failure(exc, self._startup_lines))
            log.error("service %s could not start: %s", registration["service"]["name"], message)
            self._call_quietly("POST", f"{AGENT_ROUTES}/{self.agent_id}/failed", {"message": encodable(message)})
            self._cleanup()
            return EXIT_STARTUP_FAILED
        helpers = [threading.Thread(target=self._signals_loop, name=f"faas-signals-{self.replica_id}", daemon=True),
                   threading.Thread(target=self._flush_loop, name=f"faas-logs-{self.replica_id}", daemon=True)]
        for helper in helpers:
            helper.start()
        try:
            self._claim_loop()
            self._drain(self._drain_s)
        finally:
            self._stopping.set()
            if self.died is None:
                self._call_quietly("DELETE", f"{AGENT_ROUTES}/{self.agent_id}")
            self._cleanup()
        return 0 if self.died is None else self.died.code

    def _setup(self, registration: dict) -> None:
        if self.bind_sdk:
            from ..dtlpy_binding import DtlpyBinding  # noqa: PLC0415 (sets DATALOOP_PATH before dtlpy is imported)

            self._dataloop_path = tempfile.mkdtemp(prefix="faas-agent-dtlpy-")
            # The user's code gets the function token: the Dataloop API, not the agents' or harness's routes.
            # The binding takes the API base.
            self._binding = DtlpyBinding(self.url, registration.get("functionToken") or self.token,
                                         self._dataloop_path)
            self._binding.activate()
        import dtlpy as dl  # noqa: PLC0415

        from . import invoke, loader  # noqa: PLC0415

        self.service, self.package, self.module = (registration["service"], registration["package"],
                                                   registration["module"])
        self.concurrency = int(self.service["runtime"].get("concurrency") or 1)
        self.client.resize(self.concurrency + 4)
        # Before the code is imported: a module may read its settings at import time.
        self._unset_env = envvars.apply(registration.get("env") or {}, self.owns_process, self.service_id)
        code_dir = self._code_dir(loader)
        # The replica's own copy of its codebase, where its code runs from the first line (workdir.py).
        self.work_dir = workdir.make(code_dir, self.work_root, f"{self.service_id}-{self.replica}-{self.agent_id}")
        if self.owns_process:
            os.chdir(self.work_dir)
        else:
            workdir.acquire()
            self._in_workdir = True
        self._package_name = f"_faas_{self.agent_id}"
        self.instance = self._start_code(code_dir, loader, invoke)
        self.service_entity = dl.Service.from_json(_json=self.service, client_api=dl.client_api)
        if isinstance(self.instance, dl.BaseServiceRunner):
            self.instance.service_entity = self.service_entity
        self.functions = {f["name"]: f for f in self.module["functions"]}
        self.signatures: dict[str, invoke.Signature] = {}

    def _class_declared_at(self) -> str:
        """Where the module's className is written: an installed app's dataloop.json, or package.json."""
        if self.package.get("type") != "app":
            return "className in package.json"
        names = [m.get("name") for m in self.package.get("modules") or []]
        index = names.index(self.module["name"]) if self.module["name"] in names else 0
        return f"components.modules[{index}].className in dataloop.json"

    def _start_code(self, code_dir: Path, loader, invoke):
        """Import the entry point and build the class once, as the platform does: in the working folder,
        under the case's outbound guard from the first line (its stubs come in ``initParams``), and what the
        code prints goes to the service's log (in no execution's: it ran before any). When it fails, what it
        printed is kept for the failure's message."""
        init_params = dict(self.service.get("initParams") or {})
        declared = init_params.pop(outbound.INPUT_KEY, None)
        buffer = CAPTURE.begin()
        workdir.enter(None if self.owns_process else self.work_dir)
        guard = None
        try:
            guard = outbound.enter(declared if isinstance(declared, dict) else None, self.url, buffer.add)
            cls = loader.load_class(code_dir, self.module["entryPoint"], self.module["className"],
                                    self._package_name, self._class_declared_at())
            kwargs = invoke.resolve(self.module.get("initInputs") or [], init_params,
                                    invoke.Signature(cls.__init__).accepts, self.client)
            instance = cls(**kwargs)
        finally:
            refused = outbound.leave(guard)
            workdir.enter(None)
            CAPTURE.end()
            lines = buffer.take_rest()
            self._startup_lines = [line["message"] for line in lines]
            if lines:
                self._call_quietly("POST", f"{AGENT_ROUTES}/{self.agent_id}/logs", {"entries": [{"lines": lines}]})
        if refused:  # failed even when the code caught the refusal, as an execution does
            raise LoadError(refused)
        return instance

    def _code_dir(self, loader) -> Path:
        codebase = self.package.get("codebase") or {}
        kind = codebase.get("type")
        if kind == "item":  # unpacked once per revision (in docker, by the host: the folder is mounted here)
            return loader.codebase(self.client, codebase["itemId"], self.code_root)
        if kind in ("local", "filesystem"):
            path = Path(codebase.get("localPath") or codebase.get("containerPath") or codebase.get("hostPath") or "")
            if not path.is_dir():
                raise loader.LoadError(f"the package's {kind} codebase folder {str(path)!r} does not exist here")
            return path
        raise loader.LoadError(f"codebase type {kind!r} is not supported by the local platform; push the code "
                               "with project.packages.push(src_path=...) (an item codebase)")

    def _cleanup(self) -> None:
        if self._in_workdir:
            workdir.release()
            self._in_workdir = False
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        if self._unset_env is not None:
            self._unset_env()
            self._unset_env = None
        if self._package_name:
            from .loader import unload  # noqa: PLC0415

            unload(self._package_name)
        if self._binding is not None:
            self._binding.restore()
        if self._dataloop_path:
            shutil.rmtree(self._dataloop_path, ignore_errors=True)
        if self.client is not None:
            self.client.close()

    def _call_quietly(self, method: str, path: str, body=None) -> None:
        try:
            self.client.call(method, path, body)
        except (PlatformGone, RequestFailed) as exc:
            log.debug("%s %s failed: %s", method, path, exc)

    # -- the three loops ------------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        path = f"{AGENT_ROUTES}/{self.agent_id}/claim"
        while not self._stopping.is_set():
            with self._cond:
                while len(self._running) >= self.concurrency and not self._stopping.is_set():
                    self._cond.wait()
                free = self.concurrency - len(self._running)
            if self._stopping.is_set():
                return
            try:
                answer = self.client.post(path, {"max": free, "wait": self.claim_wait_s},
                                          timeout=self.claim_wait_s + 60)
            except PlatformGone as exc:
                log.warning("agent %s stops: %s", self.replica_id, exc)
                return
            except RequestFailed as exc:
                log.warning("claim failed, retrying: %s", exc)
                time.sleep(0.5)
                continue
            if answer["stop"] or self.died is not None:
                return  # executions claimed as the runner died end with it, as in a dead process
            for execution in answer["executions"]:
                self._start(execution)

    def _signals_loop(self) -> None:
        path = f"{AGENT_ROUTES}/{self.agent_id}/signals"
        while not self._stopping.is_set():
            try:
                answer = self.client.post(path, {"wait": SIGNAL_WAIT_S}, timeout=SIGNAL_WAIT_S + 60)
            except PlatformGone:
                self.stop()
                return
            except RequestFailed as exc:
                log.warning("signals failed, retrying: %s", exc)
                time.sleep(0.5)
                continue
            for execution_id in answer["terminate"]:
                self._interrupt(execution_id, abandon=False)
            for execution_id in answer.get("dump", []):  # timed out: say where the function is, then it ends
                self._send_stack(execution_id)
            for execution_id in answer["abandon"]:
                self._interrupt(execution_id, abandon=True)
            if answer["stop"]:
                self.stop()

    def _send_stack(self, execution_id: str) -> None:
        from .invoke import stack_at  # noqa: PLC0415

        with self._cond:
            run = self._running.get(execution_id)
            tid = run.tid if run is not None and run.active else None
        frame = sys._current_frames().get(tid) if tid is not None else None
        if frame is None:
            return  # it ended meanwhile: its finish says how
        lines = [{"timestamp": now_iso(), "message": line, "level": "ERROR"} for line in stack_at(frame).split("\n")]
        with run.send_lock:  # after what the function logged so far
            earlier = run.buffer.take_new() if run.buffer is not None else []
            self._call_quietly("POST", f"{AGENT_ROUTES}/{self.agent_id}/logs",
                               {"entries": [{"executionId": execution_id, "lines": earlier + lines}]})

    def _flush_loop(self) -> None:
        path = f"{AGENT_ROUTES}/{self.agent_id}/logs"
        while not self._stopping.wait(FLUSH_S):
            with self._cond:
                runs = [r for r in self._running.values() if r.buffer is not None]
            for run in runs:
                with run.send_lock:
                    lines = run.buffer.take_new()
                    if lines:
                        self._call_quietly("POST", path, {"entries": [{"executionId": run.execution["id"],
                                                                       "lines": lines}]})

    def _drain(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._running and self.died is None and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())

    # -- one execution --------------------------------------------------------------------------------

    def _start(self, execution: dict) -> None:
        run = _Run(execution)
        with self._cond:
            self._running[execution["id"]] = run
        threading.Thread(target=self._execute, args=(run,), name=f"faas-exec-{execution['id']}", daemon=True).start()

    def _interrupt(self, execution_id: str, abandon: bool) -> None:
        """Ask the function to stop (``kill_event()`` raises in its thread); an abandoned one frees its slot."""
        import dtlpy as dl  # noqa: PLC0415

        with self._cond:  # reentrant: stop() calls this with the lock held
            run = self._running.get(execution_id)
            if run is None:
                return
            # Only while the user's code runs: a flag left after it would hit the next thread with this id.
            if run.tid is not None and run.active:
                with dl.BaseServiceRunner._threads_terminated_lock:
                    dl.BaseServiceRunner._threads_terminated.append(run.tid)
            if abandon:
                run.abandoned = True
                del self._running[execution_id]
                self._cond.notify_all()

    def _execute(self, run: _Run) -> None:
        from . import invoke  # noqa: PLC0415

        execution = run.execution
        name = execution["functionName"]
        self._forget_termination(threading.get_ident())  # whatever another runner left for this thread id
        with self._cond:
            run.tid, run.active = threading.get_ident(), True
        run.buffer = CAPTURE.begin()
        status, output, message = "failed", None, None
        started = time.perf_counter()
        run.execution, declared = outbound.take(execution)  # a mock case's HTTP stubs (runner/outbound.py)
        guard = None
        if not self.owns_process:
            workdir.enter(self.work_dir)
        try:
            guard = outbound.enter(declared, self.url, run.buffer.add)
            kwargs = self._arguments(run, invoke)
            result = getattr(self.instance, name)(**kwargs)
            output = encodable(invoke.to_output(result))
            message = invoke.output_error(output)
            status, output = ("failed", None) if message else ("success", output)
        except RunnerExit as exc:
            self._die(exc)
        except BaseException as exc:  # the user's failure, whatever it is, ends this execution only
            message = invoke.user_traceback(exc)
            run.buffer.add(printed_traceback(message), "ERROR")  # the log reads as Python prints it
            if POST_MORTEM and not self.owns_process:
                _post_mortem(exc)
        finally:
            with self._cond:
                run.active = False
            refused = outbound.leave(guard)
            workdir.enter(None)
            CAPTURE.end()
            self._forget_termination(run.tid)
        if refused:  # failed even when the function caught the refusal
            status, output = "failed", None
            if not message or refused not in message:  # else the traceback says it, in the log already
                message = refused if not message else f"{refused}\n\n{message}"
                run.buffer.add(refused, "ERROR")
        duration = time.perf_counter() - started
        with run.send_lock:
            lines = run.buffer.take_rest()
            if not run.abandoned and self.died is None:
                body = {"attempt": execution["attempts"], "status": status, "output": output,
                        "message": encodable(invoke.noted(message) if status == "failed" else message),
                        "lines": lines, "duration": duration}
                self._call_quietly("POST", f"{AGENT_ROUTES}/{self.agent_id}/executions/{execution['id']}/finish",
                                   body)
        with self._cond:
            if self._running.get(execution["id"]) is run:
                del self._running[execution["id"]]
            self._cond.notify_all()

    def _arguments(self, run: _Run, invoke) -> dict:
        execution = run.execution
        name = execution["functionName"]
        method = getattr(self.instance, name, None)
        if name not in self.functions or not callable(method):
            raise invoke.InputError(f"function {name!r} is not callable here: module {self.module['name']!r} "
                                    f"declares {sorted(self.functions)} and {self.module['className']} "
                                    f"{'has' if callable(method) else 'has no'} method {name!r}")
        signature = self.signatures.get(name)
        if signature is None:
            signature = self.signatures[name] = invoke.Signature(method)
        inputs = execution.get("input") or {}
        kwargs = invoke.resolve(self.functions[name].get("input") or [], inputs, signature.accepts, self.client)
        progress = None
        if "progress" in signature.names or "context" in signature.names:
            progress = invoke.AgentProgress(self.client, execution["id"], invoke.execution_logger())
        if "progress" in signature.names:
            kwargs["progress"] = progress
        if "context" in signature.names:
            kwargs["context"] = invoke.context(self.service_entity, self.package, execution, progress)
        signature.check(name, kwargs, inputs)
        return kwargs

    @staticmethod
    def _forget_termination(tid: int | None) -> None:
        """Thread ids are reused: a termination flag must not outlive its execution."""
        import dtlpy as dl  # noqa: PLC0415

        with dl.BaseServiceRunner._threads_terminated_lock:
            while tid in dl.BaseServiceRunner._threads_terminated:
                dl.BaseServiceRunner._threads_terminated.remove(tid)

    def _die(self, exc: RunnerExit) -> None:
        """The user's code ended the runner: stop without reporting anything, as a dead process would."""
        with self._cond:
            first = self.died is None
            if first:
                self.died = exc
        if first:
            log.warning("runner %s died: %s", self.replica_id, exc.reason)
            if self.on_death is not None:
                self.on_death(exc)
        self.stop()


def _hostname() -> str:
    import socket  # noqa: PLC0415

    return socket.gethostname()
