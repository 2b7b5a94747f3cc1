"""Directory items: their records, the folders a path needs, and a dataset's directory tree.

On the platform a folder is an item of ``type: dir`` whose ``filename`` is the folder's path. Uploading
``/a/b/c.txt`` makes ``/a`` and ``/a/b`` when they are missing, ``items.make_dir`` makes one directly,
and ``codebases.list()`` finds the packages of a project as the directories ``/codebases/*``. Directories
are not counted in a dataset's ``itemsCount`` and publish no events (local choice: a trigger with an empty
filter must not run user code on a folder that an upload made on the way). The root ``/`` is no item.
"""

from __future__ import annotations

import copy

from .. import records as entities
from ...dql.compiler import MAX_PATH_DEPTH

DIR = "dir"


def is_dir(record: dict) -> bool:
    return record.get("type") == DIR


def ancestors(filename: str) -> list[str]:
    """The folders above ``filename``, outermost first: ``/a/b/c.txt`` -> ``["/a", "/a/b"]``."""
    parts = filename.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def dir_json(dataset: dict, path: dict) -> dict:
    """A directory item for ``path`` (what :func:`pytest_faas.dql.compiler.item_path` returns)."""
    record = entities.item_json(dataset, path, 0)
    record["type"] = DIR
    record["metadata"] = {"system": {}, "user": {}}
    return record


def under(folder: str, filename: str) -> bool:
    """Whether ``filename`` is inside ``folder`` (at any depth)."""
    return filename.startswith(folder.rstrip("/") + "/")


def tree(items: list[dict]) -> dict:
    """``GET /datasets/{id}/directoryTree``: the folders as nested ``{value, children}``, root first.

    ``value`` carries what dtlpy's ``SingleDirectory`` reads: ``id``, ``name``, ``dir`` (the parent) and
    ``filename`` (the folder's path).
    """
    root = {"value": {"id": None, "name": "", "dir": None, "filename": "/", "type": DIR, "metadata": {}},
            "children": []}
    nodes = {"/": root}
    # Every dataset of the platform keeps a hidden /.dataloop folder (and /.dataloop/thumbnails in it) for
    # its own files; none are kept here, but the tree shows the folders as the platform's does.
    for parent, name in (("/", ".dataloop"), ("/.dataloop", "thumbnails")):
        filename = f"{parent.rstrip('/')}/{name}"
        nodes[filename] = {"value": {"id": None, "name": name, "dir": parent, "filename": filename, "type": DIR,
                                     "metadata": {}}, "children": []}
        nodes[parent]["children"].append(nodes[filename])
    # Folders deeper than an item path may be now (made before the bound) are left out: nested thousands
    # deep, the tree could not be written as JSON.
    folders = (i for i in items if is_dir(i) and i["filename"].count("/") <= MAX_PATH_DEPTH)
    for record in sorted(folders, key=lambda i: i["filename"].count("/")):
        node = {"value": {key: copy.deepcopy(record.get(key)) for key in ("id", "name", "dir", "filename",
                                                                          "type", "metadata")},
                "children": []}
        nodes[record["filename"]] = node
        nodes.get(record["dir"], root)["children"].append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: n["value"]["filename"])
    return root
