"""`faas serve --watch DIR`: push a package folder again whenever its files change.

The platform restarts the services that run a package when a new version is pushed, so a push is the whole
redeploy. The push runs as a separate `faas` process against the server (its own dtlpy binding, the
server's data dir for the checked-out project), exactly as a person would type it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

# Folders that are never the package's code: the platform's store, caches, tools.
_SKIP_DIRS = {".faas", ".dataloop", "__pycache__", ".git", ".venv", "venv", ".pytest_cache", ".mypy_cache",
              ".ruff_cache", "node_modules"}
_MAX_FILES = 5000  # bounded: a folder this big is not a package (a dataset, a venv) and is not watched further
FAAS = [sys.executable, "-c", "import sys; from pytest_faas.cli import main; sys.exit(main())"]


def snapshot(folder: Path) -> dict[str, tuple[float, int]]:
    """``relative path -> (mtime, size)`` of the folder's files."""
    found: dict[str, tuple[float, int]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        for name in files:
            path = Path(root, name)
            try:
                stat = path.stat()
            except OSError:
                continue  # removed while walking
            found[path.relative_to(folder).as_posix()] = (stat.st_mtime, stat.st_size)
            if len(found) >= _MAX_FILES:
                return found
    return found


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


class PackageWatch:
    """Polls package folders; after a change has been quiet for ``settle_s``, pushes that folder."""

    def __init__(self, folders: list[Path], push_args: list[str], echo: Callable[[str], None],
                 interval_s: float = 0.5, settle_s: float = 0.5, env: dict[str, str] | None = None):
        self.folders = [Path(f).resolve() for f in folders]
        self.push_args = push_args
        self.env = env  # the push's environment: where its token travels (never on a command line)
        self.echo = echo
        self.interval_s = interval_s
        self.settle_s = settle_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="faas-serve-watch", daemon=True)
        self.pushes = 0

    def start(self) -> "PackageWatch":
        # The first look is taken before start returns: a change made right after it is a change, however
        # late the thread is scheduled.
        self._seen = {folder: snapshot(folder) for folder in self.folders}
        self._thread.start()
        for folder in self.folders:
            self.echo(f"watching {folder}: a change pushes it again (its services restart on the new version)")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        seen = self._seen
        pending: dict[Path, tuple[float, list[str]]] = {}
        while not self._stop.wait(self.interval_s):
            now = time.monotonic()
            for folder in self.folders:
                current = snapshot(folder)
                names = changed(seen[folder], current)
                if names:
                    seen[folder] = current
                    earlier = pending.get(folder, (now, []))[1]
                    pending[folder] = (now, sorted(set(earlier) | set(names)))
                elif folder in pending and now - pending[folder][0] >= self.settle_s:
                    _, names = pending.pop(folder)
                    self.push(folder, names)

    def push(self, folder: Path, names: list[str]) -> None:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        try:
            result = subprocess.run(FAAS + self.push_args + ["packages", "push", "--src-path", str(folder)],
                                    capture_output=True, text=True, timeout=300, env=self.env)
        except subprocess.TimeoutExpired:
            self.echo(f"{time.strftime('%H:%M:%S')} {shown} changed: push did not finish within 300 s")
            return
        said = (result.stdout.strip() or result.stderr.strip()).splitlines()
        first = said[0] if said else f"exit status {result.returncode}"
        if result.returncode == 0:
            self.pushes += 1
            self.echo(f"{time.strftime('%H:%M:%S')} {shown} changed: {first}")
        else:
            self.echo(f"{time.strftime('%H:%M:%S')} {shown} changed, not pushed: {result.stderr.strip() or first}")
