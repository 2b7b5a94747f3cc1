"""Bulk changes through a query: ``POST /datasets/{id}/query`` with ``"delete": true`` or ``"update": {...}``.

dtlpy's ``items.delete(filters=...)``, ``items.update(filters=..., update_values=...)`` and
``annotations.delete(filters=...)`` send these (``Filters.prepare(operation=...)``). Every match of the
filter is changed, whatever the page: the paging keys the query carries are ignored. Each change goes
through the item or annotation's own delete or update, so counters move and ``Deleted``/``Updated``
events fire for each one. The whole body is checked before anything changes. Task and assignment
``references`` are not reproduced: 501.
"""

from __future__ import annotations

from ...dql import compiler as dql
from ...errors import BadRequest, NotSupported
from .annotations import Annotations
from .items import Items

# What a bulk update may set, by resource; anything else is refused rather than dropped.
_ITEM_FIELDS = ("metadata", "description")
_ANNOTATION_FIELDS = ("metadata", "label", "attributes", "description")
_ROUTE = "POST /datasets/{id}/query"


def is_bulk(query: dict) -> bool:
    return "delete" in query or "update" in query or "references" in query


class Bulk:
    def __init__(self, items: Items, annotations: Annotations):
        self.items = items
        self.annotations = annotations

    def run(self, dataset_id: str, query: dict) -> dict | list:
        if query.get("references") is not None:
            raise NotSupported(f"{_ROUTE} with 'references' (task and assignment operations) is not supported "
                               "by the local platform")
        if "delete" in query and "update" in query:
            raise BadRequest("a query may delete or update, not both")
        resource = query.get("resource", "items")
        if "delete" in query:
            if query["delete"] is not True:
                raise BadRequest(f"'delete' must be true when present, found {query['delete']!r}")
            return self._delete(dataset_id, resource, query)
        return self._update(dataset_id, resource, query)

    def _matches(self, dataset_id: str, resource: str, query: dict) -> list[dict]:
        everything = {key: value for key, value in query.items() if key not in ("page", "pageSize")}
        found, page = [], 0
        while True:  # every page: a bulk change is not limited to the page the query names
            listing = (self.items if resource == "items" else self.annotations).query(
                dataset_id, {**everything, "page": page, "pageSize": dql.MAX_PAGE_SIZE})
            found += listing["items"]
            if not listing["hasNextPage"]:
                return found
            page += 1

    def _delete(self, dataset_id: str, resource: str, query: dict) -> dict:
        matches = self._matches(dataset_id, resource, query)
        deleted = 0
        for record in matches:
            store = self.items.store
            if store.find(resource, record["id"]) is None:  # inside a folder deleted before it
                continue
            (self.items if resource == "items" else self.annotations).delete(record["id"])
            deleted += 1
        return {"deleted": deleted}

    def _update(self, dataset_id: str, resource: str, query: dict) -> list[dict]:
        change = query["update"]
        allowed = _ITEM_FIELDS if resource == "items" else _ANNOTATION_FIELDS
        if not isinstance(change, dict) or not change:
            raise BadRequest(f"'update' must be a non-empty object of fields to set, found {change!r}")
        unknown = sorted(set(change) - set(allowed))
        if unknown:
            raise BadRequest(f"a bulk update of {resource} cannot set {', '.join(unknown)}; it sets "
                             f"{', '.join(allowed)}")
        if "metadata" in change and not isinstance(change["metadata"], dict):
            raise BadRequest(f"'update.metadata' must be an object, found {change['metadata']!r}")
        system = (change.get("metadata") or {}).get("system")
        if system is not None and (resource != "items" or query.get("systemSpace") is not True):
            raise BadRequest("'update.metadata.system' changes items' system metadata only, with "
                             "'systemSpace': true (dtlpy: system_metadata=True)")
        for key, kinds, words in (("description", (str, type(None)), "a string"), ("label", (str,), "a string"),
                                  ("attributes", (list, dict), "a list or an object")):
            if key in change and not isinstance(change[key], kinds):
                raise BadRequest(f"'update.{key}' must be {words}, found {change[key]!r}")
        matches = self._matches(dataset_id, resource, query)
        if resource == "items":
            return [self.items.patch(r["id"], change, system=system is not None) for r in matches]
        return [self.annotations.update(r["id"], change) for r in matches]
