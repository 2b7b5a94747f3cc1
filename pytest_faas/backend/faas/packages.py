"""FaaS packages: upsert by name within a project, revisions by version, and module/function lookups.

`project.packages.push` finds a package by ``projectId`` + ``name`` and then either ``POST /packages`` or
``PATCH /packages/{id}`` (docs/platform.md#push-and-deploy). Each version the package has been stored at is kept as a
revision (kind ``package_revisions``, parent: package id), so a service pinned to ``packageRevision:
1.0.0`` keeps running that code after a push with ``revision_increment``. An update that sends the current
version (``package.update()``, a push without ``revision_increment``), or an earlier one, makes the next
patch version, as on the platform: every update is a new revision.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Callable

from ...dql import compiler as dql
from ...errors import BadRequest, Conflict, NotFound
from ...protocol import ENTRY_POINT_EXPECTED, codebase_problem, entry_point_ok
from ...ids import now_iso
from ..records import ORG, server_fields
from ..data.projects import Projects
from ..store import Store

DEFAULT_VERSION = "1.0.0"
LATEST = "latest"
MODULE_DEFAULTS = {"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                   "initInputs": [], "functions": []}
FUNCTION_DEFAULTS = {"name": "run", "input": [], "output": []}
# What a PATCH may change; identity and server-set fields stay.
_MUTABLE = ("modules", "slots", "serviceConfig", "type", "codebase", "requirements", "version", "metadata",
            "global", "description")


def module_view(module: dict) -> dict:
    """A module with the SDK's defaults filled in (``entryPoint`` main.py, ``className`` ServiceRunner...)."""
    view = dict(MODULE_DEFAULTS)
    view.update({k: v for k, v in module.items() if v is not None})
    view["functions"] = [dict(FUNCTION_DEFAULTS, **{k: v for k, v in f.items() if v is not None})
                         for f in (module.get("functions") or [])]
    for function in view["functions"]:
        for key in ("input", "output"):
            if isinstance(function[key], dict):  # one FunctionIO is stored bare (docs/platform.md#package-manifest)
                function[key] = [function[key]]
    if isinstance(view["initInputs"], dict):
        view["initInputs"] = [view["initInputs"]]
    return view


def check_entry_point(value, where: str) -> None:
    """A 400 for an entryPoint that is no .py file inside the codebase (the manifests' rule, one rule)."""
    if value is not None and not entry_point_ok(value):
        raise BadRequest(f"{where}: expected {ENTRY_POINT_EXPECTED}, found {value!r}")


def check_codebase(codebase, where: str = "codebase") -> None:
    """A 400 for a codebase that takes code from where none may come from (`protocol.codebase_problem`)."""
    found = codebase_problem(codebase)
    if found is not None:
        key, expected = found
        raise BadRequest(f"{where}.{key}: expected {expected}, found {codebase.get(key)!r}")


def check_modules(modules) -> list:
    """The modules as stored: checked, and without a module-level ``computeConfig: null`` (dtlpy always
    writes one; the platform answers without it)."""
    if modules is None:
        return []
    if not isinstance(modules, list):
        raise BadRequest(f"package 'modules' must be a list of modules, found {type(modules).__name__}")
    names = set()
    for index, module in enumerate(modules):
        if not isinstance(module, dict):
            raise BadRequest(f"modules[{index}] must be an object, found {type(module).__name__}")
        view = module_view(module)
        check_entry_point(view.get("entryPoint"), f"modules[{index}].entryPoint")
        if view["name"] in names:
            raise BadRequest(f"modules[{index}]: duplicate module name {view['name']!r}")
        names.add(view["name"])
        seen = set()
        for f_index, function in enumerate(view["functions"]):
            if function["name"] in seen:
                raise BadRequest(f"modules[{index}].functions[{f_index}]: duplicate function name "
                                 f"{function['name']!r} in module {view['name']!r}")
            seen.add(function["name"])
            _check_io_names(function.get("input"), f"modules[{index}].functions[{f_index}].input")
            _check_io_names(function.get("output"), f"modules[{index}].functions[{f_index}].output")
        _check_io_names(view["initInputs"], f"modules[{index}].initInputs")
    return [{k: v for k, v in m.items() if not (k == "computeConfig" and v is None)} for m in modules]


def _check_io_names(ios, where: str) -> None:
    """Two inputs (or outputs) of one name could not both be passed: the platform refuses them with 409."""
    seen = set()
    for index, io in enumerate(ios if isinstance(ios, list) else [ios] if isinstance(ios, dict) else []):
        name = io.get("name") if isinstance(io, dict) else None
        if name is None:
            continue
        if name in seen:
            raise Conflict(f"{where}[{index}]: duplicate name {name!r}; each input and each output of a "
                           "function needs a name of its own")
        seen.add(name)


