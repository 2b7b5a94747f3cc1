"""Typed model and loader for service.json, and for the service templates inside package.json.

One model reads both layouts (docs/platform.md#service-settings): the snake_case keys that
``services.deploy_from_local_folder`` reads from service.json, and the camelCase keys of the service API JSON
and of the ``services[]`` templates that ``packages.generate`` writes. Triggers may be flat (service.json) or
carry a ``spec`` (templates); after validation both expose the same effective fields.

Example:
    >>> service = load_service("pkg/service.json")
    >>> service.runtime.effective_replicas, service.runtime.concurrency
    (1, 6)
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, Field, PrivateAttr, field_validator, model_validator

from .jsondoc import PlatformModel, Shown, did_you_mean, fail, one_of, problem, read_document, validate_document
from ..protocol import ENV_NAME_PATTERN, MAX_ENV_BYTES, MAX_ENV_VARS, env_name_problem, env_size_problem

from ..protocol import ALL_TRIGGER_ACTIONS, TRIGGER_ACTIONS  # noqa: F401 (re-exported for the CLI)
# What the local platform's services accept (a replica is a thread, a process or a container; each of its
# executions a thread): a bigger figure is refused here, with its place, rather than at deploy.
MAX_REPLICAS = 32
MAX_CONCURRENCY = 1000


class Autoscaler(PlatformModel):
    """``runtime.autoscaler`` (docs/platform.md#service-settings)."""

    type: Annotated[str, AfterValidator(one_of(("rabbitmq", "rps", "cpu")))] = "rabbitmq"
    min_replicas: int = Field(0, alias="minReplicas", ge=0, le=MAX_REPLICAS)
    max_replicas: int = Field(1, alias="maxReplicas", ge=0, le=MAX_REPLICAS)
    queue_length: int = Field(1000, alias="queueLength", ge=1)
    threshold: float = 10
    rate_seconds: int = Field(30, alias="rateSeconds", ge=1)
    cooldown_period: int | None = Field(None, alias="cooldownPeriod")
    polling_interval: int | None = Field(None, alias="pollingInterval")

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaler:
        if self.max_replicas < self.min_replicas:
            raise fail(problem(("maxReplicas",), f"a number >= minReplicas ({self.min_replicas})", self.max_replicas))
        return self


class Runtime(PlatformModel):
    """``runtime`` (docs/platform.md#service-settings), plus the tutorial's legacy ``gpu`` and ``replicas`` keys."""

    pod_type: str = Field("regular-s", alias="podType")
    num_replicas: int | None = Field(None, alias="numReplicas", ge=0, le=MAX_REPLICAS)
    replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)
    gpu: bool | None = None
    concurrency: int = Field(10, ge=1, le=MAX_CONCURRENCY)
    runner_image: str | None = Field(None, alias="runnerImage")
    proxy_image: str | None = Field(None, alias="proxyImage")
    single_agent: bool | None = Field(None, alias="singleAgent")
    preemptible: bool | None = None
    dynamic_concurrency: Any = Field(None, alias="dynamicConcurrency")
    autoscaler: Autoscaler | None = None

    @property
    def effective_replicas(self) -> int:
        """``numReplicas``, else the legacy ``replicas``, else 1; zero counts as unset, so a service can run."""
        return self.num_replicas or self.replicas or 1


class Operation(PlatformModel):
    type: str = "function"
    function_name: str | None = Field(None, alias="functionName")


def _bare_action(value: Any) -> Any:
    # triggers.create accepts one bare action string (docs/platform.md#event-triggers).
    return [value] if isinstance(value, str) else value


Resource = Annotated[str, AfterValidator(one_of(tuple(TRIGGER_ACTIONS)))]
Action = Annotated[str, AfterValidator(one_of(ALL_TRIGGER_ACTIONS))]
Mode = Annotated[str, AfterValidator(one_of(("Once", "Always")))]


