"""Triggers: event triggers fired from the data plane's event bus, and the records cron triggers use.

An event trigger fires when a resource (Item, Dataset, Annotation) of its project is Created, Updated or
Deleted and its DQL filter matches the resource record, including the implicit ``hidden: false`` and
``type: file`` clauses `dl.Filters` adds (docs/platform.md#event-triggers). ``Once`` fires the first time per resource
and trigger, ``Always`` every time; only ``active`` triggers fire. The execution gets the resource as the
input whose declared type is the resource's, plus ``spec.input``, and records the ``triggerId``.

Items of system datasets (the project's ``Binaries``, where codebases and exports live) never fire
triggers: a trigger with an empty filter must not run user code on a pushed codebase zip.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Callable

from croniter import croniter

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict
from ...ids import now_iso, parse_iso
from ...protocol import ALL_TRIGGER_ACTIONS, TRIGGER_ACTIONS
from ..records import LOCAL_USER, ORG, server_fields
from ..events import Event
from .executions import Executions
from .packages import Packages
from ..data.projects import Projects
from .services import Services
from ..store import Store

log = logging.getLogger(__name__)

RESOURCES = tuple(TRIGGER_ACTIONS)
ACTIONS = ALL_TRIGGER_ACTIONS
MODES = ("Once", "Always")
# Actions that can happen more than once to one resource: only these need "fired already" records.
REPEATABLE = ("Updated", "Clone", "statusChanged", "taskAssigned")


def check_cron(expression) -> str:
    if not isinstance(expression, str) or len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise BadRequest(f"spec.cron must be a 5-field cron expression such as '*/5 * * * *' "
                         f"(minute hour day month weekday), found {expression!r}")
    return expression


def _check_time(value, name: str):
    if value in (None, ""):
        return None
    try:
        return parse_iso(value)
    except (TypeError, ValueError):
        raise BadRequest(f"spec.{name} must be an ISO 8601 time, found {value!r}") from None


def resource_value(resource: str, doc: dict) -> dict:
    """The input value a trigger passes for a resource: ids in the shape the runner resolves."""
    if resource == "Item":
        return {"item_id": doc["id"], "dataset_id": doc.get("datasetId")}
    if resource == "Annotation":
        return {"annotation_id": doc["id"], "item_id": doc.get("itemId"), "dataset_id": doc.get("datasetId")}
    return {f"{resource.lower()}_id": doc["id"]}


class Triggers:
    """Trigger records (kind ``triggers``, parent: project id) and event matching."""

    def __init__(self, store: Store, projects: Projects, packages: Packages, services: Services,
                 executions: Executions):
        self.store = store
        self.projects = projects
        self.packages = packages
        self.services = services
        self.executions = executions
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str, str], list[tuple[dict, object]]] | None = None
        self.listeners: list = []  # called with each created or updated trigger (the cron schedule)
        # Triggers the platform lists beside these records but keeps elsewhere: installed pipelines' start
        # triggers (``pipeline.triggers.list()``), which fire through their pipeline. The backend sets it.
        self.also_listed: Callable[[], list[dict]] = list

    # -- records --------------------------------------------------------------------------------------

    def get(self, trigger_id: str) -> dict:
        return self.store.get("triggers", trigger_id, "Trigger")

    def query(self, query: dict) -> dict:
        """Trigger records, and those the platform keeps elsewhere (:attr:`also_listed`)."""
        return dql.run_query(self.store.all("triggers") + self.also_listed(), query,
                             default_sort={"createdAt": "ascending"})

    def _validate(self, record: dict) -> dict:
        spec = record.get("spec")
        if not isinstance(spec, dict):
            raise BadRequest("trigger 'spec' must be an object")
        operation = spec.get("operation") or {}
        if operation.get("type", "function") != "function":
            raise BadRequest(f"trigger operation type {operation.get('type')!r} is not supported by the local "
                             "platform; use a service function (operation.type 'function')")
        service = self.services.get(operation.get("serviceId") or "")
        revision, module = self.services.code(service)
        operation.setdefault("functionName", "run")
        self.packages.function(revision, module, operation["functionName"])
        spec["operation"] = dict(operation, type="function")
        if not isinstance(spec.setdefault("input", {}), dict):
            raise BadRequest("trigger spec.input must be an object of name: value")
        if record["type"] == "Cron":
            check_cron(spec.get("cron"))
            _check_time(spec.get("startAt"), "startAt")
            _check_time(spec.get("endAt"), "endAt")
            return record
        if spec.get("resource") not in RESOURCES:
            raise BadRequest(f"trigger spec.resource must be one of {', '.join(RESOURCES)}, found {spec.get('resource')!r}")
        actions = spec.get("actions") or ["Created"]
        actions = [actions] if isinstance(actions, str) else actions
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise BadRequest(f"trigger spec.actions must be a list of action names such as [\"Created\"], "
                             f"found {actions!r}")
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise BadRequest(f"trigger spec.actions {unknown} unknown; use {', '.join(ACTIONS[:3])}")
        allowed = TRIGGER_ACTIONS[spec["resource"]]
        for action in actions:
            if action not in allowed:  # the platform's words, then which actions the resource has
                raise BadRequest(f"Received an unsupported action type as input, type: {action} for resource "
                                 f"type: {spec['resource']} (a {spec['resource']} trigger takes "
                                 f"{', '.join(allowed)})")
        spec["actions"] = actions
        spec["executionMode"] = spec.get("executionMode") or "Once"
        if spec["executionMode"] not in MODES:
            raise BadRequest(f"trigger spec.executionMode must be Once or Always, found {spec['executionMode']!r}")
        spec["filter"] = spec.get("filter") or {}
        dql.compile_filter(spec["filter"])  # a DQLError (400) names the bad place
        return record

    def create(self, body: dict) -> dict:
        if not isinstance(body, dict):
            raise BadRequest("trigger body must be a JSON object")
        trigger_type = body.get("type") or "Event"
        if trigger_type not in ("Event", "Cron"):
            raise BadRequest(f"trigger type must be Event or Cron, found {trigger_type!r}")
        project_id = body.get("projectId")
        if not project_id:
            raise BadRequest("trigger 'projectId' is required")
        self.projects.get_project(project_id)
        record = {**server_fields("triggers"), "name": body.get("name") or "defaulttrigger",
                  "type": trigger_type, "active": body.get("active", True) is not False, "projectId": project_id,
                  "spec": copy.deepcopy(body.get("spec")), "updatedBy": LOCAL_USER,
                  "scope": body.get("scope") or "project", "global": False, "special": False, "orgId": ORG["id"]}
        record = self._validate(record)
        with self._lock:  # two creates of one name at once: one of them is refused
            self._unique_name(record)
            self.store.put("triggers", record, parent=project_id)
        self._changed(record)
        return record

    def _unique_name(self, record: dict) -> None:
        """One name per service, as on the platform: a name then picks one trigger to update or delete."""
        service_id = record["spec"]["operation"].get("serviceId")
        for other in self.store.children("triggers", record["projectId"]):
            if other["name"] == record["name"] and other["spec"].get("operation", {}).get("serviceId") == service_id:
                raise Conflict(f"service {service_id} already has a trigger named {record['name']!r} "
                               f"({other['id']}); delete it or choose another name")

    def _changed(self, record: dict) -> None:
        self._index = None
        for listener in list(self.listeners):
            listener(record)

    def update(self, trigger_id: str, body: dict) -> dict:
        record = copy.deepcopy(self.get(trigger_id))
        for key in ("name", "active", "spec"):
            if body.get(key) is not None:
                record[key] = copy.deepcopy(body[key])
        record = self._validate(record)
        record["updatedAt"] = now_iso()
        self.store.put("triggers", record)
        self._changed(record)
        return record

    def delete(self, trigger_id: str) -> dict:
        record = self.get(trigger_id)
        for fired in self.store.children("trigger_once", trigger_id):
            self.store.delete("trigger_once", fired["id"])
        self.store.delete("triggers", trigger_id)
        self._index = None
        return record

    def delete_for_service(self, service_id: str) -> None:
        for trigger in self.store.all("triggers"):
            if trigger["spec"].get("operation", {}).get("serviceId") == service_id:
                self.delete(trigger["id"])

    # -- firing ---------------------------------------------------------------------------------------

    def fire(self, trigger: dict, inputs: dict, event: dict | None = None) -> dict:
        """Create the execution a trigger asks for."""
        operation = trigger["spec"]["operation"]
        body = {"input": inputs, "functionName": operation.get("functionName", "run"),
                "projectId": trigger["projectId"]}
        return self.executions.create(operation["serviceId"], body, trigger_id=trigger["id"], event=event)

    def _input_name(self, trigger: dict, resource: str) -> str:
        """The function input whose declared type is the resource, else the resource name in lower case."""
        operation = trigger["spec"]["operation"]
        try:
            revision, module = self.services.code(self.services.get(operation["serviceId"]))
            function = self.packages.function(revision, module, operation.get("functionName", "run"))
        except Exception:  # the execution's creation reports what is wrong
            return resource.lower()
        return next((i["name"] for i in function.get("input") or [] if i.get("type") == resource), resource.lower())

    def _triggers_for(self, project_id: str, resource: str, action: str) -> list[tuple[dict, object]]:
        with self._lock:
            if self._index is None:
                index: dict = {}
                for trigger in self.store.all("triggers"):
                    if trigger["type"] != "Event" or not trigger.get("active"):
                        continue
                    spec = trigger["spec"]
                    try:  # stored before filters were checked as strictly: skipped, never stopping the rest
                        matcher = dql.compile_filter(spec.get("filter") or {})
                    except Exception as exc:
                        log.warning("trigger %s (%s) is skipped: its filter is invalid: %s", trigger.get("name"),
                                    trigger["id"], exc)
                        continue
                    for act in spec["actions"]:
                        index.setdefault((trigger["projectId"], spec["resource"], act), []).append((trigger, matcher))
                self._index = index
            return self._index.get((project_id, resource, action), [])

    def _system(self, event: Event) -> bool:
        dataset_id = event.document["id"] if event.resource == "Dataset" else event.document.get("datasetId")
        dataset = self.store.find("datasets", dataset_id or "")
        return bool(dataset and dataset["metadata"]["system"].get("systemSpace"))

    def on_event(self, event: Event) -> None:
        """Event bus listener: fire every active trigger the change matches, each in its own error boundary."""
        candidates = self._triggers_for(event.project_id, event.resource, event.action)
        if not candidates or self._system(event):
            return
        for trigger, matcher in candidates:
            try:
                self._on_event_for(trigger, matcher, event)
            except Exception as exc:  # one broken trigger must not keep the others from firing
                log.warning("trigger %s (%s) could not fire on %s %s %s: %s", trigger.get("name"), trigger["id"],
                            event.resource, event.action, event.document.get("id"), exc)

    def _on_event_for(self, trigger: dict, matcher, event: Event) -> None:
        doc = event.document
        if not matcher(doc):
            return
        if trigger["spec"]["executionMode"] == "Once" and event.action in REPEATABLE:
            key = f"{trigger['id']}.{doc['id']}"
            with self.store.transaction():  # two concurrent updates of one resource fire a Once trigger once
                if self.store.find("trigger_once", key) is not None:
                    return
                self.store.put("trigger_once", {"id": key}, parent=trigger["id"])
        inputs = dict(trigger["spec"].get("input") or {})
        inputs[self._input_name(trigger, event.resource)] = resource_value(event.resource, doc)
        context = {"resource": event.resource, "action": event.action, "resourceId": doc["id"],
                   "datasetId": doc["id"] if event.resource == "Dataset" else doc.get("datasetId"),
                   "projectId": event.project_id, "userId": LOCAL_USER, "source": "faas-local", "body": None}
        self.fire(trigger, inputs, context)
