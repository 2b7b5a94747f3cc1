"""Routes the platform serves and this one does not: each answers 501 with the route named.

dtlpy 1.126 calls these (its ``repositories/*.py``). A 404 would read as "no such entity", a 405 as a
wrong method, and a 200 that does nothing as success; a 501 says what is missing. The areas are the ones
the local platform covers (projects, datasets, items, annotations, recipes, ontologies, commands and the
FaaS entities); whole areas it does not reproduce (tasks, models, members, organisations) are outside.
``tests/backend/web/test_routes_walk.py`` reads dtlpy's repositories and fails when a route they call is
neither served nor listed here.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from ...errors import NotSupported
from .wsgi import Route

# (rule, methods, what the platform does there): the reason is part of the answer.
UNSUPPORTED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("/projects/<project_id>/members", ("GET",), "project members"),
    ("/projects/<project_id>/members/<path:user_id>", ("POST", "PATCH", "DELETE"), "project members"),
    ("/projects/<project_id>/mail", ("POST",), "mail to project members"),
    ("/outbox", ("POST",), "mail"),
    ("/orgs/<org_id>/projects", ("GET",), "organisations"),
    ("/datasets/merge", ("POST",), "merging datasets"),
    ("/datasets/<dataset_id>/sync", ("POST",), "syncing a dataset with its storage driver"),
    ("/datasets/<dataset_id>/split", ("POST",), "ML subsets"),
    ("/datasets/<dataset_id>/items/bulk-update-metadata", ("POST",), "ML subsets"),
    ("/datasets/<dataset_id>/export/v3", ("POST",), "export version 3 (version 1 is served)"),
    ("/datasets/<dataset_id>/items/<path:rest>", ("PUT",), "moving items by id; patch each item's 'dir'"),
    ("/items/<item_id>/revisions", ("POST",), "item revisions"),
    ("/scores/tasks/<task_id>/items/<item_id>", ("GET",), "task scores"),
    ("/scores/tasks/<task_id>/annotations/<annotation_id>", ("GET",), "task scores"),
    ("/commands", ("GET",), "listing commands (get one by id)"),
    ("/commands/<command_id>/abort", ("POST",), "aborting commands (every command ends when created)"),
    ("/ontologies/<ontology_id>/addLabels", ("PATCH",), "adding labels in 'add' mode (upsert them)"),
    ("/services/<service_id>/notify", ("POST",), "service notifications"),
    ("/services/fs-cache", ("POST",), "service file-system caches"),
    ("/services/cache", ("POST",), "service caches"),
    ("/triggers/<trigger_id>/clone", ("POST",), "cloning triggers"),
    ("/trigger-resource-information", ("POST",), "trigger resource information"),
)


def route_name(rule: str) -> str:
    """``/datasets/<dataset_id>/sync`` as people write it: ``/datasets/{dataset_id}/sync``."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _refuse(rule: str, what: str):
    def not_supported(request: Request, **_ids):
        raise NotSupported(f"{request.method} {route_name(rule)} is not supported by the local platform "
                           f"({what})")

    return not_supported


def unsupported_routes() -> list[Route]:
    return [Route(rule, methods, _refuse(rule, what)) for rule, methods, what in UNSUPPORTED]
