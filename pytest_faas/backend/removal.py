"""Deleting a dataset or a project with everything under it, and renaming a project.

``DELETE /datasets/{id}`` removes the dataset's items (folders too), their annotations and bytes, and the
recipe and ontology the dataset was given when no other dataset names them, then publishes ``Dataset
Deleted``. ``DELETE /projects/{id}`` first removes what runs (installed apps, pipelines, services, their
triggers, packages), then every dataset (``Binaries`` too), the project's recipes and ontologies, and the
project. Executions stay readable by id, as the record of what ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BadRequest
from ..ids import now_iso
from .events import Event
from .projects import check_project_name

if TYPE_CHECKING:
    from . import Backend

# What `PATCH /projects/{id}` may change; dtlpy sends the whole project back, and a different value for any
# other field the record holds is refused rather than dropped.
_PROJECT_EDITABLE = ("name", "metadata")
_PROJECT_DERIVED = ("updatedAt",)


class Removal:
    def __init__(self, backend: "Backend"):
        self.backend = backend
        self.store = backend.store

    # -- datasets -------------------------------------------------------------------------------------

    def delete_dataset(self, dataset_id: str) -> dict:
        projects = self.backend.projects
        with self.store.transaction():
            dataset = projects.get_dataset(dataset_id)
            if dataset["metadata"]["system"].get("systemSpace"):
                raise BadRequest(f"{dataset['name']!r} is the project's system dataset and cannot be deleted; "
                                 "it goes with the project")
            self._drop_dataset(dataset)
        self.backend.bus.publish(Event("Dataset", "Deleted", dataset, projects.project_of_dataset(dataset)))
        return dataset

    def _drop_dataset(self, dataset: dict) -> None:
        """The dataset, its items and the recipes only it names; in the caller's transaction."""
        self.backend.items.remove_dataset_items(dataset["id"])
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
        backend = self.backend
        project = backend.projects.get_project(project_id)
        for app in self.store.children("apps", project_id):
            backend.apps.uninstall(app["id"])
        for pipeline in self.store.children("pipelines", project_id):
            backend.pipelines.delete(pipeline["id"])
        for service in self.store.children("services", project_id):
            backend.engine.services.delete(service["id"])  # stops its replicas; its triggers go with it
        for trigger in self.store.children("triggers", project_id):
            backend.engine.triggers.delete(trigger["id"])
        for package in self.store.children("packages", project_id):
            backend.engine.delete_package(package["id"])
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

    def update_project(self, project_id: str, body: dict, system: bool = False) -> dict:
        """``PATCH /projects/{id}``: its ``name`` and ``metadata`` (``metadata.system`` with ``?system=true``)."""
        with self.store.transaction():
            project = dict(self.backend.projects.get_project(project_id))
            changed = [key for key, value in body.items() if key in project and value != project[key]
                       and key not in _PROJECT_EDITABLE + _PROJECT_DERIVED]
            if changed:
                raise BadRequest(f"PATCH /projects/{{id}} changes {', '.join(sorted(changed))}, which the "
                                 f"platform sets; only {' and '.join(_PROJECT_EDITABLE)} may change")
            # dtlpy's Project fills in defaults for fields a record may lack (systemProject: false): a key the
            # record lacks is refused only when it asks for something.
            unknown = [key for key, value in body.items() if key not in project and key not in _PROJECT_EDITABLE
                       and value not in (None, False, "", [], {})]
            if unknown:
                raise BadRequest(f"PATCH /projects/{{id}}: unknown field(s) {', '.join(sorted(unknown))}; only "
                                 f"{' and '.join(_PROJECT_EDITABLE)} may change")
            name = body.get("name", project["name"])
            if not isinstance(name, str) or not name.strip():
                raise BadRequest(f"project 'name' must be a non-empty string, got {name!r}")
            if name != project["name"]:
                check_project_name(name)
            if name != project["name"] and self.backend.projects.find_projects(name):
                raise BadRequest(f"a project named {name!r} already exists")
            metadata = body.get("metadata", project.get("metadata"))
            if metadata is not None:
                if not isinstance(metadata, dict):
                    raise BadRequest(f"project 'metadata' must be an object, got {metadata!r}")
                kept = (project.get("metadata") or {}).get("system", {})
                system_sent = metadata.get("system", kept)
                if not isinstance(system_sent, dict):
                    raise BadRequest("project 'metadata.system' must be an object")
                project["metadata"] = {**metadata, "system": system_sent if system else kept}
            project.update(name=name, updatedAt=now_iso())
            return self.store.put("projects", project)
