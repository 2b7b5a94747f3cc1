"""Set a service's environment variables for its code, in whichever process the agent runs.

A subprocess or container agent is the whole process and serves one replica: the variables are set in
``os.environ`` for good, as a platform sets a pod's. A thread agent shares the test process, whose
``os.environ`` is one for every thread: there the variables are set when the replica starts and restored
(removed, or back to the value they had) when the last replica that set them stops. Meanwhile the test
code and the other services of the process see them too, and two services that want one variable with
different values cannot both run: the second fails to start, naming the variable (the replicas of one
service may: a restart with new variables starts the new replica while the old one drains).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field

from .loader import LoadError

_lock = threading.Lock()


@dataclass
class _Shared:
    """A variable set by thread agents: its value, the replicas that set it (by service), the value before."""

    value: str
    before: str | None
    users: Counter = field(default_factory=Counter)


_shared: dict[str, _Shared] = {}


def apply(env: dict[str, str], owns_process: bool, owner: str = ""):
    """Set ``env`` for a replica of service ``owner``; returns what undoes it (a no-op for an agent that owns
    its process). A replica of the same service may change a value (a restart with new variables)."""
    if not env:
        return lambda: None
    if owns_process:
        os.environ.update(env)
        return lambda: None
    with _lock:
        clashes = [name for name, value in env.items() if name in _shared and _shared[name].value != value
                   and set(_shared[name].users) - {owner}]
        if clashes:
            raise LoadError(
                f"environment variable {clashes[0]} is already set to another value by a service running in this "
                "process: in the thread placement services share the test process's environment; give them the "
                "same value, or run them apart with --faas-placement=subprocess")
        for name, value in env.items():
            entry = _shared.setdefault(name, _Shared(value, os.environ.get(name)))
            entry.value = value
            entry.users[owner] += 1
            os.environ[name] = value
    return lambda: _release(env, owner)


def _release(env: dict[str, str], owner: str) -> None:
    with _lock:
        for name in env:
            entry = _shared.get(name)
            if entry is None or entry.users[owner] <= 0:
                continue
            entry.users[owner] -= 1
            if entry.users[owner] == 0:
                del entry.users[owner]
            if not entry.users:
                del _shared[name]
                if entry.before is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = entry.before
