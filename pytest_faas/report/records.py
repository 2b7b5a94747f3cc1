"""One test's entry in the HTML report, built from plain data (execution records, log lines, phase outcomes),
each part bounded so that a run of thousands of cases stays a file small enough to keep as a CI artefact.

Nothing here knows pytest: the plugin hands in dicts and strings, and the entries are JSON values only, so
that an xdist worker can send them to its controller inside a test report.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any, Callable

from ..ids import parse_iso
from ..protocol import PLATFORM_STATUSES, QUEUED, TERMINAL

# Per case: the first and last lines of its log, each line cut, and a byte budget for all of them. A case
# that logs a megabyte still costs the report about LOG_BYTES; the full log is in pytest's own report.
LOG_HEAD_LINES = 40
LOG_TAIL_LINES = 160
LOG_LINE_CHARS = 1000
LOG_BYTES = 24_000
VALUE_CHARS = 4_000  # an input, expectation or output, shown as indented JSON
FAILURE_CHARS = 24_000  # the failure text pytest prints (traceback, domain line, log tail)
# The report's order, failures first. "xfailed" is a test marked xfail that failed as expected, "xpassed" one that
# passed although marked xfail (pytest's own words).
OUTCOMES = ("failed", "error", "xpassed", "xfailed", "passed", "skipped")


def epoch_ms(timestamp: str | None) -> int | None:
    """An ISO timestamp of the platform as milliseconds since the epoch (None when absent or unreadable)."""
    if not timestamp:
        return None
    try:
        return int(parse_iso(timestamp).timestamp() * 1000)
    except ValueError:
        return None


def cut(text: str, limit: int) -> str:
    """``text`` with at most ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… ({len(text) - limit:,} more characters left out of this report)"


def shown(value: Any) -> str:
    """A JSON value as the report shows it: indented, cut at VALUE_CHARS."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return cut(text, VALUE_CHARS)


def _pieces(lines: list[str], backwards: bool = False):
    """The log's lines, each message split at its newlines; from the end when ``backwards``."""
    for line in (reversed(lines) if backwards else lines):
        split = str(line).split("\n")
        yield from (reversed(split) if backwards else split)


def _short(piece: str) -> str:
    return piece if len(piece) <= LOG_LINE_CHARS else f"{piece[:LOG_LINE_CHARS]}… (line cut)"


def bounded_logs(lines: list[str]) -> dict:
    """The log as the report keeps it: its first and last lines within LOG_BYTES, and how many were left out.

    Only the lines kept are looked at (a log of a million lines costs a count of its newlines).
    Returns ``{"head": [...], "tail": [...], "total": n, "omitted": m}``; ``omitted`` lines were between them.
    """
    try:  # joined, the count is one pass in C: a quarter of the time of a count per line
        total = "\n".join(lines).count("\n") + 1 if lines else 0
    except TypeError:  # a line that is not text
        total = sum(str(line).count("\n") + 1 for line in lines)
    budget = LOG_BYTES
    head: list[str] = []
    for piece in islice(_pieces(lines), LOG_HEAD_LINES):  # the head within half the budget
        piece = _short(piece)
        if budget - len(piece) - 1 < LOG_BYTES // 2:
            break
        head.append(piece)
        budget -= len(piece) + 1
    tail: list[str] = []
    for piece in islice(_pieces(lines, backwards=True), min(LOG_TAIL_LINES, total - len(head))):
        piece = _short(piece)  # the tail within what is left
        if budget - len(piece) - 1 < 0:
            break
        tail.append(piece)
        budget -= len(piece) + 1
    tail.reverse()
    return {"head": head, "tail": tail, "total": total, "omitted": total - len(head) - len(tail)}


def phases(execution: dict) -> list[list]:
    """The execution's time line from its status history: ``[kind, start_ms, end_ms]`` segments, ``queued``
    (created, rerun) then ``running`` (in-progress), in order; an open last segment ends at None."""
    marks = [(entry.get("status"), epoch_ms(entry.get("timestamp"))) for entry in execution.get("statusLog") or []
             if entry.get("status") in PLATFORM_STATUSES]
    segments: list[list] = []
    for n, (status, at) in enumerate(marks):
        if status in TERMINAL or at is None:
            continue
        end = next((later for _, later in marks[n + 1:] if later is not None), None)
        segments.append(["queued" if status in QUEUED else "running", at, end])
    return segments


def progress(execution: dict) -> list[dict]:
    """The function's own ``progress.update`` calls, in order: every status entry the platform did not write."""
    return [{"status": entry.get("status"), "percent": entry.get("percentComplete"),
             "message": cut(str(entry.get("message") or ""), 500), "at": epoch_ms(entry.get("timestamp"))}
            for entry in execution.get("statusLog") or [] if entry.get("status") not in PLATFORM_STATUSES]


