"""``--faas-html=report.html``: the run as one HTML page, written by the process that sees every report.

Each test process attaches a test's faas entry (its case, executions, bounded log, findings) to the call
phase's report as the ``faas_record`` attribute. pytest reports carry extra attributes, and xdist sends
them whole from a worker to its controller, so the controller merges every worker's tests without a side
channel; the entries stay out of ``user_properties``, which junit XML would copy. Only the controller (or
the single process without xdist) writes the file, at the end of the session.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ..report import records, writer
from .report import user_traceback
from .session import case_runner
from .session import settings as session_settings

RECORD = "faas_record"  # the report attribute that carries a test's entry to the controller


def _kind_and_label(item: pytest.Item) -> tuple[str, str]:
    from .collect import ManifestItem, MockCaseItem  # noqa: PLC0415 (pydantic: only once --faas is on)
    from .collect_pipeline import PipelineCaseItem  # noqa: PLC0415

    if isinstance(item, MockCaseItem):
        return "case", item.label
    if isinstance(item, PipelineCaseItem):
        return "pipeline", item.label
    if isinstance(item, ManifestItem):
        return "manifest", f"{item.path.parent.name}: manifest"
    return "test", item.nodeid


def _case_part(item: pytest.Item) -> dict:
    """The faas part of a generated case's entry, from what its ``runtest`` kept (nothing when it never ran)."""
    outcome = getattr(item, "case_outcome", None)
    if outcome is None:
        return {}
    if hasattr(item, "package"):  # a package's mock case
        case, loaded = item.case, item.package
        package = loaded.manifest.name if loaded.manifest is not None else loaded.folder.name
        return records.case_entry(
            package=package, module=case.case.module_name, function=case.case.function_name, mock=case.mock_label,
            index=case.case.index, inputs=case.case.inputs, expect=_expectation(case.case.expect),
            executions=[outcome.execution], logs=outcome.logs, user_s=outcome.user_s, wall_s=outcome.wall_s,
            rewrite=lambda text: user_traceback(text, loaded.folder))  # paths in the package, as pytest shows them
    # A pipeline template's case: the node executions of its cycle, oldest first.
    client = case_runner(item.config).client
    ids = sorted(i for ids in (outcome.cycle.get("executions") or {}).values() for i in ids)
    executions = [client.get(f"/executions/{execution_id}") for execution_id in ids[:200]]
    return records.case_entry(
        package=item.path.name, module="pipeline", function=item.name, mock=item.mock_path.name,
        index=item.case.index, inputs=item.case.inputs, expect=_expectation(item.expect), executions=executions,
        logs=outcome.logs, user_s=sum(float(e.get("duration") or 0) for e in executions), wall_s=outcome.wall_s)


def _expectation(expect) -> dict:
    """What the mock file asked for: the status always (it has a default), and every key it set."""
    return {"status": expect.status, **expect.model_dump(mode="json", include=expect.model_fields_set)}


class HtmlReport:
    """Registered in every process of a run with ``--faas-html``: workers attach entries, the writer merges."""

    def __init__(self, config: pytest.Config, path: Path):
        self.config = config
        self.path = path
        self.writes = not hasattr(config, "workerinput")  # xdist's workers only send
        self.entries: dict[str, records.MergedEntry] = {}
        self.started = time.time()
        self.written: tuple[Path, int, float] | None = None  # the file, its size, the seconds it took

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        kind, label = _kind_and_label(item)
        record = {"kind": kind, "label": label, "worker": os.environ.get("PYTEST_XDIST_WORKER")}
        if call.when == "call":
            if kind in ("case", "pipeline"):
                try:
                    record.update(_case_part(item))
                except Exception as exc:  # noqa: BLE001 (the report never changes a test's outcome)
                    record["failure_of_report"] = f"the report could not read this case: {exc!r}"
            elif kind == "manifest" and getattr(item, "found", None):
                record["findings"] = records.finding_entries(*item.found, root=f"{item.config.rootpath}{os.sep}")
        setattr(report, RECORD, record)
        return report

    def pytest_runtest_logreport(self, report):
        if not self.writes:
            return
        record = getattr(report, RECORD, None) or {}
        entry = self.entries.get(report.nodeid)
        if entry is None:
            entry = self.entries[report.nodeid] = records.MergedEntry(
                report.nodeid, record.get("label") or report.nodeid, record.get("kind") or "test")
        entry.worker = entry.worker or record.get("worker")
        entry.extra.update({k: v for k, v in record.items() if k not in ("kind", "label", "worker")})
        text, outcome = "", report.outcome
        if hasattr(report, "wasxfail"):  # pytest reports an xfail as skipped, an xpass as passed
            outcome = "xfailed" if report.skipped else "xpassed"
            text = report.longreprtext if report.skipped else f"passed although marked xfail {report.wasxfail}".strip()
        elif report.failed:
            text = report.longreprtext
        elif report.skipped and isinstance(report.longrepr, tuple):
            text = str(report.longrepr[2])
        entry.add_phase(report.when, outcome, text, getattr(report, "start", None),
                        getattr(report, "stop", None), report.duration)

    def pytest_sessionfinish(self, session):
        if not self.writes or session.config.option.collectonly:
            return
        config = session.config
        entries = [entry.to_json() for entry in self.entries.values()]
        stopped = time.time()
        run = {"title": f"pytest --faas: {config.rootpath.name}", "started": int(self.started * 1000),
               "stopped": int(stopped * 1000), "wall_s": round(stopped - self.started, 3),
               "workers": len({e["worker"] for e in entries if e["worker"]}) or 1,
               "placement": session_settings(config).placement, "args": list(config.invocation_params.args)}
        started = time.perf_counter()
        path = writer.write(self.path, run, entries)
        self.written = (path, path.stat().st_size, time.perf_counter() - started)

    def pytest_terminal_summary(self, terminalreporter):
        if self.written:
            path, size, took = self.written
            terminalreporter.write_line(f"faas: HTML report of {len(self.entries)} tests in {path} "
                                        f"({size / 1024:,.0f} KiB, written in {took:.2f}s)")


def register(config: pytest.Config, target: str) -> None:
    """Turn the report on for this process; ``target`` is relative to where pytest was started."""
    path = Path(target).expanduser()
    if not path.is_absolute():
        path = Path(config.invocation_params.dir) / path
    if path.is_dir():  # refused now, not as a traceback once every test has run
        raise pytest.UsageError(f"--faas-html: {path} is a folder; name the report's file, e.g. "
                                f"--faas-html={path / 'report.html'}")
    config.pluginmanager.register(HtmlReport(config, path), "faas-html")
