"""mock.json: the platform's keys, plus the expectations and test entities pytest-faas adds.

The platform's local runner reads these keys (docs/platform.md#mock-files): ``function_name`` (default ``run``),
``module_name`` (default ``default_module``), ``class_name``, ``entry_point``, ``init_params`` (used whenever
the key is present) else ``config``, and ``inputs``: a list of ``{name, value}`` (one call) or a list of such
lists (one call per inner list). Mixing the two forms is refused with the platform's own wording.

pytest-faas adds optional keys of its own. The SDK's runner ignores them, so the file still works with
``dlp packages test``::

    {
      "function_name": "run",
      "inputs": [
        [{"name": "item", "value": {"item_id": "cat-1"}}],
        [{"name": "item", "value": "no-such-id"}]
      ],
      "datasets": [{"id": "ds-1", "name": "pets"}],
      "items": [{"id": "cat-1", "file": "assets/cat.jpg", "remote_path": "/train", "dataset": "pets",
                 "metadata": {"user": {"split": "train"}}}],
      "expect": {"status": "success"},
      "cases": [
        {"expect": {"output": {"label": "cat"}}},
        {"expect": {"status": "failed", "message": "not found"}}
      ]
    }

- ``expect``: ``{"status": "success" | "failed", "output": <any JSON>, "message": "<substring>"}``. ``status``
  defaults to ``success``; ``output``, when present (even as null), must equal the execution's output;
  ``message``, when present, must occur in its final status message. The top-level ``expect`` applies to
  every input set; ``cases[n].expect`` overrides it, key by key, for input set ``n``.
- ``datasets``: ``[{"id"?, "name"?, "metadata"?}]``, datasets to create before a case runs.
- ``items``: ``[{"id"?, "file"?, "name"?, "remote_path"?, "dataset"?, "metadata"?, "annotations"?}]``, see
  `ItemSpec`. Give an item an ``id`` to refer to it from an input value (``"cat-1"`` or
  ``{"item_id": "cat-1"}``).
- ``cases``: at most one entry per input set, in the same order: ``{"expect"?, "items"?, "datasets"?, "http"?,
  "node"?}``. A case's items and datasets come in addition to the top-level ones.
- ``node``: ``{"name": "<node name>", "customNodeConfig": {...}}`` runs the function as a node of a one-node
  pipeline, so that ``context.node.metadata["customNodeConfig"]`` and the context's pipeline ids are set. A
  case's ``node`` replaces the top-level one.
- ``expect.action``: the action the function passed to ``progress.update(action=...)``; ``null`` means it
  set none. Absent: not checked.
- ``http``: what the outside world answers the function's ``requests`` calls, at the top level (every
  case) or in ``cases[n]`` (that case, after the top-level ones):
  ``[{"method": "GET", "url": "https://api.example.com/v1/labels", "status": 200, "json": {...}}]``, also
  ``body`` (text, instead of ``json``), ``body_base64`` or ``body_file`` (bytes, given inline or from a file
  beside the mock file, inside the package folder), ``headers``, ``match`` (``{"query": {...}, "json": {...}}``: the
  request's query parameters or JSON body must equal these) and ``repeat`` (how many calls the stub answers;
  absent: every call). The first declared stub that matches answers. A call no stub matches, and every
  connection other than to the platform, fails the execution (see ``runner/outbound.py``).
- ``expect.calls``: ``[{"method": "GET", "url": "...", "times"?: n}]``, calls the function must have made
  (at least once; exactly ``times`` when given). Each must name a stub the case declares.

- ``artifacts``: ``[{"package"?, "file"}]``, files kept as artifacts of a package (default the one under
  test) in the project's ``Binaries`` dataset before the case runs; ``file`` is relative to the package
  folder. The function finds them through dtlpy (``package.artifacts``, ``project.artifacts``).
- ``event``: the case makes this event happen instead of calling the function, and ``expect.executions``
  says which executions service.json's triggers must fire (see `mock_events`). At the top level (every
  case; ``inputs`` may then be left out) or in ``cases[n]``.

Unknown top-level keys are ignored as the platform ignores them, except near-misses of known keys
(``"expected"``, ``"input"``), which are reported with a did-you-mean hint.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError
from pydantic import field_validator, model_validator

from ..errors import ManifestError
from .jsondoc import (did_you_mean, fail, format_path, is_file, nested_problems, one_of, problem, raise_all,
                      read_document, shown, validate_document)
from .mock_entities import ArtifactSpec, DatasetSpec, ItemSpec, Own as _Own
from .mock_events import EventSpec, ExpectedExecution
from .mock_http import MAX_STUB_BODY_BYTES, ExpectedCall, HttpStub
from .mock_state import ExpectedState, state_problems

MIXED_INPUTS = "mock.json inputs can be either list of dictionaries or list of lists"


class Expectation(ExpectedState):
    """What a case must end with; see the module docstring (and `mock_state` for ``items``, ``annotations``)."""

    status: Annotated[str, AfterValidator(one_of(("success", "failed")))] = "success"
    output: Any = None
    message: str | None = None
    action: str | None = None
    calls: list[ExpectedCall] = Field(default_factory=list)
    executions: list[ExpectedExecution] = Field(default_factory=list)

    @property
    def checks_output(self) -> bool:
        """True when ``output`` was given (a null ``output`` still means "must be null")."""
        return "output" in self.model_fields_set

    @property
    def checks_action(self) -> bool:
        """True when ``action`` was given (null: the function must set no action)."""
        return "action" in self.model_fields_set

    def merged(self, override: Expectation | None) -> Expectation:
        """This expectation with the keys `override` sets replaced by its values."""
        if override is None:
            return self
        data = self.model_dump(include=self.model_fields_set)
        data.update(override.model_dump(include=override.model_fields_set))
        return Expectation.model_validate(data)


class NodeSpec(_Own):
    """The pipeline node a function runs in: its name and the configuration the node gives it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field("node", min_length=1)
    custom_node_config: dict[str, Any] = Field(default_factory=dict, alias="customNodeConfig")


