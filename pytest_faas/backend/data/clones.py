"""Cloning datasets and items: ``POST /datasets/{id}/clone`` and ``POST /items/{id}/clone``.

Both answer a command that has finished (``records.command_json``), whose ``spec.returnedModelId`` names
the new dataset, or a list with the new item's id, as dtlpy's ``command.wait()`` then reads it. A clone
copies the bytes, the metadata (user metadata only with ``withMetadata: false``) and, with
``withItemsAnnotations``, the annotations; each cloned file is an upload into the target dataset, with its
``Item Created`` event. There are no tasks locally, so ``withTaskAnnotationsStatus`` has nothing to copy.
"""

from __future__ import annotations

import copy
import posixpath
from typing import TYPE_CHECKING

from . import directories
from ...dql import compiler as dql
from .. import records
from ...errors import BadRequest

if TYPE_CHECKING:
    from ..store import Store
    from .annotations import Annotations
    from .items import Items
    from .projects import Projects


def _flag(params: dict, name: str, default: bool) -> bool:
    value = params.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"'cloneDatasetParams.{name}' must be true or false, found {value!r}")
    return value


def _params(body: dict) -> dict:
    params = body.get("cloneDatasetParams") or {}
    if not isinstance(params, dict):
        raise BadRequest(f"'cloneDatasetParams' must be an object, found {params!r}")
    return params


class Clones:
    def __init__(self, store: "Store", projects: "Projects", items: "Items", annotations: "Annotations"):
        self.store, self.projects, self.items, self.annotations = store, projects, items, annotations

    def _copy(self, item: dict, target: dict, filename: str, with_metadata: bool, with_annotations: bool,
              extra_metadata: dict | None = None) -> dict:
        metadata = copy.deepcopy(item["metadata"]) if with_metadata else {"user": {}}
        metadata.pop("system", None)
        metadata.update(copy.deepcopy(extra_metadata or {}))
        data = self.items.read(item["id"])
        clone, _ = self.items.upload(target["id"], filename, data, metadata=metadata,
                                     description=item.get("description"))
        if with_annotations:
            annotations = self.annotations.of_item(item["id"])
            if annotations:
                self.annotations.upload(clone["id"], [copy.deepcopy(a) for a in annotations])
        self.items.announce_clone(self.items.get(clone["id"]))
        return clone

    def dataset(self, dataset_id: str, body: dict) -> dict:
        projects, items = self.projects, self.items
        source = projects.get_dataset(dataset_id)
        params = _params(body)
        with_metadata = _flag(params, "withMetadata", True)
        with_annotations = _flag(params, "withItemsAnnotations", True)
        _flag(params, "withTaskAnnotationsStatus", True)
        folder = params.get("targetDirectory") or "/"
        if not isinstance(folder, str):
            raise BadRequest(f"'cloneDatasetParams.targetDirectory' must be a string, found {folder!r}")
        try:  # checked before the new dataset is made: a refused clone leaves nothing behind
            dql.item_path(folder, "checked")
        except ValueError as exc:
            raise BadRequest(f"invalid 'cloneDatasetParams.targetDirectory' {folder[:200]!r}: {exc}") from None
        query = body.get("filter") or {}
        if not isinstance(query, dict):
            raise BadRequest(f"'filter' must be a prepared query object, found {query!r}")
        matches = [i for i in self._all(dataset_id, query) if not directories.is_dir(i)]
        target_id = params.get("targetDatasetId")
        if target_id is not None:
            target = projects.get_dataset(target_id)
        else:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise BadRequest("a clone needs a 'name' for the new dataset or "
                                 "'cloneDatasetParams.targetDatasetId'")
            target = projects.create_dataset(projects.project_of_dataset(source), name)
        for item in matches:
            filename = posixpath.join(folder, item["filename"].lstrip("/"))
            if items.by_filename(target["id"], dql.item_path(filename)["filename"]) is None:
                self._copy(item, target, filename, with_metadata, with_annotations)
        return self._command("cloneDataset", {"returnedModelId": target["id"], "datasetId": dataset_id})

    def _all(self, dataset_id: str, query: dict) -> list[dict]:
        found, page = [], 0
        while True:
            listing = self.items.query(dataset_id, {**query, "page": page, "pageSize": dql.MAX_PAGE_SIZE})
            found += listing["items"]
            if not listing["hasNextPage"]:
                return found
            page += 1

    def item(self, item_id: str, body: dict) -> dict:
        item = self.items.get(item_id)
        if directories.is_dir(item):
            raise BadRequest(f"{item['filename']!r} is a directory; clone the files inside it")
        target_id = body.get("targetDatasetId")
        if not isinstance(target_id, str) or not target_id:
            raise BadRequest("an item clone needs 'targetDatasetId'")
        target = self.projects.get_dataset(target_id)
        filename = body.get("remoteFileName") or item["filename"]
        if not isinstance(filename, str):
            raise BadRequest(f"'remoteFileName' must be a string, found {filename!r}")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise BadRequest(f"'metadata' must be an object, found {metadata!r}")
        params = _params(body)
        try:
            path = dql.item_path(filename)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"invalid 'remoteFileName' {filename!r}: {exc}") from None
        if self.items.by_filename(target_id, path["filename"]) is not None:
            raise BadRequest(f"dataset {target_id} already has an item {path['filename']!r}; give the clone "
                             "another 'remoteFileName'")
        clone = self._copy(item, target, path["filename"], _flag(params, "withMetadata", True),
                           _flag(params, "withItemsAnnotations", True), extra_metadata=metadata)
        return self._command("cloneItem", {"returnedModelId": [clone["id"]], "itemId": item_id})

    def into_dataset(self, item_id: str, dataset_id: str, folder: str | None) -> dict:
        """An item placed in a dataset's folder, as a pipeline's dataset node does: the item itself when it is
        there already (in that folder, or anywhere in the dataset when the node names none), else its copy
        (metadata and annotations) in the folder, or the copy made before."""
        item = self.items.get(item_id)
        if item["datasetId"] == dataset_id and folder in (None, item["dir"]):
            return item
        target = self.projects.get_dataset(dataset_id)
        filename = dql.item_path(posixpath.join(folder or "/", posixpath.basename(item["filename"])))["filename"]
        return (self.items.by_filename(dataset_id, filename)
                or self._copy(item, target, filename, with_metadata=True, with_annotations=True))

    def _command(self, kind: str, spec: dict) -> dict:
        return self.store.put("commands", records.command_json(kind, spec))
