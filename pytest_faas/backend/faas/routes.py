"""The FaaS REST surface dtlpy uses (docs/platform.md#rest-routes): request parsing and response shaping only.

Behaviour lives in the engine's modules (``packages.py``, ``services.py``, ``executions.py``,
``dispatch.py``, ``triggers.py``, ``logs.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from ...errors import BadRequest, NotSupported
from ...protocol import TERMINAL, faas_name_problem
from ..web import bodies, scope
from .. import records
from ..web.wsgi import Route, read_body, read_json, read_query
from .services import BOT

if TYPE_CHECKING:
    from ..data.projects import Projects
    from ..store import Store
    from .engine import Engine
    from .executions import Executions
    from .packages import Packages
    from .service_revisions import ServiceRevisions
    from .services import Services
    from .triggers import Triggers


def naming_routes(packages: "Packages", services: "Services", executions: "Executions", triggers: "Triggers") -> list[Route]:
    """Name checks and ``/query/faas`` over the four kinds."""

    def validate_name(request: Request, kind: str, name: str):
        if kind == "triggers":  # the platform's rule for trigger names is not known; only the bounds
            if not name.strip() or len(name) > 100:
                raise BadRequest(f"invalid trigger name {name!r}: use 1 to 100 characters")
            return {}
        problem = faas_name_problem(name, kind.rstrip("s"))
        if problem:
            raise BadRequest(problem)
        return {}

    def query_faas(request: Request):
        query = read_query(request, "POST /query/faas")
        resource = query.get("resource")
        if resource in ("packages", "services", "triggers", "executions"):
            read_body(request, bodies.FaasQuery)
        handlers = {"packages": packages.query, "services": services.query, "triggers": triggers.query,
                    "executions": executions.query}
        if resource not in handlers:
            raise BadRequest(f"/query/faas resource must be one of {', '.join(handlers)}, found {resource!r}")
        return handlers[resource](scope.without_null_project(query))

    return [
        Route("/piper-misc/naming/<any(packages, services, triggers):kind>/<path:name>", ("GET",), validate_name),
        Route("/query/faas", ("POST",), query_faas),
    ]


def package_routes(engine: "Engine") -> list[Route]:
    """Packages and their revisions; deleting one goes through the engine (its services go with it)."""

    packages = engine.packages

    def create_package(request: Request):
        return packages.create(read_body(request, bodies.PackageBody))

    def get_package(request: Request, package_id: str):
        return packages.get(package_id)

    def update_package(request: Request, package_id: str):
        return packages.update(package_id, read_body(request, bodies.PackageBody))

    def delete_package(request: Request, package_id: str):
        engine.delete_package(package_id)
        return {"id": package_id, "deleted": True}

    def package_revisions(request: Request, package_id: str):
        return packages.revisions(package_id)

    return [
        Route("/packages", ("POST",), create_package),
        Route("/packages/<package_id>", ("GET",), get_package),
        Route("/packages/<package_id>", ("PATCH",), update_package),
        Route("/packages/<package_id>", ("DELETE",), delete_package),
        Route("/packages/<package_id>/revisions", ("GET",), package_revisions),
    ]


def service_routes(engine: "Engine", projects: "Projects", revisions: "ServiceRevisions") -> list[Route]:
    """Services: deploy, update (``force`` re-queues running work), pause, resume, status, logs, bots."""

    services = engine.services

    def create_service(request: Request):
        return services.create(read_body(request, bodies.ServiceCreate))

    def get_service(request: Request, service_id: str):
        return services.get(service_id)

    def update_service(request: Request, service_id: str):
        force = request.args.get("force", "false").lower()
        if force not in ("true", "false"):
            raise BadRequest(f"'force' must be true or false, found {request.args['force']!r}")
        updated = services.update(service_id, read_body(request, bodies.ServiceCreate))
        if force == "true":  # after the update: a refused body changes nothing, running work included
            engine.dispatch.reset_service(service_id)
        return updated

    def delete_service(request: Request, service_id: str):
        services.delete(service_id)
        return {"id": service_id, "deleted": True}

    def pause_service(request: Request, service_id: str):
        return services.set_active(service_id, False)

    def resume_service(request: Request, service_id: str):
        return services.set_active(service_id, True)

    def restart_service(request: Request, service_id: str):
        return services.restart(service_id)

    def service_status(request: Request, service_id: str):
        return engine.dispatch.status(service_id)

    def service_revisions(request: Request, service_id: str):
        return revisions.list(service_id)

    def service_logs(request: Request):
        return engine.logs.query(read_body(request, bodies.LogsQuery))

    def project_bots(request: Request, project_id: str):
        projects.get_project(project_id)
        return [{"id": BOT, "email": BOT, "username": "default", "name": "default", "type": "bot"}]

    return [
        Route("/services", ("POST",), create_service),
        Route("/services/<service_id>", ("GET",), get_service),
        Route("/services/<service_id>", ("PATCH",), update_service),
        Route("/services/<service_id>", ("DELETE",), delete_service),
        Route("/services/<service_id>/stop", ("POST",), pause_service),
        Route("/services/<service_id>/resume", ("POST",), resume_service),
        Route("/services/<service_id>/restart", ("POST",), restart_service),
        Route("/services/<service_id>/status", ("GET",), service_status),
        Route("/services/<service_id>/revisions", ("GET",), service_revisions),
        Route("/services/logs", ("POST",), service_logs),
        Route("/projects/<project_id>/bots", ("GET",), project_bots),
    ]


def trigger_routes(triggers: "Triggers") -> list[Route]:
    """Triggers by id."""

    def create_trigger(request: Request):
        return triggers.create(read_body(request, bodies.TriggerBody))

    def get_trigger(request: Request, trigger_id: str):
        return triggers.get(trigger_id)

    def update_trigger(request: Request, trigger_id: str):
        return triggers.update(trigger_id, read_body(request, bodies.TriggerBody))

    def delete_trigger(request: Request, trigger_id: str):
        triggers.delete(trigger_id)
        return {"id": trigger_id, "deleted": True}

    return [
        Route("/triggers", ("POST",), create_trigger),
        Route("/triggers/<trigger_id>", ("GET",), get_trigger),
        Route("/triggers/<trigger_id>", ("PATCH",), update_trigger),
        Route("/triggers/<trigger_id>", ("DELETE",), delete_trigger),
    ]


def execution_routes(engine: "Engine", store: "Store") -> list[Route]:
    """Executions: create, get (with the platform's short grace for a running one), progress, terminate, rerun."""

    executions = engine.executions

    def resource_executions(request: Request):
        return executions.resource_query(read_query(request, "POST /executions/resource/query"))

    def create_execution(request: Request, service_id: str):
        return executions.public(executions.create(service_id, read_body(request, bodies.ExecutionCreate)))

    def get_execution(request: Request, execution_id: str):
        doc = executions.get(execution_id)
        if doc["latestStatus"]["status"] not in TERMINAL and engine.get_grace_s > 0:
            doc = executions.wait(execution_id, engine.get_grace_s)
        return executions.public(doc)

    def patch_execution(request: Request, execution_id: str):
        # dtlpy's execution.update() sends the record back; the local platform changes none of its fields,
        # so a body that would change one is a 501 naming them, never a 200 that kept nothing.
        body = read_json(request, expect=dict)
        record = executions.public(executions.get(execution_id))
        changed = sorted(key for key, value in body.items() if key in record and value != record[key])
        if changed:
            raise NotSupported(f"PATCH /executions/{{id}} that changes {', '.join(changed)} is not supported by "
                               "the local platform; executions change through progress, terminate and rerun")
        return record

    def progress_execution(request: Request, execution_id: str):
        return executions.public(executions.progress(execution_id, read_body(request, bodies.Progress)))

    def terminate_execution(request: Request, execution_id: str):
        return executions.public(engine.dispatch.terminate(execution_id))

    def rerun_execution(request: Request, execution_id: str):
        return executions.public(executions.rerun(execution_id))

    def increment_attempts(request: Request, execution_id: str):
        return executions.increment(execution_id)

    def rerun_batch(request: Request):
        body = read_body(request, bodies.RerunBatch)
        found = executions.query({"filter": body.get("query") or {}, "pageSize": 1000})["items"]
        rerun = [executions.rerun(e["id"])["id"] for e in found if e["latestStatus"]["status"] in TERMINAL]
        return store.put("commands", records.command_json("rerunExecutions", {"executionIds": rerun}))

    return [
        Route("/executions/<service_id>", ("POST",), create_execution),
        Route("/executions/<execution_id>", ("GET",), get_execution),
        Route("/executions/<execution_id>", ("PATCH",), patch_execution),
        Route("/executions/<execution_id>/progress", ("POST",), progress_execution),
        Route("/executions/<execution_id>/terminate", ("POST",), terminate_execution),
        Route("/executions/<execution_id>/rerun", ("POST",), rerun_execution),
        Route("/executions/<execution_id>/attempts", ("POST",), increment_attempts),
        Route("/executions/rerun", ("POST",), rerun_batch),
        Route("/executions/resource/query", ("POST",), resource_executions),
    ]


def faas_routes(engine: "Engine", projects: "Projects", store: "Store", revisions: "ServiceRevisions") -> list[Route]:
    """The FaaS REST surface: each group gets the engine's parts it serves."""
    return (naming_routes(engine.packages, engine.services, engine.executions, engine.triggers)
            + package_routes(engine) + service_routes(engine, projects, revisions) + trigger_routes(engine.triggers)
            + execution_routes(engine, store))
