"""The app registry: published DPKs (``dl.dpks``), their revisions, and the rule for what an install runs.

`dl.dpks.publish` posts the dataloop.json (with the codebase dtlpy packed) to ``POST /app-registry``. Each
published version is a revision (kind ``dpk_revisions``, parent: the DPK's base id); the registry answers
with the latest revision of each name (kind ``dpks``). As in the platform's registry, a name is one DPK
whichever project publishes it, and a version once published cannot be published again (bump it); see
docs/platform.md#the-app-registry.

`service_plan` is the one place that says which services an install creates; the manifest model reads it
too, so that the checks of `pytest --faas` and the local install agree.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict, NotFound
from ...ids import new_id, now_iso
from ..faas.packages import check_codebase, check_modules, module_view
from ..data.projects import Projects
from ..records import LOCAL_USER, ORG
from ..store import Store

# What PATCH /app-registry/{id} may change (dtlpy: "attributes, displayName, icon, description").
_MUTABLE = ("attributes", "displayName", "icon", "description", "pipelineTemplatesPreview")
_SERVER = ("id", "baseId", "createdAt", "updatedAt", "creator", "url")
_LISTS = ("modules", "computeConfigs", "services", "triggers", "pipelineNodes", "panels", "toolbars", "models",
          "modelTypes", "channels", "pipelineTemplates", "integrations")


def namespace_target(namespace: Any) -> tuple[str | None, str | None, str | None]:
    """``(service, module, function)`` a namespace names: ``services.<service>``, ``<service>.<function>``
    or ``<service>.<module>.<function>``; None in each place it leaves open."""
    if not isinstance(namespace, str) or not namespace:
        return None, None, None
    if namespace.startswith("services."):
        return namespace[len("services."):] or None, None, None
    parts = namespace.split(".")
    if len(parts) >= 3:
        return parts[0], parts[1], ".".join(parts[2:])
    return (parts[0], None, parts[1]) if len(parts) == 2 else (parts[0], None, None)


def dataset_configs(components: dict) -> list[tuple[int, str, str | None]]:
    """``(index, compute config, module)`` of each ``components.datasets[]`` entry that names a compute config:
    a dataset app's loader runs in that config's service, the module being the first part of the entry's
    ``invoke.namespace`` (``<module>.<function>``)."""
    found = []
    for i, dataset in enumerate(components.get("datasets") or []):
        if not isinstance(dataset, dict) or not isinstance(dataset.get("computeConfig"), str):
            continue
        invoke = dataset.get("invoke") if isinstance(dataset.get("invoke"), dict) else {}
        namespace = invoke.get("namespace")
        module = namespace.split(".")[0] if isinstance(namespace, str) and "." in namespace else None
        found.append((i, dataset["computeConfig"], module))
    return found


def service_plan(components: dict) -> list[dict]:
    """The services an install of these components creates, in order: ``{name, moduleName, config, origin}``.

    Each ``services[]`` entry is one service (its module defaults to the first). Each compute config that a
    module or one of its functions names runs that module in a service named after the config; a config
    named from two modules gives the second service ``<config>-<module>``. A ``datasets[]`` entry's compute
    config counts as named by the module of its ``invoke.namespace``. A model's module (one that
    ``components.models[]`` names) runs when that model is deployed, not at install; nor does a module that
    no service and no compute config names.
    """
    modules = [m for m in components.get("modules") or [] if isinstance(m, dict)]
    module_names = [m.get("name") or "default_module" for m in modules]
    models = {m.get("moduleName") for m in components.get("models") or [] if isinstance(m, dict)}
    configs = {c.get("name"): (i, c) for i, c in enumerate(components.get("computeConfigs") or [])
               if isinstance(c, dict)}
    plan: list[dict] = []
    for i, service in enumerate(components.get("services") or []):
        if isinstance(service, dict) and isinstance(service.get("name"), str):
            module = service.get("moduleName") or (module_names[0] if module_names else None)
            plan.append({"name": service["name"], "moduleName": module, "config": service,
                         "origin": f"services[{i}]"})
    datasets = dataset_configs(components)
    for module, name in zip(modules, module_names):
        if name in models:
            continue
        named = [module.get("computeConfig")] + [f.get("computeConfig") for f in module.get("functions") or []
                                                 if isinstance(f, dict)]
        named += [config for _, config, target in datasets if target == name]
        for config_name in dict.fromkeys(n for n in named if isinstance(n, str)):
            if config_name not in configs or any(p["name"] == config_name and p["moduleName"] == name for p in plan):
                continue
            taken = any(p["name"] == config_name for p in plan)
            index, config = configs[config_name]
            plan.append({"name": f"{config_name}-{name}" if taken else config_name, "moduleName": name,
                         "config": config, "origin": f"computeConfigs[{index}]"})
    return plan


def _check(body: dict) -> dict:
    """The platform's refusals of a DPK body, each naming its JSON path."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("dpk 'name' is required (a non-empty string)")
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise BadRequest(f"dpk 'version' must be a string such as '1.0.0', found {version!r}")
    check_codebase(body.get("codebase"))
    components = body.get("components")
    if components is None:
        components = {}
    if not isinstance(components, dict):
        raise BadRequest(f"dpk 'components' must be an object, found {type(components).__name__}")
    for key in _LISTS:
        value = components.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise BadRequest(f"components.{key} must be a list of objects")
    _check_shapes(components)
    try:
        check_modules(components.get("modules"))
    except BadRequest as exc:
        raise BadRequest(f"components.{exc.message}") from None
    modules = {module_view(m)["name"] for m in components.get("modules") or []}
    configs = {c["name"] for c in components.get("computeConfigs") or []}
    for i, module in enumerate(components.get("modules") or []):
        config = module.get("computeConfig")
        if config is not None and config not in configs:
            raise BadRequest(f"components.modules[{i}].computeConfig {config!r} names no compute config; "
                             f"declared: {sorted(configs)}")
    for i, service in enumerate(components.get("services") or []):
        if service.get("moduleName") is not None and service["moduleName"] not in modules:
            raise BadRequest(f"components.services[{i}].moduleName {service['moduleName']!r} names no module; "
                             f"modules: {sorted(modules)}")
    return components


