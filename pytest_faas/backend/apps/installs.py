"""Installed apps (``project.apps``): what an install of a published DPK creates, and undoing it.

An install runs the app's modules the way a pushed package runs: the DPK revision's modules and codebase
become a package record of the app's own (kept out of package listings, as the platform keeps them), and
each service of `dpks.service_plan` is an ordinary service of that package, so executions, logs, restarts
and placements are exactly those of a package's service. The app's triggers become triggers of those
services; its pipeline nodes are stored as registrations (kind ``app_pipeline_nodes``) for pipelines to use.

Everything an install needs is checked before anything is created, and a failure half way removes what
was made: a refused install leaves the store as it was. What dtlpy sends and reads: docs/platform.md#installed-apps.
"""

from __future__ import annotations

import copy
import threading

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict
from ...ids import new_id, now_iso
from .dpks import Dpks, namespace_target, service_plan
from ..faas.packages import Packages, module_view
from ..data.projects import Projects
from ..records import LOCAL_USER, ORG
from ..faas.services import Services, normalise_runtime
from ..events import Event
from ..store import Store
from ..faas.triggers import Triggers

# dtlpy reads "Installed" as running ("Application is already active") and pauses to "Deactivated".
INSTALLED, DEACTIVATED = "Installed", "Deactivated"
# The service keys a compute config or services[] entry may carry.
_SERVICE_KEYS = ("runtime", "initParams", "executionTimeout", "onReset", "maxAttempts", "drainTime",
                 "runExecutionAsProcess", "versions", "integrations", "secrets", "useUserJwt")


