"""Execution records and their status machine (docs/platform.md#execution-statuses).

``created`` -> ``in-progress`` -> ``success`` | ``failed``, plus the ends the platform itself decides:
a timeout or reset (``failed``, or ``rerun`` and back in the queue while attempts remain, per the
service's ``onReset``), a runner that died (``system-failure`` or ``rerun``), ``terminated`` before it
started. Every change appends to ``statusLog``; ``latestStatus`` is its last entry, and is never left at a
non-terminal value once the runner is gone. An execution's last log lines, ending with the end marker,
are stored before its terminal status, so a log reader that sees the status finished has every line.

All transitions hold the engine's lock (``self.cond``); the queue of waiting executions per service lives
here too, so that "create" and "claim" are one atomic step each.
"""

from __future__ import annotations

import collections
import copy
import threading
import time

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict
from ...ids import now_iso, parse_iso
from ..records import SYSTEM_USER, server_fields
from ...protocol import (END_MARKER, NOT_SERIALISABLE, OUTPUT_TOO_LARGE, QUEUED, TERMINAL, TIMEOUT_MESSAGE,
                        output_problem, printed_traceback)
from .logs import Logs, log_line
from .packages import Packages
from ..data.projects import Projects
from .services import Services
from ..store import Store

KILLED_MESSAGE = "Execution was killed: its runner process was stopped on a termination request"
# How each platform-decided end resolves: (status when no attempt is left, message).
ENDS = {
    "timeout": ("failed", TIMEOUT_MESSAGE),
    "reset": ("failed", TIMEOUT_MESSAGE),
    "crash": ("system-failure", "The runner running this execution died: {reason}"),
    "platform": ("system-failure", "The platform stopped while this execution was running"),
    "startup": ("failed", "The service's runner could not start, so this execution never ran:\n{reason}"),
    "killed": ("failed", KILLED_MESSAGE),
    "deleted": ("canceled", "The service was deleted before this execution ran"),
    "forced": ("failed", "Execution was reset: its service was updated with force=true"),
}
RETRIED = ("timeout", "reset", "crash", "platform")  # ends that `onReset: rerun` turns into a retry
# Ends the platform retries whatever `onReset` says, while attempts remain: a forced update replaces the
# replicas under a running execution, which starts again on a new one (dtlpy's own suite waits for its
# progress to show again).
ALWAYS_RETRIED = ("forced",)


def _is_output_problem(message: str) -> bool:
    return message == OUTPUT_TOO_LARGE or message.startswith(NOT_SERIALISABLE)


def _resources(doc: dict, is_item) -> list[dict]:
    """The entities an execution ran on: its event's resource and the items of its input (``{item_id}``,
    or an item's id as ``service.execute(execution_input={"item": id})`` sends it), once each."""
    found = list(doc.get("resources") or [])
    for value in (doc.get("input") or {}).values():
        item_id = value.get("item_id") if isinstance(value, dict) else value
        if isinstance(item_id, str) and is_item(item_id):
            found.append({"type": "Item", "id": item_id})
    unique = {(r.get("type"), r.get("id")): r for r in found}
    return list(unique.values())


def _resource_view(doc: dict, resource: dict) -> dict:
    status = doc["latestStatus"]
    return {"resourceId": resource.get("id"), "resourceType": resource.get("type"), "executionId": doc["id"],
            "status": status["status"], "timestamp": status["timestamp"], "progress": status.get("percentComplete"),
            "message": status.get("message"), "error": status.get("error"), "serviceName": doc.get("serviceName"),
            "functionName": doc.get("functionName"), "moduleName": doc.get("moduleName"),
            "packageName": doc.get("packageName"), "creator": doc.get("creator"), "projectId": doc.get("projectId")}


