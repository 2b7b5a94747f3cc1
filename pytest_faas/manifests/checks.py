"""Static consistency checks between a package's manifests and its source code.

The code is read with `ast`, never imported or run: a broken import, a missing dependency or a side effect
at import time cannot hide or cause a finding. The checks are those of the platform's push-time sanity
check (docs/platform.md#the-push-check: entry point, class, method, undeclared parameters, warnings for those with a
default), plus what it misses: declared inputs that the signature lacks, a syntax error's line, and the
cross references between package.json, service.json and mock.json.

Every check returns findings instead of raising, so that a caller can report them all at once;
`require_consistent` raises them as one `CheckError`.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import CheckError
from ..protocol import faas_name_problem, runner_image_fallback
from .jsondoc import did_you_mean, is_file
from .package import INPUT_TYPES, MockFile, Module, PackageManifest, ServiceManifest

logger = logging.getLogger(__name__)

# Parameters the platform fills itself; the push check skips them too (docs/platform.md#the-function-call).
INJECTED = frozenset({"self", "progress", "context"})
# What a class inherits from dl.BaseServiceRunner (dtlpy's utilities/base_package_runner.py).
RUNNER_MEMBERS = frozenset({"do_reset", "kill_event", "ping", "service_entity", "_terminate", "_do_reset",
                            "_service_entity", "_threads_terminated", "_threads_terminated_lock"})
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Finding:
    """One disagreement between a manifest and the code.

    Attributes:
        file: the file to fix (the entry point, or the manifest when the code cannot be reached).
        line: the line in `file`, when known.
        message: what is wrong, in the package author's terms.
        severity: ``"error"`` (the platform would refuse or crash) or ``"warning"``.
        json_path: the manifest location involved, e.g. ``modules[0].functions[1].input``.
    """

    file: str
    line: int | None
    message: str
    severity: str = "error"
    json_path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not self.line and self.json_path:
            where += f": {self.json_path}"
        return f"{where}: {'warning: ' if self.severity == 'warning' else ''}{self.message}"


class _Class:
    """A class found in the package's source, with the file it lives in."""

    def __init__(self, node: ast.ClassDef, source: _Source):
        self.node, self.source = node, source
        self.members: dict[str, ast.AST] = {}
        for stmt in node.body:
            if isinstance(stmt, _FUNCTION):
                self.members[stmt.name] = stmt
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):  # run = _impl: present, signature unknown
                for target in getattr(stmt, "targets", [getattr(stmt, "target", None)]):
                    if isinstance(target, ast.Name):
                        self.members[target.id] = stmt

    def lookup(self, name: str, depth: int = 0) -> ast.AST | str | None:
        """The member's node; ``"external"`` when it may come from a base we cannot read; None if absent."""
        if name in self.members:
            return self.members[name]
        external = []
        for base in self.node.bases:
            found = self.source.resolve(base, depth + 1)
            if isinstance(found, _Class):
                member = found.lookup(name, depth + 1)
                if member is not None:
                    return member
            elif ast.unparse(base) != "object":
                external.append(ast.unparse(base).rsplit(".", 1)[-1])
        if not external:
            return None
        if name == "__init__" and set(external) == {"BaseServiceRunner"}:
            return None  # BaseServiceRunner has no __init__ of its own: object's takes no arguments
        return "external" if name == "__init__" or name in RUNNER_MEMBERS else None

    def names(self, depth: int = 0) -> list[str]:
        found = [self.source.resolve(b, depth + 1) for b in self.node.bases] if depth < 10 else []
        return list(self.members) + [n for b in found if isinstance(b, _Class) for n in b.names(depth + 1)]


