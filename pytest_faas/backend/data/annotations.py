"""Annotations: upload a list onto an item, get, update, delete, and query within a dataset.

dtlpy drops (and then fails on) any returned annotation that lacks ``type, label, creator, createdAt,
updatedBy, updatedAt`` (docs/platform.md#annotations), so every record is built complete by
:func:`pytest_faas.backend.records.annotation_json`. The item's ``annotated`` and ``annotationsCount``
follow its annotations.
"""

from __future__ import annotations

from ...dql import compiler as dql
from ...errors import BadRequest
from ...ids import now_iso
from .. import records as entities
from ..events import Event, EventBus
from .items import Items, deep_merge
from .projects import Projects
from ..store import Store


class Annotations:
    """Annotation records (kind ``annotations``, parent: item id)."""

    _FIXED = ("id", "itemId", "datasetId", "creator", "createdAt", "url", "item", "dataset")

    def __init__(self, store: Store, bus: EventBus, projects: Projects, items: Items):
        self.store = store
        self.bus = bus
        self.projects = projects
        self.items = items

    def get(self, annotation_id: str) -> dict:
        return self.store.get("annotations", annotation_id, "Annotation")

    def upload(self, item_id: str, sent: list | dict, keep_ids: bool = False) -> list[dict]:
        """Store annotations on an item; ``keep_ids`` (seeding only) keeps the ``id`` each one names."""
        self.items.get(item_id)
        if isinstance(sent, dict):
            sent = [sent]
        if not isinstance(sent, list):
            raise BadRequest("annotations upload body must be a JSON list of annotations")
        for index, annotation in enumerate(sent):
            if not isinstance(annotation, dict):
                raise BadRequest(f"annotation [{index}] must be a JSON object, found {type(annotation).__name__}")
            if not annotation.get("type"):
                raise BadRequest(f"annotation [{index}] has no 'type' (e.g. 'class', 'box')")
            if keep_ids and annotation.get("id") is not None:
                if not isinstance(annotation["id"], str) or not annotation["id"]:
                    raise BadRequest(f"annotation [{index}] 'id' must be a non-empty string")
                if self.store.find("annotations", annotation["id"]) is not None:
                    raise BadRequest(f"annotation [{index}]: an annotation with id {annotation['id']!r} exists")
        # One transaction: the item cannot be deleted or patched between the check and the recount, so
        # an upload neither brings a deleted item back nor undoes a concurrent PATCH.
        with self.store.transaction():
            item = self.items.get(item_id)
            records = [self.store.put("annotations", entities.annotation_json(
                           item, a, annotation_id=a.get("id") if keep_ids else None), parent=item_id)
                       for a in sent]
            self._recount(item_id)
            project_id = self.items.project_of(item)
        for record in records:
            self.bus.publish(Event("Annotation", "Created", record, project_id))
        return records

    def update(self, annotation_id: str, change: dict) -> dict:
        if not isinstance(change, dict):
            raise BadRequest("annotation update body must be a JSON object")
        change = {k: v for k, v in change.items() if k not in self._FIXED}
        with self.store.transaction():
            record = self.get(annotation_id)
            updated = deep_merge(record, change)
            updated["updatedAt"] = now_iso()
            updated["updatedBy"] = entities.LOCAL_USER
            self.store.put("annotations", updated)
            project_id = self.items.project_of(self.items.get(record["itemId"]))
        self.bus.publish(Event("Annotation", "Updated", updated, project_id))
        return updated

    def delete(self, annotation_id: str) -> dict:
        with self.store.transaction():
            record = self.get(annotation_id)
            self.store.delete("annotations", annotation_id)
            project_id = self.items.project_of(self._recount(record["itemId"]))
        self.bus.publish(Event("Annotation", "Deleted", record, project_id))
        return record

    def _recount(self, item_id: str) -> dict:
        # Counted from the store rather than adjusted, so a partial failure can never leave it skewed; the
        # caller's transaction makes the read of the item, the count and the write one step.
        # Not published as an Item "Updated" event: a function that annotates the item it was triggered
        # by would otherwise trigger itself again through an Updated trigger.
        item = self.items.get(item_id)
        count = len(self.store.children("annotations", item_id))
        was_annotated = bool(item.get("annotated"))
        record = dict(item, annotated=count > 0, annotationsCount=count)
        self.store.put("items", record)
        self.projects.count_items(item["datasetId"], annotations=count - item.get("annotationsCount", 0),
                                  annotated=int(count > 0) - int(was_annotated))
        return record

    def query(self, dataset_id: str, query: dict) -> dict:
        """``POST /datasets/{id}/query`` for resource annotations."""
        self.projects.get_dataset(dataset_id)
        docs = [a for item in self.store.children("items", dataset_id)
                for a in self.store.children("annotations", item["id"])]
        return dql.run_query(docs, query, default_sort={"id": "ascending"})

    def of_item(self, item_id: str) -> list[dict]:
        return self.store.children("annotations", item_id)