class CaseSpec(_Own):
    """Per-input-set additions: an expectation override, the case's own entities, node and HTTP stubs."""

    expect: Expectation | None = None
    items: list[ItemSpec] = Field(default_factory=list)
    datasets: list[DatasetSpec] = Field(default_factory=list)
    node: NodeSpec | None = None
    http: list[HttpStub] = Field(default_factory=list)
    artifacts: list[ArtifactSpec] = Field(default_factory=list)
    event: EventSpec | None = None


class InputValue(BaseModel):
    """One ``{name, value}`` entry of an input set."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    value: Any


_ENTRY = TypeAdapter(InputValue)


@dataclass(frozen=True)
class MockCase:
    """One input set, ready to run: one generated test."""

    index: int
    inputs: dict[str, Any]
    init_params: dict[str, Any]
    expect: Expectation
    items: tuple[ItemSpec, ...]
    datasets: tuple[DatasetSpec, ...]
    module_name: str
    function_name: str
    class_name: str | None
    entry_point: str | None
    threaded: bool
    base_dir: Path | None
    node: NodeSpec | None = None
    package_dir: Path | None = None
    http: tuple[HttpStub, ...] = ()
    artifacts: tuple[ArtifactSpec, ...] = ()
    event: EventSpec | None = None


class MockFile(BaseModel):
    """A mock.json; `cases()` gives its input sets with their expectations and entities."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    function_name: str = Field("run", min_length=1)
    module_name: str = Field("default_module", min_length=1)
    class_name: str | None = None
    entry_point: str | None = None
    init_params: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: list[Any] = Field(default_factory=list)  # required unless the file starts with an event
    expect: Expectation | None = None
    items: list[ItemSpec] = Field(default_factory=list)
    datasets: list[DatasetSpec] = Field(default_factory=list)
    case_specs: list[CaseSpec] = Field(default_factory=list, alias="cases")
    node: NodeSpec | None = None
    http: list[HttpStub] = Field(default_factory=list)
    artifacts: list[ArtifactSpec] = Field(default_factory=list)
    event: EventSpec | None = None
    _source: Path | None = PrivateAttr(None)
    _package_dir: Path | None = PrivateAttr(None)

    @field_validator("inputs")
    @classmethod
    def input_sets_shape(cls, sets: list[Any]) -> list[Any]:
        # The SDK decides the form from inputs[0] (Packages.is_multithread); we check every entry against it.
        nested = bool(sets) and isinstance(sets[0], list)
        problems: list[dict[str, Any]] = []
        groups = [((i,), entry) for i, entry in enumerate(sets)] if nested else [((), sets)]
        for prefix, group in groups:
            if not isinstance(group, list):
                problems.append(problem(prefix, "a list of {name, value} objects, like inputs[0]", shown(group), MIXED_INPUTS))
                continue
            seen: set[str] = set()
            for j, entry in enumerate(group):
                if isinstance(entry, list) and not nested:
                    problems.append(problem((j,), "a {name, value} object, like inputs[0]", shown(entry), MIXED_INPUTS))
                    continue
                try:
                    name = _ENTRY.validate_python(entry).name
                except ValidationError as exc:
                    problems += nested_problems(exc, prefix + (j,), InputValue)
                    continue
                if name in seen:
                    problems.append(problem(prefix + (j, "name"), "a name not already given in this input set", name))
                seen.add(name)
        if problems:
            raise fail(*problems)
        return sets

    @model_validator(mode="after")
    def inputs_given(self) -> MockFile:
        # The platform requires inputs; a file whose cases start with an event passes them no inputs.
        if "inputs" not in self.model_fields_set and self.event is None:
            raise fail(problem(("inputs",), "required: a list of {name, value} objects (or lists of them), "
                               "unless the file starts its cases with an \"event\""))
        return self

    @model_validator(mode="after")
    def cases_resolve(self) -> MockFile:
        problems = []
        count = len(self.input_sets)
        problems += [problem(("cases", n), f"at most {count} case entr{'y' if count == 1 else 'ies'}, one per input set",
                             shown(spec.model_dump(exclude_unset=True))) for n, spec in enumerate(self.case_specs) if n >= count]
        top = [(("items", j), it) for j, it in enumerate(self.items)]
        top_ds = [(("datasets", j), ds) for j, ds in enumerate(self.datasets)]
        problems += _entity_problems(top, top_ds)
        for n, spec in enumerate(self.case_specs):
            own = [(("cases", n, "items", j), it) for j, it in enumerate(spec.items)]
            own_ds = [(("cases", n, "datasets", j), ds) for j, ds in enumerate(spec.datasets)]
            problems += _entity_problems(top + own, top_ds + own_ds, skip=len(top), skip_ds=len(top_ds))
        problems += self._expected_datasets()
        if problems:
            raise fail(*problems)
        return self

    def _expected_datasets(self) -> list[dict[str, Any]]:
        """``expect.items[].dataset`` must name a dataset the case has: declared, or an input's placeholder."""
        named = {ref for ds in self.datasets for ref in (ds.id, ds.name) if ref}
        named |= {value for group in self.input_sets for entry in group for value in _strings(entry.value)}
        problems = state_problems(self.expect, ("expect",), named) if self.expect else []
        for n, spec in enumerate(self.case_specs):
            if spec.expect is not None:
                own = named | {ref for ds in spec.datasets for ref in (ds.id, ds.name) if ref}
                problems += state_problems(spec.expect, ("cases", n, "expect"), own)
        return problems

    @model_validator(mode="after")
    def calls_declared(self) -> MockFile:
        # An expected call no stub answers could only ever fail (the call itself would be refused).
        problems = []
        for n in range(len(self.input_sets)):
            spec = self.case_specs[n] if n < len(self.case_specs) else CaseSpec()
            stubs = self.http + spec.http
            own = spec.expect is not None and "calls" in spec.expect.model_fields_set
            calls = spec.expect.calls if own else (self.expect.calls if self.expect else [])
            at = ("cases", n, "expect", "calls") if own else ("expect", "calls")
            for j, call in enumerate(calls):
                if not any(stub.answers(call) for stub in stubs):
                    declared = sorted({f"{s.method} {s.url}" for s in stubs})
                    problems.append(problem(at + (j,), f"a call declared in the \"http\" stubs of input set {n}",
                                            f"{call.method} {call.url}",
                                            did_you_mean(f"{call.method} {call.url}", declared)))
        if problems:
            raise fail(*{(p["at"], p["found"]): p for p in problems}.values())
        return self

    @property
    def threaded(self) -> bool:
        """True for the list-of-lists form, which the platform's local runner runs in threads."""
        return bool(self.inputs) and isinstance(self.inputs[0], list)

    @property
    def input_sets(self) -> list[list[InputValue]]:
        if "inputs" not in self.model_fields_set and self.event is not None:
            # An event file without inputs: one (empty) input set per case entry, so cases may follow.
            return [[] for _ in range(max(1, len(self.case_specs)))]
        sets = self.inputs if self.threaded else [self.inputs]
        return [[_ENTRY.validate_python(entry) for entry in group] for group in sets]

    @property
    def init_kwargs(self) -> dict[str, Any]:
        """The class's constructor kwargs: ``init_params`` when the key is present, else ``config``."""
        return self.init_params if "init_params" in self.model_fields_set else self.config

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def package_dir(self) -> Path | None:
        """The package folder artifact files are relative to."""
        return self._package_dir

    def cases(self) -> list[MockCase]:
        """One `MockCase` per input set, in file order."""
        out = []
        default = self.expect or Expectation()
        base = self._source.parent if self._source is not None else None
        for index, group in enumerate(self.input_sets):
            spec = self.case_specs[index] if index < len(self.case_specs) else CaseSpec()
            out.append(MockCase(
                index=index, inputs={v.name: v.value for v in group}, init_params=dict(self.init_kwargs),
                expect=default.merged(spec.expect), items=tuple(self.items + spec.items),
                datasets=tuple(self.datasets + spec.datasets), module_name=self.module_name,
                function_name=self.function_name, class_name=self.class_name, entry_point=self.entry_point,
                threaded=self.threaded, base_dir=base, node=spec.node or self.node,
                http=tuple(self.http + spec.http), artifacts=tuple(self.artifacts + spec.artifacts),
                event=spec.event or self.event, package_dir=self._package_dir))
        return out


