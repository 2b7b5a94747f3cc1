"""How the `faas` command shows things: rich tables and live status on a terminal, JSON with ``--json``.

Plain text goes to stdout, notes and progress to stderr, so that ``faas --json ... | jq`` and
``ID=$(faas items upload ...)``-style scripting see only the data.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Iterable

import click
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .session import TERMINAL, status_of

STATUS_STYLE = {"success": "green", "passed": "green", "failed": "red", "system-failure": "red", "terminated": "magenta",
                "aborted": "magenta", "canceled": "magenta", "in-progress": "yellow", "inProgress": "yellow",
                "created": "cyan", "rerun": "cyan"}
Column = tuple[str, Callable[[Any], Any]]


# The width of output that goes to no terminal (a CI log, a file, a pipe): rich's own choice there is 80
# columns, which cut tables and folded tracebacks and messages into pieces; here each line stays whole.
LOG_WIDTH = 10_000


def _width(stream) -> int | None:
    """None on a terminal or with COLUMNS set (rich takes that width); else `LOG_WIDTH`."""
    isatty = getattr(stream, "isatty", None)
    return None if os.environ.get("COLUMNS") or (isatty is not None and isatty()) else LOG_WIDTH


def out() -> Console:
    # Built per call: under click's CliRunner sys.stdout changes between invocations.
    return Console(highlight=False, soft_wrap=False, width=_width(sys.stdout))


def err() -> Console:
    return Console(stderr=True, highlight=False, width=_width(sys.stderr))


__all__ = ["escape"]  # re-exported: callers escape user text they put into markup


def note(message: str) -> None:
    err().print(message)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def status_text(status: str) -> Text:
    """A status in its colour; a rich Text, so that it is never read as markup itself."""
    return Text(status, style=STATUS_STYLE.get(status, "white"))


def plain(text: object) -> Text:
    """User or platform text (names, messages, tracebacks) as it is: ``[red]`` or ``config[mode]`` stay."""
    return Text(str(text))


def table(rows: Iterable[Any], columns: list[Column], *, title: str | None = None, as_json: bool = False,
          to_json: Callable[[Any], Any] | None = None, empty: str = "nothing here yet") -> None:
    rows = list(rows)
    if as_json:
        emit_json([to_json(r) if to_json else {name: get(r) for name, get in columns} for r in rows])
        return
    if not rows:
        note(f"[dim]{empty}[/dim]")
        return
    console = out()
    console.print(fitted(rows, columns, title, console.width))


# Columns a table keeps at any width; the others are left out, rightmost first, until the rest fits whole.
ESSENTIAL = {"", "id", "name", "status", "case", "filename", "function"}


def fitted(rows: list, columns: list[Column], title: str | None, width: int) -> Table:
    """A table of ``rows`` that fits ``width`` without folding a cell into a column of letters."""
    cells = [[_cell(get(row)) for _, get in columns] for row in rows]
    names = [name for name, _ in columns]
    kept = list(range(len(columns)))

    def build(indices: list[int], caption: str | None = None) -> Table:
        grid = Table(title=title, title_justify="left", header_style="bold", caption=caption,
                     caption_justify="left")
        for i in indices:  # ids and statuses whole; other text folds only when nothing else helps
            grid.add_column(names[i], no_wrap=names[i].lower() in ("id", "status", "name"), overflow="fold")
        for row in cells:
            grid.add_row(*[row[i] for i in indices])
        return grid

    def natural(grid: Table) -> int:
        console = Console(width=10_000)
        return console.measure(grid).maximum

    while natural(build(kept)) > width:
        droppable = [i for i in kept if names[i].lower() not in ESSENTIAL]
        if not droppable:
            break
        kept.remove(droppable[-1])
    left_out = [names[i] for i in range(len(columns)) if i not in kept]
    caption = (f"left out at {width} columns: {', '.join(left_out)} (widen the terminal or use --json)"
               if left_out else None)
    return build(kept, caption)


def when(iso: str | None) -> str:
    """A platform timestamp, shortened for a table: ``2026-11-25 06:10:34``."""
    return (iso or "").replace("T", " ")[:19]


def _cell(value: Any) -> Text | str:
    if value is None:
        return ""
    if isinstance(value, Text):
        return value
    if isinstance(value, (dict, list)):
        return Text(json.dumps(value))
    return Text(str(value))


# -- executions -------------------------------------------------------------------------------------------

EXECUTION_COLUMNS: list[Column] = [
    ("id", lambda e: e.id),
    ("function", lambda e: e.function_name),
    ("status", lambda e: status_text(status_of(e))),
    ("%", lambda e: (e.latest_status or {}).get("percentComplete")),
    ("trigger", lambda e: e.trigger_id),
    ("created", lambda e: when(e.created_at)[11:]),  # the time; `executions get` has the rest
]


def execution_table(executions: list, title: str | None = None) -> Table:
    return fitted(executions, EXECUTION_COLUMNS, title, err().width)


def follow(snapshots: Iterable[list], title: str, as_json: bool) -> list:
    """Show executions as they progress (a live table on a terminal); return their last records."""
    last: list = []
    console = err()
    if as_json or not console.is_terminal:
        for last in snapshots:
            pass
        return last
    with Live(console=console, refresh_per_second=8, transient=True) as live:
        for last in snapshots:
            live.update(execution_table(last, title))
    return last


def follow_one(snapshots: Iterable[list], as_json: bool):
    """Wait for one execution behind a spinner that shows its status; return its last record."""
    last: list = []
    console = err()
    if as_json or not console.is_terminal:
        for last in snapshots:
            pass
        return last[0]
    with console.status("waiting for the execution ...") as spinner:
        for last in snapshots:
            execution = last[0]
            percent = (execution.latest_status or {}).get("percentComplete")
            spinner.update(Text.assemble(f"execution {execution.id}: ", status_text(status_of(execution)),
                                         f" {percent}%" if percent is not None else ""))
    return last[0]


def show_execution(execution, as_json: bool, readable: Callable[[str], str] = str, brief: bool = False) -> None:
    """Status, message and output; ``brief``: only the message's first line (the caller shows the rest)."""
    if as_json:
        emit_json(execution.to_json())
        return
    status = status_of(execution)
    latest = execution.latest_status or {}
    console = out()
    console.print(Text.assemble(f"execution {execution.id}  function {execution.function_name}  status ",
                                status_text(status)))
    if latest.get("message"):
        message = readable(latest["message"])
        console.print(plain(f"message: {message.splitlines()[0] if brief else message}"))
    if execution.duration is not None:
        console.print(f"duration: {execution.duration} s")
    if status in TERMINAL:
        console.print(plain("output: " + json.dumps(execution.output, default=str)))
