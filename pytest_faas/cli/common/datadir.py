"""What the `faas` command keeps in its data dir, next to the platform's own files.

- ``state.json``: the checked-out project, and the package and service last pushed or deployed, so that
  ``faas projects checkout NAME`` and ``faas services invoke`` work across invocations (dlp keeps the same
  in ``.dataloop/state.json``; ours stays in the data dir so that two folders never share a checkout).
- ``serve.json``: the URL and pid of a `faas serve` running on this data dir. The store keeps documents in
  memory and writes them through, so one process only may own a data dir: while a server owns it,
  commands in embedded mode talk to that server instead of opening the store a second time.
- ``cli.lock``: held by whoever owns the data dir (a server, or one embedded command), so that two
  embedded commands run one after the other instead of both loading the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no locking, one command at a time is the user's job)
    fcntl = None

STATE_FILE = "state.json"
SERVE_FILE = "serve.json"
LOCK_FILE = "cli.lock"


class DataDir:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser().resolve()
        self._lock_handle = None

    # -- checkout state ---------------------------------------------------------------------------------

    def state(self) -> dict:
        try:
            return json.loads((self.path / STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def remember(self, kind: str, entity) -> None:
        """Store ``{id, name}`` of a project, package or service as the current one of its kind."""
        state = self.state()
        if kind == "project" and state.get("project", {}).get("id") != entity.id:
            state = {}  # another project: its packages and services are not this one's
        state[kind] = {"id": entity.id, "name": entity.name}
        self._write(STATE_FILE, state)

    def remember_source(self, codebase_id: str, folder: Path) -> None:
        """The folder a codebase was pushed from: tracebacks from its unpacked copy then point back there."""
        state = self.state()
        sources = state.setdefault("sources", {})
        sources[codebase_id] = str(Path(folder).resolve())
        if len(sources) > 100:  # bounded: the oldest pushes are forgotten
            for old in list(sources)[:-100]:
                del sources[old]
        self._write(STATE_FILE, state)

    def sources(self) -> dict[str, str]:
        return dict(self.state().get("sources") or {})

    def forget(self, kind: str) -> None:
        """Drop the current entity of a kind (it was deleted)."""
        state = self.state()
        if state.pop(kind, None) is not None:
            self._write(STATE_FILE, state)

    def current(self, kind: str) -> dict | None:
        return self.state().get(kind)

    # -- a running server -------------------------------------------------------------------------------

    def record_server(self, url: str) -> None:
        self._write(SERVE_FILE, {"url": url, "pid": os.getpid()})

    def forget_server(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / SERVE_FILE).unlink()

    def running_server(self) -> str | None:
        """The URL of a live `faas serve` on this data dir, if there is one."""
        try:
            record = json.loads((self.path / SERVE_FILE).read_text())
            os.kill(int(record["pid"]), 0)
        except (FileNotFoundError, ValueError, KeyError, TypeError, ProcessLookupError):
            return None
        except PermissionError:  # alive, owned by another user
            pass
        return record.get("url")

    def token(self) -> str | None:
        try:
            return (self.path / "token").read_text().strip() or None
        except FileNotFoundError:
            return None

    # -- ownership --------------------------------------------------------------------------------------

    def acquire(self, wait_s: float = 30.0) -> bool:
        """Take the data dir's lock, waiting up to ``wait_s`` for another command to finish.

        Returns False if it could not (another process still owns the data dir).
        """
        if fcntl is None:
            return True
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / LOCK_FILE, "a+")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_handle = handle
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline or self.running_server():
                    handle.close()
                    return False
                time.sleep(0.1)

    def release(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()  # closing drops the flock
            self._lock_handle = None

    def _write(self, name: str, value: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / name
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(value, indent=2) + "\n")
        os.replace(temporary, target)
