"""The dependency rule of docs/architecture.md, checked on the source: every import, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_faas"
# Only the pytest-facing modules may import pytest (settings needs it for nothing, but may for types).
PYTEST_GLUE = {"plugin", "collect", "report", "session", "settings", "fixtures"}


def imported(path: Path) -> set[str]:
    """Absolute names of the pytest_faas modules and third-party packages that ``path`` imports."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
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


@pytest.mark.parametrize("side, other", [("backend", "runtime"), ("runtime", "backend")])
def test_backend_and_runtime_never_import_each_other(side, other):
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in imported(path) if n.startswith(f"pytest_faas.{other}"))
                 for path in sources(side)}
    assert {k: v for k, v in offenders.items() if v} == {}, f"{side}/ must reach {other}/ over HTTP only"


def test_only_the_pytest_glue_imports_pytest():
    offenders = [str(path.relative_to(PACKAGE)) for path in sources()
                 if path.relative_to(PACKAGE).parts[0].removesuffix(".py") not in PYTEST_GLUE
                 and any(n == "pytest" or n.startswith(("pytest.", "_pytest")) for n in imported(path))]
    assert offenders == []


def test_the_docker_sdk_is_imported_in_one_module_only():
    users = [str(path.relative_to(PACKAGE)) for path in sources()
             if any(n == "docker" or n.startswith("docker.") for n in imported(path))]
    assert users == ["runtime/docker.py"]


def test_the_checker_sees_relative_imports():
    names = imported(PACKAGE / "runtime" / "containers.py")
    assert "pytest_faas.runtime.docker.DockerEngine" in names and "pytest_faas.errors.FaasError" in names
