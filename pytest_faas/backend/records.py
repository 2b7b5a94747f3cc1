"""The platform's record shapes: JSON builders for entities, with the defaults the real platform gives them.

The backend builds every stored record through these functions, and tests use them to make records
without a server, so there is one place that knows what a project, dataset, item or annotation looks like
to dtlpy (docs/platform.md#entity-records). No I/O, no pytest.
"""

from __future__ import annotations

import mimetypes
import posixpath

from ..ids import new_id, now_iso
from ..tokens import LOCAL_USER  # the records' creator: the user the platform's tokens name

MAX_NAME = 256  # characters in an entity's name, on create and on rename
# The platform's own user: the creator of what the platform starts by itself (triggered executions).
SYSTEM_USER = "piper@dataloop.ai"
ORG = {"id": "000000000000000000000001", "name": "faas-local"}

# Annotation types `dl.Filters(resource=ANNOTATION)` asks for by default: every type but "note".
ANNOTATION_TYPES = [
    "box", "cube", "cube_3d", "class", "comparison", "ellipse", "item_description", "point", "segment",
    "polyline", "binary", "subtitle", "text", "pose", "semantic", "gis", "ref_semantic",
]


def server_fields(collection: str, record_id: str | None = None) -> dict:
    """The fields the platform sets on every record it creates: id, url, creator and the two timestamps.
    ``collection`` is the record's REST path (``executions``: its url is ``/executions/<id>``)."""
    record_id = record_id or new_id()
    now = now_iso()
    return {"id": record_id, "url": f"/{collection}/{record_id}", "creator": LOCAL_USER, "createdAt": now,
            "updatedAt": now}


def command_json(command_type: str, spec: dict, command_id: str | None = None) -> dict:
    """A command (``/commands/<id>``) that finished at once: how the platform answers batch work that the
    local one does synchronously (exports, reruns, pipeline batches); dtlpy's ``command.wait()`` returns."""
    return {**server_fields("commands", command_id), "type": command_type, "status": "success", "progress": 100,
            "spec": spec, "error": None}


def user_json(email: str = LOCAL_USER) -> dict:
    return {"id": email, "email": email, "username": email.split("@")[0], "firstName": "Local",
            "lastName": "Developer", "role": "owner", "type": "human"}


def project_json(name: str, creator: str = LOCAL_USER) -> dict:
    project_id = new_id()
    created = now_iso()
    return {"id": project_id, "name": name, "creator": creator, "createdAt": created, "updatedAt": created,
            "org": dict(ORG), "accountId": ORG["id"], "role": "owner", "isBlocked": False,
            "contributors": [], "feconstants": [], "featureConstraints": [], "archived": False,
            "systemProject": False, "url": f"/projects/{project_id}"}


def dataset_json(name: str, project_id: str, creator: str = LOCAL_USER, system: bool = False,
                 dataset_id: str | None = None) -> dict:
    dataset_id = dataset_id or new_id()
    created = now_iso()
    return {"id": dataset_id, "name": name, "projects": [project_id], "creator": creator,
            "createdAt": created, "updatedAt": created, "updatedBy": creator, "itemsCount": 0,
            "annotated": 0, "annotationsCount": 0, "readonly": False, "accessLevel": "owner",
            "readableType": "dataset", "driver": None, "metadata": {"system": {"systemSpace": system}},
            "directoryTree": {}, "export": {}, "url": f"/datasets/{dataset_id}",
            "items": f"/datasets/{dataset_id}/items", "indexDriver": "v2", "isSyncing": False}


def item_json(dataset: dict, path: dict, size: int, *, metadata: dict | None = None,
              description: str | None = None, creator: str = LOCAL_USER, mimetype: str | None = None,
              item_id: str | None = None) -> dict:
    """An item record. ``path`` is what :func:`pytest_faas.dql.compiler.item_path` returns for its remote path.

    As on the platform it names its dataset, not its project (dtlpy reaches the project through the
    dataset), and has no ``spec`` until one is set."""
    item_id = item_id or new_id()
    created = now_iso()
    metadata = dict(metadata or {})
    system = dict(metadata.get("system") or {})
    system.update({
        "originalname": path["name"],
        "size": size,
        "mimetype": mimetype or mimetypes.guess_type(path["name"])[0] or "application/octet-stream",
        "encoding": "7bit",
        "refs": system.get("refs", []),
        "isBinary": True,
    })
    metadata["system"] = system
    metadata.setdefault("user", {})
    record = {"id": item_id, "datasetId": dataset["id"], "filename": path["filename"], "name": path["name"], "dir": path["dir"], "type": "file",
              "hidden": path["hidden"], "annotated": False, "annotationsCount": 0,
              "createdAt": created, "updatedAt": created, "creator": creator, "updatedBy": creator,
              "metadata": metadata, "url": f"/items/{item_id}", "stream": f"/items/{item_id}/stream",
              "thumbnail": f"/items/{item_id}/thumbnail", "dataset": f"/datasets/{dataset['id']}",
              "annotations": f"/items/{item_id}/annotations"}
    if description is not None:
        record["description"] = description
    return record


def annotation_json(item: dict, sent: dict, creator: str = LOCAL_USER, annotation_id: str | None = None) -> dict:
    """A stored annotation record built from what the SDK sent (docs/platform.md#annotations).

    ``annotation_id`` fixes its id (a mock file's annotation, named by an input); else one is made.
    """
    annotation_id = annotation_id or new_id()
    created = now_iso()
    metadata = dict(sent.get("metadata") or {})
    metadata.setdefault("system", {})
    metadata.setdefault("user", {})
    record = {
        "id": annotation_id, "itemId": item["id"], "datasetId": item["datasetId"],
        "type": sent.get("type"), "label": sent.get("label"), "attributes": sent.get("attributes", []),
        "coordinates": sent.get("coordinates"),
        "metadata": metadata, "source": sent.get("source", "sdk"), "hash": sent.get("hash"),
        "creator": creator, "createdAt": created, "updatedBy": creator, "updatedAt": created,
        "url": f"/annotations/{annotation_id}", "item": f"/items/{item['id']}",
        "dataset": f"/datasets/{item['datasetId']}",
    }
    if sent.get("description") is not None:  # absent otherwise; a status lives in metadata.system.status
        record["description"] = sent["description"]
    return record


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/"))