def _strings(value: Any) -> list[str]:
    """The ids an input value can name a dataset by: a string, a ``dataset_id``, or lists of them."""
    values = value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else v.get("dataset_id") for v in values
            if isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("dataset_id"), str))]


def _entity_problems(items: list[tuple[tuple, ItemSpec]], datasets: list[tuple[tuple, DatasetSpec]],
                     skip: int = 0, skip_ds: int = 0) -> list[dict[str, Any]]:
    """Repeated ids (and dataset names) and dangling dataset references among the entities one case sees.

    The first `skip` items (and `skip_ds` datasets) are the top-level ones, checked already on their own.
    """
    problems = []
    for what, key, entries, first in (("item", "id", items, skip), ("dataset", "id", datasets, skip_ds),
                                      ("dataset", "name", datasets, skip_ds)):
        seen: dict[str, tuple] = {}
        for n, (at, entity) in enumerate(entries):
            value = getattr(entity, key)
            if value is not None and value in seen and n >= first:
                article = "an" if what == "item" else "a"
                problems.append(problem(at + (key,), f"{article} {what} {key} not already used at "
                                        f"{format_path(seen[value])}", value))
            if value is not None:
                seen.setdefault(value, at)
    refs = {ref for _, ds in datasets for ref in (ds.id, ds.name) if ref is not None}
    for n, (at, item) in enumerate(items):
        if n >= skip and item.dataset is not None and item.dataset not in refs:
            problems.append(problem(at + ("dataset",), "the id or name of a dataset declared in this mock file",
                                    item.dataset, did_you_mean(item.dataset, sorted(refs))))
    return problems




