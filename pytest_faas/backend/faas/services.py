"""FaaS services: deploy as an upsert by name, runtime settings, pause and resume.

A service runs one module of one package revision (docs/platform.md#service-settings). This module validates
and stores service records; starting and stopping the replicas that run them is the dispatcher's job,
told through :attr:`Services.listeners` after every change.
"""

from __future__ import annotations

import copy
import threading
from typing import Callable

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict
from ...ids import now_iso
from ...protocol import MAX_TOTAL_REPLICAS, REPLICA_BOUND_SAID
from ..records import LOCAL_USER, ORG, server_fields
from .packages import Packages
from ..data.projects import Projects
from ..store import Store

RUNTIME_DEFAULTS = {"podType": "regular-s", "numReplicas": 1, "concurrency": 10, "autoscaler": None}
SERVICE_DEFAULTS = {"executionTimeout": 3600, "drainTime": 600, "onReset": "failed", "maxAttempts": 3,
                    "runExecutionAsProcess": False, "initParams": {}, "versions": {}, "useUserJwt": False,
                    "global": False, "driverId": None, "secrets": [], "integrations": [], "type": "regular"}
# A service may run on preemptible machines only when an execution cut short there can be retried
# (maxAttempts above 1) and is short enough to be worth retrying: up to the default executionTimeout. The
# platform derives the flag from the same two settings; its exact cut-off on the timeout is its own (an hour
# keeps it, a hundred hours clears it).
PREEMPTIBLE_MAX_TIMEOUT_S = 3600
RUN_AS_PROCESS_REFUSED = (
    "runExecutionAsProcess: true is not supported by the local platform: a replica runs each execution in a "
    "thread of its own process, in every placement. Deploy with run_execution_as_process=False (service.json "
    "'run_execution_as_process'); code that must not share a process between executions can keep its state "
    "per call instead")
ON_RESET = ("failed", "rerun")
MAX_REPLICAS = 32
BOT = "bot.default@faas.local"
# What a PATCH may change: the fields `service.update()` sends that the platform lets users set.
_MUTABLE = ("runtime", "initParams", "packageRevision", "versions", "driverId", "secrets", "integrations",
            "moduleName", "executionTimeout", "drainTime", "onReset", "maxAttempts", "runExecutionAsProcess",
            "active", "metadata", "mode", "config", "settings", "queueLengthLimit", "useUserJwt", "global")

Listener = Callable[[str, dict], None]  # (action, service): action is "start", "stop" or "delete"


def _positive_int(value, what: str, default: int, maximum: int | None = None) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 1:
        raise BadRequest(f"{what} must be a positive integer, found {value!r}")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{what} is at most {maximum} on the local platform, found {value!r}")
    return int(value)


def normalise_runtime(runtime: dict | None) -> dict:
    """The runtime with defaults; the legacy ``replicas`` key (service.json templates) sets ``numReplicas``."""
    if runtime is None:
        runtime = {}
    if not isinstance(runtime, dict):
        raise BadRequest(f"service 'runtime' must be an object, found {type(runtime).__name__}")
    merged = dict(RUNTIME_DEFAULTS)
    merged.update(copy.deepcopy(runtime))
    if runtime.get("numReplicas") is None and runtime.get("replicas") is not None:
        merged["numReplicas"] = runtime["replicas"]
    merged["numReplicas"] = _positive_int(merged.get("numReplicas"), "runtime.numReplicas", 1, MAX_REPLICAS)
    merged["concurrency"] = _positive_int(merged.get("concurrency"), "runtime.concurrency", 10, 1000)
    return merged


def preemptible(record: dict) -> bool:
    """``runtime.preemptible`` as the platform derives it, whatever was sent: yes unless an execution could
    not be retried or runs long. (dtlpy sends the derived value back on every update, so a sent value
    cannot tell a choice from an echo.)"""
    return record["maxAttempts"] > 1 and record["executionTimeout"] <= PREEMPTIBLE_MAX_TIMEOUT_S


