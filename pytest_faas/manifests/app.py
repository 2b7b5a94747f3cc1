"""Typed model and loader for dataloop.json, the manifest of an app (a DPK: `dlp app publish`, `dl.dpks`).

An app keeps ``dataloop.json`` at its repository root and describes its code under ``components``: modules
(package.json's module shape, entry points relative to the root), the compute configs and services that run
them, triggers, pipeline nodes, and UI parts (panels, toolbars, models...) that are kept but never run here.
Unknown keys are kept, as the app registry keeps them; what the platform would refuse is refused at load
time as located `ManifestError`s, all of them at once, as for the other formats.

Which services an install creates is the platform's rule, written once in `pytest_faas.backend.apps.dpks`;
`AppManifest.services()` reads it from there so that the checks and the install agree.

Example:
    >>> app = load_app("my-app/dataloop.json")
    >>> [s["name"] for s in app.services()]
    ['my-app-service']
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .jsondoc import PlatformModel, one_of, read_document, validate_document
from .package import Function, Module, Name, PackageManifest, checked_codebase, unique_names
from .repo import RepoLayout
from .service import Runtime, Trigger

APP_SCOPES = ("project", "organization", "public", "system")
CODEBASE_TYPES = ("item", "git", "filesystem", "local")


class Kept(PlatformModel):
    """An app document part whose unknown keys are kept (the registry stores what the author wrote)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ComputeConfig(Kept):
    """``components.computeConfigs[]``: how a service runs (its runtime, timeout, init parameters)."""

    name: Name = Field(min_length=1)
    runtime: Runtime = Field(default_factory=Runtime)
    execution_timeout: int = Field(3600, alias="executionTimeout", gt=0)
    init_params: dict[str, Any] = Field(default_factory=dict, alias="initParams")
    on_reset: Annotated[str, AfterValidator(one_of(("failed", "rerun")))] = Field("failed", alias="onReset")
    max_attempts: int | None = Field(None, alias="maxAttempts", ge=1)
    drain_time: int | None = Field(None, alias="drainTime", ge=0)
    run_execution_as_process: bool | None = Field(None, alias="runExecutionAsProcess")


class AppService(ComputeConfig):
    """``components.services[]``: a named service of one module (the first module when none is named)."""

    module_name: str | None = Field(None, alias="moduleName")
    panel_names: list[str] = Field(default_factory=list, alias="panelNames")


class AppFunction(Function):
    """A function as in package.json; its ``computeConfig`` may name a compute config of its own."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    compute_config: str | dict[str, Any] | None = Field(None, alias="computeConfig")  # type: ignore[assignment]


class AppModule(Module):
    """A module as in package.json, plus ``computeConfig``: the name of the compute config that runs it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    compute_config: str | None = Field(None, alias="computeConfig", min_length=1)  # type: ignore[assignment]
    functions: list[AppFunction] = Field(default_factory=list)  # type: ignore[assignment]


class AppTrigger(Trigger):
    """A trigger with the ``namespace`` of what it calls: ``services.<service>`` (the function in
    ``spec.operation.functionName``) or ``<service>.<module>.<function>``."""

    namespace: str | None = Field(None, min_length=1)


class Invoke(Kept):
    type: str = "function"
    namespace: str | None = None


class PipelineNode(Kept):
    """``components.pipelineNodes[]``: a function offered as a pipeline node (registered, not run here)."""

    name: str | None = None
    display_name: str | None = Field(None, alias="displayName")
    invoke: Invoke | None = None
    scope: str | None = None
    categories: list[str] = Field(default_factory=list)
    compute_config: str | None = Field(None, alias="computeConfig")


class Components(Kept):
    modules: list[AppModule] = Field(default_factory=list)
    compute_configs: list[ComputeConfig] = Field(default_factory=list, alias="computeConfigs")
    services: list[AppService] = Field(default_factory=list)
    triggers: list[AppTrigger] = Field(default_factory=list)
    pipeline_nodes: list[PipelineNode] = Field(default_factory=list, alias="pipelineNodes")
    # Pipelines as `pipeline.to_json()` gives them, their function nodes naming the app's services; each is
    # checked by app_checks and run by `pytest --faas` with its `<name>.pipeline.mock.json`.
    pipeline_templates: list[dict[str, Any]] = Field(default_factory=list, alias="pipelineTemplates")
    # Kept for publishing, never run locally.
    panels: list[dict[str, Any]] = Field(default_factory=list)
    toolbars: list[dict[str, Any]] = Field(default_factory=list)
    models: list[dict[str, Any]] = Field(default_factory=list)
    model_types: list[dict[str, Any]] = Field(default_factory=list, alias="modelTypes")

    @field_validator("modules", mode="wrap")
    @classmethod
    def unique_modules(cls, value: Any, handler: Any) -> Any:
        return unique_names(value, handler, "module", lambda e: e.get("name", "default_module"))

    @field_validator("compute_configs", mode="wrap")
    @classmethod
    def unique_configs(cls, value: Any, handler: Any) -> Any:
        return unique_names(value, handler, "compute config", lambda e: e.get("name"))

    @field_validator("services", mode="wrap")
    @classmethod
    def unique_services(cls, value: Any, handler: Any) -> Any:
        return unique_names(value, handler, "service", lambda e: e.get("name"))


