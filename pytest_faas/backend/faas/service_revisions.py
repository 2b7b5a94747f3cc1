"""``GET /services/{id}/revisions``: the service as it was after each change, oldest first.

A snapshot is kept (kind ``service_revisions``, parent: the service id) whenever the service's record
changes: its creation, each update (``service.update()``, a deploy over it) and each pause or resume. A
restart changes nothing and adds none. The snapshots go with the service.
"""

from __future__ import annotations

from ...ids import new_id
from .services import Services
from ..store import Store

KIND = "service_revisions"


class ServiceRevisions:
    def __init__(self, store: Store, services: Services):
        self.store = store
        self.services = services
        services.listeners.append(self.on_service)

    def on_service(self, action: str, service: dict) -> None:
        if action == "delete":
            for revision in self.store.children(KIND, service["id"]):
                self.store.delete(KIND, revision["id"])
            return
        current = self.services.get(service["id"])  # the stored record, not the listener's copy
        kept = self.store.children(KIND, service["id"])
        if kept and kept[-1]["service"]["updatedAt"] == current["updatedAt"]:
            return
        self.store.put(KIND, {"id": new_id(), "service": current}, parent=service["id"])

    def list(self, service_id: str) -> list[dict]:
        current = self.services.get(service_id)
        # A service stored before revisions were kept (an older data dir) has its current state as one.
        return [revision["service"] for revision in self.store.children(KIND, service_id)] or [current]
