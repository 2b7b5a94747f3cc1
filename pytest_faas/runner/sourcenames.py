"""Run a codebase's modules under the file names of the package folder they were pushed from.

An agent imports a package's code from an unpacked copy of its codebase (`loader.py`), so a coverage tool
measuring the package folder sees none of it run, and a traceback names the copy. When the harness names
the package folders (``FAAS_SOURCE_ROOTS``, set by the plugin while coverage measures the run), each module
of the copy whose bytes equal its file in one of those folders is compiled under that file's name, and its
``__file__`` is that file (coverage prefers ``__file__`` to the code's own name): coverage counts the
package's own lines, and tracebacks point at the user's file. The module's source is still read from the
copy. A file that differs from the folder's (edited since the push) keeps the copy's name.

``FAAS_COVERAGE`` (a coverage configuration, serialized) asks an agent that owns its process to measure
coverage itself, saving its data beside the test process's for pytest-cov to combine.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from pathlib import Path

ROOTS_ENV = "FAAS_SOURCE_ROOTS"
COVERAGE_ENV = "FAAS_COVERAGE"


class _OriginalNameLoader(importlib.machinery.SourceFileLoader):
    """Compiles the copy's source under the package folder's file name (no bytecode cache: a cached code
    object would carry the copy's name back)."""

    def __init__(self, fullname: str, path: str, original: str):
        super().__init__(fullname, path)
        self.original = original

    def get_code(self, fullname):
        return compile(self.get_data(self.path), self.original, "exec", dont_inherit=True)


class _SourceNames(importlib.abc.MetaPathFinder):
    """Finds modules as the path finder does, then names those under a mapped code folder after their
    package folder's file."""

    def __init__(self):
        self.folders: dict[Path, Path] = {}  # unpacked code folder -> the package folder it came from
        self.lock = threading.Lock()

    def find_spec(self, fullname, path=None, target=None):
        if not self.folders:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None  # the import system goes on as without this finder
        original = self._original(spec.origin)
        if original is None:
            return None
        spec.loader = _OriginalNameLoader(fullname, spec.origin, original)
        spec.origin = original  # __file__: coverage prefers it to the code's own file name
        return spec

    def _original(self, origin: str) -> str | None:
        copy = Path(origin)
        for code_dir, root in list(self.folders.items()):
            if copy.is_relative_to(code_dir):
                original = root / copy.relative_to(code_dir)
                if original.is_file() and original.read_bytes() == copy.read_bytes():
                    return str(original)
        return None


_FINDER = _SourceNames()


def roots() -> list[Path]:
    """The package folders the harness named (none: modules keep the copy's names)."""
    return [Path(p) for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p]


def map_folder(code_dir: Path, entry_point: str) -> Path | None:
    """Name ``code_dir``'s modules after the named package folder whose entry point has the same bytes;
    returns that folder (None: no folder named, or none matches)."""
    relative = Path(entry_point or "main.py")
    relative = relative if relative.suffix else relative.with_suffix(".py")
    copy = code_dir / relative
    for root in roots():
        original = root / relative
        try:
            if original.read_bytes() == copy.read_bytes():
                break
        except OSError:
            continue
    else:
        return None
    with _FINDER.lock:
        _FINDER.folders[code_dir.resolve()] = root.resolve()
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    return root


def start_coverage():
    """Measure this agent process when the harness asks (``FAAS_COVERAGE``); returns the coverage object,
    whose data `save_coverage` writes (the process ends with ``os._exit``, which skips coverage's atexit)."""
    config = os.environ.get(COVERAGE_ENV)
    if not config:
        return None
    import coverage  # noqa: PLC0415

    cov = coverage.Coverage(config_file=":data:" + config, data_suffix=True)
    cov._warn_no_data = False  # an agent that ran nothing of the package's has nothing to say
    cov.start()
    return cov


def save_coverage(cov) -> None:
    if cov is not None:
        cov.stop()
        cov.save()