def _check_shapes(components: dict) -> None:
    """The types of the keys an install reads, so that a wrong one is a 400 here rather than a crash later."""
    def kind(value, allowed: tuple, where: str, expected: str) -> None:
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise BadRequest(f"{where} must be {expected}, found {value!r}"[:300])

    optional_text = (str, type(None))
    for group in ("computeConfigs", "services"):
        seen = set()
        for i, entry in enumerate(components.get(group) or []):
            kind(entry.get("name"), (str,), f"components.{group}[{i}].name", "a non-empty string")
            if not entry["name"] or entry["name"] in seen:
                raise BadRequest(f"components.{group}[{i}].name must be a unique non-empty string, found {entry['name']!r}")
            seen.add(entry["name"])
            kind(entry.get("moduleName"), optional_text, f"components.{group}[{i}].moduleName", "a module name")
            for key in ("runtime", "initParams"):
                kind(entry.get(key), (dict, type(None)), f"components.{group}[{i}].{key}", "an object")
    for i, module in enumerate(components.get("modules") or []):
        for key in ("name", "entryPoint", "className"):
            kind(module.get(key), optional_text, f"components.modules[{i}].{key}", "a string")
        kind(module.get("computeConfig"), optional_text, f"components.modules[{i}].computeConfig",
             "the name of a compute config")
        kind(module.get("functions"), (list, type(None)), f"components.modules[{i}].functions", "a list")
        for j, function in enumerate(module.get("functions") or []):
            kind(function, (dict,), f"components.modules[{i}].functions[{j}]", "an object")
            kind(function.get("name", "run"), (str,), f"components.modules[{i}].functions[{j}].name", "a string")
            kind(function.get("computeConfig"), (str, dict, type(None)),
                 f"components.modules[{i}].functions[{j}].computeConfig", "the name of a compute config")
    for i, trigger in enumerate(components.get("triggers") or []):
        kind(trigger.get("namespace"), optional_text, f"components.triggers[{i}].namespace", "a namespace string")
        kind(trigger.get("name"), optional_text, f"components.triggers[{i}].name", "a string")
        kind(trigger.get("spec"), (dict, type(None)), f"components.triggers[{i}].spec", "an object")
        operation = (trigger.get("spec") or {}).get("operation")
        kind(operation, (dict, type(None)), f"components.triggers[{i}].spec.operation", "an object")
        kind((operation or {}).get("functionName"), optional_text,
             f"components.triggers[{i}].spec.operation.functionName", "a function name")
    for i, node in enumerate(components.get("pipelineNodes") or []):
        kind(node.get("invoke"), (dict, type(None)), f"components.pipelineNodes[{i}].invoke", "an object")
        kind((node.get("invoke") or {}).get("namespace"), optional_text,
             f"components.pipelineNodes[{i}].invoke.namespace", "a namespace string")


