"""Execution logs: stored per execution in batches, read back in the ``POST /services/logs`` shape.

dtlpy reads logs with a checkpoint and keeps asking until the answer says ``stop`` or a line contains
the runner's end marker ``[Done] Executing function.`` (docs/platform.md#logs). Its reader loops
without sleeping, so a ``follow`` request with nothing new waits here (briefly) for the next line instead
of answering at once. Its viewer also prints nothing from an answer that says ``stop``, so ``stop`` is only
ever set on an answer with no lines.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Callable

from ...errors import BadRequest
from ...ids import new_id, now_iso, parse_iso
from ...protocol import END_MARKER
from ..store import Store

__all__ = ["END_MARKER", "FOLLOW_WAIT_S", "Logs", "log_line"]
FOLLOW_WAIT_S = 1.0
_LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def log_line(message: str, level: str = "INFO", timestamp: str | None = None) -> dict:
    return {"timestamp": timestamp or now_iso(), "message": message, "level": level}


def _time(text: str | None, name: str) -> _dt.datetime | None:
    if not text:
        return None
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise BadRequest(f"logs '{name}' must be an ISO 8601 time, found {text!r}") from None
    if value.tzinfo is None:  # dtlpy sends local midnight without an offset
        value = value.astimezone()
    return value.astimezone(_dt.timezone.utc)


class Logs:
    """Log batches (kind ``logs``, parent: execution id), appended by the runner and the engine."""

    def __init__(self, store: Store, is_terminal: Callable[[str], bool] = lambda execution_id: True):
        self.store = store
        self.is_terminal = is_terminal
        self._cond = threading.Condition()
        self._version = 0  # bumped by every append, so a follower never sleeps through one

    def append(self, execution: dict, lines: list[dict]) -> None:
        if not lines:
            return
        batch = {"id": new_id(), "executionId": execution["id"], "serviceId": execution["serviceId"],
                 "projectId": execution.get("projectId"), "functionName": execution.get("functionName"),
                 "replicaId": execution.get("replicaId"), "lines": lines}
        self.store.put("logs", batch, parent=execution["id"])
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def append_replica(self, service: dict, replica_id: str, lines: list[dict]) -> None:
        """A replica's own lines (its start-up), in the service's log but in no execution's."""
        if not lines:
            return
        batch = {"id": new_id(), "executionId": None, "serviceId": service["id"],
                 "projectId": service.get("projectId"), "functionName": None, "replicaId": replica_id,
                 "lines": lines}
        self.store.put("logs", batch, parent=service["id"])
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def lines(self, execution_id: str) -> list[str]:
        """Every message logged for one execution, oldest first (the backend's Python API)."""
        return [line["message"] for batch in self.store.children("logs", execution_id) for line in batch["lines"]]

    def _batches(self, query: dict) -> list[dict]:
        execution_ids = query.get("executionId")
        if isinstance(execution_ids, str):
            execution_ids = [execution_ids]
        if execution_ids:
            batches = [b for eid in execution_ids for b in self.store.children("logs", eid)]
            batches.sort(key=lambda b: b["id"])
        else:
            service_id = query.get("serviceId")
            if not service_id:
                raise BadRequest("logs need a 'serviceId' or an 'executionId' list")
            batches = [b for b in self.store.all("logs") if b["serviceId"] == service_id]
        if query.get("functionName"):
            batches = [b for b in batches if b["functionName"] == query["functionName"]]
        if query.get("replicaId"):
            batches = [b for b in batches if b["replicaId"] == query["replicaId"]]
        return batches

    def _read(self, query: dict) -> tuple[list[dict], dict | None]:
        checkpoint = query.get("checkpoint") or {}
        after_batch, after_line = checkpoint.get("batch", ""), checkpoint.get("line", 0)
        size = query.get("size") or 100
        start, end = _time(query.get("start"), "start"), _time(query.get("end"), "end")
        level = _LEVELS.get(str(query.get("logLevel") or "DEBUG").upper(), 10)
        text = query.get("text")
        found: list[dict] = []
        position = None
        for batch in self._batches(query):
            if batch["id"] < after_batch:
                continue
            first = after_line if batch["id"] == after_batch else 0
            for index in range(first, len(batch["lines"])):
                if len(found) >= size:
                    return found, position
                line = batch["lines"][index]
                position = {"batch": batch["id"], "line": index + 1}
                if _LEVELS.get(line.get("level", "INFO"), 20) < level or (text and text not in line["message"]):
                    continue
                stamp = parse_iso(line["timestamp"])
                if (start and stamp < start) or (end and stamp > end):
                    continue
                found.append({"timestamp": line["timestamp"], "message": line["message"],
                              "level": line.get("level", "INFO"), "executionId": batch["executionId"],
                              "replicaId": batch["replicaId"]})
        return found, position

    def query(self, query: dict) -> dict:
        """Answer ``POST /services/logs``: ``{logs, checkpoint, stop}``."""
        if not isinstance(query, dict):
            raise BadRequest("logs query must be a JSON object")
        version = self._version
        # Terminal is checked before reading: the engine stores an execution's last lines (and the end
        # marker) before its terminal status, so a finished execution's read is complete.
        execution_ids = query.get("executionId") or []
        finished = bool(execution_ids) and all(self.is_terminal(eid) for eid in execution_ids)
        found, position = self._read(query)
        if not found and query.get("follow") and not finished:
            with self._cond:
                if self._version == version:
                    self._cond.wait(FOLLOW_WAIT_S)
            found, position = self._read(query)
        checkpoint = position or query.get("checkpoint") or {"batch": "", "line": 0}
        stop = not found and (not query.get("follow") or finished)
        return {"logs": found, "checkpoint": checkpoint, "stop": stop}
