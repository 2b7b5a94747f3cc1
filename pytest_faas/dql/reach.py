"""Trigger filters that can never match: said before a trigger waits for an event it will never see.

The platform accepts any filter that compiles, so a trigger whose filter no record can satisfy is created
and silently never fires. This reads a filter's top-level conjunction (its fields and ``$and`` entries; an
``$or`` is left alone) and names what rules out every record: a field the resource's records do not have,
required to be there; one path required to equal two different values; ``$in`` of an empty list; an item
``type`` other than ``file`` or ``dir``. Conservative by design: what it says is certain, what it cannot
prove is not reported (docs/platform.md#dql-filters).
"""

from __future__ import annotations

import difflib
from typing import Any, Iterator

from .compiler import MAX_DEPTH, dotted_fields

# The top-level fields of the records an Event trigger sees (records.item_json, annotation_json, dataset_json).
RECORD_FIELDS = {
    "Item": {"id", "datasetId", "projectId", "filename", "name", "dir", "type", "hidden", "annotated",
             "annotationsCount", "createdAt", "updatedAt", "creator", "updatedBy", "metadata", "url", "stream",
             "thumbnail", "dataset", "annotations", "spec", "description"},
    "Annotation": {"id", "itemId", "datasetId", "type", "label", "attributes", "coordinates", "description",
                   "metadata", "source", "hash", "creator", "createdAt", "updatedBy", "updatedAt", "url", "item",
                   "dataset", "status"},
    "Dataset": {"id", "name", "projects", "creator", "createdAt", "updatedAt", "updatedBy", "itemsCount",
                "annotated", "annotationsCount", "readonly", "accessLevel", "readableType", "driver", "metadata",
                "directoryTree", "export", "url", "items", "indexDriver"},
}
_SYSTEM = ("mimetype", "size", "width", "height", "originalname")  # under metadata.system, often written bare
_MATCH_MISSING = ("$ne", "$nin", "$exists")  # conditions a record without the field can still satisfy
# Fields that hold one scalar: equal to two values at once is impossible (an array field can hold both).
_SCALARS = {"id", "dir", "filename", "name", "type", "hidden", "annotated", "datasetId", "projectId", "itemId",
            "creator", "label", "metadata.system.mimetype", "metadata.system.originalname"}


def _conjunction(filt: Any, loc: str, depth: int = 0) -> Iterator[tuple[str, str, Any]]:
    """``(place, path, condition)`` for every condition every matching record must meet."""
    if not isinstance(filt, dict) or depth > MAX_DEPTH:
        return
    for key, value in filt.items():
        if key == "$and" and isinstance(value, list):
            for i, entry in enumerate(value):
                yield from _conjunction(entry, f"{loc}.$and[{i}]", depth + 1)
        elif isinstance(key, str) and not key.startswith("$"):
            for path, condition in dotted_fields(key, value, depth):
                yield f"{loc}.{key}", path, condition


def _literal(condition: Any) -> tuple[bool, Any]:
    """Whether the condition is plain equality to a value that no wildcard widens, and that value."""
    if isinstance(condition, dict) and set(condition) == {"$eq"}:
        condition = condition["$eq"]
    if isinstance(condition, (dict, list)) or (isinstance(condition, str) and "*" in condition):
        return False, None
    return True, condition


def _needs_field(condition: Any) -> bool:
    if isinstance(condition, dict) and any(isinstance(k, str) and k.startswith("$") for k in condition):
        if any(op in condition for op in _MATCH_MISSING) or condition.get("$eq", 0) is None:
            return condition.get("$exists") is True
        return not (isinstance(condition.get("$in"), list) and None in condition["$in"])
    return condition is not None


def never_matches(filt: dict | None, resource: str | None) -> list[str]:
    """Why no record of ``resource`` can match ``filt``; empty when it might match (or cannot be told)."""
    reasons = []
    fields = RECORD_FIELDS.get(resource or "")
    equal: dict[str, tuple[str, Any]] = {}
    for place, path, condition in _conjunction(filt or {}, "filter"):
        first = path.split(".", 1)[0]
        if isinstance(condition, dict) and condition.get("$in") == []:
            reasons.append(f"{place}: $in of an empty list matches nothing")
        if fields is not None and first not in fields and _needs_field(condition):
            hint = f"metadata.system.{first}" if first in _SYSTEM else next(iter(
                difflib.get_close_matches(first, sorted(fields), 1, 0.75)), None)
            reasons.append(f"{place}: no {resource} has a field {first!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        plain, value = _literal(condition)
        if not plain:
            continue
        if resource == "Item" and path == "type" and value not in ("file", "dir"):
            reasons.append(f"{place}: an item's type is 'file' or 'dir', never {value!r}")
        if path in _SCALARS and path in equal and equal[path][1] != value:
            reasons.append(f"{place}: {path} cannot equal both {equal[path][1]!r} ({equal[path][0]}) and {value!r}")
        equal.setdefault(path, (place, value))
    return reasons
