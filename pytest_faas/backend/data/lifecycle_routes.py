"""REST routes that delete, rename, clone and describe projects, datasets and items.

Parsing and response shaping only; behaviour lives in ``removal.py``, ``clones.py`` and ``directories.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from . import directories
from ..web.wsgi import Route, read_json

if TYPE_CHECKING:
    from ..store import Store
    from .clones import Clones
    from .projects import Projects
    from .removal import Removal


def lifecycle_routes(removal: "Removal", clones: "Clones", projects: "Projects", store: "Store") -> list[Route]:

    def delete_project(request: Request, project_id: str):
        removal.delete_project(project_id)
        return {"id": project_id, "deleted": True}

    def patch_project(request: Request, project_id: str):
        system = request.args.get("system", "false").lower() == "true"
        return projects.update_project(project_id, read_json(request, expect=dict), system=system)

    def delete_dataset(request: Request, dataset_id: str):
        removal.delete_dataset(dataset_id)
        return {"id": dataset_id, "deleted": True}

    def unlock_dataset(request: Request, dataset_id: str):
        return projects.unlock_dataset(dataset_id)

    def directory_tree(request: Request, dataset_id: str):
        projects.get_dataset(dataset_id)
        return directories.tree(store.children("items", dataset_id))

    def clone_dataset(request: Request, dataset_id: str):
        return clones.dataset(dataset_id, read_json(request, expect=dict))

    def clone_item(request: Request, item_id: str):
        return clones.item(item_id, read_json(request, expect=dict))

    return [
        Route("/projects/<project_id>", ("DELETE",), delete_project),
        Route("/projects/<project_id>", ("PATCH",), patch_project),
        Route("/datasets/<dataset_id>", ("DELETE",), delete_dataset),
        Route("/datasets/<dataset_id>/unlock", ("PATCH",), unlock_dataset),
        Route("/datasets/<dataset_id>/directoryTree", ("GET",), directory_tree),
        Route("/datasets/<dataset_id>/clone", ("POST",), clone_dataset),
        Route("/items/<item_id>/clone", ("POST",), clone_item),
    ]