def execution_entry(execution: dict, rewrite: Callable[[str], str] = str) -> dict:
    """One execution as the report shows it: status, phases, end, the user's time, output, progress; its
    last message passed through ``rewrite``."""
    latest = execution.get("latestStatus") or {}
    status = latest.get("status")
    message = str(latest.get("message") or "")
    return {"id": execution.get("id"), "name": execution.get("functionName"), "status": status,
            "phases": phases(execution),
            "ended": epoch_ms(latest.get("timestamp")) if status in TERMINAL else None,
            "duration": execution.get("duration"), "attempts": execution.get("attempts"),
            "message": cut(rewrite(message[:20_000]) if message else "", 2000),
            "output": shown(execution.get("output")), "progress": progress(execution)}


def case_entry(*, package: str, module: str, function: str, mock: str, index: int, inputs: Any,
               expect: dict, executions: list[dict], logs: list[str], user_s: float, wall_s: float,
               rewrite: Callable[[str], str] = str) -> dict:
    """The faas part of a generated case's entry: what it ran with, what it expected, what its executions did.

    ``rewrite`` maps text the agent wrote (messages, and the log lines kept) into the package's terms; it
    sees the head and the tail of the log each as one text, so that a traceback's lines stay together, and
    never the lines left out, so a huge log costs no more than a short one.
    """
    kept = bounded_logs(logs)
    for part in ("head", "tail"):
        if kept[part] and rewrite is not str:
            kept[part] = rewrite("\n".join(kept[part])).split("\n")
    return {"case": {"package": package, "module": module, "function": function, "mock": mock, "index": index,
                     "inputs": shown(inputs), "expect": shown(expect)},
            "executions": [execution_entry(execution, rewrite) for execution in executions],
            "logs": kept, "figures": {"user_s": round(user_s, 4), "wall_s": round(wall_s, 4)}}


def finding_entries(errors: list, warnings: list, root: str = "") -> list[dict]:
    """A package's findings, errors first: each located as its text says (file, line or JSON path), with
    paths under ``root`` (the run's root folder) made relative to it."""
    entries = [entry for finding in errors for entry in (getattr(finding, "errors", None) or [finding])]

    def text(entry) -> str:
        return cut(str(entry).replace(root, "") if root else str(entry), 2000)
    return ([{"severity": "error", "text": text(entry)} for entry in entries]
            + [{"severity": "warning", "text": text(entry)} for entry in warnings])


class MergedEntry:
    """One test's entry merged from its phases (setup, call, teardown), as they arrive at the process that
    writes the report: the controller under xdist."""

    def __init__(self, nodeid: str, label: str, kind: str):
        self.nodeid, self.label, self.kind = nodeid, label, kind
        self.outcome = "passed"
        self.failure: list[str] = []
        self.start: float | None = None
        self.stop: float | None = None
        self.duration = 0.0
        self.worker: str | None = None
        self.extra: dict = {}

    def add_phase(self, when: str, outcome: str, text: str, start: float | None, stop: float | None,
                  duration: float) -> None:
        """Fold in one phase: a failing setup or teardown is an ``error``, a failing call ``failed``; a skip,
        an expected failure (``xfailed``) or an unexpected pass (``xpassed``) counts unless something failed."""
        if outcome in ("xfailed", "xpassed") and self.outcome in ("passed", "skipped"):
            self.outcome = outcome
            if text:
                self.failure.append(text)
        elif outcome == "failed":
            self.outcome = "failed" if when == "call" else ("error" if self.outcome != "failed" else "failed")
            if text:
                self.failure.append(text if when == "call" else f"[{when}] {text}")
        elif outcome == "skipped" and self.outcome == "passed":
            self.outcome = "skipped"
            if text:
                self.failure.append(text)
        if start:
            self.start = start if self.start is None else min(self.start, start)
        if stop:
            self.stop = stop if self.stop is None else max(self.stop, stop)
        self.duration += duration or 0.0

    def to_json(self) -> dict:
        return {"id": self.nodeid, "label": self.label, "kind": self.kind, "outcome": self.outcome,
                "failure": cut("\n\n".join(self.failure), FAILURE_CHARS),
                "start": int(self.start * 1000) if self.start else None,
                "stop": int(self.stop * 1000) if self.stop else None,
                "duration": round(self.duration, 4), "worker": self.worker, **self.extra}


def order(entries: list[dict]) -> list[dict]:
    """Failures first, then errors, passes, skips; each group in the order the tests started."""
    rank = {outcome: n for n, outcome in enumerate(OUTCOMES)}
    return sorted(entries, key=lambda e: (rank.get(e["outcome"], len(rank)), e.get("start") or 0, e["id"]))
