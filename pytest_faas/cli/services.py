"""`faas services invoke|execute|logs|ls|pause|resume|delete|tear-down`.

`invoke` is the tutorial's word; dtlpy has no ``Service.invoke`` (docs/platform.md#executing-a-service), so it
does what ``dlp services execute`` does, ``service.execute(...)``, without dlp's bugs (``-s`` works, ``--async``
is not inverted), then waits and shows the execution's status and output. Exit status 1 when it failed.
dlp's spellings are accepted (``-pr``, ``-as``, ``-pkg``, ``services log -f NAME``).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..manifests.service import load_service
from ..protocol import TIMEOUT_HINT, TIMEOUT_MESSAGE
from .common import output as _output
from .common.command import (command_options, env_file_option, options, pass_session, project_name_option, read_env_file,
                      readable, set_service_env, wait_options)
from .common.dlp import NounGroup, dlp_spelled_option
from .common.files import parse_input_option
from .common.session import TERMINAL, status_of

SERVICE_COLUMNS = [
    ("name", lambda s: s.name), ("id", lambda s: s.id), ("revision", lambda s: s.package_revision),
    ("module", lambda s: s.module_name), ("active", lambda s: s.active),
]


@click.group("services", cls=NounGroup, aliases={"log": "logs"})
def services():
    """Invoke, watch, list, pause, resume and delete services."""


def _service_option(*dlp_only: str):
    """``-s/--service-name``, and ``dlp_only``, the other short forms dlp gives it in this command."""
    def decorate(func):
        return dlp_spelled_option("--service-name", "-s", dlp_only=dlp_only, metavar="NAME",
                                  help="Service (default: the last deployed one).")(func)
    return decorate


def _invoke(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs, wait, timeout,
            logs, env_file=None):
    env = read_env_file(env_file)
    project = session.project()
    service = session.service(project, service_name)
    execution_input = parse_input_option(inputs, "--input") if inputs else None
    if env:
        set_service_env(session, service.id, env, merge=True)
        _output.note(f"service {_output.escape(service.name)} runs with {', '.join(sorted(env))} from {env_file}")
    ids = {"item_id": item_id, "dataset_id": dataset_id, "annotation_id": annotation_id}
    if execution_input is not None and any(ids.values()):
        # dtlpy ignores the id flags when an input is given; merge them as the function's entity input.
        resource = "annotation" if annotation_id else "item" if item_id else "dataset"
        execution_input.setdefault(resource, {k: v for k, v in ids.items() if v})
    execution = service.execute(execution_input=execution_input or None, function_name=function_name,
                                project_id=project.id, sync=False, stream_logs=False, return_output=False, **ids)
    _output.note(f"execution {execution.id} created on service {_output.escape(service.name)}, function "
                 f"{_output.escape(execution.function_name)}")
    if wait:
        execution = _output.follow_one(session.poll([execution.id], timeout), options().as_json)
    _output.show_execution(execution, options().as_json, readable, brief=True)
    if logs:
        _print_logs(service, execution.id)
    status = status_of(execution)
    if status in TERMINAL and status != "success":
        # The traceback once: here, or in the logs just printed.
        message = readable((execution.latest_status or {}).get("message") or "")
        if logs and message:
            message = message.splitlines()[0] + " (the traceback is in the logs above)"
        if message.startswith(TIMEOUT_MESSAGE):
            message += f" ({TIMEOUT_HINT})"
        raise click.ClickException(f"execution {execution.id} ended {status}" + (f": {message}" if message else ""))
    if not wait:
        if session.embedded:
            _output.note("it runs only while a faas command or `faas serve` runs on this data dir; see "
                         f"`faas executions get {execution.id}`")
    elif status not in TERMINAL:
        raise click.ClickException(f"execution {execution.id} is still {status} after {timeout:g} s; see "
                                   f"`faas executions get {execution.id}`")


def _print_logs(service, execution_id: str | None = None, follow: bool = False, start: str | None = None) -> None:
    for line in service.log(view=False, execution_id=execution_id, follow=follow, start=start) or []:
        for one in line if isinstance(line, list) else [line]:
            click.echo(readable(one))
            if "[Done] Executing function." in one and execution_id is not None:
                return


def _invoke_command(name: str, help_text: str):
    @services.command(name, help=help_text)
    @_service_option()
    @click.option("--function-name", "-f", "-fn", default="run", show_default=True, help="Function to run.")
    @click.option("--item-id", "-i", help="Item input (the function's Item parameter).")
    @click.option("--dataset-id", "-d", help="Dataset input, or the item's dataset.")
    @click.option("--annotation-id", "-a", help="Annotation input.")
    @click.option("--input", "--inputs", "-in", "inputs", metavar="JSON|@FILE",
                  help="Function inputs as a JSON object, e.g. '{\"threshold\": 0.5}', or @event.json to read "
                       "them from a file.")
    @click.option("--logs", is_flag=True, help="Print the execution's logs after it ends.")
    @env_file_option("Give the service these environment variables (NAME=value lines) before running; it keeps "
                     "them (its replicas restart with them).")
    @click.option("--async", "-as", "asynchronous", is_flag=True,
                  help="Do not wait for the execution (dlp's spelling of --no-wait).")
    @wait_options(default=True)
    @project_name_option("-pr")
    @command_options
    @pass_session
    def command(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs, logs, env_file,
                asynchronous, wait, timeout):
        _invoke(session, service_name, function_name, item_id, dataset_id, annotation_id, inputs,
                wait and not asynchronous, timeout, logs, env_file)
    return command


invoke = _invoke_command("invoke", "Run a function of a service, wait, and show its status and output.")
execute = _invoke_command("execute", "Same as `invoke` (dlp's name for it).")


@services.command("logs")
@_service_option("-f")
@click.option("--execution-id", "-e", help="Only this execution's lines.")
@click.option("--start", "-t", metavar="ISO", help="Only lines from this time on, e.g. 2026-11-25T06:00:00Z.")
@click.option("--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@project_name_option("-pr")
@command_options
@pass_session
def logs(session, service_name, execution_id, start, follow):
    """Print a service's logs (`service.log`); `log` is dlp's name for it."""
    service = session.service(session.project(), service_name)
    try:
        _print_logs(service, execution_id, follow, start)
    except KeyboardInterrupt:
        pass


def _package_option(func):
    return click.option("--package-name", "-pkg", metavar="NAME", help="Only services running this package.")(func)


@services.command("ls")
@_package_option
@project_name_option("-pr")
@command_options
@pass_session
def ls(session, package_name):
    """List the project's services."""
    project = session.project()
    found = [s for s in project.services.list().all()
             if package_name is None or s.package_id == session.package(project, package_name).id]
    _output.table(found, SERVICE_COLUMNS, as_json=options().as_json,
                  to_json=lambda s: s.to_json(), empty="no services: run `faas packages deploy`")


