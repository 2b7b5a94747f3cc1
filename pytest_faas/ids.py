"""Entity ids and timestamps in the platform's shapes.

Ids are 24 hex digits like the platform's (Mongo ObjectId-sized). They start with the creation time in
milliseconds, so sorting by id is sorting by creation: keyset paging (`id > last`) then follows insertion
order, and a restarted platform on the same data dir keeps issuing ids that sort after the old ones.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time

_lock = threading.Lock()
_last_ms = 0
# A random start per process keeps two processes writing in the same millisecond apart.
_counter = int.from_bytes(os.urandom(4), "big")


_HEX24 = frozenset("0123456789abcdef")


def is_object_id(text: str) -> bool:
    """Whether ``text`` has the shape of a platform id: 24 lowercase hex digits."""
    return isinstance(text, str) and len(text) == 24 and set(text) <= _HEX24


def new_id() -> str:
    """Return a fresh, strictly increasing (within this process) 24-hex-digit id."""
    global _last_ms, _counter
    with _lock:
        now = max(int(time.time() * 1000), _last_ms)
        _last_ms = now
        _counter = (_counter + 1) % (1 << 48)
        return f"{now:012x}{_counter:012x}"


def now_iso() -> str:
    """The current UTC time as the platform writes it: ISO 8601 with milliseconds and a Z."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp (with or without Z or offset) into an aware UTC datetime."""
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)
