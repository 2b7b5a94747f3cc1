"""What `faas serve` prints while it runs: one line per request, per execution start and end, per cron fire,
per step of an image build.

Requests come from the server's own request log (``pytest_faas.backend.web.server`` at DEBUG); executions are
read from the platform's store every half second, so that nothing in the platform changes to be watched.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Callable

from ...protocol import AGENT_ROUTES

_REQUEST_FORMAT = "%s %s -> %s"  # the server's request log line
_TOKEN_IN_QUERY = re.compile(r"(token=)[^&\s]+")  # the page's entry address carries the token once
_RUNNING = {"in-progress", "inProgress"}
_ENDED = {"success", "failed", "terminated", "aborted", "canceled", "system-failure"}


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


class RequestLines(logging.Handler):
    """The server's request log as ``HH:MM:SS GET /api/v1/projects -> 200``; without `verbose`, less the
    runner agents' own calls (their long polls for work and signals, some every second per replica), and
    never a token."""

    def __init__(self, echo: Callable[[str], None], verbose: bool = False):
        super().__init__(logging.DEBUG)
        self.echo = echo
        self.verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg != _REQUEST_FORMAT or len(record.args) != 3:
            return
        path = str(record.args[1])
        if not self.verbose and AGENT_ROUTES in path.split("?")[0]:
            return
        try:
            shown = _TOKEN_IN_QUERY.sub(r"\1...", path)
            self.echo(f"{_stamp()} {record.args[0]} {shown} -> {record.args[2]}")
        except Exception:  # noqa: BLE001 - a closed terminal must not break a request
            self.handleError(record)

    def install(self) -> "RequestLines":
        logger = logging.getLogger("pytest_faas.backend.web.server")
        self._saved_level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        return self

    def uninstall(self) -> None:
        logger = logging.getLogger("pytest_faas.backend.web.server")
        logger.removeHandler(self)
        logger.setLevel(self._saved_level)


class BuildLines(logging.Handler):
    """The docker placement's image builds, a line per step: ``HH:MM:SS docker image: building ...``."""

    LOGGER = "pytest_faas.placements.docker.images"

    def __init__(self, echo: Callable[[str], None]):
        super().__init__(logging.INFO)
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.echo(f"{_stamp()} docker image: {record.getMessage().strip()}")
        except Exception:  # noqa: BLE001 - a closed terminal must not break a build
            self.handleError(record)

    def install(self) -> "BuildLines":
        logger = logging.getLogger(self.LOGGER)
        self._saved_level = logger.level
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def uninstall(self) -> None:
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self._saved_level)


class ExecutionWatch:
    """Prints each execution's start and end, and each cron trigger's fire, from the store's records."""

    def __init__(self, store, echo: Callable[[str], None], interval_s: float = 0.5):
        self.store = store
        self.echo = echo
        self.interval_s = interval_s
        self._seen: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="faas-serve-activity", daemon=True)

    def start(self) -> "ExecutionWatch":
        # What is there already is history: only changes from now on are news.
        self._seen = {e["id"]: self._status(e) for e in self.store.all("executions")}
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @staticmethod
    def _status(execution: dict) -> str:
        return str((execution.get("latestStatus") or {}).get("status") or "created")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception as exc:  # noqa: BLE001 - watching must never take the server down
                self.echo(f"{_stamp()} (activity log paused: {exc})")

    def poll(self) -> None:
        triggers = None
        for execution in self.store.all("executions"):
            status, before = self._status(execution), self._seen.get(execution["id"])
            if status == before:
                continue
            self._seen[execution["id"]] = status
            name = f"{execution.get('serviceName') or execution.get('serviceId')}.{execution.get('functionName')}"
            if before is None and execution.get("triggerId"):
                triggers = triggers if triggers is not None else {t["id"]: t for t in self.store.all("triggers")}
                trigger = triggers.get(execution["triggerId"]) or {}
                if trigger.get("type") == "Cron":
                    self.echo(f"{_stamp()} cron trigger {trigger.get('name')} fired: execution {execution['id']}")
            started = status in _RUNNING or (status in _ENDED and before not in _ENDED)
            if started and before not in _RUNNING:  # ended between two looks: its start is news too
                self.echo(f"{_stamp()} execution {execution['id']} {name} started")
            if status in _ENDED:
                message = ((execution.get("latestStatus") or {}).get("message") or "").split("\n")[0]
                took = f" in {execution['duration']:.2f}s" if isinstance(execution.get("duration"), (int, float)) else ""
                self.echo(f"{_stamp()} execution {execution['id']} {name} {status}{took}"
                          + (f": {message}" if status != "success" and message else ""))
