"""Run a mock case that starts with an event: the service's own triggers decide what runs.

The service is deployed as for any case, with the Event triggers of its service.json (created once per
service, with dtlpy, as `faas packages deploy` creates them); an app's service has the triggers of its
dataloop.json, which its install created. The case then makes its event happen in the
service's project, where those triggers listen (the case's other entities go to a project of their own, so
they fire nothing), and waits for every execution that fired. `check_event` compares them with
``expect.executions``; a trigger that should have fired and did not is named with its filter.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .seed import item_request
from ..errors import ExecutionFailed, TriggersFailed
from ..manifests.event_checks import app_event_triggers
from ..manifests.mock import Expectation
from ..manifests.mock_events import DEFAULT_ANNOTATION, DEFAULT_UPDATE, EventSpec, ExpectedExecution
from ..manifests.service import Trigger

if TYPE_CHECKING:
    from .runner import CaseRunner
    from ..manifests.app import AppManifest
    from ..manifests.loaded import LoadedPackage, PackageCase

EVENTS_DATASET = "faas-events"  # the dataset of the service's project that event items go into


def create_trigger(dl, service, trigger: Trigger):
    """``service.triggers.create`` for a validated service.json trigger, Event or Cron."""
    common = dict(service_id=service.id, name=trigger.name, function_name=trigger.function,
                  active=trigger.active, inputs=trigger.input)
    if trigger.type == "Cron":
        return service.triggers.create(trigger_type=dl.TriggerType.CRON, cron=trigger.cron,
                                       start_at=trigger.start_at, end_at=trigger.end_at, **common)
    return service.triggers.create(filters=trigger.filter, resource=trigger.resource, actions=trigger.actions,
                                   execution_mode=trigger.execution_mode, **common)


@dataclass
class EventOutcome:
    """What an event case produced: every execution its event fired, and the triggers that could fire."""

    executions: list[dict]
    logs: list[str]
    wall_s: float
    triggers: list[Trigger] = field(default_factory=list)
    trigger_names: dict[str, str] = field(default_factory=dict)  # trigger id -> its name
    happened: str = ""  # the event, in words: "Item Created on item /train/cat.png"

    @property
    def execution(self) -> dict:
        return self.executions[0] if self.executions else {}

    @property
    def status(self) -> str:
        statuses = {e.get("latestStatus", {}).get("status") for e in self.executions}
        return statuses.pop() if len(statuses) == 1 else ("no execution" if not statuses else "mixed")

    @property
    def user_s(self) -> float:
        return sum(float(e.get("duration") or 0.0) for e in self.executions)


class EventCases:
    """The event cases of one `CaseRunner`: the triggers it created per service, its events dataset."""

    def __init__(self, runner: CaseRunner):
        self.runner = runner
        self._triggers: dict[str, tuple[list[Trigger], dict[str, str]]] = {}
        self._datasets: dict[str, str] = {}  # project id -> its events dataset
        self._count = 0

    def triggers(self, loaded: LoadedPackage, service: dict, applies: bool) -> tuple[list[Trigger], dict[str, str]]:
        """The service's Event triggers from service.json, created on first use, and their names by id."""
        if service["id"] not in self._triggers:
            wanted = [t for t in (loaded.service.triggers if applies and loaded.service else []) if t.type == "Event"]
            names = {}
            if wanted:
                entity = self.runner.dl.services.get(service_id=service["id"])
                names = {create_trigger(self.runner.dl, entity, t).id: t.name for t in wanted}
            self._triggers[service["id"]] = (wanted, names)
        return self._triggers[service["id"]]

    def app_triggers(self, app: AppManifest, service: dict) -> tuple[list[Trigger], dict[str, str]]:
        """An installed app's Event triggers on ``service`` (its install made them), and their names by id."""
        if service["id"] not in self._triggers:
            wanted = [t for t in app_event_triggers(app, service["moduleName"])
                      if app.target(t.namespace or "")[0] == service["name"]]
            made = self.runner.client.post("/query/faas", {
                "resource": "triggers", "filter": {"spec.operation.serviceId": service["id"]}, "pageSize": 1000})
            self._triggers[service["id"]] = (wanted, {t["id"]: t["name"] for t in made.get("items", [])})
        return self._triggers[service["id"]]

    def run(self, case: PackageCase, service: dict, found: tuple[list[Trigger], dict[str, str]],
            all_logs: bool) -> EventOutcome:
        """Make the case's event happen and wait for what ``found`` (the triggers that may fire, their names
        by id: `triggers` or `app_triggers`) fired on ``service``."""
        start = time.perf_counter()
        runner, event = self.runner, case.case.event
        triggers, names = found
        before = {e["id"] for e in self._executions(service["id"])}
        resource_id, happened = self._happen(event, service["projectId"], case)
        # What the event fired: not what making it took (an Updated item is Created first; a replaced one Deleted).
        fired = [e for e in self._executions(service["id"]) if e["id"] not in before
                 and (e.get("eventContext") or {}).get("action") == event.action
                 and (e.get("eventContext") or {}).get("resourceId") == resource_id]
        limit = float(service.get("executionTimeout") or 3600) + 30
        done = [runner.wait(e["id"], limit_s=limit) for e in fired]
        logs: list[str] = []
        for execution in done:
            if all_logs or execution.get("latestStatus", {}).get("status") != "success":
                logs += runner.logs(service["id"], execution["id"])
        return EventOutcome(done, logs, time.perf_counter() - start, triggers, names, happened)

    def _executions(self, service_id: str) -> list[dict]:
        body = self.runner.client.post("/query/faas", {"resource": "executions", "filter": {"serviceId": service_id},
                                                       "pageSize": 1000, "sort": {"createdAt": "ascending"}})
        return body.get("items", [])

    def _dataset(self, project_id: str) -> str:
        if project_id not in self._datasets:
            created = self.runner.client.post("/_faas/seed/datasets", {"projectId": project_id, "name": EVENTS_DATASET})
            self._datasets[project_id] = created["id"]
        return self._datasets[project_id]

    def _happen(self, event: EventSpec, project_id: str, case: PackageCase) -> tuple[str, str]:
        """Make the event happen in the service's project; returns the resource's id and the event in words."""
        client = self.runner.client
        self._count += 1
        if event.resource == "Dataset":
            name = event.dataset.name if event.dataset and event.dataset.name else f"event-{self._count}"
            dataset = client.post("/_faas/seed/datasets", {"projectId": project_id, "name": name,
                                                           "id": event.dataset.id if event.dataset else None})
            return dataset["id"], f"Dataset Created {name!r}"
        request = item_request(event.item_or_default, case.case.base_dir or case.mock_file.parent, case.mock_file)
        request.pop("dataset")
        if event.resource == "Annotation":
            request["annotations"] = None
        item = client.post("/_faas/seed/items", {**request, "datasetId": self._dataset(project_id)})
        happened = f"{event.resource} {event.action} on item {item['filename']}"
        if event.resource == "Annotation":
            annotation = client.post(f"/items/{item['id']}/annotations", [event.annotation or DEFAULT_ANNOTATION])[0]
            return annotation["id"], happened
        if event.action == "Updated":
            client.call("PATCH", f"/items/{item['id']}", event.update or DEFAULT_UPDATE)
        elif event.action == "Deleted":
            client.delete(f"/items/{item['id']}")
        return item["id"], happened


