"""The platform's event bus: data changes published to whoever listens (the FaaS engine's triggers).

Publishing is synchronous and in the publisher's thread: a listener must be quick (the engine only
matches filters and records executions; it never runs user code here). A failing listener is logged and
does not fail the data change that caused the event.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One change of one resource, as triggers see it.

    Attributes:
        resource: ``Item``, ``Dataset`` or ``Annotation`` (the `dl.TriggerResource` names).
        action: ``Created``, ``Updated`` or ``Deleted``.
        document: the resource's record after the change (before it, for Deleted).
        project_id: the project the resource lives in.
    """

    resource: str
    action: str
    document: dict = field(repr=False)
    project_id: str


Listener = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken listener must not undo the change that was already stored
                log.exception("event listener %r failed on %s %s", listener, event.resource, event.action)
