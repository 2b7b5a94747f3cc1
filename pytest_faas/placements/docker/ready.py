"""Ready containers: started ahead, their agent's imports done, waiting to be told which service to run.

Starting a container and importing dtlpy in it costs several times a bare ``docker run``; a deploy that
finds a ready container pays neither. Since images hold no code (see :mod:`pytest_faas.placements.docker.images`),
any service on the same image and pod type can take the same ready container: the pool keeps two per
(image, pod type) the placement has used, started again in the background, one after another, each time one
is taken.

A ready container runs ``python -m pytest_faas.runner.launch --assignment <file>``: the agent imports what
it needs, then waits for that file, which the placement writes (atomically) into a host folder mounted
read-only into every container. The file names the service and the replica; from there the agent is an
ordinary one: it registers, loads the code and claims executions.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...protocol import READY_LINE
from .replica import Replica

log = logging.getLogger(__name__)

ASSIGN_DIR = "/faas/assign"  # where the host's assignment folder is mounted in every container
FILL_AFTER_S = 30.0  # the longest a new ready container waits for the one just taken to finish its imports
DEPTH = 2  # ready containers kept per slot: two deploys back to back both find one


def _imported(replica: Replica, wait_s: float) -> bool:
    """Whether the container's agent has printed ``READY_LINE`` (waiting up to ``wait_s`` seconds)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if READY_LINE in replica.logs(tail=50):
                return True
        except Exception:  # gone: nothing to wait for
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


@dataclass(frozen=True)
class Slot:
    """What a ready container is ready for."""

    image: str
    pod_type: str | None
    note: str = ""  # why the image is not the one the service asked for, told with each failure (FAAS_RUNNER_NOTE)


@dataclass
class Ready:
    """A started container, not yet assigned (``replica``: the docker handle)."""

    slot: Slot
    replica: Replica
    name: str


StartContainer = Callable[[Slot, str, str], Replica]  # (slot, container name, assignment file inside) -> started


class ReadyPool:
    """Up to :data:`DEPTH` ready containers per slot used so far, started one after another.

    Deploys that come back to back (a test session deploying a package's modules, ``-n`` workers) each find
    one ready: the pool is refilled ahead, not only once one was taken. A deploy that finds none while one is
    on its way waits for that one (it is further along than a new start would be).

    Args:
        start: starts a container for a slot, named as given, whose agent waits for the given file.
        assign_dir: the host folder mounted at ``ASSIGN_DIR`` in every container.
        prefix: names this platform's containers.
    """

    def __init__(self, start: StartContainer, assign_dir: Path, prefix: str):
        self._start = start
        self.assign_dir = Path(assign_dir)
        self.assign_dir.mkdir(parents=True, exist_ok=True)
        self.assign_dir.chmod(0o755)  # the containers' non-root user reads it
        self.prefix = prefix
        self._ready: dict[Slot, list[Ready]] = {}
        # One start at a time per slot (two at once slow each other down); True once its container is started.
        self._filling: dict[Slot, bool] = {}
        self._counter = itertools.count(1)
        self._changed = threading.Condition()
        self._closed = False

    def take(self, slot: Slot) -> Ready:
        """A container for ``slot``: a ready one, or the one on its way, or one started afresh."""
        deadline = time.monotonic() + FILL_AFTER_S
        with self._changed:
            while not self._ready.get(slot) and self._filling.get(slot) and time.monotonic() < deadline:
                self._changed.wait(max(0.0, deadline - time.monotonic()))
            waiting = self._ready.get(slot) or []
            ready = waiting.pop(0) if waiting else None
        if ready is not None and ready.replica.state().running:
            self.fill(slot)
            return ready
        if ready is not None:
            ready.replica.remove()
        ready = self._new(slot)
        # The next ones start once this one's imports are done: two at once would slow this one down.
        self.fill(slot, after=ready)
        return ready

    def assign(self, ready: Ready, service_id: str, replica: int) -> None:
        """Tell the container's agent what to run (it picks it up within a few milliseconds)."""
        final = self.assign_dir / f"{ready.name}.json"
        partial = final.with_name(f".{final.name}.{os.getpid()}")
        partial.write_text(json.dumps({"service": service_id, "replica": replica}))
        partial.chmod(0o644)
        partial.replace(final)  # atomic: the agent never reads half an assignment

    def fill(self, slot: Slot, after: Ready | None = None) -> None:
        """Start a ready container for ``slot`` in the background, unless the slot has its :data:`DEPTH` or
        one is on its way; with ``after``, once that container's agent has done its imports. Each one started
        starts the next, until the slot is full."""
        with self._changed:
            if self._closed or len(self._ready.get(slot, ())) >= DEPTH or slot in self._filling:
                return
            self._filling[slot] = False
        threading.Thread(target=self._fill, args=(slot, after), daemon=True,
                         name=f"faas-docker-ready-{slot.image}").start()

    def _fill(self, slot: Slot, after: Ready | None) -> None:
        if after is not None:
            _imported(after.replica, FILL_AFTER_S)
        try:
            ready = self._new(slot)
            with self._changed:
                self._filling[slot] = True  # a deploy now waits for it rather than start one of its own
            _imported(ready.replica, FILL_AFTER_S)  # counted ready once it is; and the next waits for it
        except Exception as exc:  # the next deploy starts its own and says why if it cannot
            log.warning("could not start a ready container of %s: %s", slot.image, exc)
            with self._changed:
                self._filling.pop(slot, None)
                self._changed.notify_all()
            return
        with self._changed:
            self._filling.pop(slot, None)
            kept = not self._closed and len(self._ready.get(slot, ())) < DEPTH
            if kept:
                self._ready.setdefault(slot, []).append(ready)
            self._changed.notify_all()
        if kept:
            self.fill(slot)
        else:
            ready.replica.remove()

    def _new(self, slot: Slot) -> Ready:
        name = f"{self.prefix}-{next(self._counter)}"
        replica = self._start(slot, name, f"{ASSIGN_DIR}/{name}.json")
        return Ready(slot, replica, name)

    def waiting(self, slot: Slot) -> list[Ready]:
        """The ready containers of ``slot``, oldest first (the next deploy takes the first)."""
        with self._changed:
            return list(self._ready.get(slot, ()))

    def wait_ready(self, slot: Slot, timeout: float = 60.0, count: int = 1) -> bool:
        """Whether ``count`` ready containers of ``slot`` have finished their imports within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for ready in self.waiting(slot) if _imported(ready.replica, 0)) >= count:
                return True
            time.sleep(0.05)
        return False

    def forget(self, name: str) -> None:
        """Drop a container's assignment file (it has ended)."""
        (self.assign_dir / f"{name}.json").unlink(missing_ok=True)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            ready, self._ready = [entry for entries in self._ready.values() for entry in entries], {}
            self._changed.notify_all()
        for entry in ready:
            entry.replica.remove()
