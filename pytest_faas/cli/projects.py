"""`faas projects create|checkout|ls`: as `dlp projects`, with the checkout kept in the data dir."""

from __future__ import annotations

import click

from .common import output as _output
from .common.command import check_out, command_options, options, pass_session
from .common.dlp import NounGroup, refused


def _name_argument(func):
    func = click.option("--project-name", "-p", "name_option", metavar="NAME",
                        help="The project's name (or id), as dlp spells it.")(func)
    return click.argument("name", required=False)(func)


def _pick(name: str | None, name_option: str | None) -> str:
    chosen = name or name_option
    if not chosen:
        raise click.UsageError("give the project's name: `faas projects ... NAME` or --project-name NAME")
    return chosen


@click.group("projects", cls=NounGroup)
def projects():
    """Create, list and check out projects."""


@projects.command("create")
@_name_argument
@command_options
@pass_session
def create(session, name, name_option):
    """Create a project and check it out (as `dlp projects create`)."""
    project = session.dl.projects.create(project_name=_pick(name, name_option))
    session.data_dir.remember("project", project)
    if options().as_json:
        _output.emit_json(project.to_json())
    else:
        _output.out().print(f"Created project [bold]{_output.escape(project.name)}[/bold] ({project.id}) and checked it out")


@projects.command("checkout")
@_name_argument
@command_options
@pass_session
def checkout(session, name, name_option):
    """Make NAME (or id) the project later commands use."""
    project = session.find_project(_pick(name, name_option))
    check_out(session, "project", project)


@projects.command("ls")
@command_options
@pass_session
def ls(session):
    """List projects; * marks the checked-out one."""
    current = (session.data_dir.current("project") or {}).get("id")
    _output.table(
        session.dl.projects.list(),
        [("", lambda p: "*" if p.id == current else ""), ("name", lambda p: p.name), ("id", lambda p: p.id),
         ("created", lambda p: _output.when(p.created_at))],
        as_json=options().as_json, to_json=lambda p: p.to_json(),
        empty="no projects yet: run `faas projects create NAME`")


refused(projects, "web", "the local platform has no web pages; `faas projects ls` lists the projects")