_KNOWN_KEYS = tuple(f.alias or n for n, f in MockFile.model_fields.items())


def _outside_package(file: str, package: Path, named: list[tuple[tuple, Path, str]]) -> list[ManifestError]:
    """The files a mock file names (``(json path, the folder it is relative to, name)``) that lie outside the
    package folder once '..' and symlinks are resolved. Each is uploaded into the platform (an item, an
    artifact) and, in docker, carried into the container: it must be the package's own file, never one a mock
    file reaches out for (a key, a home folder's file)."""
    root = package.resolve()
    return [ManifestError(file, format_path(at + ("file",)), f"a file inside the package folder {package}", name,
                          "copy the file into the package folder and name it from there")
            for at, folder, name in named if is_file(folder / name) and not (folder / name).resolve().is_relative_to(root)]


def file_problems(mock: MockFile, file: str, package: Path) -> list[ManifestError]:
    """Every file the mock file names that is missing, or outside the ``package`` folder: items (relative to
    the mock file) and artifacts (relative to the package folder)."""
    base = Path(file).parent
    located = [(("items", j), it) for j, it in enumerate(mock.items)]
    located += [(("cases", n, "items", j), it) for n, spec in enumerate(mock.case_specs) for j, it in enumerate(spec.items)]
    located += [(("cases", n, "event", "item"), spec.event.item) for n, spec in enumerate(mock.case_specs)
                if spec.event is not None and spec.event.item is not None]
    if mock.event is not None and mock.event.item is not None:
        located.append((("event", "item"), mock.event.item))
    missing = [ManifestError(file, format_path(at + ("file",)), f"an existing file relative to {base}", item.file)
               for at, item in located if item.file is not None and not is_file(base / item.file)]
    artifacts = [(("artifacts", j), a) for j, a in enumerate(mock.artifacts)]
    artifacts += [(("cases", n, "artifacts", j), a) for n, spec in enumerate(mock.case_specs)
                  for j, a in enumerate(spec.artifacts)]
    missing += [ManifestError(file, format_path(at + ("file",)), f"an existing file relative to the package folder "
                              f"{package}", artifact.file) for at, artifact in artifacts
                if artifact.absolute or not is_file(package / artifact.file)]
    named = [(at, base, item.file) for at, item in located if item.file is not None]
    named += [(at, package, artifact.file) for at, artifact in artifacts if not artifact.absolute]
    missing += _outside_package(file, package, named)
    missing += _stub_files(mock, file, base, package)
    return missing


