"""pytest_faas's own source, as an input of the runner image: located, hashed, and staged for ``pip wheel``.

The runner base image holds a wheel of this very source tree (a checkout, or the installed package), so that
the agent in a container is the one that runs everywhere else; its digest keys that image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Iterator

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                 ".tox", ".nox", ".venv", "venv", "node_modules", ".idea", ".vscode", ".dataloop"}
_IGNORED_SUFFIXES = (".pyc", ".pyo")


class FaasSource:
    """The pytest_faas code to put in the runner image: a source checkout, or the installed package."""

    def __init__(self, package: Path, project: Path | None):
        self.package = package  # .../pytest_faas
        self.project = project  # the folder with pyproject.toml, when running from a checkout
        self.root = project or package
        self._digest: str | None = None

    @classmethod
    def locate(cls) -> "FaasSource":
        import pytest_faas

        package = Path(pytest_faas.__file__).resolve().parent
        pyproject = package.parent / "pyproject.toml"
        if pyproject.is_file() and re.search(r'name\s*=\s*"pytest-faas"', pyproject.read_text()):
            return cls(package, package.parent)
        return cls(package, None)

    def _meta_files(self) -> list[Path]:
        if not self.project:
            return []
        return [p for p in sorted(self.project.iterdir()) if p.is_file()
                and (p.name in ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in")
                     or p.name.startswith(("README", "LICENSE")))]

    def digest(self) -> str:
        if self._digest is None:
            h = hashlib.sha256()
            for path in self._meta_files():
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            h.update(_treedigest(self.package).encode())
            self._digest = h.hexdigest()
        return self._digest

    def stage(self, into: Path) -> Path:
        """Copy what a wheel build needs into `into` (building in place would litter the checkout)."""
        tree = into / "src"
        _copy_tree(self.package, tree / "pytest_faas")
        if self.project:
            for path in self._meta_files():
                shutil.copy2(path, tree / path.name)
        else:  # an installed pytest-faas: describe it from its metadata
            from importlib import metadata

            dist = metadata.distribution("pytest-faas")
            requires = [r for r in (dist.requires or []) if "extra ==" not in r]
            (tree / "pyproject.toml").write_text(
                '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
                f'[project]\nname = "pytest-faas"\nversion = "{dist.version}"\ndependencies = {json.dumps(requires)}\n'
                '[tool.setuptools.packages.find]\ninclude = ["pytest_faas*"]\n'
                '[tool.setuptools.package-data]\npytest_faas = ["**/*"]\n')
        return tree


def _ignored(name: str, is_dir: bool) -> bool:
    if is_dir:
        return name in _IGNORED_DIRS or name.endswith(".egg-info")
    return name.endswith(_IGNORED_SUFFIXES)


def _walk(root: Path) -> Iterator[Path]:
    """Files under root in a stable order, skipping caches and VCS folders (symlinks are not followed)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d, True))
        for name in sorted(filenames):
            if not _ignored(name, False):
                yield Path(dirpath, name)


def _treedigest(root: Path) -> str:
    h = hashlib.sha256()
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            data = b"link:" + os.readlink(path).encode()
        else:
            data = path.read_bytes()
        executable = b"x" if os.access(path, os.X_OK) else b"-"
        h.update(rel.encode() + b"\0" + executable + hashlib.sha256(data).digest())
    return h.hexdigest()


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True, ignore=lambda d, names: [
        n for n in names if _ignored(n, os.path.isdir(os.path.join(d, n)))])


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()