class Services:
    """Service records (kind ``services``, parent: project id)."""

    def __init__(self, store: Store, projects: Projects, packages: Packages):
        self.store = store
        self.projects = projects
        self.packages = packages
        self._lock = threading.Lock()
        self.listeners: list[Listener] = []

    def _notify(self, action: str, service: dict) -> None:
        for listener in list(self.listeners):
            listener(action, service)

    def get(self, service_id: str) -> dict:
        return self.store.get("services", service_id, "Service")

    def all(self) -> list[dict]:
        return self.store.all("services")

    def query(self, query: dict) -> dict:
        return dql.run_query(self.store.all("services"), query, default_sort={"createdAt": "ascending"})

    def code(self, service: dict) -> tuple[dict, dict]:
        """``(package revision, module)`` the service runs now."""
        package = self.packages.get(service["packageId"])
        revision = self.packages.revision(package, service.get("packageRevision"))
        return revision, self.packages.module(revision, service.get("moduleName"))

    def check_total(self, asked: int, replacing: str | None = None, what: str = "this service") -> None:
        """Refuse ``asked`` more replicas when the active services (but ``replacing``, a service about to be
        changed) would then run more than `MAX_TOTAL_REPLICAS`."""
        running = sum(s["runtime"]["numReplicas"] for s in self.store.all("services")
                      if s.get("active") and s["id"] != replacing)
        if running + asked > MAX_TOTAL_REPLICAS:
            # The platform's cluster has a size too: it leaves pods pending; what could never start is refused.
            raise BadRequest(f"the local platform runs at most {MAX_TOTAL_REPLICAS} {REPLICA_BOUND_SAID} (each a "
                             f"thread, process or container); the active services run {running} and {what} asks "
                             f"{asked} more: lower runtime.numReplicas, or stop or delete services "
                             "(faas services ls)")

    def _validate(self, record: dict) -> dict:
        record["runtime"] = normalise_runtime(record.get("runtime"))
        if not isinstance(record.get("initParams"), dict):
            raise BadRequest(f"service 'initParams' must be an object of name: value, "
                             f"found {type(record.get('initParams')).__name__}")
        if record.get("onReset") not in ON_RESET:
            raise BadRequest(f"service 'onReset' must be one of {', '.join(ON_RESET)}, found {record.get('onReset')!r}")
        record["executionTimeout"] = _positive_int(record.get("executionTimeout"), "executionTimeout", 3600)
        record["maxAttempts"] = _positive_int(record.get("maxAttempts"), "maxAttempts", 3)
        record["runtime"]["preemptible"] = preemptible(record)
        if record.get("runExecutionAsProcess") is True:  # refused, not stored and ignored
            raise BadRequest(RUN_AS_PROCESS_REFUSED)
        _, module = self.code(record)  # the revision and module must exist
        record["moduleName"] = module["name"]
        return record

    def create(self, body: dict) -> dict:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("service 'name' is required")
        project_id = body.get("projectId")
        if not project_id:
            raise BadRequest("service 'projectId' is required")
        self.projects.get_project(project_id)
        package_id = body.get("packageId")
        if not package_id:
            raise BadRequest("service 'packageId' is required: deploy a pushed package")
        package = self.packages.get(package_id)
        record = copy.deepcopy(SERVICE_DEFAULTS)
        record.update({k: copy.deepcopy(v) for k, v in body.items() if v is not None})
        record.update(server_fields("services"))
        record.update({
            "name": name, "projectId": project_id, "packageId": package_id,
            "packageRevision": body.get("packageRevision") or package["version"], "orgId": ORG["id"],
            "botUserName": BOT, "updatedBy": LOCAL_USER, "version": "1.0.0",
            "active": body.get("active", True) is not False, "scope": body.get("scope") or "project",
        })
        record = self._validate(record)
        with self._lock:
            if record["active"]:
                self.check_total(record["runtime"]["numReplicas"])
            if any(s["name"] == name for s in self.store.children("services", project_id)):
                raise Conflict(f"a service named {name!r} already exists in project {project_id}; "
                               "deploy updates it (PATCH /services/{id})")
            self.store.put("services", record, parent=project_id)
        self._notify("start" if record["active"] else "stop", record)
        return record

    def update(self, service_id: str, body: dict) -> dict:
        with self._lock:
            record = copy.deepcopy(self.get(service_id))
            for key in _MUTABLE:
                if key in body and body[key] is not None:
                    record[key] = copy.deepcopy(body[key])
            if body.get("name") not in (None, record["name"]):
                raise BadRequest(f"a service cannot be renamed (from {record['name']!r} to {body['name']!r})")
            record = self._validate(record)
            if record["active"]:
                self.check_total(record["runtime"]["numReplicas"], replacing=service_id)
            record["updatedAt"] = now_iso()
            self.store.put("services", record)
        self._notify("start" if record["active"] else "stop", record)
        return record

    def set_active(self, service_id: str, active: bool) -> dict:
        """Pause (`POST /services/{id}/stop`) or resume; queued executions wait while paused."""
        with self._lock:
            record = dict(self.get(service_id), active=active, updatedAt=now_iso())
            if active:
                self.check_total(record["runtime"]["numReplicas"], replacing=service_id)
            self.store.put("services", record)
        self._notify("start" if active else "stop", record)
        return record

    def restart(self, service_id: str) -> dict:
        record = self.get(service_id)
        if record["active"]:
            self._notify("start", record)
        return record

    def delete(self, service_id: str) -> dict:
        record = self.get(service_id)
        self._notify("delete", record)
        self.store.delete("services", service_id)
        return record

    def package_changed(self, package: dict) -> None:
        """Restart the active services that run the package's current revision, so they load the new code."""
        for service in self.store.all("services"):
            if service["packageId"] != package["id"] or not service.get("active"):
                continue
            if service.get("packageRevision") in (None, "latest", package["version"]):
                self._notify("start", service)
