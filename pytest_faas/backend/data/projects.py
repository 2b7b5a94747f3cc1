"""Projects and datasets: create, get, find by name, query; each project's ``Binaries`` system dataset.

``Binaries`` is where `packages.push` stores codebase zips (docs/platform.md#codebases). The real platform makes
it with the project and hides it from ordinary dataset listings; it is found only by a query that sets
``systemSpace: true``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ...dql import compiler as dql
from ..web import scope
from ...errors import BadRequest, Conflict, NotFound
from ...ids import now_iso
from .. import records as entities
from ..events import Event, EventBus
from ..store import Store

if TYPE_CHECKING:
    from .recipes import Recipes

BINARIES = "Binaries"
LOCKS = "datasetLocks"  # one per locked dataset, id: the dataset's id, ``until``: epoch seconds or None
MAX_LOCK_S = 7 * 24 * 3600  # the longest lockTimeoutSec taken
# The characters a project name may use on the platform: ASCII letters and digits, spaces and these.
PROJECT_NAME_PUNCTUATION = "!@#$%^&*()_+-[]|.,"


def check_project_name(name: str) -> None:
    """Refuse a name with characters the platform refuses (``'``, ``/``, ``:``, ``<``, accented letters...)."""
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == " " or c in PROJECT_NAME_PUNCTUATION))})
    if bad:
        raise BadRequest(f"project name {name!r} has characters the platform refuses: {''.join(bad)!r}; use "
                         f"letters A-Z a-z, digits, spaces and {PROJECT_NAME_PUNCTUATION}")


# What PATCH may change. dtlpy sends the whole record back: a different value for another field the record
# holds is refused rather than dropped, except the derived ones (counters, dates), which are not read.
_DATASET_EDITABLE = ("name", "description", "metadata")
_DATASET_DERIVED = ("itemsCount", "annotated", "annotationsCount", "updatedAt", "updatedBy", "createdAt")
_PROJECT_EDITABLE = ("name", "metadata")
_PROJECT_DERIVED = ("updatedAt",)


def refuse_platform_fields(route: str, record: dict, patch: dict, editable: tuple, derived: tuple) -> None:
    """A PATCH that changes a field the platform sets is a 400 naming the fields and what may change."""
    changed = sorted(key for key, value in patch.items() if key in record and value != record[key]
                     and key not in editable + derived)
    if changed:
        raise BadRequest(f"PATCH {route} changes {', '.join(changed)}, which the platform sets; "
                         f"{', '.join(editable)} may change")


