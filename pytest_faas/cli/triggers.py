"""`faas triggers create|ls|delete`, with the tutorial's flags; and the trigger sync `packages deploy` uses.

A trigger given on the command line is validated by the same model as one in service.json
(`servicefile.Trigger`), so both refuse an unknown resource or action with the same words.
"""

from __future__ import annotations

import click

from ..cases.events import create_trigger
from ..manifests.jsondoc import validate_document
from ..manifests.service import ALL_TRIGGER_ACTIONS, TRIGGER_ACTIONS, Trigger
from .common import output as _output
from .common.command import command_options, options, pass_session, project_name_option
from .common.dlp import NounGroup, dlp_spelled_option
from .common.files import EXECUTION_MODES, normalise, parse_json_option
from .common.session import is_id

TRIGGER_COLUMNS = [
    ("name", lambda t: t.name), ("id", lambda t: t.id), ("type", lambda t: t.type),
    ("resource", lambda t: getattr(t, "resource", None)),
    ("actions", lambda t: ",".join(getattr(t, "actions", None) or [])),
    ("mode / cron", lambda t: getattr(t, "execution_mode", None) or getattr(t, "cron", None)),
    ("function", lambda t: t.function_name), ("active", lambda t: t.active),
]


def _differs(existing, trigger: Trigger) -> bool:
    wanted = {"active": trigger.active, "function_name": trigger.function, "input": trigger.input or {}}
    if trigger.type == "Cron":
        wanted.update(cron=trigger.cron, start_at=trigger.start_at, end_at=trigger.end_at)
    else:
        wanted.update(filters=trigger.filter, resource=trigger.resource, actions=list(trigger.actions),
                      execution_mode=trigger.execution_mode)
    have = {key: getattr(existing, key, None) for key in wanted}
    have["input"] = have["input"] or {}
    return str(existing.type).lower() != trigger.type.lower() or have != wanted


def sync_triggers(dl, service, triggers: list[Trigger]) -> list[tuple[object, str]]:
    """Make the service's triggers named in ``triggers`` match them: create, replace or keep, by name.

    Triggers the file does not name are left alone (they may come from `faas triggers create`). A changed
    trigger is replaced rather than patched, so that what runs is exactly what the file says.
    """
    existing = {t.name: t for t in service.triggers.list().all()}
    result = []
    for trigger in triggers:
        old = existing.get(trigger.name)
        if old is not None and not _differs(old, trigger):
            result.append((old, "unchanged"))
            continue
        if old is not None:
            old.delete()
        result.append((create_trigger(dl, service, trigger), "replaced" if old is not None else "created"))
    return result


@click.group("triggers", cls=NounGroup)
def triggers():
    """Create, list and delete a service's triggers."""


@triggers.command("create")
@dlp_spelled_option("--service-name", "-s", dlp_only=("-f",), metavar="NAME", help="Service (default: the last deployed one).")
@click.option("--package-name", "-pkg", metavar="NAME", help="Check that the service runs this package.")
@click.option("--name", "-n", metavar="NAME", help="Trigger name (default: the service's name).")
@click.option("--resource", "-r", default="Item", show_default=True, metavar="RESOURCE",
              help="One of " + ", ".join(TRIGGER_ACTIONS) + ".")
@click.option("--actions", "-a", default="Created", show_default=True, metavar="A[,B]",
              help="Comma-separated: " + ", ".join(ALL_TRIGGER_ACTIONS) + ".")
@click.option("--filters", "-fl", metavar="JSON", help="DQL filter, e.g. '{\"dir\": \"/train\"}'.")
@click.option("--function-name", "-fn", default="run", show_default=True, help="Function to run.")
@click.option("--execution-mode", "-em", type=click.Choice(EXECUTION_MODES, case_sensitive=False),
              default="Once", show_default=True, help="Fire once per resource, or on every event.")
