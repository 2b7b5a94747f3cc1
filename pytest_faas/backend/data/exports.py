"""Dataset export and commands: what `dataset.download_annotations()` needs.

The platform runs an export as a background command whose ``spec.outputItemId`` names an item holding
the item records, each with its ``annotations``: one JSON array (``exportType: json``), or a zip of one JSON
file per item at the item's path (``zip``, and what an export that names no type gets: dtlpy up to 1.116
unzips it). Locally the export is computed at once and the command is born ``success``: dtlpy sleeps 2 s
before its first poll anyway (docs/platform.md#exports).
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile

from ...dql import compiler as dql
from ..records import command_json
from ...errors import BadRequest
from ...ids import new_id
from .annotations import Annotations
from .items import Items
from .projects import Projects
from ..store import Store

# Inside Binaries, under a dot-folder: hidden, so item triggers with dtlpy's default filter never fire.
EXPORT_FOLDER = "/.exports"


class Exports:
    """Export commands (kind ``commands``)."""

    def __init__(self, store: Store, projects: Projects, items: Items, annotations: Annotations):
        self.store = store
        self.projects = projects
        self.items = items
        self.annotations = annotations

    def export(self, dataset_id: str, payload: dict) -> dict:
        dataset = self.projects.get_dataset(dataset_id)
        if not isinstance(payload, dict):
            raise BadRequest("export body must be a JSON object")
        if payload.get("datasetLock") not in (None, False, True):
            raise BadRequest(f"'datasetLock' must be true or false, found {payload['datasetLock']!r:.100}")
        lock_timeout = self.projects.lock_timeout(payload.get("lockTimeoutSec"))
        items_query = dict(payload.get("itemsQuery") or {"filter": {"$and": [{"hidden": False}, {"type": "file"}]}})
        annotations_options = payload.get("annotations") or {}
        include = annotations_options.get("include", True)
        annotation_filter = dql.compile_filter((payload.get("annotationsQuery") or {}).get("filter"))
        # Every matching item, not one page: the export is the whole selection.
        items_query.update(page=0, pageSize=dql.MAX_PAGE_SIZE)
        records, page = [], 0
        while True:
            items_query["page"] = page
            result = self.items.query(dataset_id, items_query)
            records.extend(result["items"])
            if not result["hasNextPage"]:
                break
            page += 1
        exported = []
        for item in records:
            entry = dict(item)
            if include:
                entry["annotations"] = [a for a in self.annotations.of_item(item["id"]) if annotation_filter(a)]
            exported.append(entry)
        binaries = self.projects.binaries(self.projects.project_of_dataset(dataset))
        command_id = new_id()
        if payload.get("exportType") == "json":
            name, body = f"{command_id}.json", json.dumps(exported, separators=(",", ":")).encode()
        else:
            name, body = f"{command_id}.zip", zipped(exported, payload.get("exportVersion") or "V1")
        output, _ = self.items.upload(binaries["id"], f"{EXPORT_FOLDER}/{name}", body, mode="overwrite")
        spec = {"outputItemId": output["id"], "datasetId": dataset_id, "itemsCount": len(exported)}
        command = command_json("ExportDatasetAsJson", spec, command_id)
        if payload.get("datasetLock"):
            self.projects.lock_dataset(dataset_id, lock_timeout)
        return self.store.put("commands", command)

    def command(self, command_id: str) -> dict:
        return self.store.get("commands", command_id, "Command")


def zipped(exported: list[dict], export_version: str) -> bytes:
    """One ``<item path>.json`` per item, as dtlpy's ``ExportVersion`` names it: ``V1`` drops the item's own
    extension (``train/a.json``), ``V2`` keeps it (``train/a.png.json``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in exported:
            path = (entry.get("filename") or entry.get("name") or entry["id"]).lstrip("/")
            if export_version == "V1":
                path = posixpath.splitext(path)[0]
            archive.writestr(path + ".json", json.dumps(entry, separators=(",", ":")))
    return buffer.getvalue()