class _Source:
    """One parsed Python file of the package, with its top-level classes and imports."""

    def __init__(self, path: Path, tree: ast.Module, root: Path, cache: dict[Path, Any]):
        self.path, self.root, self.cache = path, root, cache
        self.classes: dict[str, ast.ClassDef] = {}
        self.bindings: dict[str, ast.AST] = {}
        for stmt in _top_level(tree.body):
            if isinstance(stmt, ast.ClassDef):
                self.classes[stmt.name] = stmt
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    self.bindings[alias.asname or alias.name] = stmt
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.bindings[stmt.targets[0].id] = stmt.value

    def resolve(self, expr: ast.AST, depth: int = 0) -> _Class | str | None:
        """Follow a class name to its definition: a `_Class`, ``"external"``, or None when undefined."""
        if depth > 10 or not isinstance(expr, ast.Name):
            return "external"
        name = expr.id
        if name in self.classes:
            return _Class(self.classes[name], self)
        bound = self.bindings.get(name)
        if isinstance(bound, ast.ImportFrom):
            source = self._imported(bound)
            if not isinstance(source, _Source):
                return "external"
            original = next(a.name for a in bound.names if (a.asname or a.name) == name)
            return source.resolve(ast.Name(id=original), depth + 1) if original != "*" else "external"
        if bound is not None:
            return self.resolve(bound, depth + 1)
        return None

    def _imported(self, stmt: ast.ImportFrom) -> _Source | Finding | None:
        # Relative imports start at this file's folder; absolute ones at the package root, which the
        # platform runs from, then at this folder.
        parts = (stmt.module or "").split(".") if stmt.module else []
        if stmt.level:
            bases = [self.path.parents[stmt.level - 1]] if stmt.level <= len(self.path.parents) else []
        else:
            bases = [self.root, self.path.parent]
        for base in bases:
            for candidate in (base.joinpath(*parts).with_suffix(".py") if parts else None,
                              base.joinpath(*parts, "__init__.py")):
                if candidate is not None and is_file(candidate):
                    return _parse(candidate, self.root, self.cache)
        return None


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those inside top-level ``if``/``try`` blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.Try)):
            for block in (stmt.body, stmt.orelse, getattr(stmt, "finalbody", []),
                          *[h.body for h in getattr(stmt, "handlers", [])]):
                yield from _top_level(block)


def _parse(path: Path, root: Path, cache: dict[Path, Any] | None = None) -> _Source | Finding:
    """Parse one file (cached per check run); a syntax error becomes a `Finding` at its line."""
    cache = {} if cache is None else cache
    key = path.resolve()  # one parse per file, however many modules and imports name it
    if key not in cache:
        try:
            cache[key] = _Source(path, ast.parse(path.read_bytes(), filename=str(path)), root, cache)
        except SyntaxError as exc:
            cache[key] = Finding(str(path), exc.lineno, f"syntax error: {exc.msg}")
        except RecursionError:
            cache[key] = Finding(str(path), None, "the source is nested too deeply to read")
        except (OSError, ValueError) as exc:  # unreadable, or NUL bytes in the source
            cache[key] = Finding(str(path), None, f"cannot read the file: {exc}")
    return cache[key]


def check_package(package_dir: Path | str, manifest: PackageManifest) -> list[Finding]:
    """Every disagreement between package.json and the code it names, errors and warnings alike."""
    root = Path(package_dir)
    manifest_file = str(manifest.source or root / "package.json")
    findings = list(_manifest_findings(manifest, manifest_file))
    cache: dict[Path, Any] = {}
    for i, module in enumerate(manifest.modules):
        findings += check_module(root, manifest_file, i, module, cache)
    return findings


def require_consistent(package_dir: Path | str, manifest: PackageManifest) -> list[Finding]:
    """`check_package`, raising `CheckError` with all findings when any is an error; returns the warnings."""
    findings = check_package(package_dir, manifest)
    if any(f.severity == "error" for f in findings):
        raise CheckError(findings)
    return findings


def _manifest_findings(manifest: PackageManifest, file: str) -> Iterator[Finding]:
    # `packages.push` asks the platform's naming check first, which refuses such a name.
    if isinstance(manifest.name, str) and (problem := faas_name_problem(manifest.name)):
        yield Finding(file, None, problem, json_path="name")
    # The models refuse these already; models built with model_construct() skip validation, so look again.
    seen_modules: set[str] = set()
    for i, module in enumerate(manifest.modules):
        if module.name in seen_modules:
            yield Finding(file, None, f"duplicate module name {module.name!r}", json_path=f"modules[{i}].name")
        seen_modules.add(module.name)
        seen: set[str] = set()
        for j, function in enumerate(module.functions):
            where = f"modules[{i}].functions[{j}]"
            if function.name in seen:
                yield Finding(file, None, f"duplicate function name {function.name!r} in module {module.name!r}",
                              json_path=f"{where}.name")
            seen.add(function.name)
            names: set[str] = set()
            for k, io in enumerate(function.inputs):
                if io.name in names:  # both could not be passed as keyword arguments; the platform refuses it
                    yield Finding(file, None, f"duplicate input name {io.name!r} in function {function.name!r}",
                                  json_path=f"{where}.input[{k}].name")
                names.add(io.name)
                if io.type not in INPUT_TYPES:
                    hint = did_you_mean(io.type, INPUT_TYPES)
                    yield Finding(file, None, f"unknown input type {io.type!r}" + (f" ({hint})" if hint else ""),
                                  json_path=f"{where}.input[{k}].type")