class Projects:
    """Project and dataset records, stored as kinds ``projects`` and ``datasets`` (parent: project id)."""

    def __init__(self, store: Store, bus: EventBus, recipes: "Recipes | None" = None):
        self.store = store
        self.bus = bus
        self.recipes = recipes  # gives each new dataset its default recipe and ontology

    # -- projects -------------------------------------------------------------------------------------

    def create_project(self, name: str) -> dict:
        name = (name or "").strip()
        if not name:
            raise BadRequest("project name is required (form field or JSON key 'name')")
        check_project_name(name)
        with self.store.transaction():  # the name check and the creation as one: no two projects of a name
            if self.find_projects(name):  # 400 on the platform, not 409, and worded so
                raise BadRequest(f"Failed to create project: a project named {name!r} already exists")
            project = self.store.put("projects", entities.project_json(name))
            binaries = self._create_dataset(project["id"], BINARIES, system=True)
        self.bus.publish(Event("Dataset", "Created", binaries, project["id"]))
        return project

    def get_project(self, project_id: str) -> dict:
        return self.store.get("projects", project_id, "Project")

    def update_project(self, project_id: str, body: dict, system: bool = False) -> dict:
        """``PATCH /projects/{id}``: its ``name`` and ``metadata`` (``metadata.system`` with ``?system=true``)."""
        with self.store.transaction():
            project = dict(self.get_project(project_id))
            refuse_platform_fields("/projects/{id}", project, body, _PROJECT_EDITABLE, _PROJECT_DERIVED)
            # dtlpy's Project fills in defaults for fields a record may lack (systemProject: false): a key the
            # record lacks is refused only when it asks for something.
            unknown = [key for key, value in body.items() if key not in project and key not in _PROJECT_EDITABLE
                       and value not in (None, False, "", [], {})]
            if unknown:
                raise BadRequest(f"PATCH /projects/{{id}}: unknown field(s) {', '.join(sorted(unknown))}; only "
                                 f"{' and '.join(_PROJECT_EDITABLE)} may change")
            name = body.get("name", project["name"])
            if not isinstance(name, str) or not name.strip() or len(name) > entities.MAX_NAME:
                raise BadRequest(f"project 'name' must be a non-empty string of at most {entities.MAX_NAME} "
                                 "characters, "
                                 f"got {name[:80] if isinstance(name, str) else name!r}")
            if name != project["name"]:
                check_project_name(name)
            if name != project["name"] and self.find_projects(name):
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

    def find_projects(self, name: str) -> list[dict]:
        return [p for p in self.store.all("projects") if p["name"] == name]

    def list_projects(self) -> list[dict]:
        return self.store.all("projects")

    # -- datasets -------------------------------------------------------------------------------------

    def create_dataset(self, project_id: str, name: str, dataset_id: str | None = None) -> dict:
        """Create a dataset; ``dataset_id`` fixes its id (seeding mock entities), else one is made."""
        name = (name or "").strip()
        if not name:
            raise BadRequest("dataset name is required (JSON key 'name')")
        if name == BINARIES:
            raise BadRequest(f"{BINARIES!r} is the project's system dataset; choose another name")
        with self.store.transaction():  # the name check and the creation as one
            self.get_project(project_id)
            if any(d["name"] == name for d in self.store.children("datasets", project_id)):  # 400, as the platform
                raise BadRequest(f"a dataset named {name!r} already exists in project {project_id}")
            if dataset_id is not None and self.store.find("datasets", dataset_id) is not None:
                raise Conflict(f"a dataset with id {dataset_id!r} already exists")
            dataset = self._create_dataset(project_id, name, system=False, dataset_id=dataset_id)
        self.bus.publish(Event("Dataset", "Created", dataset, project_id))
        return dataset

    def _create_dataset(self, project_id: str, name: str, system: bool, dataset_id: str | None = None) -> dict:
        record = entities.dataset_json(name, project_id, system=system, dataset_id=dataset_id)
        if self.recipes is not None:
            record = self.recipes.create_default(record)
        return self.store.put("datasets", record, parent=project_id)

    def delete_dataset(self, dataset_id: str) -> dict:
        """Remove a dataset record; its items must be gone already (see ``seeding.Seeder``)."""
        with self.store.transaction():
            dataset = self.get_dataset(dataset_id)
            if dataset["metadata"]["system"].get("systemSpace"):
                raise BadRequest(f"{dataset['name']!r} is a system dataset and cannot be deleted")
            self.store.delete("datasets", dataset_id)
        self.bus.publish(Event("Dataset", "Deleted", dataset, self.project_of_dataset(dataset)))
        return dataset

    def update_dataset(self, dataset_id: str, patch: dict, system: bool = False) -> dict:
        with self.store.transaction():  # read, check and write as one
            dataset = self._update_dataset(dataset_id, patch, system)
        self.bus.publish(Event("Dataset", "Updated", dataset, self.project_of_dataset(dataset)))
        return dataset

    def _update_dataset(self, dataset_id: str, patch: dict, system: bool = False) -> dict:
        """``PATCH /datasets/<id>``: name, description and user metadata; ``metadata.system`` with ``system``.

        dtlpy sends the whole dataset back (``dataset.update()``, ``switch_recipe``). A different value for
        another field the record holds is refused, not dropped; the counters (a copy fetched before an
        upload is stale) and the dates are the platform's, and what is sent for them is not read.
        """
        dataset = dict(self.get_dataset(dataset_id))
        refuse_platform_fields("/datasets/{id}", dataset, patch, _DATASET_EDITABLE, _DATASET_DERIVED)
        for key in ("name", "description"):
            if patch.get(key) is not None:
                if not isinstance(patch[key], str) or not patch[key].strip():
                    raise BadRequest(f"dataset '{key}' must be a non-empty string, got {patch[key]!r}")
                if key == "name" and len(patch[key]) > entities.MAX_NAME:  # as POST bounds it
                    raise BadRequest(f"dataset 'name' has {len(patch[key])} characters; at most {entities.MAX_NAME}")
                dataset[key] = patch[key]
        metadata = patch.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise BadRequest(f"dataset 'metadata' must be an object, got {metadata!r}")
            sent_system = metadata.get("system", dataset["metadata"]["system"])
            if not isinstance(sent_system, dict):
                raise BadRequest("dataset 'metadata.system' must be an object")
            recipes = sent_system.get("recipes") if system else None
            if recipes is not None and (not isinstance(recipes, list) or self.recipes is None):
                raise BadRequest(f"dataset 'metadata.system.recipes' must be a list of recipe ids, got {recipes!r}")
            for recipe_id in recipes or []:
                self.recipes.get(recipe_id)
            kept = {**dataset["metadata"]["system"], **(sent_system if system else {})}
            # systemSpace marks Binaries: never changed from outside.
            kept["systemSpace"] = dataset["metadata"]["system"].get("systemSpace", False)
            dataset["metadata"] = {**{k: v for k, v in metadata.items() if k != "system"}, "system": kept}
        if dataset["name"] != self.get_dataset(dataset_id)["name"]:
            project_id = self.project_of_dataset(dataset)
            if dataset["name"] == BINARIES or any(d["name"] == dataset["name"] and d["id"] != dataset_id
                                                  for d in self.store.children("datasets", project_id)):
                raise BadRequest(f"a dataset named {dataset['name']!r} already exists in project {project_id}")
        dataset["updatedAt"] = now_iso()
        return self.store.put("datasets", dataset)

    def get_dataset(self, dataset_id: str) -> dict:
        dataset = self.store.get("datasets", dataset_id, "Dataset")
        if dataset.get("readonly") and not self._locked(dataset_id):  # its lock timed out
            return {**dataset, "readonly": False}
        return dataset

    # -- locks: an export with datasetLock makes its dataset readonly until unlock or lockTimeoutSec --------

    def _locked(self, dataset_id: str) -> bool:
        lock = self.store.find(LOCKS, dataset_id)
        return lock is not None and (lock["until"] is None or time.time() < lock["until"])

    @staticmethod
    def lock_timeout(value) -> float | None:
        """An export's ``lockTimeoutSec``, checked (None: none given)."""
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 < value <= MAX_LOCK_S):
            raise BadRequest(f"'lockTimeoutSec' must be a number of seconds up to {MAX_LOCK_S}, found {value!r:.100}")
        return value

    def lock_dataset(self, dataset_id: str, timeout_s: float | None) -> None:
        """The platform locks the dataset while an export with ``datasetLock`` runs. A local export ends as
        it starts, so the lock stays until ``unlock`` or the export's ``lockTimeoutSec``, as a long export's
        would; ``readonly`` shows it (it blocks no change here)."""
        with self.store.transaction():
            dataset = self.get_dataset(dataset_id)
            until = None if timeout_s is None else time.time() + timeout_s
            self.store.put(LOCKS, {"id": dataset_id, "until": until}, parent=dataset_id)
            self.store.put("datasets", {**dataset, "readonly": True})

    def unlock_dataset(self, dataset_id: str) -> dict:
        """``PATCH /datasets/{id}/unlock``: a dataset that is not locked is the platform's 400."""
        with self.store.transaction():
            dataset = self.get_dataset(dataset_id)
            if not self._locked(dataset_id):
                raise BadRequest(f"dataset is not locked: {dataset['name']!r} ({dataset_id})")
            self.store.delete(LOCKS, dataset_id)
            return self.store.put("datasets", {**dataset, "readonly": False})

    def project_of_dataset(self, dataset: dict) -> str:
        return dataset["projects"][0]

    def binaries(self, project_id: str) -> dict:
        for dataset in self.store.children("datasets", project_id):
            if dataset["name"] == BINARIES:
                return dataset
        raise NotFound(f"Dataset not found. Name: {BINARIES!r} in project {project_id}")

    def query_datasets(self, query: dict) -> dict:
        """``POST /datasets/query``: DQL over datasets, scoped by ``context.projects``.

        System datasets (``Binaries``) are returned, beside the others, only when the query sets
        ``systemSpace: true``, as on the platform.
        """
        context = query.get("context") or {}
        if context.get("projects") is not None and not isinstance(context["projects"], list):
            raise BadRequest("context.projects must be a list of project ids")
        if context.get("datasets") is not None and not isinstance(context["datasets"], list):
            raise BadRequest("context.datasets must be a list of ids")
        project_ids = scope.context_projects(context)
        if project_ids:
            docs = [d for pid in project_ids for d in self.store.children("datasets", pid)]
        else:
            docs = self.store.all("datasets")
        named = {i for i in context.get("datasets") or [] if isinstance(i, str)}
        if named:  # dtlpy's own suite names a project here and gets its datasets: an id of either kind counts
            docs = [d for d in docs if d["id"] in named or named & set(d["projects"])]
        if not query.get("systemSpace"):  # with it, the system datasets (Binaries) are listed too
            docs = [d for d in docs if not d["metadata"]["system"].get("systemSpace")]
        return dql.run_query(docs, query)

    def count_items(self, dataset_id: str, items: int = 0, annotations: int = 0, annotated: int = 0) -> None:
        """Adjust a dataset's counters after item or annotation changes, in the caller's transaction."""
        with self.store.transaction():
            dataset = dict(self.get_dataset(dataset_id))
            dataset["itemsCount"] = max(0, dataset.get("itemsCount", 0) + items)
            dataset["annotationsCount"] = max(0, dataset.get("annotationsCount", 0) + annotations)
            dataset["annotated"] = max(0, dataset.get("annotated", 0) + annotated)
            dataset["updatedAt"] = now_iso()
            self.store.put("datasets", dataset)
