"""Typed models and loaders for a FaaS package's files; package.json lives here.

The models follow the platform's own reading of these files (docs/platform.md#package-manifest): the same keys, the
same defaults, unknown keys ignored as the SDK ignores them. Anything the platform would refuse is refused
here, at load time, as a `ManifestError` naming the file, the JSON path, the expected and the found value;
several problems in one file come together as one `ManifestErrors`. No loader lets any other exception out.

service.json has its own module, `pytest_faas.manifests.service`, and mock.json (with the ``expect``/``items``
extensions pytest-faas reads) has `pytest_faas.manifests.mock`; their public names are re-exported here, so callers
need one import: ``from pytest_faas.manifests.package import load_package, load_service, load_mock``.

Example:
    >>> package = load_package("pkg/package.json")          # None for an npm package.json
    >>> package.module("default_module").function("run").input_names
    ['item']
"""

from __future__ import annotations

import codecs
import json
import logging
import unicodedata
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PrivateAttr, ValidationError
from pydantic import field_validator, model_validator

from ..protocol import ENTITY_TYPES, ENTRY_POINT_EXPECTED, codebase_problem, entry_point_ok
from .jsondoc import PlatformModel, did_you_mean, fail, nested_problems, one_of, problem, read_document, validate_document
from .mock import DatasetSpec, Expectation, ItemSpec, MockCase, MockFile, load_mock
from .service import TRIGGER_ACTIONS, Autoscaler, Runtime, ServiceManifest, Trigger, TriggerSpec, load_service

logger = logging.getLogger(__name__)

# dl.PackageInputType (docs/platform.md#input-types), in the platform's spelling; `X[]` is a list of X.
PRIMITIVE_TYPES = ("Json", "String", "Number", "Integer", "Float", "Boolean")
INPUT_TYPES = ENTITY_TYPES + PRIMITIVE_TYPES + tuple(f"{t}[]" for t in ENTITY_TYPES + PRIMITIVE_TYPES)
# FunctionIO's default name by type (docs/platform.md#input-types); any other type, lists too, defaults to 'config'.
DEFAULT_IO_NAMES = {t: t.lower() for t in ("Item", "Dataset", "Annotation", "Project", "Package", "Service",
                                           "Execution", "Model")}

def _printable(value: str) -> str:
    """Names become file names, zip entries, URLs and report lines: no control characters (NUL...)."""
    bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise fail(problem((), "a name without control characters", value,
                           f"remove the character {bad!r} at position {value.index(bad)}"))
    return value


def _entry_point(value: str) -> str:
    """A file of the package, as the runner imports it: relative, inside the package, a .py file (the rule
    the platform's routes apply too, `protocol.entry_point_ok`)."""
    if not entry_point_ok(value):
        raise fail(problem((), ENTRY_POINT_EXPECTED, value))
    return _printable(value)


def checked_codebase(data: Any) -> Any:
    """A codebase that takes code only from where one may (`protocol.codebase_problem`, the routes' rule)."""
    found = codebase_problem(data)
    if found is not None:
        key, expected = found
        raise fail(problem((key,), expected, data.get(key)))
    return data


Name = Annotated[str, AfterValidator(_printable)]
EntryPoint = Annotated[str, AfterValidator(_entry_point)]

InputType = Annotated[str, AfterValidator(one_of(
    INPUT_TYPES, "a FunctionIO type (inputs and outputs alike): " + ", ".join(ENTITY_TYPES + PRIMITIVE_TYPES) + ", or one of those with [] for a list"))]


class FunctionIO(PlatformModel):
    """One declared input or output: its `type` (a PackageInputType value) and `name`."""

    type: InputType
    name: Name = Field(min_length=1)
    value: Any = None
    description: str | None = None
    actions: list[str] | None = None
    integration: dict[str, Any] | None = None
    mandatory: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("type"), str):
            data = {**data, "name": _io_name(data)}
        return data


