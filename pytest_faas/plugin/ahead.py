"""Cases submitted ahead of their turn, so that a service's executions run at once, as the platform runs them.

The platform runs up to ``runtime.concurrency`` executions of a service per replica at once. When a case's
turn comes, `Ahead` also submits the upcoming cases of the same service, in the order this process will run
them (pytest's items after selection and sharding, or the queue xdist gave this worker), until that many
are on their way or ``--faas-concurrency`` says fewer. Each test then waits for its own execution: reports,
ids and order are a serial run's, and each case keeps its own logs, output and timings.

What stays faithful:
- Seeding gives an entity exactly the id its mock file names, replacing what an earlier case left under it.
  Cases that share such an id (`cases.seed.fixed_ids`) never run at once: the later one waits for the earlier
  one to end. Copies under other ids would change what the function sees (``item.id``, outputs that carry
  ids), so sharing is serialized instead.
- A case that runs whole (an app's, an event's, a pipeline node's) and every other test first wait for what
  was submitted ahead: an event case counts the executions that appear on its service, and a test may look
  at anything.
- A debugger gets one execution at a time: ``--faas-pdb``, ``--pdb``, ``--trace`` and ``-s`` (for
  ``breakpoint()``) run one case at a time.
- Nothing stays running after the session: what was submitted and never waited for (``-x``, ``--maxfail``,
  Ctrl-C, an item xdist moved to another worker) is terminated when the session ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

import pytest

from .. import cases
from ..cases import CaseOutcome, Submitted, input_types, runs_directly
from ..cases.seed import fixed_ids
from ..errors import PlatformError
from ..ids import parse_iso
from ..manifests.loaded import PackageCase
from ..protocol import TERMINAL
from ..runner.capture import CAPTURE
from . import session
from .settings import BY_NAME, parse_concurrency

AHEAD_KEY = pytest.StashKey["Ahead"]()
LOOK_PAST = 64  # the most upcoming tests of other services looked past to find the next of this one


@dataclass
class _Entry:
    """A case submitted before its test's turn, or the error its submission raised (its test raises it)."""

    case: PackageCase
    group: tuple
    fixed: frozenset[str]
    submitted: Submitted | None = None
    error: BaseException | None = None


class Ahead:
    """This process's cases in flight; registered as a plugin for the run (see :func:`register`)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.pending: dict[str, _Entry] = {}  # test id -> submitted ahead, its test not yet run
        self.current: _Entry | None = None  # the case whose test is waiting for it now
        self._positions: dict[str, int] = {}

    # -- the test's side ------------------------------------------------------------------------------

    def run(self, item, *, all_logs: bool) -> CaseOutcome:
        """The outcome of ``item`` (a `MockCaseItem`): its execution, submitted now or earlier, waited for."""
        runner = session.case_runner(self.config)
        if not runs_directly(item.package, item.case):
            self.drain()
            return cases.run(runner, item.package, item.shaped_case(), all_logs=all_logs)
        entry = self.pending.pop(item.nodeid, None)
        if entry is None:
            entry = self._entry(item)
            if entry.error is not None:
                raise entry.error
            self._wait_for_sharers(entry.fixed)
            entry.submitted = cases.submit(runner, item.package, entry.case)  # its own errors are raised here
        if entry.error is not None:
            raise entry.error
        self.current = entry
        self._submit_upcoming(item, entry.group, self.limit(entry.submitted.service))
        outcome = runner.finish(entry.submitted, all_logs=all_logs)
        self.current = None  # not when the wait is interrupted: the session's end terminates it
        return outcome

    def limit(self, service: dict) -> int:
        """How many of the service's cases may be on their way at once."""
        option = self.config.option
        if session.settings(self.config).pdb or option.usepdb or getattr(option, "trace", False) \
                or option.capture == "no":
            return 1  # a debugger, or a breakpoint() with -s, gets one execution at a time
        runtime = service.get("runtime") or {}
        allowed = int(runtime.get("concurrency") or 1) * max(1, int(runtime.get("numReplicas") or 1))
        chosen = session.settings(self.config).concurrency
        return min(allowed, parse_concurrency(chosen)) if chosen else allowed

    # -- looking ahead --------------------------------------------------------------------------------

    def _submit_upcoming(self, item, group: tuple, limit: int) -> None:
        """Submit the next tests of the same service until ``limit`` of its cases are on their way. Stops at
        a case that shares a seeded id with one on its way: it waits for its turn."""
        on_the_way = 1 + sum(1 for entry in self.pending.values() if entry.group == group)
        looked_past = 0
        for upcoming in self._upcoming(item):
            if on_the_way >= limit or looked_past > LOOK_PAST:
                return
            if upcoming.nodeid in self.pending:
                continue
            if getattr(upcoming, "case", None) is None or not runs_directly(upcoming.package, upcoming.case) \
                    or _group(upcoming) != group:
                looked_past += 1
                continue
            entry = self._entry(upcoming)
            if entry.error is None and self._sharers(entry.fixed):
                return
            if entry.error is None:
                self._submit(upcoming, entry)
            self.pending[upcoming.nodeid] = entry
            on_the_way += 1

    def _submit(self, item, entry: _Entry) -> None:
        try:
            entry.submitted = cases.submit(session.case_runner(self.config), item.package, entry.case)
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as exc:  # the item's own, at its turn
            entry.error = exc

    def _entry(self, item) -> _Entry:
        """The item's case as the hooks shape it, with the ids its seeding fixes."""
        try:
            case = item.shaped_case()
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as exc:
            return _Entry(item.case, _group(item), frozenset(), error=exc)
        return _Entry(case, _group(item), fixed_ids(case.case, input_types(item.package, case.case)))

    def _upcoming(self, item) -> Iterator[pytest.Item]:
        """The tests this process will run after ``item``, in order."""
        worker = _xdist_worker(self.config)
        items = item.session.items
        if worker is not None:  # the indices xdist has queued on this worker; it may take some back
            with worker.torun.lock() as queued:
                indices = [worker.nextitem_index, *queued]
            yield from (items[index] for index in indices if isinstance(index, int) and 0 <= index < len(items))
            return
        if len(self._positions) != len(items):
            self._positions = {test.nodeid: n for n, test in enumerate(items)}
        position = self._positions.get(item.nodeid)
        if position is not None:
            yield from items[position + 1:]

    # -- cases that must not overlap ------------------------------------------------------------------

    def _sharers(self, fixed: frozenset[str]) -> list[_Entry]:
        """The cases on their way whose seeding fixes one of these ids."""
        if not fixed:
            return []
        return [entry for entry in (*self.pending.values(), self.current)
                if entry is not None and entry.submitted is not None and entry.fixed & fixed]

    def _wait_for_sharers(self, fixed: frozenset[str]) -> None:
        for entry in self._sharers(fixed):
            self._wait(entry)

    def drain(self) -> None:
        """Wait for every case submitted ahead to end (their tests still read them at their turn)."""
        for entry in list(self.pending.values()):
            if entry.submitted is not None:
                self._wait(entry)

    def _wait(self, entry: _Entry) -> None:
        service = entry.submitted.service
        limit = float(service.get("executionTimeout") or 3600) + 30
        session.case_runner(self.config).wait(entry.submitted.execution["id"], limit_s=limit)

    # -- the session's side ---------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item) -> None:
        CAPTURE.reinstall()
        if self.pending and not getattr(item, "leaves_cases_running", False):
            self.drain()

    # pytest's capture swaps sys.stdout around each phase; executions running in this process's threads
    # (cases submitted ahead outlive the phase they started in) must keep writing to their own logs.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self) -> None:
        CAPTURE.reinstall()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self) -> None:
        CAPTURE.reinstall()

    def pytest_runtest_logreport(self) -> None:
        CAPTURE.reinstall()

    def pytest_sessionfinish(self) -> None:
        """Terminate what was submitted and never waited for: nothing is left running after the session."""
        left = [entry for entry in (*self.pending.values(), self.current) if entry and entry.submitted]
        self.pending.clear()
        if not left:
            return
        client = session.case_runner(self.config).client
        for entry in left:
            try:
                client.post(f"/executions/{entry.submitted.execution['id']}/terminate", {})
            except PlatformError:  # it had ended
                pass