def check_module(root: Path, manifest_file: str, i: int, module: Module, cache: dict[Path, Any]) -> list[Finding]:
    where = f"modules[{i}]"
    entry = root / module.entry_point
    if not is_file(entry):
        return [Finding(manifest_file, None, f"module {module.name!r}: entry point {module.entry_point!r} not found "
                        f"in {root}", json_path=f"{where}.entryPoint")]
    source = _parse(entry, root, cache)
    if isinstance(source, Finding):
        return [source]
    cls = source.resolve(ast.Name(id=module.class_name))
    if cls == "external":
        logger.info("%s: class %s is imported from outside the package; not checked", entry, module.class_name)
        return []
    if cls is None:
        hint = did_you_mean(module.class_name, list(source.classes))
        return [Finding(str(entry), None, f"module {module.name!r}: no class {module.class_name!r} in "
                        f"{module.entry_point}" + (f" ({hint})" if hint else ""), json_path=f"{where}.className")]
    findings = _check_call(cls, "__init__", module.init_inputs, f"{where}.initInputs")
    for j, function in enumerate(module.functions):
        if cls.lookup(function.name) is None:
            hint = did_you_mean(function.name, [n for n in cls.names() if not n.startswith("_")])
            findings.append(Finding(str(cls.source.path), cls.node.lineno, f"class {cls.node.name!r} has no method "
                                    f"{function.name!r} (module {module.name!r})" + (f" ({hint})" if hint else ""),
                                    json_path=f"{where}.functions[{j}].name"))
        else:
            findings += _check_call(cls, function.name, function.inputs, f"{where}.functions[{j}].input")
    return findings


def _check_call(cls: _Class, name: str, declared: list[Any], json_path: str) -> list[Finding]:
    """Compare one method's parameters with the inputs the manifest declares for it."""
    node = cls.lookup(name)
    names = [io.name for io in declared]
    file = str(cls.source.path)
    if node is None and name == "__init__":
        return [Finding(file, cls.node.lineno, f"{json_path} declares {n!r}, but class {cls.node.name!r} has no "
                        "__init__ to receive it", json_path=json_path) for n in names]
    if not isinstance(node, _FUNCTION):
        return []  # an external base's member, or an assignment: the signature is not ours to read
    file = str(_owner_file(cls, node))
    args = node.args
    params = _with_defaults(args, any(ast.unparse(d) == "staticmethod" for d in node.decorator_list))
    findings = []
    label = f"{cls.node.name}.{name}()"
    for arg, has_default, positional_only in params:
        if arg.arg in INJECTED:
            continue
        if positional_only:
            findings.append(Finding(file, arg.lineno, f"{label} parameter {arg.arg!r} is positional-only; the platform "
                                    "passes inputs by name", json_path=json_path))
        elif arg.arg not in names and has_default:
            findings.append(Finding(file, arg.lineno, f"{label} parameter {arg.arg!r} is not declared in {json_path}; "
                                    "it will always get its default", "warning", json_path))
        elif arg.arg not in names:
            findings.append(Finding(file, arg.lineno, f"{label} parameter {arg.arg!r} is not declared in {json_path}",
                                    json_path=json_path))
    accepted = {a.arg for a, _, _ in params}
    if args.kwarg is None:
        findings += [Finding(file, node.lineno, f"{json_path} declares {n!r}, but {label} has no such parameter "
                             "(and no **kwargs)", json_path=json_path) for n in names if n not in accepted]
    return findings


