"""Items: upload (skip/overwrite), get, patch, delete, stream, and DQL queries over a dataset.

An item's bytes are a blob named by the item id. ``metadata.system.size`` is always the number of bytes
stored, because dtlpy deletes an upload whose echoed size differs and `item.download` checks it too.
Every change of a file is published on the event bus so that triggers see it. Folders are items too
(``type: dir``, see ``directories.py``): an upload makes the ones its path needs.
"""

from __future__ import annotations

import copy
from typing import BinaryIO, Iterator

from . import directories, media
from ...dql import compiler as dql
from ...errors import BadRequest, Conflict, NotFound, NotSupported
from ...ids import now_iso
from .. import records as entities
from ..events import Event, EventBus
from .projects import Projects
from ..store import Store

UPLOAD_MODES = ("skip", "overwrite")
_CHUNK = 1 << 16


def _read_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _shown(path: object) -> str:
    """A path in a message: its repr, cut short (a refused path may be thousands of levels long)."""
    text = repr(path)
    return text if len(text) <= 120 else f"{text[:100]}... ({len(text)} characters)"


def deep_merge(base: dict, change: dict) -> dict:
    """A copy of ``base`` with ``change`` merged in, dicts recursively (the shape of dtlpy's PATCH diffs)."""
    merged = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class Items:
    """Item records (kind ``items``, parent: dataset id) and their blobs.

    Every change is one store transaction: the record, its bytes, the dataset's counters and the name
    index change together or not at all, and a concurrent change never overwrites this one with stale
    data. Events are published after the transaction, outside the store's lock.
    """

    # Fields a PATCH may not change: identity and what the platform derives from the path and the bytes.
    _FIXED = ("id", "datasetId", "createdAt", "creator", "stream", "url", "type")
    # Root fields an item may gain that a new record lacks; any other unknown root field in a PATCH is
    # ignored, as the platform does (dtlpy sends back whatever its entity holds).
    _OPTIONAL = ("description", "spec")

    def __init__(self, store: Store, bus: EventBus, projects: Projects):
        self.store = store
        self.bus = bus
        self.projects = projects
        self._by_filename: dict[str, dict[str, str]] = {}  # changed only inside store transactions

    def _names(self, dataset_id: str) -> dict[str, str]:
        names = self._by_filename.get(dataset_id)
        if names is None:
            names = {i["filename"]: i["id"] for i in self.store.children("items", dataset_id)}
            self._by_filename[dataset_id] = names
        return names

    def get(self, item_id: str) -> dict:
        return self.store.get("items", item_id, "Item")

    def by_filename(self, dataset_id: str, filename: str) -> dict | None:
        """The item (file or folder) at ``filename`` (a normalised path) in the dataset, or None."""
        with self.store.transaction():
            found = self._names(dataset_id).get(filename)
            return None if found is None else self.get(found)

    def announce_clone(self, clone: dict) -> None:
        """A clone is a new item (``Created``, published by the upload that made it) and, for the triggers on
        ``Clone``, an ``Item Clone`` event of the new item, as on the platform."""
        self.bus.publish(Event("Item", "Clone", clone, self.project_of(clone)))

    def upload(self, dataset_id: str, remote_path: str, stream: BinaryIO | bytes, *, mode: str = "skip",
               metadata: dict | None = None, description: str | None = None,
               item_id: str | None = None) -> tuple[dict, str]:
        """Store an uploaded file; returns ``(record, op)`` where op is created, overwrite or skip.

        ``item_id`` fixes the id of a new item (seeding the entities a mock file names).
        """
        if mode not in UPLOAD_MODES:
            raise BadRequest(f"upload mode must be one of {', '.join(UPLOAD_MODES)}, found {mode!r}")
        if metadata is not None and not isinstance(metadata, dict):
            raise BadRequest("item metadata must be a JSON object")
        dataset = self.projects.get_dataset(dataset_id)
        try:
            path = dql.item_path(remote_path)
        except ValueError as exc:
            raise BadRequest(f"invalid item path {_shown(remote_path)}: {exc}") from None
        project_id = self.projects.project_of_dataset(dataset)
        if mode == "skip":  # the common re-upload: answered without receiving the bytes
            with self.store.transaction():
                existing_id = self._names(dataset_id).get(path["filename"])
                if existing_id is not None and item_id is None:
                    return self._a_file(self.get(existing_id)), "skip"
        staged = self.store.stage_blob([stream] if isinstance(stream, (bytes, bytearray)) else _read_chunks(stream))
        try:
            with self.store.transaction():
                self.projects.get_dataset(dataset_id)  # not deleted while the bytes arrived
                if item_id is not None and self.store.find("items", item_id) is not None:
                    raise Conflict(f"an item with id {item_id!r} already exists")
                existing_id = self._names(dataset_id).get(path["filename"])
                if existing_id is not None and mode == "skip":
                    return self._a_file(self.get(existing_id)), "skip"
                if existing_id is not None:
                    record = copy.deepcopy(self._a_file(self.get(existing_id)))
                    record["metadata"] = deep_merge(record["metadata"], metadata or {})
                    if description is not None:  # an overwrite with a description replaces it
                        record["description"] = description
                    op, action = "overwrite", "Updated"
                else:
                    self._make_dirs(dataset, directories.ancestors(path["filename"]))
                    record = entities.item_json(dataset, path, 0, metadata=metadata, description=description,
                                                item_id=item_id)
                    op, action = "created", "Created"
                _set_media_fields(record, staged)
                record["metadata"]["system"]["size"] = self.store.commit_blob(record["id"], staged)
                if op == "overwrite":
                    record["updatedAt"] = now_iso()
                    self.store.put("items", record)
                else:
                    self.store.put("items", record, parent=dataset_id)
                    self.projects.count_items(dataset_id, items=1)
                    self._names(dataset_id)[path["filename"]] = record["id"]
        finally:
            staged.discard()
        self.bus.publish(Event("Item", action, record, project_id))
        return record, op

    @staticmethod
    def _a_file(record: dict) -> dict:
        if directories.is_dir(record):
            raise BadRequest(f"{record['filename']!r} is a directory of the dataset, not a file")
        return record

    def _make_dirs(self, dataset: dict, folders: list[str]) -> list[dict]:
        """The directory items of ``folders`` (outermost first), made when missing; in the caller's
        transaction. A file where a folder is needed is a 400."""
        names, made = self._names(dataset["id"]), []
        for folder in folders:
            existing_id = names.get(folder)
            if existing_id is not None:
                if not directories.is_dir(self.get(existing_id)):
                    raise BadRequest(f"{folder!r} is a file of the dataset; it cannot be a directory too")
                made.append(self.get(existing_id))
                continue
            record = directories.dir_json(dataset, dql.item_path(folder))
            self.store.put("items", record, parent=dataset["id"])
            names[folder] = record["id"]
            made.append(record)
        return made

    def make_dir(self, dataset_id: str, remote_path: str) -> dict:
        """``items.make_dir``: the directory item at ``remote_path`` and its parents; an existing one is
        returned as it is."""
        try:
            path = dql.item_path(remote_path)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"invalid directory path {_shown(remote_path)}: {exc}") from None
        with self.store.transaction():
            dataset = self.projects.get_dataset(dataset_id)
            return self._make_dirs(dataset, directories.ancestors(path["filename"]) + [path["filename"]])[-1]

    def patch(self, item_id: str, change: dict, system: bool = False) -> dict:
        """Apply a PATCH diff; ``metadata.system`` changes only with ``?system=true``, as on the platform."""
        if not isinstance(change, dict):
            raise BadRequest("PATCH body must be a JSON object")
        metadata_change = change.get("metadata")
        if metadata_change is not None and not isinstance(metadata_change, dict):
            raise BadRequest("metadata must be a JSON object")
        if metadata_change and not system:
            change["metadata"] = {k: v for k, v in metadata_change.items() if k != "system"}
        with self.store.transaction():  # read, merge and write as one: a concurrent PATCH is never lost
            record = self.get(item_id)
            change = {k: v for k, v in change.items()
                      if k not in self._FIXED and (k in record or k in self._OPTIONAL)}
            updated = deep_merge(record, change)
            if updated.get("description") in ("", None):  # dtlpy deletes a description by sending ""
                updated.pop("description", None)
            sent_system = (change.get("metadata") or {}).get("system")
            if system and isinstance(sent_system, dict):  # a null deletes a system key, as on the platform
                for key in [k for k, v in sent_system.items() if v is None]:
                    updated["metadata"]["system"].pop(key, None)
            if "size" in record["metadata"]["system"]:  # a file's size is its bytes' (folders have none)
                updated["metadata"]["system"]["size"] = record["metadata"]["system"]["size"]
            if "filename" in change or "name" in change:
                updated = self._moved(record, updated)
            updated["updatedAt"] = now_iso()
            self.store.put("items", updated)
        self.bus.publish(Event("Item", "Updated", updated, self.project_of(updated)))
        return updated

    def _moved(self, old: dict, new: dict) -> dict:
        target = new["filename"] if new.get("filename") != old["filename"] else f"{old['dir']}/{new['name']}"
        try:
            path = dql.item_path(target)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"invalid item path {_shown(target)}: {exc}") from None
        if directories.is_dir(old):
            raise NotSupported("PATCH /items/{id} that moves or renames a directory item is not supported by "
                               "the local platform; move the files inside it")
        names = self._names(old["datasetId"])
        if path["filename"] != old["filename"] and path["filename"] in names:
            raise BadRequest(f"an item named {path['filename']!r} already exists in the dataset")
        self._make_dirs(self.projects.get_dataset(old["datasetId"]), directories.ancestors(path["filename"]))
        names.pop(old["filename"], None)  # the caller's transaction puts the record right after
        names[path["filename"]] = old["id"]
        new.update(path)
        return new

    def project_of(self, item: dict, dataset: dict | None = None) -> str:
        """The id of the item's project: items name their dataset only, as on the platform."""
        return self.projects.project_of_dataset(dataset or self.projects.get_dataset(item["datasetId"]))

    def delete(self, item_id: str) -> dict:
        """Delete an item; a directory goes with everything inside it."""
        with self.store.transaction():
            record = self.get(item_id)
            gone = [record]
            if directories.is_dir(record):
                gone += [i for i in self.store.children("items", record["datasetId"])
                         if directories.under(record["filename"], i["filename"])]
            for each in gone:
                self._remove(each)
        project_id = self.projects.project_of_dataset(self.projects.get_dataset(record["datasetId"]))
        for each in gone:
            if not directories.is_dir(each):
                self.bus.publish(Event("Item", "Deleted", each, project_id))
        return record

    def _remove(self, record: dict) -> None:
        """One item, its annotations, bytes, name and counts, in the caller's transaction."""
        removed = self.store.children("annotations", record["id"])
        for annotation in removed:
            self.store.delete("annotations", annotation["id"])
        self.store.delete("items", record["id"])
        self._names(record["datasetId"]).pop(record["filename"], None)
        if not directories.is_dir(record):
            self.store.delete_blob(record["id"])
            self.projects.count_items(record["datasetId"], items=-1, annotations=-len(removed),
                                      annotated=-1 if record.get("annotated") else 0)

    def remove_dataset_items(self, dataset_id: str) -> int:
        """Every item of a dataset, with annotations and bytes, in the caller's transaction (the dataset is
        being deleted: no events per item). Returns how many files went."""
        items = self.store.children("items", dataset_id)
        for record in items:
            self._remove(record)
        self._by_filename.pop(dataset_id, None)
        return sum(not directories.is_dir(i) for i in items)

    def read(self, item_id: str) -> bytes:
        with self.store.transaction():  # the record and the bytes of one moment
            self._a_file(self.get(item_id))
            try:
                blob = self.store.open_blob(item_id)
            except FileNotFoundError:
                raise NotFound(f"the bytes of item {item_id} are missing from the store") from None
        with blob:
            return blob.read()

    def query(self, dataset_id: str, query: dict) -> dict:
        """``POST /datasets/{id}/query`` for resource items: DQL, sort, page, in the paged envelope."""
        self.projects.get_dataset(dataset_id)
        operation = query.get("operation")
        if operation not in (None, "query"):
            raise BadRequest(f"query operation {operation!r} is not supported by the local platform; "
                             "delete or update items one by one")
        return dql.run_query(self.store.children("items", dataset_id), query, default_sort={"id": "ascending"})


def _set_media_fields(record: dict, staged) -> None:
    """The new bytes' own image and video fields, in place of what earlier bytes of the item set."""
    system = record["metadata"]["system"]
    for key in ("width", "height", "fps", "duration", "nb_frames", "ffmpeg"):
        system.pop(key, None)
    mimetype = system.get("mimetype", "")
    system.update(media.image_fields(mimetype, staged.open))
    system.update(media.video_fields(mimetype, staged.open))
    if "fps" in system:  # dtlpy's item.fps reads metadata.fps, which the platform sets too
        record["metadata"]["fps"] = system["fps"]
