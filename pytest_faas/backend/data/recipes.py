"""Recipes: what a dataset is annotated with (its ontologies), and each dataset's default one.

The platform gives every dataset a recipe and an empty ontology when it creates it, and names the recipe in
``metadata.system.recipes``; dtlpy's ``dataset.labels`` and ``dataset.add_label`` start from there.
"""

from __future__ import annotations

from ...errors import BadRequest
from ...ids import new_id, now_iso
from .ontologies import Ontologies
from ..records import LOCAL_USER
from ..store import Store

KIND = "recipes"
# Keys of a recipe that dtlpy's recipe.update() may change; the rest (id, creator, dates) are the platform's.
_EDITABLE = {"title": str, "description": str, "instructions": list, "uiSettings": dict, "customActions": list,
             "examples": list, "metadata": dict}


def _ids(value, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest(f"'{name}' must be a list of ids, got {value!r}")
    return value


class Recipes:
    """Recipe records (kind ``recipes``, parent: the first project id)."""

    def __init__(self, store: Store, ontologies: Ontologies):
        self.store = store
        self.ontologies = ontologies

    def create(self, project_ids, ontology_ids, title: str | None = None, ui_settings: dict | None = None) -> dict:
        project_ids = _ids(project_ids, "projectIds")
        for ontology_id in _ids(ontology_ids, "ontologyIds"):
            self.ontologies.get(ontology_id)
        if title is not None and not isinstance(title, str):
            raise BadRequest(f"'title' must be a string, got {title!r}")
        recipe_id = new_id()
        created = now_iso()
        record = {"id": recipe_id, "title": title or "Default Recipe", "creator": LOCAL_USER,
                  "createdAt": created, "updatedAt": created, "updatedBy": LOCAL_USER,
                  "url": f"/recipes/{recipe_id}", "projectIds": list(project_ids),
                  "ontologyIds": list(ontology_ids), "description": None, "instructions": [],
                  "uiSettings": ui_settings or {}, "customActions": [], "examples": [], "metadata": {}}
        return self.store.put(KIND, record, parent=project_ids[0] if project_ids else "")

    def create_default(self, dataset: dict) -> dict:
        """A new dataset's recipe and empty ontology; returns the dataset record naming the recipe."""
        project_ids = list(dataset["projects"])
        ontology = self.ontologies.create(project_ids, [], [], title=f"{dataset['name']} ontology")
        recipe = self.create(project_ids, [ontology["id"]], title=f"{dataset['name']} Default Recipe")
        system = {**dataset["metadata"]["system"], "recipes": [recipe["id"]]}
        return {**dataset, "metadata": {**dataset["metadata"], "system": system}}

    def get(self, recipe_id: str) -> dict:
        return self.store.get(KIND, recipe_id, "Recipe")

    def list(self, project_ids: list[str] | None = None) -> list[dict]:
        found = self.store.all(KIND)
        if project_ids:
            found = [r for r in found if set(r["projectIds"]) & set(project_ids)]
        return found

    def patch(self, recipe_id: str, body: dict) -> dict:
        with self.store.transaction():  # read, check and write as one
            return self._patch(recipe_id, body)

    def _patch(self, recipe_id: str, body: dict) -> dict:
        """``PATCH /recipes/<id>``: dtlpy sends the whole recipe back; what may change is taken from it."""
        record = dict(self.get(recipe_id))
        if "ontologyIds" in body:
            ontology_ids = _ids(body["ontologyIds"], "ontologyIds")
            for ontology_id in ontology_ids:
                self.ontologies.get(ontology_id)
            record["ontologyIds"] = list(ontology_ids)
        for key, kind in _EDITABLE.items():
            if body.get(key) is None:
                continue
            if not isinstance(body[key], kind):
                raise BadRequest(f"'{key}' must be a JSON {kind.__name__.replace('str', 'string')}, "
                                 f"got {body[key]!r}")
            record[key] = body[key]
        record["updatedAt"] = now_iso()
        return self.store.put(KIND, record)

    def clone(self, recipe_id: str, body: dict) -> dict:
        """``POST /recipes/<id>/clone`` (``recipe.clone(shallow=...)``): a new recipe; ``shallow`` links it to
        the same ontologies, else each ontology is copied too."""
        shallow = body.get("shallow", False)
        if not isinstance(shallow, bool):
            raise BadRequest(f"'shallow' must be true or false, got {shallow!r:.100}")
        with self.store.transaction():
            record = self.get(recipe_id)
            ontology_ids = list(record["ontologyIds"]) if shallow else [
                self.ontologies.clone(o)["id"] for o in record["ontologyIds"]]
            clone = self.create(record["projectIds"], ontology_ids, record["title"], record.get("uiSettings"))
            kept = {key: record[key] for key in _EDITABLE if key in record and key != "title"}
            return self.store.put(KIND, {**clone, **kept})

    def delete(self, recipe_id: str) -> None:
        self.get(recipe_id)
        self.store.delete(KIND, recipe_id)
