"""`faas executions ls|get|rerun|terminate`."""

from __future__ import annotations

import click

from .common import output as _output
from .common.command import command_options, options, pass_session, readable, wait_options
from .common.dlp import NounGroup
from .common.session import TERMINAL, status_of


@click.group("executions", cls=NounGroup)
def executions():
    """List, inspect, rerun and terminate executions."""


@executions.command("ls")
@click.option("--service-name", "-s", metavar="NAME", help="Only this service's executions.")
@click.option("--status", metavar="STATUS", help="Only executions whose latest status is this, e.g. failed.")
@click.option("--function-name", "-f", metavar="NAME", help="Only executions of this function.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Newest N.")
@command_options
@pass_session
def ls(session, service_name, status, function_name, limit):
    """List the project's executions, newest first."""
    dl = session.dl
    project = session.project()
    owner = session.service(project, service_name) if service_name else project
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, page_size=min(limit, 100))
    if status:
        filters.add(field="latestStatus.status", values=status)
    if function_name:
        filters.add(field="functionName", values=function_name)
    filters.sort_by(field="createdAt", value=dl.FiltersOrderByDirection.DESCENDING)
    rows = []
    for execution in owner.executions.list(filters=filters).all():
        rows.append(execution)
        if len(rows) >= limit:
            break
    _output.table(rows, _output.EXECUTION_COLUMNS, as_json=options().as_json, to_json=lambda e: e.to_json(),
                  empty="no executions: `faas services invoke`, or fire a trigger")


@executions.command("get")
@click.argument("execution_id")
@command_options
@pass_session
def get(session, execution_id):
    """Show one execution: status, message, output."""
    _output.show_execution(session.dl.executions.get(execution_id=execution_id), options().as_json, readable)


@executions.command("rerun")
@click.argument("execution_id")
@wait_options(default=True)
@command_options
@pass_session
def rerun(session, execution_id, wait, timeout):
    """Run an execution again (same id, same inputs, the service's current code)."""
    execution = session.dl.executions.get(execution_id=execution_id)
    execution.rerun(sync=False)
    if wait:
        execution = _output.follow_one(session.poll([execution_id], timeout), options().as_json)
    else:
        execution = session.dl.executions.get(execution_id=execution_id)
    _output.show_execution(execution, options().as_json, readable)
    status = status_of(execution)
    if status in TERMINAL and status != "success":
        raise click.ClickException(f"execution {execution_id} ended {status}")


@executions.command("terminate")
@click.argument("execution_id")
@command_options
@pass_session
def terminate(session, execution_id):
    """Ask a running execution to stop (its code sees it at its next `self.kill_event()`)."""
    execution = session.dl.executions.get(execution_id=execution_id)
    if status_of(execution) in TERMINAL:
        raise click.ClickException(f"execution {execution_id} has already ended ({status_of(execution)})")
    execution.terminate()
    _output.out().print(f"Asked execution {execution_id} to terminate")