class Dpks:
    """Published DPK revisions (kind ``dpk_revisions``) and the latest of each (kind ``dpks``)."""

    def __init__(self, store: Store, projects: Projects):
        self.store = store
        self.projects = projects
        self._lock = threading.Lock()

    def _latest(self, name: str) -> dict | None:
        return next((d for d in self.store.all("dpks") if d["name"] == name), None)

    def publish(self, body: dict) -> dict:
        _check(body)
        context = body.get("context") if isinstance(body.get("context"), dict) else {}
        project_id = context.get("project")
        if not project_id:
            raise BadRequest("dpk 'context.project' is required: publish through a project (project.dpks.publish)")
        self.projects.get_project(project_id)
        version = body.get("version") or "1.0.0"
        now = now_iso()
        with self._lock:
            latest = self._latest(body["name"])
            base_id = latest["baseId"] if latest else new_id()
            if latest and any(r["version"] == version for r in self.store.children("dpk_revisions", base_id)):
                raise Conflict(f"dpk {body['name']!r} version {version!r} is already published; bump 'version' "
                               "in dataloop.json and publish again")
            record = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER}
            revision_id = new_id()
            record.update({"id": revision_id, "baseId": base_id, "version": version, "context":
                           {**context, "org": context.get("org") or ORG["id"]}, "createdAt": now, "updatedAt": now,
                           "creator": LOCAL_USER, "url": f"/app-registry/{revision_id}",
                           "displayName": body.get("displayName") or body["name"],
                           "scope": body.get("scope") or "project"})
            record.setdefault("components", {})
            with self.store.transaction():  # the revision and the registry's latest entry move together
                self.store.put("dpk_revisions", record, parent=base_id)
                self.store.put("dpks", record)
                if latest:
                    self.store.delete("dpks", latest["id"])
        return record

    def get(self, dpk_id: str) -> dict:
        """A revision by its id, or the latest revision of a base id."""
        found = self.store.find("dpk_revisions", dpk_id)
        if found is None:
            found = next((d for d in self.store.all("dpks") if d["baseId"] == dpk_id), None)
        if found is None:
            raise NotFound(f"Dpk not found: {dpk_id}")
        return found

    def revision(self, dpk_id: str, version: str) -> dict:
        base = self.get(dpk_id)["baseId"]
        found = next((r for r in self.store.children("dpk_revisions", base) if r["version"] == version), None)
        if found is None:
            raise NotFound(f"Dpk version not found: {dpk_id} version {version}")
        return found

    def find(self, name: str, version: str | None) -> dict:
        """The revision an install names: ``version``, or the latest one."""
        latest = self._latest(name)
        if latest is None:
            raise NotFound(f"Dpk not found: {name!r}; publish it first (project.dpks.publish)")
        return latest if version in (None, latest["version"]) else self.revision(latest["baseId"], version)

    def query(self, query: dict) -> dict:
        return dql.run_query(self.store.all("dpks"), query, default_sort={"createdAt": "ascending"})

    def revisions(self, name: str, query: dict) -> dict:
        latest = self._latest(name) or self.get(name)
        docs = self.store.children("dpk_revisions", latest["baseId"])
        return dql.run_query(docs, query, default_sort={"createdAt": "ascending"})

    def update(self, dpk_id: str, body: dict) -> dict:
        with self._lock:
            record = copy.deepcopy(self.get(dpk_id))
            record.update({k: copy.deepcopy(body[k]) for k in _MUTABLE if k in body}, updatedAt=now_iso())
            with self.store.transaction():
                self.store.put("dpk_revisions", record, parent=record["baseId"])
                if self.store.find("dpks", record["id"]) is not None:
                    self.store.put("dpks", record)
        return record

    def delete(self, dpk_id: str, installed: list[dict]) -> dict:
        record = self.get(dpk_id)
        if installed:
            raise Conflict(f"dpk {record['name']!r} is installed as {', '.join(a['name'] for a in installed)}; "
                           "uninstall those apps first")
        with self.store.transaction():
            for revision in self.store.children("dpk_revisions", record["baseId"]):
                self.store.delete("dpk_revisions", revision["id"])
            latest = next((d for d in self.store.all("dpks") if d["baseId"] == record["baseId"]), None)
            if latest:
                self.store.delete("dpks", latest["id"])
        return record
