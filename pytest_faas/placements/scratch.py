"""The runtime folders of local platforms (`faas-runtime-*`): made with their owner's name, swept when it died.

A platform removes its runtime folder (unpacked codebases, subprocess logs, the containers' socket) when it
closes. One killed with SIGKILL cannot, so each folder says who made it, and every platform that starts
removes the folders whose owner process is gone.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

PREFIX = "faas-runtime-"
OWNER_FILE = ".owner"  # "<host> <pid>"
# Folders made before owners were written: removed once this old, since their owner cannot be known.
UNOWNED_AGE_S = 24 * 3600


def make_runtime_dir() -> Path:
    """Sweep the folders of dead platforms, then make this process's own."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    (folder / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _dead_owner(folder: Path) -> bool:
    try:
        host, pid = (folder / OWNER_FILE).read_text().split()
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNOWNED_AGE_S
        except OSError:
            return False
    except (OSError, ValueError):
        return False
    # A folder on a temp dir shared with another machine (or container) is that machine's to sweep.
    return host == socket.gethostname() and pid.isdecimal() and not _alive(int(pid))


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the runtime folders under ``root`` (the temp dir) whose owner process is gone; returns them."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(PREFIX + "*"):
        if folder.is_dir() and not folder.is_symlink() and _dead_owner(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
