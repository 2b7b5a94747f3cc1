"""The service an app's case runs on: the app published and installed once per content; `cases.CaseRunner`
then runs the case on it exactly as on a package's service (a call, a node, an event).

The app goes through the platform as its author ships it: `project.dpks.publish` (with the folder as the
codebase, whatever ``codebase`` dataloop.json names, so that a git codebase is tested as checked out) and
`project.apps.install`, which creates the services of its compute configs. Each installed app gets a project
of its own, so two apps whose compute configs share a name never collide; the DPK is published under a name
made unique by its project, because the registry keeps one DPK per name.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .runner import CaseRunner
from ..errors import PlatformError
from ..manifests.app import AppManifest
from ..manifests.mock import MockCase
from ..dtlpy_binding import CHATTER


class AppCases:
    """The installed apps of one `CaseRunner` (one per test process), keyed by the app folder's content."""

    def __init__(self, runner: CaseRunner):
        self.runner = runner
        self._installed: dict[str, dict[str, dict]] = {}  # content hash -> module name -> service JSON
        self._init_params: dict[str, dict] = {}  # service id -> the init params it runs with now

    def install(self, app_dir: Path, app: AppManifest) -> dict[str, dict]:
        """Publish and install the app (once per content); returns the service that runs each module."""
        # The codebase is the layout's root (the repository, when a .dataloop.cfg lists the app), which two
        # apps of one repository share: the manifest is part of the key.
        root = app.layout.root
        key = f"{self.runner.folder_hash(root)}:{app_dir.resolve().relative_to(root.resolve()).as_posix()}"
        if key not in self._installed:
            dl = self.runner.dl
            project = dl.projects.create(project_name=f"faas-app-{app.name}-{key[:8]}-{int(time.time() * 1000) % 10**8}")
            document = app.codebase_document()  # entry points as paths in the root, whichever form was written
            document.update(name=f"{app.name}-{project.id[-10:]}".lower(), scope="project",
                            context={"project": project.id})
            document.pop("codebase", None)  # dtlpy packs the root when the DPK names no codebase
            os.makedirs(".dataloop", exist_ok=True)  # dtlpy packs in ./.dataloop (see CaseRunner.package)
            dpk = dl.Dpk.from_json(_json=document, client_api=dl.client_api, project=project)
            with CHATTER.harness_call():  # dtlpy's upload lines are the harness's, not the user's
                # As `dlp app publish` packs it: the root folder, minus .gitignore's paths, .git, .dataloop
                # and artifacts/.
                dpk = project.dpks.publish(dpk=dpk, local_path=str(root))
                installed = project.apps.install(dpk=dpk, app_name=dpk.name)
            services = self.runner.client.post("/query/faas", {
                "resource": "services", "filter": {"app.id": installed.id}, "pageSize": 1000})["items"]
            by_module: dict[str, dict] = {}
            for service in services:
                by_module.setdefault(service["moduleName"], service)
            self._installed[key] = by_module
        return self._installed[key]

    def service(self, app_dir: Path, app: AppManifest, case: MockCase) -> dict:
        """The installed service of the case's module, running the case's init params when it names some."""
        services = self.install(app_dir, app)
        service = services.get(case.module_name)
        if service is None:
            raise PlatformError(f"module {case.module_name!r} runs in no service of app {app.name!r}; give it a "
                                "computeConfig in dataloop.json (the ::manifest item says more)", status=400)
        wanted = case.init_params or service.get("initParams") or {}
        if self._init_params.setdefault(service["id"], service.get("initParams") or {}) != wanted:
            service = self.runner.client.call("PATCH", f"/services/{service['id']}", {"initParams": wanted})
            self._init_params[service["id"]] = wanted
        return service
