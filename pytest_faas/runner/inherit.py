"""Per-thread settings of the user's code that the threads it starts inherit: its execution's outbound guard
(``outbound.py``) and its working folder (``workdir.py``).

The agent sets them on the thread that runs the user's code. While any is in use, ``threading.Thread.start``
copies the starting thread's values onto the thread it starts, which keeps them for its whole life, also
after the execution that started it ended (a worker of a pool the function made, a thread it left behind).
"""

from __future__ import annotations

import threading

_ORIGINAL_START = threading.Thread.start
_LOCAL = threading.local()
_NAMES = ("guard", "folder")
_lock = threading.Lock()
_users = 0


def get(name: str):
    """The calling thread's value: set on it by the agent, or inherited when it was started."""
    value = getattr(_LOCAL, name, None)
    if value is None:
        value = getattr(threading.current_thread(), "_faas_" + name, None)
    return value


def put(name: str, value) -> None:
    """Set (None: clear) the calling thread's own value."""
    setattr(_LOCAL, name, value)


def _start(thread: threading.Thread):
    for name in _NAMES:
        value = get(name)
        if value is not None:
            setattr(thread, "_faas_" + name, value)
    return _ORIGINAL_START(thread)


def acquire() -> None:
    """Start handing values on to new threads (counted: each user releases once)."""
    global _users
    with _lock:
        if _users == 0:
            threading.Thread.start = _start
        _users += 1


def release() -> None:
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            threading.Thread.start = _ORIGINAL_START
