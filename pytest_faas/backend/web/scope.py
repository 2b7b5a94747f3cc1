"""What a request means when it names no project: dtlpy's module-level repositories send a null one.

``dl.packages``, ``dl.artifacts`` and the repositories under them hold an empty project, so dtlpy 1.126
sends ``context.projects: [null]`` to ``POST /datasets/query`` and ``projectId: null`` in FaaS queries and
in ``POST /packages``. The platform reads a null project as no project given: a query then runs over every
project the caller can see (here the one local user sees every project), and dtlpy itself refuses when a
name it looks up that way matches in more than one. A package created without a project belongs to the
project whose ``Binaries`` dataset holds its codebase (docs/platform.md#no-project-given).
"""

from __future__ import annotations

PROJECT_ID = "projectId"


def context_projects(context: dict | None) -> list[str] | None:
    """The project ids a query's ``context.projects`` names, or None for every project (none, or only nulls)."""
    named = [pid for pid in (context or {}).get("projects") or [] if pid]
    return named or None


def _is_null_project(condition) -> bool:
    return isinstance(condition, dict) and list(condition) == [PROJECT_ID] and condition[PROJECT_ID] is None


def without_null_project(query: dict) -> dict:
    """``query`` without its top-level ``projectId: null`` conditions (alone or in the top ``$and``)."""
    filt = query.get("filter")
    if not isinstance(filt, dict):
        return query
    if _is_null_project(filt):
        return {**query, "filter": {}}
    if filt.get(PROJECT_ID, 0) is None:
        filt = {key: value for key, value in filt.items() if key != PROJECT_ID}
    conditions = filt.get("$and")
    if isinstance(conditions, list) and any(map(_is_null_project, conditions)):
        kept = [c for c in conditions if not _is_null_project(c)]
        filt = {**{k: v for k, v in filt.items() if k != "$and"}, **({"$and": kept} if kept else {})}
    return {**query, "filter": filt}