class Executions:
    """Execution records (kind ``executions``, parent: service id) and the per-service queues."""

    def __init__(self, store: Store, projects: Projects, packages: Packages, services: Services, logs: Logs,
                 cond: threading.Condition, changed: threading.Condition, work: threading.Condition):
        self.store = store
        self.projects = projects
        self.packages = packages
        self.services = services
        self.logs = logs
        # One lock, three conditions on it, so that each change wakes only the threads it concerns: with a
        # single condition every status change woke every agent's long-polls and the watchdog, a dozen
        # thread switches per execution under load.
        self.cond = cond  # the engine's lock; agents' orders, the watchdog and lifecycle changes
        self.changed = changed  # an execution's status changed: wait()
        self.work = work  # an execution was queued: agents' claims
        self.queues: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.startup_errors: dict[str, str] = {}  # service id -> why its runner cannot start
        # Called with each record that reached a terminal status (lock held): pipelines route on it.
        self.end_listeners: list = []

    # -- reading --------------------------------------------------------------------------------------

    def get(self, execution_id: str) -> dict:
        return self.store.get("executions", execution_id, "Execution")

    @staticmethod
    def public(doc: dict) -> dict:
        """The platform JSON: ``status`` is the status log as a list, as the platform sends it."""
        return dict(doc, status=doc["statusLog"])

    def is_terminal(self, execution_id: str) -> bool:
        doc = self.store.find("executions", execution_id)
        return doc is None or doc["latestStatus"]["status"] in TERMINAL

    def query(self, query: dict) -> dict:
        result = dql.run_query(self.store.all("executions"), query, default_sort={"createdAt": "ascending"})
        result["items"] = [self.public(d) for d in result["items"]]
        return result

    def resource_query(self, query: dict) -> dict:
        """``POST /executions/resource/query`` (``item.resource_executions``): one record per execution and
        entity it ran on (the event's resource, and each item in its input)."""
        if query.get("resource", "resourceExecution") != "resourceExecution":
            raise BadRequest(f"/executions/resource/query resource must be 'resourceExecution', found "
                             f"{query.get('resource')!r:.100}")
        def is_item(item_id: str) -> bool:
            return self.store.find("items", item_id) is not None

        views = [_resource_view(doc, resource) for doc in self.store.all("executions") for resource in
                 _resources(doc, is_item)]
        return dql.run_query(views, query, default_sort={"timestamp": "ascending"})

    def wait(self, execution_id: str, timeout: float) -> dict:
        """The record once terminal, or as it is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                doc = self.get(execution_id)
                remaining = deadline - time.monotonic()
                if doc["latestStatus"]["status"] in TERMINAL or remaining <= 0:
                    return doc
                self.changed.wait(remaining)

    # -- transitions ----------------------------------------------------------------------------------

    @staticmethod
    def _entry(doc: dict, status: str, message: str | None = None, percent: int | None = None) -> dict:
        """A status entry; while a replica holds the record, the entry names it (``replicaId``)."""
        if percent is None:
            percent = 100 if status == "success" else doc["latestStatus"].get("percentComplete", 0)
        entry = {"status": status, "percentComplete": percent, "message": message, "timestamp": now_iso(),
                 "attempts": doc.get("attempts", 0)}
        if doc.get("replicaId"):
            entry["replicaId"] = doc["replicaId"]
        return entry

    def _put(self, doc: dict, entry: dict | None = None) -> dict:
        if entry is not None:
            doc["statusLog"] = doc["statusLog"] + [entry]
            doc["latestStatus"] = entry
        doc["updatedAt"] = now_iso()
        self.store.put("executions", doc)
        self.changed.notify_all()
        return doc

    def _enqueue(self, doc: dict) -> None:
        """Queue a record for its service's agents (lock held)."""
        self.queues[doc["serviceId"]].append(doc["id"])
        self.work.notify_all()

    def create(self, service_id: str, body: dict, *, trigger_id: str | None = None,
               event: dict | None = None, pipeline: dict | None = None) -> dict:
        """``POST /executions/{serviceId}``: record and queue an execution of a declared function."""
        if not isinstance(body, dict):
            raise BadRequest("execution body must be a JSON object")
        if body.get("batch"):
            raise BadRequest("batch executions (execute_batch) are not supported by the local platform; "
                             "create one execution per input")
        service = self.services.get(service_id)
        revision, module = self.services.code(service)
        name = body.get("functionName") or "run"
        self.packages.function(revision, module, name)
        inputs = body.get("input") or {}
        if not isinstance(inputs, dict):
            raise BadRequest(f"execution 'input' must be an object of name: value, found {type(inputs).__name__}")
        project_id = body.get("projectId") or service["projectId"]
        self.projects.get_project(project_id)
        doc = server_fields("executions")
        if trigger_id is not None or pipeline is not None:  # started by the platform, not by a user
            doc["creator"] = SYSTEM_USER
        entry = {"status": "created", "percentComplete": 0, "message": None, "timestamp": doc["createdAt"],
                 "attempts": 0}
        doc.update({
            "input": copy.deepcopy(inputs), "output": None, "functionName": name,
            "serviceId": service_id, "serviceName": service["name"], "projectId": project_id,
            "triggerId": trigger_id, "latestStatus": entry, "statusLog": [entry], "duration": None,
            "attempts": 0, "maxAttempts": service["maxAttempts"], "toTerminate": False,
            "serviceVersion": service.get("version"), "packageId": service["packageId"],
            "packageName": revision["name"], "packageRevision": revision["version"],
            "moduleName": module["name"], "pipeline": pipeline, "action": None, "model": None, "app": None,
            "driverId": service.get("driverId"), "feedbackQueue": None, "syncReplyTo": None,
            "resources": [{"type": event["resource"], "id": event["resourceId"]}] if event else [],
            "eventContext": event, "replicaId": None, "agentId": None, "startedAt": None,
        })
        with self.cond:
            self.store.put("executions", doc, parent=service_id)
            if service_id in self.startup_errors:
                return self.end(doc, "startup", reason=self.startup_errors[service_id])
            self._enqueue(doc)
        return doc

    def record_platform_run(self, project_id: str, names: tuple[str, str], inputs: dict, pipeline: dict,
                            output=None, failure: str | None = None) -> dict:
        """Record work the platform did itself (a pipeline's dataset node, run by its ``pipeline-utils``
        service): an execution that is already ended, with its end told to the listeners (lock held)."""
        service_name, function = names
        doc = server_fields("executions")
        entry = {"status": "created", "percentComplete": 0, "message": None, "timestamp": doc["createdAt"],
                 "attempts": 1}
        doc.update({
            "creator": SYSTEM_USER, "input": copy.deepcopy(inputs), "output": None, "functionName": function,
            "serviceId": None, "serviceName": service_name, "projectId": project_id, "triggerId": None,
            "latestStatus": entry, "statusLog": [entry], "duration": 0.0, "attempts": 1, "maxAttempts": 1,
            "toTerminate": False, "pipeline": pipeline, "action": None, "resources": [], "eventContext": None,
            "replicaId": None, "agentId": None, "startedAt": doc["createdAt"],
        })
        self.store.put("executions", doc, parent=service_name)
        status = "failed" if failure else "success"
        return self._finish(doc, status, failure, output=output)

    def claim(self, service_id: str, limit: int, agent_id: str, replica_id: str) -> list[dict]:
        """Start up to ``limit`` queued executions of a service on an agent (lock held)."""
        queue, started = self.queues.get(service_id), []
        while queue and len(started) < limit:
            doc = self.store.find("executions", queue.popleft())
            if doc is None or doc["latestStatus"]["status"] not in QUEUED:
                continue  # terminated or deleted while it waited
            doc = dict(doc, attempts=doc["attempts"] + 1, agentId=agent_id, replicaId=replica_id,
                       startedAt=now_iso())
            started.append(self._put(doc, self._entry(doc, "in-progress")))
        return started

    def progress(self, execution_id: str, body: dict) -> dict:
        """``POST /executions/{id}/progress``: append a status entry; never ends the execution."""
        if not isinstance(body, dict):
            raise BadRequest("progress body must be a JSON object")
        percent = body.get("percentComplete")
        if percent is not None and (isinstance(percent, bool) or not isinstance(percent, (int, float))):
            raise BadRequest(f"percentComplete must be a number, found {percent!r}")
        if "output" in body and body["output"] is not None and (problem := output_problem(body["output"])):
            raise BadRequest(problem)
        with self.cond:
            doc = self.get(execution_id)
            if doc["latestStatus"]["status"] in TERMINAL | QUEUED:
                return doc  # a late or early update never rewrites a record the runner does not hold
            doc = dict(doc)
            status = body.get("status") or "inProgress"
            if status in TERMINAL:  # only the runner ends an execution; keep wait() waiting until it does
                status = "in-progress"
            if body.get("output") is not None:
                doc["output"] = body["output"]
            if isinstance(body.get("action"), str):  # progress.update(action=...): the pipeline output action
                doc["action"] = body["action"]
            entry = self._entry(doc, status, body.get("message"), None if percent is None else int(percent))
            return self._put(doc, entry)

    def finish(self, execution_id: str, agent_id: str, attempt: int, body: dict) -> tuple[dict, bool]:
        """A runner's result. Returns ``(record, accepted)``; a late result for a record it no longer holds
        (timed out, reset, terminated, rerun elsewhere) is ignored."""
        status = body.get("status")
        if status not in ("success", "failed"):
            raise BadRequest(f"finish 'status' must be success or failed, found {status!r}")
        with self.cond:
            doc = self.get(execution_id)
            if (doc["latestStatus"]["status"] in TERMINAL | QUEUED or doc.get("agentId") != agent_id
                    or doc["attempts"] != attempt):
                return doc, False
            output, message = body.get("output"), body.get("message")
            if status == "success" and (problem := output_problem(output)):
                status, output, message = "failed", None, problem
            # An output the platform could not keep (the agent checks it too) is named in the entry's
            # `error`, as on the platform; a function's own failure has only the message.
            error = message if status == "failed" and message and _is_output_problem(message) else None
            lines = list(body.get("lines") or [])
            # The runner logs a traceback line by line: look for it in the joined text, or it is stored twice.
            logged = "\n".join(str(line.get("message", "")) for line in lines if isinstance(line, dict))
            if status == "failed" and message and printed_traceback(message) not in logged:
                lines.append(log_line(message, "ERROR"))
            duration = body.get("duration")
            return self._finish(doc, status, message, output if status == "success" else None, lines,
                                duration if isinstance(duration, (int, float)) else None, error=error), True

    def _finish(self, doc: dict, status: str, message: str | None, output=None, lines=(),
                duration: float | None = None, error: str | None = None) -> dict:
        """End a record (lock held): its last lines and the end marker first, then the terminal status."""
        doc = dict(doc, output=output)
        if duration is not None:  # the agent's own measure of the user's call
            doc["duration"] = round(float(duration), 6)
        elif doc.get("startedAt"):
            doc["duration"] = round((parse_iso(now_iso()) - parse_iso(doc["startedAt"])).total_seconds(), 3)
        self.logs.append(doc, list(lines) + [log_line(END_MARKER)])
        entry = self._entry(doc, status, message)
        if error is not None:
            entry["error"] = error
        doc = self._put(doc, entry)
        for listener in list(self.end_listeners):
            listener(doc)
        return doc

    def end(self, doc: dict, kind: str, reason: str = "", message: str | None = None) -> dict:
        """End (or requeue) a record the runner cannot finish: one of :data:`ENDS` (lock held)."""
        status, template = ENDS[kind]
        message = message or template.format(reason=reason)
        service = self.store.find("services", doc["serviceId"]) or {}
        retry = kind in ALWAYS_RETRIED or (kind in RETRIED and service.get("onReset") == "rerun")
        if retry and doc["attempts"] < service.get("maxAttempts", 1):
            doc = dict(doc, agentId=None, replicaId=None, output=None, action=None)
            self.logs.append(doc, [log_line(f"{message}; queued again (attempt {doc['attempts']} of "
                                            f"{service.get('maxAttempts')} used)", "WARNING")])
            self._put(doc, self._entry(doc, "rerun", message))
            self._enqueue(doc)
            return doc
        return self._finish(doc, status, message, lines=[log_line(message, "ERROR")])

    def terminate(self, execution_id: str) -> tuple[dict, bool]:
        """Returns ``(record, running)``: a queued execution ends at once; a running one is flagged and the
        caller must stop its runner's work."""
        with self.cond:
            doc = self.get(execution_id)
            status = doc["latestStatus"]["status"]
            if status in TERMINAL:
                return doc, False
            if status in QUEUED:
                message = "Execution was terminated before it started"
                return self._finish(dict(doc, toTerminate=True), "terminated", message,
                                    lines=[log_line(message, "WARNING")]), False
            return self._put(dict(doc, toTerminate=True)), True

    def rerun(self, execution_id: str) -> dict:
        """``POST /executions/{id}/rerun``: same id, history kept, the service's current revision."""
        with self.cond:
            doc = self.get(execution_id)
            if doc["latestStatus"]["status"] not in TERMINAL:
                raise Conflict(f"execution {execution_id} is still {doc['latestStatus']['status']}; "
                               "only a finished execution can be rerun")
            service = self.services.get(doc["serviceId"])
            revision, _ = self.services.code(service)
            doc = dict(doc, attempts=0, toTerminate=False, output=None, action=None, agentId=None, replicaId=None,
                       duration=None, startedAt=None, packageRevision=revision["version"],
                       maxAttempts=service["maxAttempts"])
            self._put(doc, self._entry(doc, "created", "rerun requested", 0))
            if doc["serviceId"] in self.startup_errors:
                return self.end(doc, "startup", reason=self.startup_errors[doc["serviceId"]])
            self._enqueue(doc)
            return doc

    def increment(self, execution_id: str) -> int:
        """``POST /executions/{id}/attempts``."""
        with self.cond:
            doc = dict(self.get(execution_id))
            doc["attempts"] += 1
            self._put(doc)
            return doc["attempts"]

    def recover(self) -> None:
        """After a (re)start: requeue what was waiting; end what was running when the platform stopped."""
        with self.cond:
            for doc in self.store.all("executions"):
                status = doc["latestStatus"]["status"]
                if status in QUEUED:
                    self._enqueue(doc)
                elif status not in TERMINAL:
                    self.end(doc, "platform")

    def end_queued(self, service_id: str, kind: str, reason: str = "") -> None:
        """The service cannot run them: end its queued executions as ``kind`` (lock held)."""
        queue = self.queues.pop(service_id, collections.deque())
        for execution_id in queue:
            doc = self.store.find("executions", execution_id)
            if doc is not None and doc["latestStatus"]["status"] in QUEUED:
                self.end(doc, kind, reason=reason)