def register(config: pytest.Config) -> Ahead:
    """This run's `Ahead` (made and registered once)."""
    if AHEAD_KEY not in config.stash:
        ahead = config.stash[AHEAD_KEY] = Ahead(config)
        config.pluginmanager.register(ahead, "faas-ahead")
    return config.stash[AHEAD_KEY]


def _group(item) -> tuple:
    """Which service a case runs on: one per package folder, module and init inputs (as `CaseRunner.service`)."""
    case = item.case.case
    return item.package.folder, case.module_name, json.dumps(case.init_params, sort_keys=True, default=str)


def _xdist_worker(config: pytest.Config):
    """xdist's worker loop, whose queue says what this worker runs next (None outside a worker)."""
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "WorkerInteractor" and hasattr(plugin, "torun"):
            return plugin
    return None


def concurrency_note(runner, execution: dict) -> str | None:
    """When other executions of the service ran while this one did, a line saying how many ran at once (the
    platform's own records say it) and how to check whether that is what broke the case."""
    service_id = execution.get("serviceId")
    span = _running_span(execution)
    if not service_id or span is None:
        return None
    try:
        body = runner.client.post("/query/faas", {"resource": "executions", "filter": {"serviceId": service_id},
                                                  "pageSize": 1000, "sort": {"createdAt": "descending"}})
    except PlatformError:
        return None
    peak = peak_at_once(span, [_running_span(other) for other in body.get("items", [])])
    if peak < 2:
        return None
    return (f"the service ran {peak} executions at once while this one ran, as the platform would "
            f"(runtime.concurrency times replicas); a function that keeps per-call state on self breaks under "
            f"that: `pytest --faas {BY_NAME['concurrency'].flag}=1` runs one case at a time, to check")


_FOREVER = parse_iso("9999-12-31T00:00:00Z")


def _running_span(execution: dict) -> tuple | None:
    """When the execution's (last) run began and ended, as the platform stamped them (no end: still running)."""
    log = execution.get("statusLog") or execution.get("status") or []
    if not isinstance(log, list):
        return None
    try:
        starts = [parse_iso(entry["timestamp"]) for entry in log if entry.get("status") == "in-progress"]
        ends = [parse_iso(entry["timestamp"]) for entry in log if entry.get("status") in TERMINAL]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not starts:
        return None
    return starts[-1], max(ends) if ends and max(ends) >= starts[-1] else _FOREVER


def peak_at_once(span: tuple, others: list) -> int:
    """The most of ``others`` (spans; the execution's own among them) running at one moment within ``span``."""
    moments = []
    for other in others:
        if other is None or other[1] <= span[0] or other[0] >= span[1]:
            continue
        moments += [(max(other[0], span[0]), 1), (min(other[1], span[1]), -1)]
    running = peak = 0
    for _, change in sorted(moments):  # at one instant an end (-1) is counted before a start
        running += change
        peak = max(peak, running)
    return peak
