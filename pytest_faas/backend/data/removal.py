"""Deleting a dataset or a project with everything under it.

``DELETE /datasets/{id}`` removes the dataset's items (folders too), their annotations and bytes, and the
recipe and ontology the dataset was given when no other dataset names them, then publishes ``Dataset
Deleted``. ``DELETE /projects/{id}`` first publishes ``Project Deleted`` on the bus, on which the rooms that
own what runs in the project remove it (installed apps, pipelines, then services, their triggers and
packages: `Backend` subscribes them in that order); then it removes every dataset (``Binaries`` too), the
project's recipes and ontologies, and the project. The data plane never reaches into those rooms.
Executions stay readable by id, as the record of what ran.
"""

from __future__ import annotations

from ...errors import BadRequest
from ..events import Event, EventBus
from ..store import Store
from .items import Items
from .projects import Projects


class Removal:
    def __init__(self, store: Store, bus: EventBus, projects: Projects, items: Items):
        self.store, self.bus, self.projects, self.items = store, bus, projects, items

    # -- datasets -------------------------------------------------------------------------------------

    def delete_dataset(self, dataset_id: str) -> dict:
        projects = self.projects
        with self.store.transaction():
            dataset = projects.get_dataset(dataset_id)
            if dataset["metadata"]["system"].get("systemSpace"):
                raise BadRequest(f"{dataset['name']!r} is the project's system dataset and cannot be deleted; "
                                 "it goes with the project")
            self._drop_dataset(dataset)
        self.bus.publish(Event("Dataset", "Deleted", dataset, projects.project_of_dataset(dataset)))
        return dataset

    def _drop_dataset(self, dataset: dict) -> None:
        """The dataset, its items and the recipes only it names; in the caller's transaction."""
        self.items.remove_dataset_items(dataset["id"])
        self.store.delete("datasets", dataset["id"])
        named = {r for d in self.store.all("datasets") for r in d["metadata"]["system"].get("recipes") or []}
        for recipe_id in dataset["metadata"]["system"].get("recipes") or []:
            recipe = self.store.find("recipes", recipe_id)
            if recipe is not None and recipe_id not in named:
                self.store.delete("recipes", recipe_id)
                self._drop_unused_ontologies(recipe.get("ontologyIds") or [])

    def _drop_unused_ontologies(self, ontology_ids: list[str]) -> None:
        used = {o for r in self.store.all("recipes") for o in r.get("ontologyIds") or []}
        for ontology_id in ontology_ids:
            if ontology_id not in used:
                self.store.delete("ontologies", ontology_id)

    # -- projects -------------------------------------------------------------------------------------

    def delete_project(self, project_id: str) -> dict:
        project = self.projects.get_project(project_id)
        self.bus.publish(Event("Project", "Deleted", project, project_id))  # what runs in it goes first
        with self.store.transaction():
            for dataset in self.store.children("datasets", project_id):
                self._drop_dataset(dataset)
            for recipe in self.store.all("recipes"):
                if recipe.get("projectIds") == [project_id]:
                    self.store.delete("recipes", recipe["id"])
            for ontology in self.store.all("ontologies"):
                if ontology.get("projectIds") == [project_id]:
                    self.store.delete("ontologies", ontology["id"])
            self.store.delete("projects", project_id)
        return project
