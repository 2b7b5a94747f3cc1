"""`faas services invoke|execute|logs|ls|pause|resume`.

`invoke` is the tutorial's word; dtlpy has no ``Service.invoke`` (docs/platform.md#executing-a-service), so it does what
``dlp services execute`` does, ``service.execute(...)``, without dlp's bugs (``-s`` works, ``--async`` is
not inverted), then waits and shows the execution's status and output. Exit status 1 when it failed.
"""

from __future__ import annotations

import click

from . import _output
from ._common import command_options, options, pass_session, wait_options
from ._files import parse_json_option
from ._session import TERMINAL, status_of

SERVICE_COLUMNS = [
    ("name", lambda s: s.name), ("id", lambda s: s.id), ("package revision", lambda s: s.package_revision),
    ("module", lambda s: s.module_name), ("active", lambda s: s.active),
    ("concurrency", lambda s: (s.runtime.to_json() if hasattr(s.runtime, "to_json") else s.runtime or {})
     .get("concurrency")),
]


@click.group("services")
def services():
    """Invoke, watch, list, pause and resume services."""


def _service_option(func):
    return click.option("--service-name", "-s", metavar="NAME",
                        help="Service (default: the last deployed one).")(func)


def _invoke(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs, wait, timeout,
            logs):
    project = session.project()
    service = session.service(project, service_name)
    execution_input = parse_json_option(inputs, "--input") if inputs else None
    ids = {"item_id": item_id, "dataset_id": dataset_id, "annotation_id": annotation_id}
    if execution_input is not None and any(ids.values()):
        # dtlpy ignores the id flags when an input is given; merge them as the function's entity input.
        resource = "annotation" if annotation_id else "item" if item_id else "dataset"
        execution_input.setdefault(resource, {k: v for k, v in ids.items() if v})
    execution = service.execute(execution_input=execution_input, function_name=function_name, project_id=project.id,
                                sync=False, stream_logs=False, return_output=False, **ids)
    _output.note(f"execution {execution.id} created on service {service.name}, function {execution.function_name}")
    if wait:
        execution = _output.follow_one(session.poll([execution.id], timeout), options().as_json)
    _output.show_execution(execution, options().as_json)
    if logs:
        _print_logs(service, execution.id)
    status = status_of(execution)
    if status in TERMINAL and status != "success":
        message = (execution.latest_status or {}).get("message")
        raise click.ClickException(f"execution {execution.id} ended {status}" + (f": {message}" if message else ""))
    if not wait:
        if session.embedded:
            _output.note("it runs only while a faas command or `faas serve` runs on this data dir; see "
                         f"`faas executions get {execution.id}`")
    elif status not in TERMINAL:
        raise click.ClickException(f"execution {execution.id} is still {status} after {timeout:g} s; see "
                                   f"`faas executions get {execution.id}`")


def _print_logs(service, execution_id: str | None = None, follow: bool = False) -> None:
    for line in service.log(view=False, execution_id=execution_id, follow=follow) or []:
        click.echo(line)
        if "[Done] Executing function." in line and execution_id is not None:
            break


def _invoke_command(name: str, help_text: str):
    @services.command(name, help=help_text)
    @_service_option
    @click.option("--function-name", "-f", "-fn", default="run", show_default=True, help="Function to run.")
    @click.option("--item-id", "-i", help="Item input (the function's Item parameter).")
    @click.option("--dataset-id", "-d", help="Dataset input, or the item's dataset.")
    @click.option("--annotation-id", "-a", help="Annotation input.")
    @click.option("--input", "--inputs", "-in", "inputs", metavar="JSON",
                  help="Function inputs as a JSON object, e.g. '{\"threshold\": 0.5}'.")
    @click.option("--logs", is_flag=True, help="Print the execution's logs after it ends.")
    @wait_options(default=True)
    @command_options
    @pass_session
    def command(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs, logs, wait,
                timeout):
        _invoke(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs, wait, timeout,
                logs)
    return command


invoke = _invoke_command("invoke", "Run a function of a service, wait, and show its status and output.")
execute = _invoke_command("execute", "Same as `invoke` (dlp's name for it).")


@services.command("logs")
@_service_option
@click.option("--execution-id", "-e", help="Only this execution's lines.")
@click.option("--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@command_options
@pass_session
def logs(session, service_name, execution_id, follow):
    """Print a service's logs (`service.log`)."""
    service = session.service(session.project(), service_name)
    try:
        _print_logs(service, execution_id, follow)
    except KeyboardInterrupt:
        pass


@services.command("ls")
@command_options
@pass_session
def ls(session):
    """List the project's services."""
    project = session.project()
    _output.table(project.services.list().all(), SERVICE_COLUMNS, as_json=options().as_json,
                  to_json=lambda s: s.to_json(), empty="no services: run `faas packages deploy`")


def _switch(session, service_name, pause: bool) -> None:
    service = session.service(session.project(), service_name)
    service.pause() if pause else service.resume()
    service = session.service(session.project(), service.name)
    _output.out().print(f"Service [bold]{service.name}[/bold] is {'paused' if not service.active else 'active'}")


@services.command("pause")
@click.argument("name", required=False)
@command_options
@pass_session
def pause(session, name):
    """Stop a service from running executions (they queue until `resume`)."""
    _switch(session, name, pause=True)


@services.command("resume")
@click.argument("name", required=False)
@command_options
@pass_session
def resume(session, name):
    """Let a paused service run executions again."""
    _switch(session, name, pause=False)