def _trigger_words(trigger: Trigger) -> str:
    inactive = ", inactive" if not trigger.active else ""
    return (f"trigger {trigger.name!r} ({trigger.resource} {'/'.join(trigger.actions or [])} -> "
            f"{trigger.function}(){inactive}, filter {json.dumps(trigger.filter or {})})")


def _matches(entry: ExpectedExecution, execution: dict, names: dict[str, str]) -> bool:
    return ((entry.function is None or execution.get("functionName") == entry.function)
            and (entry.trigger is None or names.get(execution.get("triggerId") or "") == entry.trigger))


def check_event(outcome: EventOutcome, expect: Expectation, placement: str, label: str) -> None:
    """Raise when the executions the event fired are not the ones ``expect.executions`` lists."""
    trigger_ids = outcome.trigger_names
    at_least_one = "executions" not in expect.model_fields_set  # [] given: nothing may fire
    entries = [ExpectedExecution(status=expect.status)] if at_least_one else expect.executions
    reasons, wrong = [], None
    claimed: set[str] = set()
    for entry in entries:
        mine = [e for e in outcome.executions if _matches(entry, e, trigger_ids)]
        claimed.update(e["id"] for e in mine)
        count_ok = bool(mine) if at_least_one else len(mine) == entry.times
        if not count_ok:
            wanted = "at least 1 execution" if at_least_one else entry.describe()
            reason = f"expected {wanted} after {outcome.happened}, got {len(mine)}"
            if not mine:
                could = [t for t in outcome.triggers if entry.function in (None, t.function)
                         and entry.trigger in (None, t.name)]
                reason += ("; " + "; ".join(f"{_trigger_words(t)} did not fire" for t in could) if could
                           else "; service.json has no Event trigger for it")
            reasons.append(reason)
        for execution in mine:
            latest = execution.get("latestStatus", {})
            if latest.get("status") != entry.status:
                reasons.append(f"expected {execution.get('functionName')}() (execution {execution['id']}) to end "
                               f"{entry.status}, got {latest.get('status')}: {latest.get('message') or ''}".rstrip(": "))
                wrong = wrong or execution
            elif entry.checks_output and execution.get("output") != entry.output:
                reasons.append(f"expected output {json.dumps(entry.output)} of execution {execution['id']}, got "
                               f"{json.dumps(execution.get('output'))}")
            if entry.message is not None and entry.message not in (latest.get("message") or ""):
                reasons.append(f"expected the message of execution {execution['id']} to contain {entry.message!r}")
    if not at_least_one:
        reasons += [f"unexpected execution of {e.get('functionName')}() by trigger "
                    f"{trigger_ids.get(e.get('triggerId') or '', '?')!r}" for e in outcome.executions
                    if e["id"] not in claimed]
    if reasons:
        if wrong is not None:  # shown with its traceback and log
            raise ExecutionFailed(wrong, outcome.logs, placement, f"{label}: " + "; ".join(reasons))
        raise TriggersFailed(f"{label}: " + "; ".join(reasons), outcome.executions, outcome.logs, placement)

