"""Failure text for generated items, in the package's own terms; plain strings, safe for xdist.

An execution failure starts with one line naming the execution, the function, the status, the duration
and the placement; then the user's traceback without the harness's frames, the last progress and the end
of the logs. The whole log goes to a report section.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import ExecutionFailed
from ..protocol import END_MARKER, PLATFORM_STATUSES, TIMEOUT_HINT, TIMEOUT_MESSAGE, printed_traceback

LOG_TAIL = 15
# The user_properties key that carries a case's figures to the terminal summary (`summary_lines`), from xdist
# workers too. Here, not in collect.py: the xdist controller reads it without importing the collection's
# manifest models (pydantic).
STATS = "faas"
# Frames of pytest-faas itself (the agent and its loader) are noise in a user's traceback.
_HARNESS_FRAME = re.compile(r'^\s*File "[^"]*[/\\]pytest_faas[/\\][^"]*", line \d+')
# The agent runs the pushed codebase from its own unpacked copy, ``.../code/<package id>-<md5>/``;
# shown in a report, those paths point back to the package folder the author edits.
_UNPACKED_CODE = re.compile(r'File "[^"]*[/\\]code[/\\][0-9a-f]+-[0-9a-f]+[/\\]')
# The loader imports a package's modules under a private name (``_faas_<id>.main``); the author wrote ``main``.
_LOADED_MODULE = re.compile(r"\b_faas_[0-9a-f]+\.")


def strip_harness_frames(traceback_text: str) -> str:
    """Drop the frames of pytest-faas's own files (each frame is a ``File`` line and its source line)."""
    lines = traceback_text.splitlines()
    kept, skip_source = [], False
    for line in lines:
        if _HARNESS_FRAME.match(line):
            skip_source = True
            continue
        if skip_source and line.startswith("    ") and not line.lstrip().startswith("File "):
            skip_source = False
            continue
        skip_source = False
        kept.append(line)
    return "\n".join(kept)


def _last_progress(execution: dict) -> str | None:
    for entry in reversed(execution.get("statusLog") or []):
        if entry.get("status") not in PLATFORM_STATUSES:
            message = f", {entry['message']!r}" if entry.get("message") else ""
            return f"{entry.get('status')} {entry.get('percentComplete') or 0}%{message}"
    return None


def user_traceback(message: str, package_dir: Path | None) -> str:
    """The failure message with harness frames removed and paths pointing at the package's own files."""
    text = strip_harness_frames(message)
    if package_dir is not None:
        text = _UNPACKED_CODE.sub(lambda _: f'File "{package_dir}{os.sep}', text)
    return _LOADED_MODULE.sub("", text)


def _without(lines: list[str], block: list[str]) -> list[str]:
    """``lines`` less every run of lines equal to ``block`` (the traceback, already shown above)."""
    if not block:
        return lines
    kept, i, n = [], 0, len(block)
    while i < len(lines):
        if lines[i:i + n] == block:
            i += n
            continue
        kept.append(lines[i])
        i += 1
    return kept


def log_tail(logs: list[str], message: str, package_dir: Path | None) -> tuple[list[str], int]:
    """The end of the log without what the report shows already (the traceback, the end marker), each
    line once; and how many lines the whole log has."""
    lines = [piece for line in logs for piece in user_traceback(line, package_dir).split("\n")]
    total = len(lines)
    if message:  # as the agent logs it (Python's form), and whole as older agents did
        lines = _without(_without(lines, printed_traceback(message).split("\n")), message.split("\n"))
    lines = [line for line in lines if line.strip() and line != END_MARKER]
    deduplicated = [line for n, line in enumerate(lines) if n == 0 or line != lines[n - 1]]
    return deduplicated[-LOG_TAIL:], total


def render_execution(error: ExecutionFailed, label: str, package_dir: Path | None = None,
                     timeout_s: int | None = None) -> str:
    """The domain line (what was expected, what happened), the user's traceback once, the last progress,
    and the end of the log without repeats; the whole log is in its own report section."""
    execution = error.execution
    latest = execution.get("latestStatus") or {}
    duration = execution.get("duration")
    took = f" after {float(duration):.2f}s" if duration is not None else ""
    reason = error.reason if error.reason.startswith(label) else f"{label}: {error.reason}"
    if not execution:  # an event case whose triggers fired not what was expected: the reason says it all
        return reason
    lines = [reason, f"  execution {execution.get('id')}: status {latest.get('status')}{took}, "
                     f"placement {error.placement}"]
    if error.note:
        lines.append(f"  {error.note}")
    message = user_traceback((latest.get("message") or "").strip(), package_dir)
    if message:
        lines += ["", printed_traceback(message)]
    if message.startswith(TIMEOUT_MESSAGE):
        lines += [f"({TIMEOUT_HINT}; this run's --faas-timeout={timeout_s} lowers it)" if timeout_s else
                  f"({TIMEOUT_HINT})"]
    progress = _last_progress(execution)
    if progress:
        lines += ["", f"last progress: {progress}"]
    tail, total = log_tail(error.logs, message, package_dir)
    if tail:
        lines += ["", f"end of the log ({total} lines in 'faas execution log' below, the traceback left out here):",
                  *[f"  {line}" for line in tail]]
    return "\n".join(lines)


def render_findings(path: Path, findings: list, root: Path) -> str:
    """Every problem of a package, one per line, with paths relative to the test run's root."""
    entries = [entry for finding in findings for entry in (getattr(finding, "errors", None) or [finding])]
    prefix = f"{root}{os.sep}"
    count = len(entries)
    lines = [f"{_relative(path, root)}: {count} problem{'s' if count != 1 else ''} to fix before this package can run"]
    lines += [f"  - {str(entry).replace(prefix, '')}" for entry in entries]
    return "\n".join(lines)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def summary_lines(stats: list[dict]) -> list[str]:
    """The terminal summary: executions by status, and where the time went."""
    if not stats:
        return []
    by_status: dict[str, int] = {}
    for entry in stats:
        by_status[entry["status"]] = by_status.get(entry["status"], 0) + 1
    user = sum(e["user_s"] for e in stats)
    wall = sum(e["wall_s"] for e in stats)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    lines = [f"{len(stats)} executions: {counts}",
             f"time: {wall:.2f}s in cases, of which {user:.2f}s in user code and {max(wall - user, 0):.2f}s in the "
             "harness (push, deploy, seed, execute, wait)"]
    kept = sorted({e["kept"] for e in stats if e.get("kept")})
    for folder in kept:  # --faas-keep: one per process (xdist worker)
        lines.append(f"platform data kept in {folder} (see it with `faas --data-dir {folder} projects ls`)")
    return lines
