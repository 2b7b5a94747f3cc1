"""Seeding: create datasets and items with exactly the ids a mock file names, replacing earlier ones.

A generated case must start from what its mock file declares, every time: an entity with a fixed id left
by an earlier case is removed and made again. These are private routes (under ``/_faas/``) so that the
harness seeds a remote `faas serve` the same way as an in-process platform.
"""

from __future__ import annotations

import base64
import binascii

from ...errors import BadRequest
from .annotations import Annotations
from ..web.bodies import SeedDataset, SeedItem
from ..web.wsgi import Route, check, read_json
from .items import Items
from .projects import Projects


class Seeder:
    """Replace-or-create for datasets and items."""

    def __init__(self, projects: Projects, items: Items, annotations: Annotations):
        self.projects = projects
        self.items = items
        self.annotations = annotations

    def dataset(self, project_id: str, name: str, dataset_id: str | None = None) -> dict:
        self.projects.get_project(project_id)
        if dataset_id is not None and self.projects.store.find("datasets", dataset_id) is not None:
            self._drop_dataset(dataset_id)
        for existing in self.projects.store.children("datasets", project_id):
            if existing["name"] == name:
                self._drop_dataset(existing["id"])
        return self.projects.create_dataset(project_id, name, dataset_id=dataset_id)

    def _drop_dataset(self, dataset_id: str) -> None:
        for item in self.projects.store.children("items", dataset_id):
            if self.items.store.find("items", item["id"]) is not None:  # not inside a folder deleted before
                self.items.delete(item["id"])
        self.projects.delete_dataset(dataset_id)

    def item(self, dataset_id: str, remote_path: str, data: bytes, *, item_id: str | None = None,
             metadata: dict | None = None, annotations: list | None = None) -> dict:
        if annotations is not None and (not isinstance(annotations, list)
                                        or not all(isinstance(a, dict) for a in annotations)):
            raise BadRequest("an item's 'annotations' must be a list of annotation objects")
        if item_id is not None and self.items.store.find("items", item_id) is not None:
            self.items.delete(item_id)
        record, op = self.items.upload(dataset_id, remote_path, data, mode="skip", metadata=metadata,
                                       item_id=item_id if item_id is not None else None)
        if op == "skip":  # another item had this path: the seeded one replaces it
            self.items.delete(record["id"])
            record, _ = self.items.upload(dataset_id, remote_path, data, metadata=metadata, item_id=item_id)
        if annotations:
            for annotation in annotations:  # left by an earlier case: this one's replaces it
                fixed = annotation.get("id")
                if isinstance(fixed, str) and self.annotations.store.find("annotations", fixed) is not None:
                    self.annotations.delete(fixed)
            self.annotations.upload(record["id"], annotations, keep_ids=True)
            record = self.items.get(record["id"])
        return record


def seed_routes(seeder: Seeder) -> list[Route]:
    def seed_dataset(request):
        body = read_json(request, expect=dict)
        if not body.get("projectId") or not body.get("name"):
            raise BadRequest("seed a dataset with {projectId, name[, id]}")
        check(SeedDataset, body)
        return seeder.dataset(body["projectId"], body["name"], body.get("id"))

    def seed_item(request):
        body = read_json(request, expect=dict)
        if not body.get("datasetId") or not body.get("path"):
            raise BadRequest("seed an item with {datasetId, path, contentBase64[, id, metadata, annotations]}")
        check(SeedItem, body)
        try:
            data = base64.b64decode(body.get("contentBase64") or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"contentBase64 is not valid base64: {exc}") from None
        return seeder.item(body["datasetId"], body["path"], data, item_id=body.get("id"),
                           metadata=body.get("metadata"), annotations=body.get("annotations"))

    return [Route("/_faas/seed/datasets", ("POST",), seed_dataset),
            Route("/_faas/seed/items", ("POST",), seed_item)]
