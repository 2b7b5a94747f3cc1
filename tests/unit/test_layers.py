"""The dependency rules of docs/architecture.md, checked on the source as folder rules: every import, lazy ones
included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_faas"

# The layers, top to bottom. A module may import from its own layer and from the layers below it only.
LAYERS = [
    {"plugin", "cli", "fixtures"},           # faces
    {"local", "cases"},                      # composition: a platform with its placement; cases run on one
    {"manifests", "report"},                 # file formats: the package files read, the reports' records written
    {"backend", "runner", "placements", "dql", "dtlpy_binding", "mocks"},  # the platform, the runner and where
                                             # it runs, the filter language, dtlpy's binding, sample entities
    {"errors", "ids", "protocol", "handle", "tokens", "__init__", "templates"},  # core
]

# Rooms that must never import one another, in the direction given: (importer, imported, why).
FORBIDDEN = [
    ("backend", "runner", "the platform reaches agents over HTTP only"),
    ("backend", "placements", "the engine is handed its placement by local.py"),
    ("runner", "backend", "an agent reaches the platform over HTTP only"),
    ("runner", "placements", "what runs inside a placement never starts placements"),
    ("backend.data", "backend.faas", "the data plane publishes events; the FaaS engine listens"),
    ("backend.data", "backend.pipelines", "the data plane publishes events; pipelines listen"),
    ("backend.data", "backend.apps", "the data plane publishes events; apps listen"),
    ("backend", "mocks", "mocks/ builds on the backend's record shapes, never the reverse"),
    ("dql", "backend", "the filter language is pure: the backend and manifests/ both use it"),
    ("placements", "backend", "placements start agents; the engine reaches them through local.py"),
    ("plugin", "cli", "the faces never import each other"),
    ("cli", "plugin", "the faces never import each other"),
    ("cli", "fixtures", "the faces never import each other"),
    ("fixtures", "cli", "the faces never import each other"),
]


def room(module: str) -> str:
    """The top-level room of a ``pytest_faas`` module name: ``pytest_faas.backend.data.items`` -> ``backend``."""
    parts = module.split(".")
    if len(parts) > 1 and ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()):
        return parts[1]
    return "__init__"  # the package itself, or a name it defines (``from .. import __version__``)


def layer(name: str) -> int:
    return next(i for i, rooms in enumerate(LAYERS) if name in rooms)


def imported(path: Path) -> set[str]:
    """Absolute names of the pytest_faas modules and third-party packages that ``path`` imports."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.removesuffix(".__init__") if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def sources(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def own_room(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_every_room_has_a_layer():
    rooms = {own_room(path) for path in sources()}
    assert {r for r in rooms if not any(r in layer_ for layer_ in LAYERS)} == set()


def test_nothing_imports_upward():
    offenders = {}
    for path in sources():
        mine = layer(own_room(path))
        upward = sorted(n for n in imported(path) if n.startswith("pytest_faas.") and layer(room(n)) < mine)
        if upward:
            offenders[str(path.relative_to(PACKAGE))] = upward
    assert offenders == {}


def _inside(module: str, room_path: str) -> bool:
    name = f"pytest_faas.{room_path}"
    return module == name or module.startswith(name + ".")


def _source_module(path: Path) -> str:
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return module.removesuffix(".__init__")


@pytest.mark.parametrize("importer, imported_room, why", FORBIDDEN, ids=[f"{a}-x-{b}" for a, b, _ in FORBIDDEN])
def test_rooms_that_never_import_each_other(importer, imported_room, why):
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in imported(path) if _inside(n, imported_room))
                 for path in sources(importer.replace(".", "/"))}
    assert {k: v for k, v in offenders.items() if v} == {}, why


def _edges(path: Path, modules: set[str]) -> set[str]:
    """The pytest_faas modules ``path`` imports, lazy and type-only imports included: ``from pkg import sub``
    is an edge to ``pkg.sub`` when that is a module, ``from pkg import Name`` one to ``pkg``."""
    module = _source_module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix)
    targets = set()
    for name in found:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name not in (module, "pytest_faas"):
            targets.add(name)
    return targets