def _switch(session, service_name, pause: bool) -> None:
    service = session.service(session.project(), service_name)
    service.pause() if pause else service.resume()
    service = session.service(session.project(), service.name)
    _output.out().print(f"Service [bold]{_output.escape(service.name)}[/bold] is "
                        f"{'paused' if not service.active else 'active'}")


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


def _delete(session, project, service) -> None:
    service.delete()
    if (session.data_dir.current("service") or {}).get("id") == service.id:
        session.data_dir.forget("service")
    _output.out().print(f"Deleted service [bold]{_output.escape(service.name)}[/bold] ({service.id}) and its "
                        "triggers")


@services.command("delete")
@click.argument("name", required=False)
@_service_option("-f")
@_package_option
@project_name_option("-p")
@command_options
@pass_session
def delete(session, name, service_name, package_name):
    """Delete a service (default: the last deployed one) and its triggers."""
    project = session.project()
    service = session.service(project, name or service_name)
    if package_name and service.package_id != session.package(project, package_name).id:
        raise click.ClickException(f"service {service.name!r} does not run package {package_name!r}")
    _delete(session, project, service)


@services.command("tear-down")
@click.option("--local-path", "-l", type=click.Path(dir_okay=False, path_type=Path), default=Path("service.json"),
              show_default=True, help="The service.json that names the service.")
@project_name_option("-pr")
@command_options
@pass_session
def tear_down(session, local_path):
    """Delete the service that service.json describes, and its triggers."""
    spec = load_service(local_path)
    if not spec.name:
        raise click.ClickException(f"{local_path} names no service (its \"name\" is empty)")
    project = session.project()
    _delete(session, project, session.service(project, spec.name))
