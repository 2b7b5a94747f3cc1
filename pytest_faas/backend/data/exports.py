"""Dataset export and commands: what `dataset.download_annotations()` needs.

The platform runs an export as a background command whose ``spec.outputItemId`` names an item holding a
JSON array of item records, each with its ``annotations``. Locally the export is computed at once and the
command is born ``success``: dtlpy sleeps 2 s before its first poll anyway (docs/platform.md#exports).
"""

from __future__ import annotations

import json

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
        body = json.dumps(exported, separators=(",", ":")).encode()
        output, _ = self.items.upload(binaries["id"], f"{EXPORT_FOLDER}/{command_id}.json", body, mode="overwrite")
        spec = {"outputItemId": output["id"], "datasetId": dataset_id, "itemsCount": len(exported)}
        command = command_json("ExportDatasetAsJson", spec, command_id)
        return self.store.put("commands", command)

    def command(self, command_id: str) -> dict:
        return self.store.get("commands", command_id, "Command")