class TriggerSpec(PlatformModel):
    """The ``spec`` of a template trigger (package.json ``services[].triggers[]``, docs/platform.md#event-triggers)."""

    filter: dict[str, Any] | None = None
    resource: Resource | None = None
    actions: list[Action] | None = None
    execution_mode: Mode | None = Field(None, alias="executionMode")
    input: dict[str, Any] | None = Field(None, validation_alias=AliasChoices("input", "inputs"))
    operation: Operation | None = None
    cron: str | None = None
    start_at: str | None = Field(None, alias="startAt")
    end_at: str | None = Field(None, alias="endAt")

    @field_validator("actions", mode="before")
    @classmethod
    def bare_action(cls, value: Any) -> Any:
        return _bare_action(value)


class Trigger(PlatformModel):
    """A trigger, flat (service.json) or with a ``spec`` (templates; docs/platform.md#event-triggers).

    After validation the flat fields hold the effective values whichever layout was used: `resource`,
    `actions` (``[]`` or absent means ``["Created"]``, as `triggers.create` does), `execution_mode`
    (``Once``), `function` (``run``), `filter` (``{}``), `input` (``{}``).
    """

    name: str | None = None
    type: Annotated[str, AfterValidator(one_of(("Event", "Cron")))] = "Event"
    active: bool = True
    function: str | None = None
    filter: dict[str, Any] | None = None
    resource: Resource | None = None
    actions: list[Action] | None = None
    execution_mode: Mode | None = Field(None, alias="executionMode")
    input: dict[str, Any] | None = None
    cron: str | None = None
    start_at: str | None = Field(None, alias="startAt")
    end_at: str | None = Field(None, alias="endAt")
    spec: TriggerSpec | None = None

    @field_validator("actions", mode="before")
    @classmethod
    def bare_action(cls, value: Any) -> Any:
        return _bare_action(value)

    @model_validator(mode="after")
    def _effective(self) -> Trigger:
        # Where each effective value came from, so that a problem points at the key the author wrote.
        origin: dict[str, tuple[str, ...]] = {}
        if self.spec is not None:
            for key in ("filter", "resource", "actions", "execution_mode", "input", "cron", "start_at", "end_at"):
                if getattr(self, key) is None and getattr(self.spec, key) is not None:
                    setattr(self, key, getattr(self.spec, key))
                    origin[key] = ("spec",)
            if self.function is None and self.spec.operation is not None:
                self.function = self.spec.operation.function_name
        self.function = self.function or "run"
        self.filter = self.filter if self.filter is not None else {}
        self.input = self.input if self.input is not None else {}
        self.execution_mode = self.execution_mode or "Once"
        problems = []
        if self.type == "Event":
            self.actions = self.actions or ["Created"]
            if self.resource is None:
                at = ("spec", "resource") if self.spec is not None else ("resource",)
                problems.append(problem(at, "a trigger resource: " + ", ".join(TRIGGER_ACTIONS)))
            else:
                allowed = TRIGGER_ACTIONS[self.resource]
                problems += [problem(origin.get("actions", ()) + ("actions", i), f"an action {self.resource} "
                                     "triggers allow: " + ", ".join(allowed), a, did_you_mean(a, allowed))
                             for i, a in enumerate(self.actions) if a not in allowed]
        elif not _is_cron(self.cron):
            at = origin.get("cron", ("spec",) if self.spec is not None and self.cron is None else ()) + ("cron",)
            problems.append(problem(at, "a 5-field cron expression, e.g. '*/5 * * * *'", self.cron))
        if self.type == "Event" and self.filter:
            problems += _filter_problems(self.filter, origin.get("filter", ()))
        for key, alias in (("start_at", "startAt"), ("end_at", "endAt")):
            if getattr(self, key) is not None and not _is_iso(getattr(self, key)):
                problems.append(problem(origin.get(key, ()) + (alias,), "an ISO 8601 date-time", getattr(self, key)))
        if problems:
            raise fail(*problems)
        return self


def _is_cron(expression: Any) -> bool:
    if not isinstance(expression, str) or len(expression.split()) != 5:
        return False
    from croniter import croniter  # noqa: PLC0415 (only for a file with a cron trigger)

    return bool(croniter.is_valid(expression))


