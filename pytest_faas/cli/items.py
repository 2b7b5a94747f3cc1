"""`faas items upload|download|ls`: put files into a dataset (firing item triggers), get them back, list them.

dlp's options are all accepted with dlp's short forms (``-l``, ``-d``, ``-ow``, ``-f``, ``-lap``, ...);
`upload` takes the files as arguments too (``faas items upload cat.jpg -r /train``).
"""

from __future__ import annotations

import contextlib
import os

import click

from .common import output as _output
from .common.command import (await_caused, checked_out_dataset, command_options, options, pass_session,
                      project_name_option, wait_options)
from .common.dlp import NounGroup, dlp_spelled_option, refused, refused_option
from .common.progress import progress


@click.group("items", cls=NounGroup)
def items():
    """Upload, download and list a dataset's items (uploading fires item triggers)."""


def _dataset_option(func):
    return click.option("--dataset-name", "--dataset", "-d", "dataset_name", metavar="NAME|ID",
                        help="Dataset (default: the checked-out one, else the project's only dataset).")(func)


ITEM_COLUMNS = [("id", lambda i: i.id), ("filename", lambda i: i.filename),
                ("size", lambda i: (i.metadata.get("system") or {}).get("size")),
                ("annotated", lambda i: i.annotated), ("created", lambda i: _output.when(i.created_at))]


