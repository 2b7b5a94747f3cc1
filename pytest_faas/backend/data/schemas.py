"""A dataset's schema: ``GET /datasets/{id}/schema`` and its unsearchable paths (``POST .../schema/items``).

On the platform the schema describes what its index keeps of a dataset's items; what dtlpy reads and
changes of it is ``items.unsearchablePaths``, the metadata paths left out of search
(``dataset.schema.unsearchable_paths.add/remove``). The local platform searches every path whatever is
listed: it keeps the list so that it reads back as the platform's does.
"""

from __future__ import annotations

from ...errors import BadRequest
from ..events import Event
from ..store import Store
from .projects import Projects

KIND = "datasetSchemas"  # one per dataset, id: the dataset's id
MAX_PATHS = 1000  # unsearchable paths per dataset
MAX_PATH_LENGTH = 1000


def _paths(value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) and 0 < len(p) <= MAX_PATH_LENGTH
                                              for p in value):
        raise BadRequest(f"'unsearchablePaths.{name}' must be a list of metadata paths (strings of 1 to "
                         f"{MAX_PATH_LENGTH} characters), got {value!r:.200}")
    return value


class Schemas:
    def __init__(self, store: Store, projects: Projects):
        self.store = store
        self.projects = projects

    def get(self, dataset_id: str) -> dict:
        self.projects.get_dataset(dataset_id)
        found = self.store.find(KIND, dataset_id) or {}
        return {"items": {"unsearchablePaths": list(found.get("unsearchablePaths") or [])}}

    def change_unsearchable(self, dataset_id: str, body: dict) -> dict:
        """``{unsearchablePaths: {add: [...]} | {remove: [...]}}``; answers the schema as it is then."""
        change = body.get("unsearchablePaths")
        if not isinstance(change, dict) or not set(change) <= {"add", "remove"} or not change:
            raise BadRequest("the body must be {'unsearchablePaths': {'add': [paths]}} or {... {'remove': [paths]}}")
        add, remove = _paths(change.get("add"), "add"), _paths(change.get("remove"), "remove")
        with self.store.transaction():
            paths = self.get(dataset_id)["items"]["unsearchablePaths"]
            paths = [p for p in paths if p not in remove] + [p for p in dict.fromkeys(add) if p not in paths]
            if len(paths) > MAX_PATHS:
                raise BadRequest(f"a dataset keeps at most {MAX_PATHS} unsearchable paths")
            self.store.put(KIND, {"id": dataset_id, "unsearchablePaths": paths}, parent=dataset_id)
        return self.get(dataset_id)

    def on_event(self, event: Event) -> None:
        """A deleted dataset's schema goes with it."""
        if event.resource == "Dataset" and event.action == "Deleted":
            self.store.delete(KIND, event.document["id"])
