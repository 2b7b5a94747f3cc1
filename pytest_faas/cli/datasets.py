"""`faas datasets create|ls`: the datasets of the current project."""

from __future__ import annotations

import click

from . import _output
from ._common import command_options, options, pass_session


@click.group("datasets")
def datasets():
    """Create and list the project's datasets."""


@datasets.command("create")
@click.argument("name", required=False)
@click.option("--dataset-name", "-d", "name_option", metavar="NAME", help="The dataset's name.")
@command_options
@pass_session
def create(session, name, name_option):
    """Create a dataset in the current project."""
    name = name or name_option
    if not name:
        raise click.UsageError("give the dataset's name: `faas datasets create NAME`")
    project = session.project()
    dataset = project.datasets.create(dataset_name=name)
    if options().as_json:
        _output.emit_json(dataset.to_json())
    else:
        _output.out().print(f"Created dataset [bold]{dataset.name}[/bold] ({dataset.id}) in project {project.name}")


@datasets.command("ls")
@command_options
@pass_session
def ls(session):
    """List the current project's datasets."""
    project = session.project()
    _output.table(
        project.datasets.list(),
        [("name", lambda d: d.name), ("id", lambda d: d.id), ("items", lambda d: d.items_count),
         ("annotated", lambda d: d.annotated), ("created", lambda d: _output.when(d.created_at))],
        as_json=options().as_json, to_json=lambda d: d.to_json(),
        empty=f"project {project.name!r} has no datasets: run `faas datasets create NAME`")
