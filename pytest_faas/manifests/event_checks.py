"""A mock file's event cases against service.json's triggers and the package's functions, before anything runs.

An event case runs only what service.json's Event triggers fire (an app's: dataloop.json's
``components.triggers`` on the service that runs the module) (see `mock_events`), so an event no trigger
listens to, an expected function the module lacks, or a trigger name service.json does not declare could
only ever fail: each is a located finding of the ``::manifest`` item instead.
"""

from __future__ import annotations

from typing import Iterator

from .checks import Finding
from .jsondoc import did_you_mean, format_path
from .mock import Expectation, MockFile
from .mock_events import EventSpec
from .package import PackageManifest
from .service import ServiceManifest, Trigger


def _events(mock: MockFile) -> Iterator[tuple[tuple, EventSpec]]:
    if mock.event is not None:
        yield ("event",), mock.event
    for n, spec in enumerate(mock.case_specs):
        if spec.event is not None:
            yield ("cases", n, "event"), spec.event


def _expectations(mock: MockFile) -> Iterator[tuple[tuple, Expectation]]:
    if mock.expect is not None:
        yield ("expect",), mock.expect
    for n, spec in enumerate(mock.case_specs):
        if spec.expect is not None:
            yield ("cases", n, "expect"), spec.expect


def _hint(value: str, choices: list[str]) -> str:
    hint = did_you_mean(value, choices)
    return f" ({hint})" if hint else (f"; it has: {', '.join(choices)}" if choices else "")


def app_event_triggers(app, module_name: str) -> list[Trigger]:
    """The Event triggers of an app's ``components.triggers`` that call a service running ``module_name``,
    each with the function its namespace (or ``spec.operation.functionName``) names."""
    runs = {p["name"]: p["moduleName"] for p in app.services()}
    found = []
    for trigger in app.components.triggers:
        service, _, function = app.target(trigger.namespace) if trigger.namespace else (None, None, None)
        if trigger.type == "Event" and runs.get(service) == module_name:
            found.append(trigger.model_copy(update={"function": function or trigger.function}))
    return found


def check_events(manifest: PackageManifest, service: ServiceManifest | None, mock: MockFile,
                 is_app: bool = False) -> list[Finding]:
    """Every event of ``mock`` must have an Event trigger listening (service.json's, or for an app, those
    of dataloop.json's ``components.triggers`` on the module's service), and every expected execution must
    name a function of the module and one of those triggers."""
    file = str(mock.source or "mock.json")
    events = list(_events(mock))
    if not events:
        return []
    if is_app:
        triggers, source, applies = app_event_triggers(manifest, mock.module_name), "dataloop.json", True
    else:
        applies = service is not None and service.module_name in (None, mock.module_name)
        triggers = [t for t in (service.triggers if applies else []) if t.type == "Event"]
        source = "service.json"
    findings = []
    for at, event in events:
        listening = [t for t in triggers if t.resource == event.resource and event.action in (t.actions or [])]
        if not listening:
            declared = ", ".join(f"{t.name} ({t.resource} {'/'.join(t.actions or [])})" for t in triggers)
            where = f"{source} declares no Event trigger" if not triggers else f"{source}'s triggers: {declared}"
            if is_app and not triggers:
                where = f"dataloop.json's components.triggers call no service of module {mock.module_name!r}"
            if service is not None and not applies:
                where = f"service.json deploys module {service.module_name!r}, not {mock.module_name!r}"
            findings.append(Finding(file, None, f"no Event trigger listens to {event.resource} {event.action}, so "
                                    f"this event can fire nothing; {where}", json_path=format_path(at)))
    module = manifest.module(mock.module_name)
    functions = [f.name for f in module.functions] if module else []
    names = [t.name for t in triggers if t.name]
    for at, expect in _expectations(mock):
        for j, entry in enumerate(expect.executions):
            place = at + ("executions", j)
            if entry.function is not None and module is not None and entry.function not in functions:
                findings.append(Finding(file, None, f"module {mock.module_name!r} has no function {entry.function!r}"
                                        + _hint(entry.function, functions), json_path=format_path(place + ("function",))))
            if entry.trigger is not None and entry.trigger not in names:
                findings.append(Finding(file, None, f"{source} has no Event trigger named {entry.trigger!r}"
                                        + _hint(entry.trigger, names), json_path=format_path(place + ("trigger",))))
    return findings
