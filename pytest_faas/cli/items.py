"""`faas items upload|ls`: put files into a dataset (firing item triggers) and see what is there."""

from __future__ import annotations

import os

import click

from . import _output
from ._common import await_caused, command_options, options, pass_session, wait_options


@click.group("items")
def items():
    """Upload and list a dataset's items (uploading fires item triggers)."""


def _dataset_option(func):
    return click.option("--dataset", "-d", "dataset_name", metavar="NAME|ID",
                        help="Dataset (default: the project's only dataset).")(func)


ITEM_COLUMNS = [("id", lambda i: i.id), ("filename", lambda i: i.filename),
                ("size", lambda i: (i.metadata.get("system") or {}).get("size")),
                ("annotated", lambda i: i.annotated), ("created", lambda i: _output.when(i.created_at))]


@items.command("upload")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
@_dataset_option
@click.option("--remote-path", "-r", default="/", show_default=True, metavar="DIR",
              help="Folder in the dataset, e.g. /train (a folder argument keeps its own name under it).")
@click.option("--overwrite", is_flag=True, help="Replace items that already exist at the same path.")
@wait_options(default=None)
@command_options
@pass_session
def upload(session, paths, dataset_name, remote_path, overwrite, wait, timeout):
    """Upload files or folders; show the executions their triggers started."""
    if not remote_path.startswith("/"):
        raise click.BadParameter(f"expected a folder starting with '/', e.g. /train; found {remote_path!r}",
                                 param_hint="--remote-path")
    project = session.project()
    dataset = session.dataset(project, dataset_name)
    files = [p for p in paths if not os.path.isdir(p)]
    batches = ([files] if files else []) + [p for p in paths if os.path.isdir(p)]
    uploaded = []
    with _output.err().status(f"Uploading to {dataset.name}:{remote_path} ..."):
        for batch in batches:
            result = dataset.items.upload(local_path=batch, remote_path=remote_path,
                                          overwrite=overwrite)
            uploaded += [] if result is None else [result] if hasattr(result, "id") else list(result)
    uploaded = [i for i in uploaded if i is not None]
    _output.table(uploaded, ITEM_COLUMNS, title=f"uploaded to {dataset.name}", as_json=options().as_json,
                  to_json=lambda i: i.to_json())
    expected = sum(1 for b in batches if not isinstance(b, list)) + len(files)
    if not uploaded or len(uploaded) < expected:
        raise click.ClickException(f"{expected - len(uploaded)} of the files were not uploaded "
                                   "(run with --verbose to see dtlpy's reasons)")
    await_caused(session, project, wait, timeout)


@items.command("ls")
@_dataset_option
@click.option("--remote-path", "-r", "folder", metavar="DIR", help="Only items directly in this folder.")
@command_options
@pass_session
def ls(session, dataset_name, folder):
    """List a dataset's items."""
    dl = session.dl
    project = session.project()
    dataset = session.dataset(project, dataset_name)
    filters = dl.Filters()
    if folder:
        filters.add(field="dir", values=folder)
    _output.table(dataset.items.list(filters=filters).all(), ITEM_COLUMNS, as_json=options().as_json,
                  to_json=lambda i: i.to_json(), empty=f"no items in {dataset.name}"
                  + (f":{folder}" if folder else "") + ": upload some with `faas items upload FILE`")