def _io_name(entry: dict[str, Any]) -> Any:
    """A FunctionIO's name as dtlpy defaults it (docs/platform.md#input-types); None while its type is not a string."""
    kind = entry.get("type")
    return entry.get("name", DEFAULT_IO_NAMES.get(kind, "config") if isinstance(kind, str) else None)


def unique_names(value: Any, handler: Any, what: str, name_of: Any) -> Any:
    """Validate a list of named entries, and report repeated names even when some entries are broken.

    Used as a wrap validator, so that a duplicate is reported together with the entries' own errors.
    `name_of` gives an entry's name, defaults included, from its raw JSON object.
    """
    # A lone entry given bare reads as a one-element list: the SDK writes a single FunctionIO output that
    # way (docs/platform.md#package-manifest), and PackageModule(functions=f) accepts one function.
    value = [value] if isinstance(value, dict) else value
    problems, result = [], None
    try:
        result = handler(value)
    except ValidationError as exc:
        problems = nested_problems(exc, (), None)
    seen: dict[str, int] = {}
    for i, entry in enumerate(value if isinstance(value, list) else []):
        name = name_of(entry) if isinstance(entry, dict) else None
        if isinstance(name, str) and name in seen:
            problems.append(problem((i, "name"), f"a unique {what} name ({name!r} is already at [{seen[name]}])", name))
        elif isinstance(name, str):
            seen[name] = i
    if problems:
        raise fail(*problems)
    return result


class Function(PlatformModel):
    """A module function: its name and the inputs it is called with (``input`` in JSON)."""

    name: Name = "run"
    inputs: list[FunctionIO] = Field(default_factory=list, alias="input")
    outputs: list[FunctionIO] = Field(default_factory=list, alias="output")
    description: str | None = None
    display_name: str | None = Field(None, alias="displayName")
    display_icon: str | None = Field(None, alias="displayIcon")
    compute_config: dict[str, Any] | None = Field(None, alias="computeConfig")

    @field_validator("inputs", "outputs", mode="wrap")
    @classmethod
    def unique_io(cls, value: Any, handler: Any) -> Any:
        return unique_names(value, handler, "input/output", _io_name)

    @property
    def input_names(self) -> list[str]:
        return [io.name for io in self.inputs]


class Module(PlatformModel):
    """A module: the entry point file, the class in it, its init inputs and its functions."""

    name: Name = "default_module"
    entry_point: EntryPoint = Field("main.py", alias="entryPoint", min_length=1)
    class_name: Name = Field("ServiceRunner", alias="className", min_length=1)
    init_inputs: list[FunctionIO] = Field(default_factory=list, alias="initInputs")
    functions: list[Function] = Field(default_factory=list)
    compute_config: dict[str, Any] | None = Field(None, alias="computeConfig")
    description: str | None = None

    @field_validator("init_inputs", mode="wrap")
    @classmethod
    def unique_init_inputs(cls, value: Any, handler: Any) -> Any:
        return unique_names(value, handler, "init input", _io_name)

    @field_validator("functions", mode="wrap")
    @classmethod
    def unique_functions(cls, value: Any, handler: Any) -> Any:
        # dtlpy refuses two functions of one name in a module (docs/platform.md#package-manifest).
        return unique_names(value, handler, "function", lambda e: e.get("name", "run"))

    def function(self, name: str) -> Function | None:
        return next((f for f in self.functions if f.name == name), None)


class Slot(PlatformModel):
    """A UI slot; its module and function must exist in the package (docs/platform.md#package-manifest)."""

    module_name: str = Field("default_module", alias="moduleName")
    function_name: str = Field("run", alias="functionName")
    display_name: str | None = Field(None, alias="displayName")
    display_scopes: list[dict[str, Any]] = Field(default_factory=list, alias="displayScopes")
    post_action: dict[str, Any] | None = Field(None, alias="postAction")


class Requirement(PlatformModel):
    name: str
    version: str | None = None
    operator: Annotated[str, AfterValidator(one_of(("==", ">", "<", "<=", ">=")))] | None = None