@click.option("--cron", metavar="EXPR", help="Make a cron trigger instead, e.g. '*/5 * * * *'.")
@click.option("--input", "--inputs", "-in", "inputs", metavar="JSON", help="Extra function inputs (JSON object).")
@click.option("--start-at", metavar="ISO", help="Cron: first tick not before this date-time.")
@click.option("--end-at", metavar="ISO", help="Cron: no tick after this date-time.")
@click.option("--inactive", is_flag=True, help="Create it switched off.")
@project_name_option("-p")
@command_options
@pass_session
def create(session, service_name, package_name, name, resource, actions, filters, function_name,
           execution_mode, cron, inputs, start_at, end_at, inactive):
    """Attach a trigger to a service (an event trigger, or with --cron a cron trigger)."""
    document = {"name": name, "active": not inactive, "function": function_name,
                "input": parse_json_option(inputs, "--input") if inputs else {}}
    if cron:
        document.update(type="Cron", cron=cron, startAt=start_at, endAt=end_at)
    else:
        document.update(
            type="Event", filter=parse_json_option(filters, "--filters") if filters else {},
            resource=normalise(resource, tuple(TRIGGER_ACTIONS), "--resource", ""),
            actions=[normalise(a.strip(), ALL_TRIGGER_ACTIONS, "--actions", "") for a in actions.split(",")
                     if a.strip()],
            executionMode=normalise(execution_mode, EXECUTION_MODES, "--execution-mode", ""))
    trigger = validate_document(Trigger, document, "faas triggers create")  # before anything is sent
    project = session.project()
    service = session.service(project, service_name)
    if package_name and service.package.name != package_name:
        raise click.ClickException(f"service {service.name!r} runs package {service.package.name!r}, "
                                   f"not {package_name!r}")
    trigger.name = trigger.name or service.name
    created = create_trigger(session.dl, service, trigger)
    if options().as_json:
        _output.emit_json(created.to_json())
        return
    _output.out().print(f"Created trigger [bold]{_output.escape(created.name)}[/bold] ({created.id}) on service "
                        f"{_output.escape(service.name)}")


def _package_option(func):
    return click.option("--package-name", "-pkg", metavar="NAME",
                        help="Only the triggers of services that run this package.")(func)


def _of_package(session, project, triggers: list, package_name: str | None) -> list:
    if not package_name:
        return triggers
    package_id = session.package(project, package_name).id
    services = {s.id for s in project.services.list().all() if s.package_id == package_id}
    return [t for t in triggers if t.service_id in services]


@triggers.command("ls")
@click.option("--service-name", "-s", metavar="NAME", help="Only this service's triggers.")
@_package_option
@project_name_option("-pr")
@command_options
@pass_session
def ls(session, service_name, package_name):
    """List the project's triggers (or one service's)."""
    project = session.project()
    owner = session.service(project, service_name) if service_name else project
    found = _of_package(session, project, owner.triggers.list().all(), package_name)
    _output.table(found, TRIGGER_COLUMNS, as_json=options().as_json,
                  to_json=lambda t: t.to_json(), empty="no triggers: add them to service.json and "
                  "`faas packages deploy`, or `faas triggers create`")


@triggers.command("delete")
@click.argument("trigger", required=False, metavar="NAME|ID")
@click.option("--trigger-name", "-t", metavar="NAME", help="The trigger to delete, as dlp spells it.")
@dlp_spelled_option("--service-name", "-s", dlp_only=("-f",), metavar="NAME", help="The service the trigger belongs to.")
@_package_option
@project_name_option("-p")
@command_options
@pass_session
def delete(session, trigger, trigger_name, service_name, package_name):
    """Delete a trigger by name (unique within its service) or id."""
    wanted = trigger or trigger_name
    if not wanted:
        raise click.UsageError("give the trigger: `faas triggers delete NAME` or --trigger-name NAME")
    project = session.project()
    found = None
    if is_id(wanted):
        try:
            found = project.triggers.get(trigger_id=wanted)
        except session.dl.exceptions.NotFound:
            found = None
    if found is None:
        owner = session.service(project, service_name) if service_name else project
        matches = _of_package(session, project, [t for t in owner.triggers.list().all() if t.name == wanted],
                              package_name)
        if not matches:
            raise click.ClickException(f"no trigger named {wanted!r} on {getattr(owner, 'name', owner)}; "
                                       "see `faas triggers ls`")
        if len(matches) > 1:
            raise click.ClickException(f"{len(matches)} services have a trigger named {wanted!r}: pass "
                                       "--service-name, or the trigger's id (see `faas triggers ls`)")
        found = matches[0]
    found.delete()
    _output.out().print(f"Deleted trigger [bold]{_output.escape(found.name)}[/bold] ({found.id})")
