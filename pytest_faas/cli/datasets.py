"""`faas datasets create|checkout|ls`: the datasets of the current project."""

from __future__ import annotations

import click

from .common import output as _output
from .common.command import check_out, checked_out_dataset, command_options, options, pass_session, project_name_option
from .common.dlp import NounGroup, refused


@click.group("datasets", cls=NounGroup)
def datasets():
    """Create, check out and list the project's datasets."""


def _name(func):
    func = click.option("--dataset-name", "-d", "name_option", metavar="NAME", help="The dataset's name.")(func)
    return click.argument("name", required=False)(func)


@datasets.command("create")
@_name
@click.option("--checkout", "-c", is_flag=True, help="Make it the dataset later commands use.")
@project_name_option("-p")
@command_options
@pass_session
def create(session, name, name_option, checkout):
    """Create a dataset in the current project."""
    name = name or name_option
    if not name:
        raise click.UsageError("give the dataset's name: `faas datasets create NAME` or --dataset-name NAME")
    project = session.project()
    dataset = project.datasets.create(dataset_name=name)
    if checkout:
        session.data_dir.remember("dataset", dataset)
    if options().as_json:
        _output.emit_json(dataset.to_json())
    else:
        _output.out().print(f"Created dataset [bold]{_output.escape(dataset.name)}[/bold] ({dataset.id}) in project "
                            f"{_output.escape(project.name)}" + (" and checked it out" if checkout else ""))


@datasets.command("checkout")
@_name
@project_name_option("-p")
@command_options
@pass_session
def checkout(session, name, name_option):
    """Make NAME (or id) the dataset later commands use when there are several."""
    name = name or name_option
    if not name:
        raise click.UsageError("give the dataset's name: `faas datasets checkout NAME` or --dataset-name NAME")
    dataset = session.dataset(session.project(), name)
    check_out(session, "dataset", dataset)


@datasets.command("ls")
@project_name_option("-p")
@command_options
@pass_session
def ls(session):
    """List the current project's datasets; * marks the checked-out one."""
    project = session.project()
    current = checked_out_dataset(session, None)
    _output.table(
        project.datasets.list(),
        [("", lambda d: "*" if d.id == current else ""), ("name", lambda d: d.name), ("id", lambda d: d.id),
         ("items", lambda d: d.items_count), ("created", lambda d: _output.when(d.created_at))],
        as_json=options().as_json, to_json=lambda d: d.to_json(),
        empty=f"project {project.name!r} has no datasets: run `faas datasets create NAME`")


refused(datasets, "web", "the local platform has no web pages; `faas datasets ls` lists the datasets and "
                         "`faas items ls --dataset-name NAME` their items")
