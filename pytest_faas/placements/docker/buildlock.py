"""Build work that parallel processes share: one file lock per result, scratch folders of one's own.

Test workers (pytest-xdist) and the deploy threads of one ``faas serve`` build into the same cache: images
in the engine, wheelhouses and wheels under the cache dir. Whoever holds a result's lock builds it; the
others wait and then find it done. What is being built is written into a scratch folder unique to its
builder and renamed into place only when whole, so nobody ever reads half a wheelhouse.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

WAIT_S = 3600.0  # the longest build we wait for (a dependency layer from scratch takes minutes)


@contextlib.contextmanager
def held(cache: Path, name: str, timeout: float = WAIT_S) -> Iterator[None]:
    """Hold the lock named ``name`` (an image ref, a wheelhouse) under ``cache/locks``, waiting for it."""
    locks = Path(cache) / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(locks / (re.sub(r"[^a-zA-Z0-9_.-]", "_", name) + ".lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("waiting for another process to finish building %s", name)
        lock.acquire(timeout=timeout)
    try:
        yield
    finally:
        lock.release()


def scratch_for(dest: Path) -> Path:
    """A new empty folder beside ``dest``, unique to this process and call, to build ``dest`` in."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=dest.parent, prefix=f"{dest.name}.partial-{os.getpid()}-"))
