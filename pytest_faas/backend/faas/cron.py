"""Cron triggers: one execution per tick of a 5-field cron expression, between ``startAt`` and ``endAt``.

The schedule is read by ``croniter``. Time comes from an injectable clock, shifted by an offset that
tests move forward (:meth:`Cron.advance`, or ``POST /_faas/cron/advance``), so a test of a
``* * * * *`` trigger takes milliseconds instead of minutes. Ticks missed while the platform was down are
not replayed: after a restart a trigger's next tick is the first one after "now".
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
from typing import Callable

from croniter import croniter

from ...errors import BadRequest
from ...ids import parse_iso
from .triggers import Triggers

log = logging.getLogger(__name__)

Clock = Callable[[], _dt.datetime]
MAX_CATCH_UP = 100  # ticks fired per trigger in one step; more are skipped with a warning
POLL_S = 0.5
MAX_CLOCK_MARGIN_DAYS = 366  # the clock stays this far below datetime's end, so schedules can look ahead


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class Cron:
    """Fires due cron triggers, from a background thread and on demand.

    Args:
        triggers: the trigger records and their ``fire``.
        clock: returns the current aware UTC time; the real clock by default.
    """

    def __init__(self, triggers: Triggers, clock: Clock | None = None):
        self.triggers = triggers
        self.clock = clock or utc_now
        self.offset = _dt.timedelta()
        self._next: dict[str, tuple[tuple, _dt.datetime]] = {}  # trigger id -> (schedule key, next tick)
        self._broken: dict[str, str] = {}  # trigger id -> the spec that could not be scheduled
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="faas-cron", daemon=True)

    def now(self) -> _dt.datetime:
        return self.clock() + self.offset

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def advance(self, seconds: float) -> list[str]:
        """Move this platform's time forward and fire what became due; returns the new execution ids.

        A move that would take the clock past what a datetime holds is refused (a :class:`BadRequest`)
        and changes nothing: once there, every later tick would fail.
        """
        with self._lock:
            try:
                offset = self.offset + _dt.timedelta(seconds=seconds)
                self.clock() + offset + _dt.timedelta(days=MAX_CLOCK_MARGIN_DAYS)
            except (OverflowError, ValueError):
                raise BadRequest(f"cannot move the clock {seconds:g} s forward: it would pass the year 9999") from None
            self.offset = offset
        return self.tick()

    def schedule(self, trigger: dict) -> None:
        """Triggers listener: a new or changed cron trigger counts its ticks from this platform's now."""
        if trigger["type"] != "Cron":
            return
        with self._lock:
            self._next.pop(trigger["id"], None)
            self._first(trigger, self.now())

    def _first(self, trigger: dict, now: _dt.datetime) -> tuple:
        spec = trigger["spec"]
        start = parse_iso(spec["startAt"]) if spec.get("startAt") else None
        base = max(now, start) if start else now
        known = ((spec["cron"], spec.get("startAt")), croniter(spec["cron"], base).get_next(_dt.datetime))
        self._next[trigger["id"]] = known
        return known

    def tick(self, now: _dt.datetime | None = None) -> list[str]:
        """Fire every due tick of every active cron trigger; returns the new execution ids."""
        now = now or self.now()
        fired: list[str] = []
        with self._lock:
            live = set()
            for trigger in self.triggers.store.all("triggers"):
                if trigger.get("type") != "Cron" or not trigger.get("active"):
                    continue
                live.add(trigger["id"])
                spec_key = repr(trigger.get("spec"))
                if self._broken.get(trigger["id"]) == spec_key:
                    continue  # said once; tried again when its spec changes
                try:
                    fired.extend(self._due(trigger, now))
                except Exception:  # one trigger's schedule must not stop the others' (nor the thread)
                    log.exception("cron trigger %s (%s) cannot be scheduled; it is skipped until changed",
                                  trigger.get("name"), trigger["id"])
                    self._next.pop(trigger["id"], None)
                    self._broken[trigger["id"]] = spec_key
            for trigger_id in set(self._next) - live:
                del self._next[trigger_id]
            for trigger_id in set(self._broken) - live:
                del self._broken[trigger_id]
        return fired

    def _due(self, trigger: dict, now: _dt.datetime) -> list[str]:
        spec = trigger["spec"]
        end = parse_iso(spec["endAt"]) if spec.get("endAt") else None
        known = self._next.get(trigger["id"])
        if known is None or known[0] != (spec["cron"], spec.get("startAt")):
            # First sight after a restart (or a schedule changed behind our back): count from now.
            known = self._first(trigger, now)
        schedule = croniter(spec["cron"], known[1])
        tick, fired = known[1], []
        while tick <= now and (end is None or tick <= end):
            if len(fired) >= MAX_CATCH_UP:
                # The rest are skipped, not walked: after a jump of years, walking them would take minutes.
                log.warning("cron trigger %s: only %d missed ticks were fired", trigger["name"], MAX_CATCH_UP)
                tick = croniter(spec["cron"], now).get_next(_dt.datetime)
                break
            try:
                fired.append(self.triggers.fire(trigger, dict(spec.get("input") or {}))["id"])
            except Exception as exc:  # the service may be gone; keep the schedule going
                log.warning("cron trigger %s (%s) could not fire: %s", trigger["name"], trigger["id"], exc)
            tick = schedule.get_next(_dt.datetime)
        self._next[trigger["id"]] = (known[0], tick)
        return fired

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.tick()
            except Exception:  # keep the scheduler alive; the next poll tries again
                log.exception("cron tick failed")
