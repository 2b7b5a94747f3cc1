"""A package folder read once, the same way for `pytest --faas` and `faas packages test`.

`load_folder` reads the manifest (package.json), service.json and every mock file (mock.json, then
mocks/*.json by name), keeping what cannot be read as located problems instead of stopping at the first.
The result, a `LoadedPackage`, is what both faces hand on: the plugin gives it to its items, the CLI loops
over its cases, and `cases.CaseRunner` runs one of its `PackageCase`s. Its `findings()` are the static checks
of all those files against the code (read with `ast`, never run).

The manifest's kind is looked up by file name in `KINDS`: package.json (a package) and dataloop.json (an
app), each with how to recognise the file cheaply, load it, and check it and its mock files against the code.
A package.json beside a dataloop.json belongs to the app's panel (npm): the folder is the app's.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import FaasError, ManifestError, ManifestErrors
from . import app_checks, checks, event_checks
from .app import AppManifest, load_app
from .codebase import read_codebase
from .jsondoc import INTERNAL, Shown
from .mock import MockCase, MockFile, load_mock
from .package import PackageManifest, declares_modules, load_package
from .repo import layout_of
from .salvage import only_types, outside, salvage_app, salvage_package
from .service import ServiceManifest, load_service

SERVICE_FILE = "service.json"


@dataclass(frozen=True)
class ManifestKind:
    """One manifest format.

    Attributes:
        filename: the file's name in a package folder.
        declares: a cheap sniff that never raises: is this file one of ours (and not, say, npm's)?
        load: the manifest model, or None when the file is not ours; raises ManifestError(s).
        check: the manifest against the code it names: findings, never raises.
        check_mock: a mock file against the manifest: findings, never raises.
        reads_service: whether service.json beside the manifest describes its service (an app's compute
            configs do that inside dataloop.json).
        salvage: for a file that fails its schema, the manifest with its bad values set aside and the JSON
            paths set aside, so that ``check`` still runs (`salvage.salvage_package`); None: not offered.
        in_repo: whether a ``.dataloop.cfg`` above the file may list it, making the repository root its
            codebase (`repo.layout_of`); ``load`` then takes the layout as ``layout=``.
    """

    filename: str
    declares: Callable[[Path], bool]
    load: Callable[[Path], Any]
    check: Callable[[Path, Any], list[checks.Finding]]
    check_mock: Callable[[Any, MockFile], list[checks.Finding]] = checks.check_mock
    reads_service: bool = True
    salvage: Callable[[Path, Any], tuple[Any, list[str]] | None] | None = None
    in_repo: bool = False


APP_FILE = "dataloop.json"


def _declares_package(path: Path) -> bool:
    # In an app's folder, package.json is npm's (a panel's), whatever it holds: dataloop.json describes the code.
    return not (path.parent / APP_FILE).is_file() and declares_modules(path)


KINDS: dict[str, ManifestKind] = {
    "package.json": ManifestKind("package.json", _declares_package, load_package, checks.check_package,
                                 salvage=salvage_package),
    APP_FILE: ManifestKind(APP_FILE, lambda path: True, load_app, app_checks.check_app, app_checks.check_app_mock,
                           reads_service=False, salvage=salvage_app, in_repo=True),
}


def kind_of(path: Path) -> ManifestKind | None:
    """The manifest kind of a file, when its name is a manifest's and it declares what we run."""
    kind = KINDS.get(path.name)
    return kind if kind is not None and kind.declares(path) else None


def mock_files(folder: Path) -> list[Path]:
    """The folder's mock files in case order: mock.json, then mocks/*.json by name."""
    return [path for path in [folder / "mock.json", *sorted((folder / "mocks").glob("*.json"))] if path.is_file()]


@dataclass(frozen=True)
class PackageCase:
    """One input set of one mock file: what a generated test runs."""

    folder: Path
    mock_file: Path
    case: MockCase

    @property
    def mock_label(self) -> str:
        """The mock file as the package author names it: relative to the package folder when inside it."""
        if self.mock_file.is_relative_to(self.folder):
            return self.mock_file.relative_to(self.folder).as_posix()
        return self.mock_file.name

    @property
    def function_label(self) -> str:
        return f"{self.case.module_name}.{self.case.function_name}"


@dataclass
class LoadedPackage:
    """A package folder's files as read, and what is wrong with them.

    Attributes:
        path: the manifest file.
        kind: its format.
        manifest: the manifest model (`PackageManifest`, or `AppManifest` for an app); None when it could not be
            read (see ``problems``).
        service: service.json's model, when the file is there and could be read.
        mocks: each mock file that could be read, with its model, in case order.
        problems: the files that could not be read (`ManifestError`/`ManifestErrors`, located).
    """

    path: Path
    kind: ManifestKind
    manifest: PackageManifest | AppManifest | None
    service: ServiceManifest | None = None
    mocks: list[tuple[Path, MockFile]] = field(default_factory=list)
    problems: list[FaasError] = field(default_factory=list)
    salvaged: tuple[Any, list[str]] | None = field(default=None, repr=False)
    _findings: list[checks.Finding] | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def is_app(self) -> bool:
        """An app (dataloop.json): its cases run on the installed app, not on a pushed package."""
        return self.kind.filename == APP_FILE

    @property
    def runnable(self) -> PackageManifest | AppManifest | None:
        """The manifest the cases run with: as read, or, for a file whose only schema errors are input or
        output types (``"type": "int"``), with those read as ``Json`` (`salvage`): its cases are kept, they
        run, and the platform answers the file as written. None otherwise: no case runs."""
        if self.manifest is not None:
            return self.manifest
        return self.salvaged[0] if self.salvaged is not None and only_types(self.salvaged[1]) else None

    def cases(self) -> list[PackageCase]:
        """Every input set of every mock file, in file order (none when no manifest could be read)."""
        if self.runnable is None:
            return []
        return [PackageCase(self.folder, path, case) for path, mock in self.mocks for case in mock.cases()]

    def cases_by_module(self) -> dict[str, list[PackageCase]]:
        by_module: dict[str, list[PackageCase]] = {}
        for case in self.cases():
            by_module.setdefault(case.case.module_name, []).append(case)
        return by_module

    def findings(self) -> list[checks.Finding]:
        """The checks of the manifest against the code, and of service.json and the mocks against the
        manifest; errors and warnings alike. Computed on first call (it reads the code)."""
        if self._findings is None:
            # What the push would zip, looked at without opening a FIFO, a device or a link out of the folder.
            found: list[checks.Finding] = list(read_codebase(self.folder).findings)
            manifest, aside = (self.manifest, []) if self.manifest is not None else (self.salvaged or (None, []))
            if manifest is not None:
                # With a salvaged manifest, what is said of a value set aside is dropped (see salvage.py).
                found += [f for f in self.kind.check(self.folder, manifest) if outside(f.json_path, aside)]
                if self.service is not None:
                    found += checks.check_service(manifest, self.service)
                for _, mock in self.mocks:
                    found += self.kind.check_mock(manifest, mock)
                    found += event_checks.check_events(manifest, self.service, mock, self.is_app)
            self._findings = found
        return self._findings

    def errors(self) -> list:
        """What must be fixed before anything runs: the unreadable files, then the error findings."""
        return [*self.problems, *(f for f in self.findings() if f.severity == "error")]

    def warnings(self) -> list[checks.Finding]:
        return [f for f in self.findings() if f.severity != "error"]



def _read(load: Callable[[Path], Any], path: Path, problems: list[FaasError]) -> Any:
    """``load(path)``, or None with the failure kept as a problem of that file: whatever a hostile file does
    to a loader, it fails its own package's ``::manifest`` item, never the collection of the others."""
    try:
        return load(path)
    except (ManifestError, ManifestErrors) as exc:
        problems.append(exc)
    except Exception as exc:  # noqa: BLE001 - a loader bug must still name the user's file
        problems.append(ManifestError(str(path), "", INTERNAL, Shown(f"{type(exc).__name__}: {exc}"[:200]),
                                      "this is a pytest-faas bug; please report it with the file"))
    return None


def load_folder(path: Path | str, mocks: list[Path] | None = None, stop: Path | None = None) -> LoadedPackage | None:
    """Read a package from its manifest file; None when that file is not a FaaS manifest (npm's package.json).

    Args:
        path: the manifest file (package.json or dataloop.json).
        mocks: the mock files to read; by default every one of the folder's (see `mock_files`).
        stop: the highest folder where an app's ``.dataloop.cfg`` is looked for (the rootdir); by default
            only the manifest's own folder.
    """
    path = Path(path)
    kind = KINDS.get(path.name)
    if kind is None:
        raise ValueError(f"{path}: not a manifest file ({', '.join(KINDS)})")
    problems: list[FaasError] = []
    load, salvage = kind.load, kind.salvage
    if kind.in_repo:
        layout = layout_of(path, stop)
        problems += layout.problems
        load = functools.partial(kind.load, layout=layout)
        salvage = salvage and functools.partial(salvage, layout=layout)
    before = len(problems)
    manifest = _read(load, path, problems)
    if manifest is None and len(problems) == before:  # npm's package.json: not ours
        return None
    salvaged = None
    own = problems[before] if manifest is None else None
    if own is not None and salvage is not None and isinstance(own, (ManifestError, ManifestErrors)):
        try:
            salvaged = salvage(path, own)
        except Exception:  # noqa: BLE001 - the schema errors are reported whatever happens here
            salvaged = None
    service_path = path.parent / SERVICE_FILE
    service = _read(load_service, service_path, problems) if kind.reads_service and service_path.is_file() else None
    loaded = [(mock_path, _read(functools.partial(load_mock, package_dir=path.parent), mock_path, problems))
              for mock_path in (mock_files(path.parent) if mocks is None else mocks)]
    return LoadedPackage(path, kind, manifest, service, [(p, m) for p, m in loaded if m is not None], problems,
                         salvaged)