def _filter_problems(filter_: dict[str, Any], origin: tuple[str, ...]) -> list[dict[str, Any]]:
    """The filter compiled as the platform compiles it when the trigger is created; its error, located."""
    from ..dql import compiler as dql  # noqa: PLC0415 (the backend loads only for a file with a filtered trigger)

    try:
        dql.compile_filter(filter_)
    except dql.DQLError as exc:  # its message names the place inside the filter: filter.$and[1].dir
        return [problem(origin + ("filter",), "a valid DQL filter", Shown(str(exc)))]
    return []


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _either(*names: str, default: Any = None, **kw: Any) -> Any:
    return Field(default, validation_alias=AliasChoices(*names), **kw)


class ServiceManifest(PlatformModel):
    """service.json, or one ``services[]`` entry of package.json (docs/platform.md#service-settings).

    Both the snake_case keys that ``deploy_from_local_folder`` reads and the camelCase keys of the service
    API JSON and the generated templates are accepted (the tutorial's service.json uses ``moduleName`` and
    ``packageRevision``). `module_name` is None when the file names no module.
    """

    name: str | None = None
    package_name: str | None = _either("packageName", "package_name")
    revision: str | None = _either("revision", "packageRevision")
    init_params: dict[str, Any] = Field(default_factory=dict, validation_alias=AliasChoices("initParams", "init_params"))
    runtime: Runtime = Field(default_factory=Runtime)
    module_name: str | None = _either("module_name", "moduleName")
    run_execution_as_process: bool = _either("run_execution_as_process", "runExecutionAsProcess", default=False)
    execution_timeout: int = _either("execution_timeout", "executionTimeout", default=3600, gt=0)
    drain_time: int = _either("drain_time", "drainTime", default=600, ge=0)
    on_reset: Annotated[str, AfterValidator(one_of(("failed", "rerun")))] = _either("on_reset", "onReset", default="failed")
    max_attempts: int | None = _either("maxAttempts", "max_attempts", ge=1)
    triggers: list[Trigger] = Field(default_factory=list)
    # Environment variables of the service's code. Not a key of the platform (it injects secrets through
    # integrations) and not one dtlpy's deploy_from_local_folder reads, so a real deploy never sends it.
    env: dict[str, str] = Field(default_factory=dict)
    _source: Path | None = PrivateAttr(None)

    @field_validator("env", mode="after")
    @classmethod
    def _variable_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [problem((name,), "a variable name: letters, digits and _, not starting with a digit", name)
               for name in value if not re.fullmatch(ENV_NAME_PATTERN, name)]
        # What the platform refuses at deploy, found here with its place instead (no variable holds a NUL).
        bad += [problem((name,), "a value without NUL characters", text[:80]) for name, text in value.items()
                if "\0" in text]
        bad += [problem((name,), "a variable of the service's own", name, env_name_problem(name)) for name in value
                if env_name_problem(name)]
        if too_many := env_size_problem(value):
            bad.append(problem((), f"at most {MAX_ENV_VARS} variables of {MAX_ENV_BYTES} bytes in all", too_many))
        if bad:
            raise fail(*bad)
        return value

    @field_validator("revision", mode="before")
    @classmethod
    def _numeric_revision(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("init_params", mode="before")
    @classmethod
    def _flatten_init_params(cls, value: Any) -> Any:
        # initParams as a FunctionIO list mean {name: value}, as for dtlpy (docs/platform.md#service-settings).
        if isinstance(value, list) and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value):
            return {v["name"]: v.get("value") for v in value}
        return value

    @property
    def source(self) -> Path | None:
        """The file this service was loaded from, if any."""
        return self._source


def load_service(path: Path | str) -> ServiceManifest:
    """Load a service.json.

    Raises:
        ManifestError: one problem. ManifestErrors: several.
    """
    service = validate_document(ServiceManifest, read_document(path), path)
    service._source = Path(path)
    return service
