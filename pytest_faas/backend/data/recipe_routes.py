"""The recipe and ontology REST surface (labels), and dataset updates: parsing and response shaping only.

Behaviour lives in ``recipes.py``, ``ontologies.py`` and ``projects.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ...errors import BadRequest
from ..web.wsgi import Route, read_json

if TYPE_CHECKING:
    from .ontologies import Ontologies
    from .projects import Projects
    from .recipes import Recipes
    from .schemas import Schemas

_MAX_PAGE_SIZE = 1000


def _id_list(request: Request, name: str) -> list[str]:
    # dtlpy joins ids with commas, and writes "None" for a repository without a project.
    raw = request.args.get(name, "")
    return [part for part in raw.split(",") if part and part != "None"]


def _page(request: Request, docs: list[dict]) -> dict:
    """One page of ``docs`` the way dtlpy's paged lists read it (``pageOffset`` is 0-based)."""
    try:
        page = int(request.args.get("pageOffset", 0))
        size = int(request.args.get("pageSize", _MAX_PAGE_SIZE))
    except ValueError:
        raise BadRequest("'pageOffset' and 'pageSize' must be integers") from None
    if page < 0 or not 1 <= size <= _MAX_PAGE_SIZE:
        raise BadRequest(f"'pageOffset' must be 0 or more and 'pageSize' from 1 to {_MAX_PAGE_SIZE}")
    start = page * size
    return {"items": docs[start:start + size], "totalItemsCount": len(docs),
            "totalPagesCount": -(-len(docs) // size), "hasNextPage": start + size < len(docs)}


def _recipe_routes(projects: "Projects", recipes: "Recipes") -> list[Route]:
    """Recipes, and dataset updates (``PATCH /datasets/{id}``)."""

    def patch_dataset(request: Request, dataset_id: str):
        system = request.args.get("system", "false").lower() == "true"
        return projects.update_dataset(dataset_id, read_json(request, expect=dict), system=system)

    def create_recipe(request: Request):
        body = read_json(request, expect=dict)
        sent_projects = body.get("projectIds")
        for project_id in sent_projects if isinstance(sent_projects, list) else []:
            if isinstance(project_id, str):
                projects.get_project(project_id)
        return recipes.create(body.get("projectIds"), body.get("ontologyIds"), body.get("title"),
                              body.get("uiSettings") if isinstance(body.get("uiSettings"), dict) else None)

    def clone_recipe(request: Request, recipe_id: str):
        return recipes.clone(recipe_id, read_json(request, expect=dict))

    def list_recipes(request: Request):
        return _page(request, recipes.list(_id_list(request, "projects")))

    def get_recipe(request: Request, recipe_id: str):
        return recipes.get(recipe_id)

    def patch_recipe(request: Request, recipe_id: str):
        return recipes.patch(recipe_id, read_json(request, expect=dict))

    def delete_recipe(request: Request, recipe_id: str):
        recipes.delete(recipe_id)
        return {"id": recipe_id, "deleted": True}

    return [
        Route("/datasets/<dataset_id>", ("PATCH",), patch_dataset),
        Route("/recipes", ("POST",), create_recipe),
        Route("/recipes", ("GET",), list_recipes),
        Route("/recipes/<recipe_id>", ("GET",), get_recipe),
        Route("/recipes/<recipe_id>", ("PATCH",), patch_recipe),
        Route("/recipes/<recipe_id>", ("DELETE",), delete_recipe),
        Route("/recipes/<recipe_id>/clone", ("POST",), clone_recipe),
    ]


def schema_routes(schemas: "Schemas") -> list[Route]:
    """A dataset's schema and its unsearchable paths."""

    def get_schema(request: Request, dataset_id: str):
        return schemas.get(dataset_id)

    def change_schema_items(request: Request, dataset_id: str):
        return schemas.change_unsearchable(dataset_id, read_json(request, expect=dict))

    return [
        Route("/datasets/<dataset_id>/schema", ("GET",), get_schema),
        Route("/datasets/<dataset_id>/schema/items", ("POST",), change_schema_items),
    ]


def ontology_routes(ontologies: "Ontologies") -> list[Route]:
    """Ontologies and their labels."""

    def create_ontology(request: Request):
        body = read_json(request, expect=dict)
        return ontologies.create(body.get("projectIds") or [], body.get("roots"), body.get("attributes"),
                                 body.get("title"))

    def list_ontologies(request: Request):
        return _page(request, ontologies.list(_id_list(request, "projects"), _id_list(request, "ids")))

    def get_ontology(request: Request, ontology_id: str):
        return ontologies.get(ontology_id)

    def put_ontology(request: Request, ontology_id: str):
        system = request.args.get("system", "false").lower() == "true"
        return ontologies.replace(ontology_id, read_json(request, expect=dict), system)

    def delete_ontology(request: Request, ontology_id: str):
        ontologies.delete(ontology_id)
        return {"id": ontology_id, "deleted": True}

    def patch_labels(request: Request, ontology_id: str):
        return ontologies.upsert_labels(ontology_id, read_json(request, expect=dict))

    def patch_attributes(request: Request, ontology_id: str):
        return ontologies.upsert_attributes(ontology_id, read_json(request, expect=dict))

    def delete_attributes(request: Request, ontology_id: str):
        return ontologies.delete_attributes(ontology_id, read_json(request, expect=dict))

    return [
        Route("/ontologies", ("POST",), create_ontology),
        Route("/ontologies", ("GET",), list_ontologies),
        Route("/ontologies/<ontology_id>", ("GET",), get_ontology),
        Route("/ontologies/<ontology_id>", ("PUT",), put_ontology),
        Route("/ontologies/<ontology_id>", ("DELETE",), delete_ontology),
        Route("/ontologies/<ontology_id>/labels", ("PATCH",), patch_labels),
        Route("/ontologies/<ontology_id>/attributes", ("PATCH",), patch_attributes),
        Route("/ontologies/<ontology_id>/attributes", ("DELETE",), delete_attributes),
    ]


def recipe_routes(projects: "Projects", recipes: "Recipes", ontologies: "Ontologies",
                  schemas: "Schemas") -> list[Route]:
    return _recipe_routes(projects, recipes) + ontology_routes(ontologies) + schema_routes(schemas)
