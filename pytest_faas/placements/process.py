"""The subprocess placement: ``python -m pytest_faas.runner.launch ...`` per replica, in its own process group.

Timeouts and terminate kill the process, so the work really stops.
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

from ..runner.sourcenames import COVERAGE_ENV
from .supervisor import Died, Exit, Run, Supervisor

COVERAGE_SAVE_S = 10.0  # how long a closing agent that measures coverage has to save its data

log = logging.getLogger(__name__)


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


# The platform's own token, and where the `faas` command finds its data dir: never a runner process's business.
HIDDEN_VARIABLES = frozenset({"FAAS_TOKEN", "FAAS_DATA_DIR", "OLDPWD"})


class SubprocessPlacement(Supervisor):
    """One ``python -m pytest_faas.runner.launch`` process per replica, each in its own process group."""

    name = "subprocess"

    def __init__(self, url: str, token: str, on_died: Died, work_dir: Path, data_dir: Path | None = None):
        super().__init__(on_died)
        self.url, self.token = url, token
        self.work_dir = Path(work_dir)
        self.log_dir = self.work_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.start_dir = self.work_dir / "work"  # where a runner process starts; its agent moves to its own copy
        self.start_dir.mkdir(exist_ok=True)
        self.data_dir = data_dir
        self._counter = itertools.count(1)

    def _environment(self) -> dict:
        """This process's environment less what leads to the platform's secrets: the platform's token, the
        folder this process works in, and every variable that names the data dir (which holds the token file)."""
        data_dir = str(self.data_dir.resolve()) if self.data_dir is not None else None
        env = {name: value for name, value in os.environ.items()
               if name not in HIDDEN_VARIABLES and not (data_dir and data_dir in value)}
        env.update(PYTHONUNBUFFERED="1", FAAS_CODE_CACHE=str(self.work_dir / "code"),
                   FAAS_WORK_ROOT=str(self.start_dir), PWD=str(self.start_dir),
                   # Even an early `import dtlpy` in the child never reads the user's ~/.dataloop.
                   DATALOOP_PATH=str(self.work_dir / "dtlpy-child"))
        return env

    def launch(self, run: Run) -> _Process:
        log_path = self.log_dir / f"{run.service_id}-{run.replica}-{next(self._counter)}.log"
        command = [sys.executable, "-m", "pytest_faas.runner.launch", "--url", self.url,
                   "--service", run.service_id, "--replica", str(run.replica)]
        with open(log_path, "ab") as out:
            popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                     env=self._environment(), cwd=self.start_dir, start_new_session=True)
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
        # Agents that measure coverage (runner/sourcenames.py) save their data as they exit: they get
        # SIGTERM and a few seconds to stop before the kill.
        grace = COVERAGE_SAVE_S if os.environ.get(COVERAGE_ENV) else 0.0
        runs = super().close(grace)
        deadline = time.monotonic() + max(timeout, grace + 1.0)
        for run in runs:
            try:
                run.handle.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("runner process %s did not exit", run.handle.popen.pid)