class Codebase(PlatformModel):
    type: Annotated[str, AfterValidator(one_of(("item", "git", "filesystem", "local")))] = "item"

    _where_from = model_validator(mode="before")(checked_codebase)


class PackageManifest(PlatformModel):
    """package.json (docs/platform.md#package-manifest): the package name, its modules, slots and service templates."""

    name: Name = "default-package"
    version: str | None = None
    type: Annotated[str, AfterValidator(one_of(("faas", "app", "ml")))] | None = None
    is_global: bool | None = Field(None, alias="global")
    modules: list[Module] = Field(default_factory=list)
    slots: list[Slot] = Field(default_factory=list)
    services: list[ServiceManifest] = Field(default_factory=list)
    service_config: dict[str, Any] | None = Field(None, alias="serviceConfig")
    requirements: list[Requirement] = Field(default_factory=list)
    codebase: Codebase | None = None
    metadata: dict[str, Any] | None = None
    _source: Path | None = PrivateAttr(None)

    @field_validator("modules", mode="wrap")
    @classmethod
    def unique_modules(cls, value: Any, handler: Any) -> Any:
        if not isinstance(value, list):  # unlike a function's one output, a bare module is not accepted
            raise fail(problem((), "a list of modules, e.g. [{\"name\": \"default_module\", ...}]", value))
        return unique_names(value, handler, "module", lambda e: e.get("name", "default_module"))

    @model_validator(mode="after")
    def _slots_resolve(self) -> PackageManifest:
        problems = []
        names = [m.name for m in self.modules]
        for i, slot in enumerate(self.slots):
            module = self.module(slot.module_name)
            if module is None:
                problems.append(problem(("slots", i, "moduleName"), "the name of a module of this package",
                                        slot.module_name, did_you_mean(slot.module_name, names)))
            elif module.function(slot.function_name) is None:
                functions = [f.name for f in module.functions]
                problems.append(problem(("slots", i, "functionName"), f"a function of module {module.name!r}",
                                        slot.function_name, did_you_mean(slot.function_name, functions)))
        if problems:
            raise fail(*problems)
        return self

    def module(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)

    @property
    def source(self) -> Path | None:
        """The file this package was loaded from, if any."""
        return self._source


def declares_modules(path: Path | str) -> bool:
    """Cheap collection-time sniff: does this package.json declare FaaS ``modules``? Never raises.

    A file that is not valid JSON but mentions ``"modules"`` counts, so that a broken package is reported
    rather than skipped.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return False
    if not raw.strip():
        return True  # an empty package.json is no one's: reported, not skipped
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:4]:
        # UTF-16 or UTF-32: ours when it mentions modules; the loader then says to save it as UTF-8.
        return b'"modules"' in raw or any('"modules"' in raw.decode(codec, errors="replace")
                                          for codec in ("utf-16", "utf-32"))
    if b'"modules"' not in raw and b"\\u" not in raw:
        return False  # the common npm case, decided without parsing
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return '"modules"' in text
    return isinstance(document, dict) and "modules" in document


def load_package(path: Path | str) -> PackageManifest | None:
    """Load package.json; None when it has no ``modules`` key (an npm package.json: not ours).

    Raises:
        ManifestError: one problem. ManifestErrors: several.
    """
    document = read_document(path)
    if "modules" not in document:
        return None
    package = validate_document(PackageManifest, document, path)
    package._source = Path(path)
    return package


__all__ = [
    "ENTITY_TYPES", "PRIMITIVE_TYPES", "INPUT_TYPES", "TRIGGER_ACTIONS", "FunctionIO", "Function", "Module",
    "Slot", "PackageManifest", "Runtime", "Autoscaler", "Trigger", "TriggerSpec", "ServiceManifest",
    "MockFile", "MockCase", "Expectation", "ItemSpec", "DatasetSpec", "declares_modules", "load_package",
    "load_service", "load_mock",
]