def _with_defaults(args: ast.arguments, static: bool) -> list[tuple[ast.arg, bool, bool]]:
    """(parameter, has a default, positional-only) for each named parameter, without self/cls."""
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    out = [(a, i >= first_default, i < len(args.posonlyargs)) for i, a in enumerate(positional)]
    out += [(a, d is not None, False) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return out if static or not positional else out[1:]  # drop self, or cls for a classmethod


def _owner_file(cls: _Class, node: ast.AST, depth: int = 0) -> Path:
    if node in cls.members.values() or depth > 10:
        return cls.source.path
    for base in cls.node.bases:
        found = cls.source.resolve(base, depth + 1)
        if isinstance(found, _Class) and found.lookup(getattr(node, "name", "")) is node:
            return _owner_file(found, node, depth + 1)
    return cls.source.path


def check_service(manifest: PackageManifest, service: ServiceManifest) -> list[Finding]:
    """A service's module, its triggers' functions and its init params against the package."""
    file = str(service.source or "service.json")
    names = [m.name for m in manifest.modules]
    module = manifest.module(service.module_name) if service.module_name else (manifest.modules or [None])[0]
    if module is None:
        hint = did_you_mean(service.module_name, names)
        return [Finding(file, None, f"no module {service.module_name!r} in the package" + (f" ({hint})" if hint else ""),
                        json_path="module_name")]
    findings = []
    functions = [f.name for f in module.functions]
    for t, trigger in enumerate(service.triggers):
        if trigger.function not in functions:
            hint = did_you_mean(trigger.function, functions)
            findings.append(Finding(file, None, f"trigger {trigger.name or t!r} calls {trigger.function!r}, which module "
                                    f"{module.name!r} does not declare" + (f" ({hint})" if hint else ""),
                                    json_path=f"triggers[{t}]"))
        findings += _unreachable(file, t, trigger)
    declared = [io.name for io in module.init_inputs]
    findings += [Finding(file, None, f"initParams gives {k!r}, which module {module.name!r} does not declare in "
                         "initInputs", "warning", "initParams") for k in service.init_params if k not in declared]
    findings += [Finding(file, None, f"init input {n!r} of module {module.name!r} has no value in initParams",
                         "warning", "initParams") for n in declared if n not in service.init_params]
    return findings + _runtime_notes(file, service)


def _unreachable(file: str, index: int, trigger) -> list[Finding]:
    """A trigger whose filter no record can match never fires, and the platform says nothing: we do."""
    if trigger.type != "Event" or not trigger.filter:
        return []
    from ..dql.reach import never_matches  # noqa: PLC0415 (loaded only for a filter)

    return [Finding(file, None, f"trigger {trigger.name or index!r} can never fire: {reason}", "warning",
                    f"triggers[{index}].filter") for reason in never_matches(trigger.filter, trigger.resource)]


def _runtime_notes(file: str, service: ServiceManifest) -> list[Finding]:
    """What the local platform does with runtime requests it cannot honour as the cloud does."""
    runtime = service.runtime
    notes = []
    if runtime is not None and runtime.gpu:
        notes.append(Finding(file, None, "runtime.gpu is true, but locally functions run on this machine's CPU "
                             "(no GPU is attached, whatever the placement); code that needs CUDA fails here",
                             "warning", "runtime.gpu"))
    if runtime is not None and runtime.pod_type.startswith("gpu"):
        notes.append(Finding(file, None, f"runtime.podType {runtime.pod_type!r} is a GPU pod, but locally functions "
                             "run on this machine's CPU (no GPU is attached, whatever the placement); code that "
                             "needs CUDA fails here", "warning", "runtime.podType"))
    if service.run_execution_as_process:
        notes.append(Finding(file, None, "run_execution_as_process is true, which the local platform refuses at "
                             "deploy: its replicas run every execution as a thread of one process; set it to false",
                             "error", "run_execution_as_process"))
    if runtime is not None and runtime.runner_image:
        notes.append(Finding(file, None, f"runtime.runnerImage {runtime.runner_image!r} is used only by the docker "
                             "placement (--faas-placement=docker, `faas packages test --placement docker`); the "
                             "thread and subprocess placements run with this Python and its packages. "
                             + runner_image_fallback(runtime.runner_image), "warning", "runtime.runnerImage"))
    return notes


def check_mock(manifest: PackageManifest, mock: MockFile) -> list[Finding]:
    """A mock file's module, function and input names against the package."""
    file = str(mock.source or "mock.json")
    module = manifest.module(mock.module_name)
    if module is None:
        hint = did_you_mean(mock.module_name, [m.name for m in manifest.modules])
        return [Finding(file, None, f"no module {mock.module_name!r} in the package" + (f" ({hint})" if hint else ""),
                        json_path="module_name")]
    function = module.function(mock.function_name)
    if function is None and module.functions:
        hint = did_you_mean(mock.function_name, [f.name for f in module.functions])
        return [Finding(file, None, f"module {module.name!r} has no function {mock.function_name!r}"
                        + (f" ({hint})" if hint else ""), json_path="function_name")]
    declared = function.input_names if function else []
    findings = []
    for case in mock.cases():
        if case.event is not None:  # the triggers pass the inputs (manifests/event_checks.py)
            continue
        at = f"inputs[{case.index}]" if mock.threaded else "inputs"
        # The platform's local runner: "No entry for field X found in mock" (docs/platform.md#mock-files).
        findings += [Finding(file, None, f"no entry for input {n!r} of {mock.function_name}()", json_path=at)
                     for n in declared if n not in case.inputs]
        findings += [Finding(file, None, f"input {n!r} is not declared by {mock.function_name}(); it is ignored",
                             "warning", at) for n in case.inputs if n not in declared]
    return findings
