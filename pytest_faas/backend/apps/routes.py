"""The app REST surface dtlpy 1.126 uses: ``/app-registry`` (``dl.dpks``) and ``/apps`` (``project.apps``).

Request parsing and response shaping only; behaviour lives in ``dpks.py`` and ``apps.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ..web.wsgi import Route, read_json, read_query

if TYPE_CHECKING:
    from .dpks import Dpks
    from .installs import Apps


def registry_routes(dpks: "Dpks", apps: "Apps") -> list[Route]:
    """The registry (``dl.dpks``): publish, query, get, update, delete, revisions, previews."""

    def publish(request: Request):
        return dpks.publish(read_json(request, expect=dict))

    def query_dpks(request: Request):
        return dpks.query(read_query(request, "POST /app-registry/query"))

    def get_dpk(request: Request, dpk_id: str):
        return dpks.get(dpk_id)

    def update_dpk(request: Request, dpk_id: str):
        record = dpks.update(dpk_id, read_json(request, expect=dict))
        return {"message": f"dpk {record['name']} {record['version']} updated", "dpk": record}

    def delete_dpk(request: Request, dpk_id: str):
        record = dpks.get(dpk_id)
        dpks.delete(dpk_id, apps.installed(record))
        return {"id": dpk_id, "deleted": True}

    def dpk_revision(request: Request, dpk_id: str, version: str):
        return dpks.revision(dpk_id, version)

    def dpk_revisions(request: Request, name: str):
        return dpks.revisions(name, read_json(request, expect=dict))

    def dpk_previews(request: Request, dpk_id: str):
        dpks.get(dpk_id)
        return {}

    return [
        Route("/app-registry", ("POST",), publish),
        Route("/app-registry/query", ("POST",), query_dpks),
        Route("/app-registry/<dpk_id>", ("GET",), get_dpk),
        Route("/app-registry/<dpk_id>", ("PATCH",), update_dpk),
        Route("/app-registry/<dpk_id>", ("DELETE",), delete_dpk),
        Route("/app-registry/<dpk_id>/revisions/<version>", ("GET",), dpk_revision),
        Route("/app-registry/<name>/revisions", ("POST",), dpk_revisions),
        Route("/app-registry/<dpk_id>/previews", ("GET",), dpk_previews),
    ]


def install_routes(apps: "Apps") -> list[Route]:
    """Installed apps (``project.apps``): install, query, get, update, uninstall, activate, deactivate."""

    def install(request: Request):
        return apps.install(read_json(request, expect=dict))

    def query_apps(request: Request):
        return apps.query(read_query(request, "POST /apps/query"))

    def get_app(request: Request, app_id: str):
        return apps.get(app_id)

    def update_app(request: Request, app_id: str):
        return apps.update(app_id, read_json(request, expect=dict))

    def uninstall(request: Request, app_id: str):
        return apps.uninstall(app_id)

    def activate(request: Request, app_id: str):
        return apps.set_active(app_id, True)

    def deactivate(request: Request, app_id: str):
        return apps.set_active(app_id, False)

    return [
        Route("/apps", ("POST",), install),
        Route("/apps/query", ("POST",), query_apps),
        Route("/apps/<app_id>", ("GET",), get_app),
        Route("/apps/<app_id>", ("PUT",), update_app),
        Route("/apps/<app_id>", ("DELETE",), uninstall),
        Route("/apps/<app_id>/activate", ("POST",), activate),
        Route("/apps/<app_id>/deactivate", ("POST",), deactivate),
    ]


def app_routes(dpks: "Dpks", apps: "Apps") -> list[Route]:
    return registry_routes(dpks, apps) + install_routes(apps)
