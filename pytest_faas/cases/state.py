"""What a case left on the platform, against its mock file's ``expect.items`` and ``expect.annotations``.

Asked once the execution has ended, through the platform's REST API as any client would ask it (the DQL of
``POST /datasets/{id}/query``, an item's annotations), so that a remote platform answers the same. Each miss
is one line naming what was expected and what was found:
``annotations of img-1: expected 3 (car box), found 2 (car box x2)``.
"""

from __future__ import annotations

from collections import Counter

from ..errors import PlatformError
from ..manifests.mock_state import ExpectedAnnotations, ExpectedItems, ExpectedState
from ..runner.client import PlatformClient

SHOWN = 5  # item paths named in a miss


def misses(client: PlatformClient, expect: ExpectedState, project_id: str, ended: bool = True) -> list[str]:
    """Every expectation of ``expect.items`` and ``expect.annotations`` the case's project does not meet; none
    while the run has not ended (its state is not final yet)."""
    found: list[str] = []
    if not ended:
        return found
    if expect.items:
        datasets = client.post("/datasets/query", {"filter": {}, "context": {"projects": [project_id]},
                                                   "pageSize": 1000})["items"]
        found += [miss for entry in expect.items if (miss := _items_miss(client, entry, datasets))]
    found += [miss for entry in expect.annotations if (miss := _annotations_miss(client, entry))]
    return found


def _wanted(count: int | None) -> str:
    return "at least 1" if count is None else str(count)


def _met(count: int | None, found: int) -> bool:
    return found >= 1 if count is None else found == count


def _items_miss(client: PlatformClient, entry: ExpectedItems, datasets: list[dict]) -> str | None:
    targets = [d for d in datasets if entry.dataset in (None, d["id"], d["name"])]
    if not targets:
        names = ", ".join(sorted(d["name"] for d in datasets)) or "none"
        return f"{entry.describe()}: expected {_wanted(entry.count)}, found no dataset {entry.dataset} " \
               f"(the case's datasets: {names})"
    # As dtlpy's Filters do by default: files, not the folders an upload makes, unless the filter says.
    defaults = [{key: value} for key, value in (("type", "file"), ("hidden", False)) if key not in entry.filter]
    query = {"$and": [entry.filter, *defaults]} if defaults else entry.filter
    matched, total = [], 0
    for dataset in targets:
        page = client.post(f"/datasets/{dataset['id']}/query",
                           {"resource": "items", "filter": query, "pageSize": SHOWN})
        total += page["totalItemsCount"]
        matched += [item["filename"] for item in page["items"]]
    if _met(entry.count, total):
        return None
    if matched:
        shown = ", ".join(sorted(matched)[:SHOWN]) + (", ..." if total > SHOWN else "")
    else:  # what is there instead, so the author sees the near miss
        held = [item["filename"] for dataset in targets for item in client.post(
            f"/datasets/{dataset['id']}/query", {"resource": "items", "filter": {"type": "file"},
                                                 "pageSize": SHOWN})["items"]]
        shown = "the datasets hold " + (", ".join(sorted(held)[:SHOWN]) or "no item")
    return f"{entry.describe()}: expected {_wanted(entry.count)}, found {total} ({shown})"


def _annotations_miss(client: PlatformClient, entry: ExpectedAnnotations) -> str | None:
    kinds = [part for part in (" or ".join(entry.labels or []), entry.type) if part]
    wanted = _wanted(entry.count) + (f" ({' '.join(kinds)})" if kinds else "")
    try:
        annotations = client.get(f"/items/{entry.item}/annotations")
    except PlatformError as exc:
        if exc.status != 404:
            raise
        return f"annotations of {entry.item}: expected {wanted}, found no item {entry.item}"
    annotations = annotations if isinstance(annotations, list) else annotations.get("items", [])
    found = sum(1 for annotation in annotations if entry.counts(annotation))
    if _met(entry.count, found):
        return None
    by_kind = Counter(f"{a.get('label')} {a.get('type')}" for a in annotations)
    listed = ", ".join(f"{kind} x{n}" for kind, n in sorted(by_kind.items())) or "none on the item"
    return f"annotations of {entry.item}: expected {wanted}, found {found} ({listed})"

