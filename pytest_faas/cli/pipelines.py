"""`faas pipelines create|ls|install|pause|execute|executions`.

A pipeline is made from a template file (the JSON of ``pipeline.to_json()``, as ``*.pipeline.json`` files
keep it), installed, and executed on an item or a JSON input. Its executions are shown as a tree of nodes,
from the start node along the connections (each labelled with its action), with each node's status.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.tree import Tree

from .common import output as _output
from .common.command import command_options, options, pass_session, wait_options
from .common.files import parse_json_option
from .common.session import by_id_or_name

PIPELINE_COLUMNS = [
    ("name", lambda p: p.name), ("id", lambda p: p.id), ("status", lambda p: p.status),
    ("nodes", lambda p: len(p.nodes)), ("created", lambda p: _output.when(p.created_at)),
]
# Keys of a saved pipeline that belong to the one it was saved from, not to the pipeline made from it.
_NOT_COPIED = ("id", "createdAt", "updatedAt", "url", "status", "compositionId", "creator", "orgId", "updatedBy")
ENDED = ("success", "failed", "terminated")


@click.group("pipelines")
def pipelines():
    """Make, install and execute pipelines of function nodes; see their executions as trees."""


def _pipeline(session, project, name_or_id: str):
    return by_id_or_name(session, project.pipelines, "pipeline", name_or_id)


@pipelines.command("create")
@click.argument("template", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pipeline-name", "--name", "-n", "name", help="Name (default: the template's).")
@click.option("--install/--no-install", default=False, help="Install it at once.")
@command_options
@pass_session
def create(session, template: Path, name, install):
    """Make a pipeline in the project from a TEMPLATE file (pipeline.to_json()); its services must be deployed."""
    try:
        body = json.loads(template.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{template}: not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise click.ClickException(f"{template}: a pipeline template is a JSON object (pipeline.to_json())")
    project = session.project()
    body = {k: v for k, v in body.items() if k not in _NOT_COPIED}
    body["name"] = name or body.get("name") or template.name.split(".")[0]
    body["projectId"] = project.id
    for node in body.get("nodes") or []:
        if isinstance(node, dict):
            node["projectId"] = project.id
            if isinstance(node.get("namespace"), dict):
                node["namespace"]["projectName"] = project.name
    pipeline = project.pipelines.create(pipeline_json=body)
    if install:
        pipeline = pipeline.install()
    _show(pipeline)


@pipelines.command("ls")
@command_options
@pass_session
def ls(session):
    """List the project's pipelines."""
    rows = list(session.project().pipelines.list().all())
    _output.table(rows, PIPELINE_COLUMNS, as_json=options().as_json, to_json=lambda p: p.to_json(),
                  empty="no pipelines: `faas pipelines create TEMPLATE`")


@pipelines.command("install")
@click.argument("pipeline")
@command_options
@pass_session
def install(session, pipeline):
    """Install PIPELINE (name or id): every node's service must be deployed."""
    _show(_pipeline(session, session.project(), pipeline).install())


@pipelines.command("pause")
@click.argument("pipeline")
@command_options
@pass_session
def pause(session, pipeline):
    """Pause PIPELINE: it takes no new executions until installed again."""
    found = _pipeline(session, session.project(), pipeline)
    found.pause()
    _show(_pipeline(session, session.project(), found.id))


@pipelines.command("execute")
@click.argument("pipeline")
@click.option("--item-id", "-i", metavar="ID", help="Execute on this item (input 'item').")
@click.option("--input", "input_json", metavar="JSON", help="The whole input, e.g. '{\"item\": \"ID\"}'.")
@wait_options(default=None)
@command_options
@pass_session
def execute(session, pipeline, item_id, input_json, wait, timeout):
    """Execute PIPELINE once; by default (embedded mode) wait and show where the input went."""
    inputs = parse_json_option(input_json, "--input") if input_json else {}
    if item_id:
        inputs["item"] = item_id
    found = _pipeline(session, session.project(), pipeline)
    cycle = found.execute(execution_input=inputs)
    if wait or (wait is None and session.embedded):
        deadline = time.monotonic() + timeout
        while cycle.status not in ENDED and time.monotonic() < deadline:
            time.sleep(0.1)
            cycle = found.pipeline_executions.get(pipeline_execution_id=cycle.id)
    _show_cycles(found, [cycle])
    if cycle.status in ENDED and cycle.status != "success":
        raise click.ClickException(f"pipeline execution {cycle.id} ended {cycle.status}")


@pipelines.command("executions")
@click.argument("pipeline")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N.")
@command_options
@pass_session
def executions(session, pipeline, limit):
    """Show PIPELINE's executions, newest first, each as a tree of its nodes."""
    found = _pipeline(session, session.project(), pipeline)
    cycles = list(found.pipeline_executions.list().all())[-limit:][::-1]
    _show_cycles(found, cycles)


# -- showing ----------------------------------------------------------------------------------------------


def _show(pipeline) -> None:
    if options().as_json:
        _output.emit_json(pipeline.to_json())
        return
    _output.out().print(f"pipeline {pipeline.name}  id {pipeline.id}  status {pipeline.status}  "
                        f"nodes {len(pipeline.nodes)}")


def _show_cycles(pipeline, cycles: list) -> None:
    if options().as_json:
        _output.emit_json([c.to_json() for c in cycles])
        return
    if not cycles:
        _output.note("[dim]no executions: `faas pipelines execute PIPELINE --item-id ID`[/dim]")
        return
    for cycle in cycles:
        _output.out().print(node_tree(pipeline.to_json(), cycle.to_json()))


def node_tree(pipeline: dict, cycle: dict) -> Tree:
    """The cycle as a tree: the start node, then each connection's target (a loop is shown once, marked)."""
    status = cycle.get("status") or "?"
    tree = Tree(f"pipeline execution {cycle.get('id')}  {_output.status_text(status)}"
                + (f"  {cycle['message']}" if cycle.get("message") else ""))
    by_id = {n["id"]: n for n in pipeline.get("nodes") or []}
    state = {n["id"]: n for n in cycle.get("nodes") or []}
    runs = cycle.get("executions") or {}
    starts = [s["nodeId"] for s in pipeline.get("startNodes") or [] if s.get("nodeId") in by_id]

    def label(node_id: str, action: str | None) -> str:
        node = by_id[node_id]
        count = len(runs.get(node_id) or [])
        via = f"[dim]--{action}-->[/dim] " if action else ""
        return (f"{via}{node['name']}  {_output.status_text(state.get(node_id, {}).get('status') or 'pending')}"
                + (f"  ({count} execution{'s' if count != 1 else ''})" if count else ""))

    def grow(branch: Tree, node_id: str, seen: frozenset) -> None:
        for connection in pipeline.get("connections") or []:
            if connection["src"]["nodeId"] != node_id or connection["tgt"]["nodeId"] not in by_id:
                continue
            target = connection["tgt"]["nodeId"]
            if target in seen:
                branch.add(label(target, connection.get("action")) + "  [dim](loop)[/dim]")
                continue
            grow(branch.add(label(target, connection.get("action"))), target, seen | {target})

    for start in starts[:1]:
        grow(tree.add(label(start, None)), start, frozenset({start}))
    return tree