class Apps:
    """App records (kind ``apps``, parent: project id) and the services, triggers and nodes they own."""

    def __init__(self, store: Store, projects: Projects, dpks: Dpks, packages: Packages, services: Services,
                 triggers: Triggers):
        self.store, self.projects, self.dpks = store, projects, dpks
        self.packages, self.services, self.triggers = packages, services, triggers
        self._lock = threading.Lock()

    def get(self, app_id: str) -> dict:
        return self.store.get("apps", app_id, "App")

    def query(self, query: dict) -> dict:
        return dql.run_query(self.store.all("apps"), query, default_sort={"createdAt": "ascending"})

    def installed(self, dpk: dict) -> list[dict]:
        return [a for a in self.store.all("apps") if a["dpkName"] == dpk["name"]
                and a.get("dpkBaseId") == dpk["baseId"]]

    def pipeline_nodes(self, app_id: str) -> list[dict]:
        return self.store.children("app_pipeline_nodes", app_id)

    # -- install ----------------------------------------------------------------------------------------

    def install(self, body: dict) -> dict:
        project_id = body.get("projectId")
        if not project_id:
            raise BadRequest("app 'projectId' is required: install through a project (project.apps.install)")
        self.projects.get_project(project_id)
        if not isinstance(body.get("dpkName"), str):
            raise BadRequest("app 'dpkName' is required: the name of a published dpk")
        dpk = self.dpks.find(body["dpkName"], body.get("dpkVersion"))
        name = body.get("name") or dpk.get("displayName") or dpk["name"]
        if not isinstance(name, str):
            raise BadRequest(f"app 'name' must be a string, found {name!r}")
        now = now_iso()
        app_id = new_id()
        record = {"id": app_id, "name": name, "projectId": project_id, "orgId": body.get("orgId") or ORG["id"],
                  "dpkName": dpk["name"], "dpkVersion": dpk["version"], "dpkId": dpk["id"], "dpkBaseId": dpk["baseId"],
                  "compositionId": new_id(), "scope": body.get("scope") or "project", "status": INSTALLED,
                  "customInstallation": body.get("customInstallation") or {}, "settings": body.get("settings") or {},
                  "integrations": body.get("integrations") or [], "routes": {}, "metadata": {"system": {}},
                  "creator": LOCAL_USER, "createdAt": now, "updatedAt": now, "url": f"/apps/{app_id}"}
        with self._lock:
            if any(a["name"] == name for a in self.store.children("apps", project_id)):
                raise Conflict(f"an app named {name!r} is already installed in project {project_id}; "
                               "uninstall it or install under another app_name")
            self._build(record, dpk)
            self.store.put("apps", record, parent=project_id)
        return record

    def _plan(self, dpk: dict, project_id: str) -> tuple[list[dict], list[tuple[int, dict, str, str]]]:
        """The services and (trigger index, trigger, service name, function) an install creates; refuses first."""
        components = dpk.get("components") or {}
        plan = service_plan(components)
        modules = {module_view(m)["name"]: module_view(m) for m in components.get("modules") or []}
        taken = {s["name"] for s in self.store.children("services", project_id)}
        for entry in plan:
            if entry["name"] in taken:
                raise Conflict(f"the app's service {entry['name']!r} ({entry['origin']}) exists already in project "
                               f"{project_id}; uninstall the app that runs it first")
        by_name = {p["name"]: p for p in plan}
        triggers = []
        for i, trigger in enumerate(components.get("triggers") or []):
            service, module, function = namespace_target(trigger.get("namespace"))
            where = f"components.triggers[{i}].namespace"
            if service not in by_name:
                raise BadRequest(f"{where} {trigger.get('namespace')!r} names no service of the app; its services: "
                                 f"{sorted(by_name) or 'none'}")
            operation = (trigger.get("spec") or {}).get("operation") or {}
            function = function or operation.get("functionName") or "run"
            module_name = by_name[service]["moduleName"]
            if module not in (None, module_name) or module_name not in modules:
                raise BadRequest(f"{where}: service {service!r} runs module {module_name!r}, not {module!r}")
            if function not in [f["name"] for f in modules[module_name]["functions"]]:
                raise BadRequest(f"{where}: module {module_name!r} has no function {function!r}")
            triggers.append((i, trigger, service, function))
        return plan, triggers

    def _build(self, app: dict, dpk: dict) -> None:
        plan, triggers = self._plan(dpk, app["projectId"])
        # Every service at once, before any is made: an app of 200 compute configs x 32 replicas starts none.
        asked = sum(normalise_runtime(entry["config"].get("runtime"))["numReplicas"] for entry in plan)
        self.services.check_total(asked, what=f"the app's {len(plan)} services")
        created: list[tuple[str, str]] = []
        try:
            package = self._package(app, dpk)
            created.append(("packages", package["id"]))
            ids = {}
            for entry in plan:
                config = entry["config"]
                body = {k: copy.deepcopy(config[k]) for k in _SERVICE_KEYS if config.get(k) is not None}
                body.update(name=entry["name"], projectId=app["projectId"], packageId=package["id"],
                            packageRevision=package["version"], moduleName=entry["moduleName"],
                            app={"id": app["id"], "dpkId": dpk["baseId"], "dpkName": dpk["name"],
                                 "dpkVersion": dpk["version"], "componentName": entry["name"]})
                service = self.services.create(body)
                created.append(("services", service["id"]))
                ids[entry["name"]] = service["id"]
            for i, trigger, service, function in triggers:
                spec = copy.deepcopy(trigger.get("spec") or {})
                spec["operation"] = {"type": "function", "serviceId": ids[service], "functionName": function}
                made = self.triggers.create({"name": trigger.get("name") or f"{app['name']}-trigger-{i}",
                                             "type": trigger.get("type") or "Event", "projectId": app["projectId"],
                                             "active": trigger.get("active", True), "spec": spec,
                                             "app": {"id": app["id"], "dpkName": dpk["name"]}})
                created.append(("triggers", made["id"]))
            for i, node in enumerate((dpk.get("components") or {}).get("pipelineNodes") or []):
                service, module, function = namespace_target((node.get("invoke") or {}).get("namespace"))
                self.store.put("app_pipeline_nodes", {
                    "id": new_id(), "appId": app["id"], "projectId": app["projectId"], "index": i,
                    "name": node.get("name") or node.get("displayName"), "serviceId": ids.get(service),
                    "serviceName": service, "moduleName": module, "functionName": function,
                    "node": copy.deepcopy(node)}, parent=app["id"])
        except Exception:
            self._undo(app["id"], created)
            raise

    def _package(self, app: dict, dpk: dict) -> dict:
        """The DPK revision's modules and codebase as a package of this app (parent: the app, not the project)."""
        modules = copy.deepcopy((dpk.get("components") or {}).get("modules") or [])
        for module in modules:  # a compute config is the app's business; the package shape has none
            module.pop("computeConfig", None)
            for function in module.get("functions") or []:
                if isinstance(function, dict):
                    function.pop("computeConfig", None)
        now = now_iso()
        package_id = new_id()
        record = {"id": package_id, "name": f"{dpk['name']}", "projectId": app["projectId"], "type": "app",
                  "version": dpk["version"], "modules": modules, "codebase": copy.deepcopy(dpk.get("codebase")),
                  "creator": LOCAL_USER, "createdAt": now, "updatedAt": now, "url": f"/packages/{package_id}",
                  "orgId": ORG["id"], "global": False, "uiHooks": [], "app": {"id": app["id"], "dpkId": dpk["baseId"]}}
        self.store.put("packages", record, parent=app["id"])
        self.packages.put_revision(record)
        return record

    def _undo(self, app_id: str, created: list[tuple[str, str]]) -> None:
        for kind, doc_id in reversed(created):
            if self.store.find(kind, doc_id) is None:
                continue
            if kind == "services":
                self.services.delete(doc_id)  # stops its replicas and removes its triggers
            elif kind == "triggers":
                self.triggers.delete(doc_id)
            else:
                self.packages.delete(doc_id)
        for node in self.store.children("app_pipeline_nodes", app_id):
            self.store.delete("app_pipeline_nodes", node["id"])

    def _owned(self, app_id: str) -> list[tuple[str, str]]:
        """What an install made, oldest first: the package, then its services (their triggers go with them)."""
        packages = self.store.children("packages", app_id)
        services = [s for s in self.store.all("services") if (s.get("app") or {}).get("id") == app_id]
        return [("packages", p["id"]) for p in packages] + [("services", s["id"]) for s in services]

    # -- after install ----------------------------------------------------------------------------------

    def uninstall(self, app_id: str) -> dict:
        with self._lock:
            record = self.get(app_id)
            self._undo(app_id, self._owned(app_id))
            self.store.delete("apps", app_id)
        return dict(record, status="Uninstalled")

    def on_project_deleted(self, event: Event) -> None:
        """Bus listener: a deleted project takes the apps installed in it (and what each made) with it."""
        if (event.resource, event.action) == ("Project", "Deleted"):
            for app in self.store.children("apps", event.project_id):
                self.uninstall(app["id"])

    def update(self, app_id: str, body: dict) -> dict:
        """``app.update()``: a changed ``dpkVersion`` reinstalls the app's components from that revision."""
        with self._lock:
            record = copy.deepcopy(self.get(app_id))
            if body.get("name") not in (None, record["name"]):
                raise BadRequest(f"an app cannot be renamed (from {record['name']!r} to {body['name']!r})")
            for key in ("customInstallation", "settings", "integrations"):
                if isinstance(body.get(key), (dict, list)):
                    record[key] = copy.deepcopy(body[key])
            version = body.get("dpkVersion")
            if version not in (None, record["dpkVersion"]):
                dpk = self.dpks.revision(record["dpkBaseId"], version)
                owned = self._owned(app_id)
                self._undo(app_id, owned)
                try:
                    self._build(record, dpk)
                except Exception:
                    self._build(record, self.dpks.get(record["dpkId"]))  # the revision it ran before
                    raise
                record.update(dpkVersion=dpk["version"], dpkId=dpk["id"])
            record["updatedAt"] = now_iso()
            self.store.put("apps", record)
        return record

    def set_active(self, app_id: str, active: bool) -> dict:
        """``app.resume()`` / ``app.pause()``: every service of the app resumes or pauses."""
        record = dict(self.get(app_id), status=INSTALLED if active else DEACTIVATED, updatedAt=now_iso())
        for kind, service_id in self._owned(app_id):
            if kind == "services":
                self.services.set_active(service_id, active)
        self.store.put("apps", record)
        return record
