"""The dependency rules of docs/architecture.md, checked on the source as folder rules: every import, lazy ones
included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_faas"

# The layers, top to bottom. A module may import from its own layer and from the layers below it only.
LAYERS = [
    {"plugin", "cli"},                       # faces
    {"local", "cases", "casedata", "pipelinecases", "app_cases", "eventcases"},  # composition
    {"manifests", "htmlreport"},             # file formats: the package files read (manifests/ may use backend.dql
                                             # to check filters), the HTML report written
    {"backend", "runtime", "sdk", "mocks"},  # the platform, the runner, dtlpy's binding, sample entities
    {"errors", "ids", "protocol", "handle", "tokens", "__init__", "templates"},  # core
]


def room(module: str) -> str:
    """The top-level room of a ``pytest_faas`` module name: ``pytest_faas.backend.items`` -> ``backend``."""
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


def test_the_faces_never_import_each_other():
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in imported(path) if room(n) in {"plugin", "cli"} - {own_room(path)})
                 for path in sources("plugin") + sources("cli")}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("side, other", [("backend", "runtime"), ("runtime", "backend")])
def test_backend_and_runtime_never_import_each_other(side, other):
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in imported(path) if n.startswith(f"pytest_faas.{other}"))
                 for path in sources(side)}
    assert {k: v for k, v in offenders.items() if v} == {}, f"{side}/ must reach {other}/ over HTTP only"


def test_the_backend_never_imports_the_sample_entities():
    # mocks/ builds on the backend's record shapes, never the reverse.
    offenders = [str(path.relative_to(PACKAGE)) for path in sources("backend")
                 if any(n.startswith("pytest_faas.mocks") for n in imported(path))]
    assert offenders == []


def test_only_the_plugin_folder_imports_pytest():
    offenders = [str(path.relative_to(PACKAGE)) for path in sources()
                 if own_room(path) != "plugin"
                 and any(n == "pytest" or n.startswith(("pytest.", "_pytest")) for n in imported(path))]
    assert offenders == []


def test_the_docker_sdk_is_imported_in_one_module_only():
    users = [str(path.relative_to(PACKAGE)) for path in sources()
             if any(n == "docker" or n.startswith("docker.") for n in imported(path))]
    assert users == ["runtime/docker.py"]


def test_the_checker_sees_relative_imports():
    names = imported(PACKAGE / "runtime" / "supervisor.py")
    assert "pytest_faas.runtime.loader.LoadError" in names and "pytest_faas.errors.FaasError" in names


def test_the_checker_resolves_a_packages_own_relative_imports():
    # In an __init__.py, `.` is the package itself: `from ..runtime import x` in plugin/__init__.py is
    # pytest_faas.runtime, not pytest_faas.plugin.runtime.
    names = imported(PACKAGE / "plugin" / "__init__.py")
    assert {"pytest_faas.plugin.session", "pytest_faas.manifests.loaded.kind_of"} <= names