class AppCodebase(Kept):
    type: Annotated[str, AfterValidator(one_of(CODEBASE_TYPES))] = "item"

    _where_from = model_validator(mode="before")(checked_codebase)


class AppManifest(Kept):
    """dataloop.json: the app's identity and its components."""

    name: Name = Field(min_length=1)
    version: str | None = None
    display_name: str | None = Field(None, alias="displayName")
    description: str | None = None
    scope: Annotated[str, AfterValidator(one_of(APP_SCOPES))] = "project"
    attributes: dict[str, Any] = Field(default_factory=dict)
    codebase: AppCodebase | None = None
    components: Components = Field(default_factory=Components)
    _source: Path | None = PrivateAttr(None)
    _document: dict[str, Any] = PrivateAttr(default_factory=dict)
    _layout: RepoLayout | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def layout(self) -> RepoLayout:
        """Where the app's codebase starts: its repository's root when a ``.dataloop.cfg`` lists it (see
        `manifests.repo`), else its own folder."""
        if self._layout is None:
            self._layout = RepoLayout((self._source.parent if self._source else Path(".")).resolve())
        return self._layout

    def codebase_document(self) -> dict[str, Any]:
        """The JSON to publish with the layout's root as codebase: each entry point as a path in that root."""
        document = copy.deepcopy(self._document)
        folder = self._source.parent if self._source else self.layout.root
        modules = (document.get("components") or {}).get("modules") or []
        for module in modules:
            if isinstance(module, dict) and isinstance(module.get("entryPoint"), str):
                module["entryPoint"] = self.layout.codebase_entry(folder, module["entryPoint"])
        return document

    @property
    def document(self) -> dict[str, Any]:
        """The JSON as written (unknown keys included): what `dl.dpks.publish` sends."""
        return self._document

    @property
    def modules(self) -> list[AppModule]:
        return self.components.modules

    def module(self, name: str) -> AppModule | None:
        return next((m for m in self.modules if m.name == name), None)

    def services(self) -> list[dict[str, Any]]:
        """The services an install creates: ``{name, moduleName, config, origin}`` each (see backend.dpks)."""
        # Imported here: importing anything under backend/ loads the whole platform (werkzeug...), which
        # collection-time imports of the formats must not.
        from ..backend.apps.dpks import service_plan  # noqa: PLC0415

        return service_plan(self.components.model_dump(by_alias=True, exclude_none=True))

    def target(self, namespace: str) -> tuple[str | None, str | None, str | None]:
        """``(service, module, function)`` a trigger or pipeline-node namespace names (None where it names none)."""
        from ..backend.apps.dpks import namespace_target  # noqa: PLC0415 (see services())

        return namespace_target(namespace)

    def as_package(self) -> PackageManifest:
        """The app's modules as a package.json would declare them (for checks that read a package)."""
        package = PackageManifest.model_validate({"name": self.name, "version": self.version,
                                                  "modules": [_package_module(m) for m in self.modules]})
        package._source = self._source
        return package


def _package_module(module: AppModule) -> dict[str, Any]:
    """A module's package.json keys only: compute configs are the app's business, not the package's."""
    fields = ("name", "entryPoint", "className", "initInputs", "description")
    dumped = module.model_dump(by_alias=True, exclude_none=True)
    out = {k: dumped[k] for k in fields if k in dumped}
    out["functions"] = [{k: v for k, v in f.items() if k in ("name", "input", "output", "description", "displayName")}
                        for f in dumped.get("functions", [])]
    return out


def load_app(path: Path | str, layout: RepoLayout | None = None) -> AppManifest:
    """Load a dataloop.json; ``layout`` says where its codebase starts (default: its own folder).

    Raises:
        ManifestError: one problem. ManifestErrors: several.
    """
    document = read_document(path)
    app = validate_document(AppManifest, document, path)
    app._source = Path(path)
    app._document = document
    app._layout = layout
    return app


__all__ = ["AppManifest", "AppModule", "AppService", "AppTrigger", "Components", "ComputeConfig", "PipelineNode",
           "load_app"]