def _file_types(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _annotation_files(batch, folder: str):
    """dtlpy's form of the annotations: the folder for a folder, one JSON path per file for a list of files."""
    if not isinstance(batch, list):
        return folder
    return [os.path.join(folder, os.path.splitext(os.path.basename(path))[0] + ".json") for path in batch]


def _count_files(batches: list, file_types: str | None) -> int:
    """How many files an upload sends: the listed files, and those under each folder (of the given types)."""
    wanted = _file_types(file_types) if file_types else None
    count = 0
    for batch in batches:
        names = batch if isinstance(batch, list) else [name for _, _, files in os.walk(batch) for name in files]
        count += sum(1 for name in names if wanted is None or os.path.splitext(name)[1] in wanted)
    return count


@contextlib.contextmanager
def _each_upload(dl, advance):
    """``advance()`` once per item dtlpy uploads, through its upload callback, while the block runs."""
    callbacks = dl.client_api.callbacks
    event = callbacks.CallbackEvent.ITEMS_UPLOAD
    previous = callbacks.get(event)
    active = [advance]
    callbacks.add(event, lambda progress, context: active[0]())
    try:
        yield
    finally:
        active[0] = lambda: None  # dtlpy's Callbacks has no remove(): ours stays, doing nothing
        if previous is not None:
            callbacks.add(event, previous)


@items.command("upload")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@click.option("--local-path", "-l", "local_paths", multiple=True, type=click.Path(exists=True, dir_okay=True),
              help="A file or folder to upload, as dlp spells it (the same as giving it as an argument).")
@_dataset_option
@click.option("--remote-path", "-r", default="/", show_default=True, metavar="DIR",
              help="Folder in the dataset, e.g. /train (a folder argument keeps its own name under it).")
@dlp_spelled_option("--file-types", dlp_only=("-f",), metavar=".EXT[,.EXT]", help="Only files of these types, e.g. \".jpg,.png\".")
@click.option("--local-annotations-path", "-lap", type=click.Path(exists=True, file_okay=False),
              help="Folder of annotation JSON files (one per file, same relative path) to upload with the items.")
@click.option("--overwrite", "-ow", is_flag=True, help="Replace items that already exist at the same path.")
@wait_options(default=None)
@project_name_option("-p")
@command_options
@pass_session
def upload(session, paths, local_paths, dataset_name, remote_path, file_types, local_annotations_path, overwrite,
           wait, timeout):
    """Upload files or folders; show the executions their triggers started."""
    paths = tuple(paths) + tuple(local_paths)
    if not paths:
        raise click.UsageError("give the files or folders to upload: `faas items upload FILE...` or --local-path "
                               "PATH")
    if not remote_path.startswith("/"):
        raise click.BadParameter(f"expected a folder starting with '/', e.g. /train; found {remote_path!r}",
                                 param_hint="--remote-path")
    project = session.project()
    dataset = session.dataset(project, checked_out_dataset(session, dataset_name))
    files = [p for p in paths if not os.path.isdir(p)]
    batches = ([files] if files else []) + [p for p in paths if os.path.isdir(p)]
    extra = {"file_types": _file_types(file_types)} if file_types else {}
    uploaded = []
    with progress(f"Uploading to {dataset.name}:{remote_path}", _count_files(batches, file_types)) as steps, \
            _each_upload(session.dl, steps.advance):
        for batch in batches:
            if local_annotations_path:
                extra["local_annotations_path"] = _annotation_files(batch, local_annotations_path)
            result = dataset.items.upload(local_path=batch, remote_path=remote_path, overwrite=overwrite, **extra)
            uploaded += [] if result is None else [result] if hasattr(result, "id") else list(result)
    uploaded = [i for i in uploaded if i is not None]
    _output.table(uploaded, ITEM_COLUMNS, title=f"uploaded to {dataset.name}", as_json=options().as_json,
                  to_json=lambda i: i.to_json())
    expected = sum(1 for b in batches if not isinstance(b, list)) + len(files)
    if not uploaded or (not file_types and len(uploaded) < expected):
        missing = "none of the files were" if not uploaded else f"{expected - len(uploaded)} of the files were not"
        raise click.ClickException(f"{missing} uploaded (run with --verbose to see dtlpy's reasons)")
    await_caused(session, project, wait, timeout)


@items.command("download")
@_dataset_option
@click.option("--local-path", "-l", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to download into.")
@click.option("--remote-path", "-r", metavar="PATH[,PATH]", help="Only these items (paths in the dataset).")
@click.option("--overwrite", "-ow", is_flag=True, help="Replace files that exist locally.")
@click.option("--not-items-folder", "-t", is_flag=True, help="Write into --local-path itself, not into items/.")
@refused_option("--annotation-options", "-ao", refusal="download annotations with dtlpy's "
                "`dataset.download_annotations` against `faas serve`; `faas items download` gets the files")
@refused_option("--annotation-filter-type", "-aft", refusal="annotations are not downloaded here; see "
                "--annotation-options")
@refused_option("--annotation-filter-label", "-afl", refusal="annotations are not downloaded here; see "
                "--annotation-options")
@refused_option("--with-text", "-wt", is_flag=True, refusal="masks are not drawn here; see --annotation-options")
@refused_option("--thickness", "-th", refusal="masks are not drawn here; see --annotation-options")
@refused_option("--without-binaries", "-wb", is_flag=True, refusal="annotations are not downloaded here; "
                "see --annotation-options")
@project_name_option("-p")
@command_options
@pass_session
def download(session, dataset_name, local_path, remote_path, overwrite, not_items_folder):
    """Download a dataset's files (or some of them, by --remote-path) to a local folder."""
    dl = session.dl
    project = session.project()
    dataset = session.dataset(project, checked_out_dataset(session, dataset_name))
    filters = dl.Filters()
    if remote_path:
        paths = [p.strip() for p in remote_path.split(",") if p.strip()]
        filters.add(field="filename", values=paths, operator=dl.FiltersOperations.IN)
    with _output.err().status(f"Downloading from {_output.escape(dataset.name)} ..."):
        result = dataset.items.download(filters=filters, local_path=local_path, overwrite=overwrite,
                                        to_items_folder=not not_items_folder)
    written = [] if result is None else [result] if isinstance(result, str) else list(result)
    if options().as_json:
        _output.emit_json([str(p) for p in written])
        return
    for path in written:
        _output.out().print(_output.plain(str(path)))
    _output.note(f"{len(written)} file(s) downloaded to {_output.escape(os.path.abspath(local_path))}")


@items.command("ls")
@_dataset_option
@click.option("--remote-path", "-r", "folder", metavar="DIR", help="Only items directly in this folder.")
@click.option("--type", "-t", "mimetype", metavar="MIMETYPE", help="Only items of this type, e.g. image/jpeg.")
@click.option("--page", "-o", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only page N (0-based, 1000 items a page) instead of every item.")
@project_name_option("-p")
@command_options
@pass_session
def ls(session, dataset_name, folder, mimetype, page):
    """List a dataset's items."""
    dl = session.dl
    project = session.project()
    dataset = session.dataset(project, checked_out_dataset(session, dataset_name))
    filters = dl.Filters()
    if folder:
        filters.add(field="dir", values=folder)
    if mimetype:
        filters.add(field="metadata.system.mimetype", values=mimetype)
    pages = dataset.items.list(filters=filters, page_offset=page or 0)
    rows = pages.all() if page is None else list(pages.items)
    _output.table(rows, ITEM_COLUMNS, as_json=options().as_json,
                  to_json=lambda i: i.to_json(), empty=f"no items in {dataset.name}"
                  + (f":{folder}" if folder else "") + ": upload some with `faas items upload FILE`")


refused(items, "web", "the local platform has no web pages; `faas items ls` lists the items and `faas items "
                      "download` fetches them")