def load_mock(path: Path | str, package_dir: Path | None = None) -> MockFile:
    """Load a mock.json, checking that every declared item file (relative to the mock file) and artifact
    file (relative to ``package_dir``, default the mock file's folder) exists.

    Raises:
        ManifestError: one problem. ManifestErrors: several.
    """
    file = str(path)
    document = read_document(path)
    typos = [ManifestError(file, format_path((key,)), "one of the keys " + ", ".join(_KNOWN_KEYS), key,
                           did_you_mean(key, _KNOWN_KEYS))
             for key in document if key not in _KNOWN_KEYS and difflib.get_close_matches(key, _KNOWN_KEYS, 1, 0.8)]
    mock: MockFile = validate_document(MockFile, document, path, typos)
    mock._source = Path(path)
    package = Path(package_dir) if package_dir is not None else Path(path).parent
    raise_all(file_problems(mock, file, package))
    mock._package_dir = package
    return mock


def _stub_files(mock: MockFile, file: str, base: Path, package: Path) -> list[ManifestError]:
    """Find each stub's body_file (relative to the mock file), inside the package folder as artifacts are,
    and within the size a stub's body may have."""
    located = [(("http", j), stub) for j, stub in enumerate(mock.http)]
    located += [(("cases", n, "http", j), stub) for n, spec in enumerate(mock.case_specs)
                for j, stub in enumerate(spec.http)]
    problems = []
    for at, stub in located:
        if stub.body_file is None:
            continue
        path = base / stub.body_file
        if not is_file(path) or not path.resolve().is_relative_to(package.resolve()):
            problems.append(ManifestError(file, format_path(at + ("body_file",)), f"an existing file inside the "
                                          f"package folder {package}, relative to {base}", stub.body_file,
                                          "copy the file into the package folder; name it from the mock file's "
                                          "folder"))
        elif path.stat().st_size > MAX_STUB_BODY_BYTES:
            problems.append(ManifestError(file, format_path(at + ("body_file",)), f"a file of at most "
                                          f"{MAX_STUB_BODY_BYTES >> 20} MiB", stub.body_file))
        else:
            stub._file = path.resolve()
    return problems