class Packages:
    """Package records (kind ``packages``, parent: project id) and their revisions."""

    def __init__(self, store: Store, projects: Projects):
        self.store = store
        self.projects = projects
        self._lock = threading.Lock()
        self.listeners: list[Callable[[dict], None]] = []  # called with the package after each update

    def get(self, package_id: str) -> dict:
        return self.store.get("packages", package_id, "Package")

    def find(self, project_id: str, name: str) -> dict | None:
        return next((p for p in self.store.children("packages", project_id) if p["name"] == name), None)

    def create(self, body: dict) -> dict:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("package 'name' is required")
        check_codebase(body.get("codebase"))
        project_id = body.get("projectId") or self._codebase_project(body.get("codebase"))
        self.projects.get_project(project_id)
        record = {key: copy.deepcopy(body[key]) for key in _MUTABLE if key in body}
        record.update(server_fields("packages"))
        record.update({
            "name": name, "projectId": project_id, "uiHooks": [],
            "version": body.get("version") or DEFAULT_VERSION, "orgId": ORG["id"],
            "modules": check_modules(body.get("modules")), "global": bool(body.get("global", False)),
        })
        record.setdefault("type", body.get("type") or "faas")
        with self._lock:
            if self.find(project_id, name) is not None:
                raise Conflict(f"a package named {name!r} already exists in project {project_id}; "
                               "push updates it (PATCH /packages/{id})")
            self.store.put("packages", record, parent=project_id)
            self.put_revision(record)
        return record

    def _codebase_project(self, codebase) -> str:
        """The project of a package pushed with no project: the one whose Binaries holds its codebase item."""
        item_id = codebase.get("itemId") if isinstance(codebase, dict) else None
        item = self.store.find("items", item_id) if isinstance(item_id, str) else None
        if item is None:
            raise BadRequest("package 'projectId' is required when its codebase is not an item of a project's "
                             "Binaries dataset: push through a project (project.packages.push)")
        return self.projects.project_of_dataset(self.projects.get_dataset(item["datasetId"]))

    def update(self, package_id: str, body: dict) -> dict:
        with self._lock:
            record = dict(self.get(package_id))
            current = record.get("version") or DEFAULT_VERSION
            for key in _MUTABLE:
                if key in body:
                    record[key] = copy.deepcopy(body[key])
            record["modules"] = check_modules(record.get("modules"))
            check_codebase(record.get("codebase"))
            record["version"] = self._next_version(record, current, body.get("version"))
            if body.get("name") not in (None, record["name"]):
                raise BadRequest(f"a package cannot be renamed (from {record['name']!r} to {body['name']!r})")
            record["updatedAt"] = now_iso()
            self.store.put("packages", record)
            self.put_revision(record)
        for listener in list(self.listeners):
            listener(record)
        return record

    def _next_version(self, record: dict, current: str, sent) -> str:
        """The version an update stores: ``sent`` when it is new, else (none sent, the current one, or an
        earlier revision from an entity that was not refreshed) the patch after the current version."""
        if sent not in (None, "") and (not isinstance(sent, str) or not sent.strip()):
            raise BadRequest(f"package 'version' must be a non-empty string, found {sent!r}")
        if sent and self.store.find("package_revisions", f"{record['id']}@{sent}") is None:
            return sent
        found = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", current)
        if found is None:
            raise BadRequest(f"package {record['name']!r} is at version {current!r}, which is not "
                             "major.minor.patch; send the new version with the update")
        major, minor, patch = (int(part) for part in found.groups())
        return f"{major}.{minor}.{patch + 1}"

    def put_revision(self, record: dict) -> None:
        revision = dict(record, id=f"{record['id']}@{record['version']}", packageId=record["id"])
        self.store.put("package_revisions", revision, parent=record["id"])

    def revisions(self, package_id: str) -> list[dict]:
        self.get(package_id)
        return [dict(r, id=r["packageId"]) for r in self.store.children("package_revisions", package_id)]

    def revision(self, package: dict, revision: str | int | None) -> dict:
        """The package as it was at ``revision`` (a version string, ``latest`` or None for the current one)."""
        if revision in (None, "", LATEST) or revision == package["version"]:
            return package
        if isinstance(revision, int):  # the SDK's deprecated integer revisions mean 1.0.<n>
            revision = f"1.0.{revision}"
        found = self.store.find("package_revisions", f"{package['id']}@{revision}")
        if found is None:
            versions = ", ".join(r["version"] for r in self.store.children("package_revisions", package["id"]))
            raise NotFound(f"package {package['name']!r} has no revision {revision!r}; revisions: {versions}")
        return dict(found, id=package["id"])

    def delete(self, package_id: str) -> dict:
        record = self.get(package_id)
        for revision in self.store.children("package_revisions", package_id):
            self.store.delete("package_revisions", revision["id"])
        self.store.delete("packages", package_id)
        return record

    def query(self, query: dict) -> dict:
        # An installed app's code is a package of the app's own (backend/apps/installs.py); like the platform, the
        # package listings do not show it.
        packages = [p for p in self.store.all("packages") if "app" not in p]
        return dql.run_query(packages, query, default_sort={"createdAt": "ascending"})

    # -- modules and functions ------------------------------------------------------------------------

    @staticmethod
    def module(package: dict, module_name: str | None) -> dict:
        """The named module (with defaults); ``None`` picks ``default_module``, else the first module."""
        modules = [module_view(m) for m in package.get("modules") or []]
        if not modules:
            raise BadRequest(f"package {package['name']!r} (revision {package.get('version')}) declares no "
                             "modules; add one to package.json and push again")
        if module_name is None:
            return next((m for m in modules if m["name"] == MODULE_DEFAULTS["name"]), modules[0])
        for module in modules:
            if module["name"] == module_name:
                return module
        names = ", ".join(repr(m["name"]) for m in modules)
        raise NotFound(f"package {package['name']!r} (revision {package.get('version')}) has no module "
                       f"{module_name!r}; its modules are {names}")

    @staticmethod
    def function(package: dict, module: dict, function_name: str) -> dict:
        for function in module["functions"]:
            if function["name"] == function_name:
                return function
        names = ", ".join(repr(f["name"]) for f in module["functions"]) or "none"
        raise BadRequest(f"function {function_name!r} is not declared by module {module['name']!r} of package "
                         f"{package['name']!r} (revision {package.get('version')}); declared functions: {names}")