def _graph() -> dict[str, set[str]]:
    """Module -> the pytest_faas modules it imports."""
    paths = {_source_module(path): path for path in sources()}
    return {module: _edges(path, set(paths)) for module, path in paths.items()}


def test_no_module_imports_itself_back_through_others():
    """No circle, lazy imports included: a circle dodged with a lazy import is still a circle."""
    graph, circles, state = _graph(), [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                circles.append(trail[trail.index(target):] + [target] if target in trail else [node, target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_checker_finds_a_circle():
    graph = {"a": {"b"}, "b": {"a"}}
    state, found = {}, []

    def visit(node, trail):
        state[node] = "open"
        for target in graph[node]:
            if state.get(target) == "open":
                found.append(target)
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    visit("a", ["a"])
    assert found == ["a"]


def test_only_the_plugin_and_fixtures_import_pytest():
    offenders = [str(path.relative_to(PACKAGE)) for path in sources()
                 if own_room(path) not in {"plugin", "fixtures"}
                 and any(n == "pytest" or n.startswith(("pytest.", "_pytest")) for n in imported(path))]
    assert offenders == []


def test_the_docker_sdk_is_imported_in_one_module_only():
    users = [str(path.relative_to(PACKAGE)) for path in sources()
             if any(n == "docker" or n.startswith("docker.") for n in imported(path))]
    assert sorted(users) == ["placements/docker/engine.py", "placements/docker/replica.py"]


@pytest.mark.parametrize("library, allowed", [
    ("werkzeug", ("backend/",)),
    ("pydantic", ("manifests/", "backend/web/")),
    ("click", ("cli/",)),
])
def test_libraries_stay_in_their_rooms(library, allowed):
    users = [str(path.relative_to(PACKAGE)) for path in sources()
             if any(n == library or n.startswith(library + ".") or n.startswith(library + "_core")
                    for n in imported(path))]
    assert [u for u in users if not u.startswith(allowed)] == []


def test_the_checker_sees_relative_imports():
    names = imported(PACKAGE / "placements" / "supervisor.py")
    assert "pytest_faas.runner.loader.LoadError" in names and "pytest_faas.errors.FaasError" in names


def test_the_checker_resolves_a_packages_own_relative_imports():
    # In an __init__.py, `.` is the package itself: `from ..manifests import x` in plugin/__init__.py is
    # pytest_faas.manifests, not pytest_faas.plugin.manifests.
    names = imported(PACKAGE / "plugin" / "__init__.py")
    assert {"pytest_faas.plugin.session", "pytest_faas.manifests.loaded.kind_of"} <= names


# -- the house's sizes: a newcomer finds one job per module, a handful of modules per folder ---------------

MAX_MODULE_LINES = 500
MAX_FOLDER_MODULES = 20
MAX_FUNCTION_LINES = 60


def test_no_module_is_over_the_size_limit():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in sources()}
    assert {k: v for k, v in sizes.items() if v > MAX_MODULE_LINES} == {}


def test_no_folder_holds_too_many_modules():
    counts: dict[str, int] = {}
    for path in sources():
        folder = str(path.parent.relative_to(PACKAGE))
        counts[folder] = counts.get(folder, 0) + 1
    assert {k: v for k, v in counts.items() if v > MAX_FOLDER_MODULES} == {}


def test_no_function_is_over_the_length_limit():
    long = {}
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"] = lines
    assert long == {}


def test_private_names_stay_in_their_module():
    """``from .x import _name`` reaches into another module's insides: what is shared gets a public name."""
    offenders = []
    for path in sources():
        for name in imported(path):
            last = name.rpartition(".")[2]
            if name.startswith("pytest_faas.") and last.startswith("_") and not last.startswith("__"):
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == []
