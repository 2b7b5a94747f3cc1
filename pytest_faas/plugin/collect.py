"""The nodes `pytest --faas` collects: a package.json becomes a `PackageFile` with one `ManifestItem` (every
check of the package's files and code) and, per module, `MockCaseItem`s, one per input set of `mock.json`
and of each `mocks/*.json` beside it.

Ids are ``<path>/package.json::manifest`` and ``<path>/package.json::<module>::<function>[<mock file>:<n>]``:
stable across runs and workers, and ``-k run`` selects every case of ``run``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..manifests import checks
from . import report, session
from ..errors import CheckError, ExecutionFailed, FaasError, ManifestError, ManifestErrors
from ..manifests.jsondoc import INTERNAL, Shown
from ..manifests.package import PackageManifest, load_package
from ..manifests.mock import MockCase, MockFile, load_mock
from ..manifests.service import ServiceManifest, load_service

STATS = "faas"  # the user_properties key that carries a case's figures to the terminal summary


@dataclass
class Loaded:
    """What the package's files say, and what could not be read."""

    manifest: PackageManifest | None
    service: ServiceManifest | None
    mocks: list[tuple[Path, MockFile]]
    problems: list[FaasError]


def _load_one(loader, path: Path, problems: list[FaasError]):
    """``loader(path)``, or None with the failure kept as a finding of that file: whatever a hostile file
    does to a loader, it fails its own package's ``::manifest`` item, never the whole collection."""
    try:
        return loader(path)
    except (ManifestError, ManifestErrors) as exc:
        problems.append(exc)
    except Exception as exc:  # noqa: BLE001 - a loader bug must still name the user's file
        problems.append(ManifestError(str(path), "", INTERNAL, Shown(f"{type(exc).__name__}: {exc}"[:200]),
                                      "this is a pytest-faas bug; please report it with the file"))
    return None


def _load(path: Path) -> Loaded | None:
    problems: list[FaasError] = []
    manifest = _load_one(load_package, path, problems)
    if manifest is None and not problems:  # npm's package.json: not ours
        return None
    service = None
    service_path = path.parent / "service.json"
    if service_path.is_file():
        service = _load_one(load_service, service_path, problems)
    mocks = []
    for mock_path in [path.parent / "mock.json", *sorted((path.parent / "mocks").glob("*.json"))]:
        if mock_path.is_file() and (mock := _load_one(load_mock, mock_path, problems)) is not None:
            mocks.append((mock_path, mock))
    return Loaded(manifest, service, mocks, problems)


class PackageFile(pytest.File):
    """A package.json that declares modules."""

    def collect(self):
        loaded = _load(self.path)
        if loaded is None:
            return
        self.loaded = loaded
        yield ManifestItem.from_parent(self, name="manifest")
        if loaded.manifest is None:
            return
        by_module: dict[str, list[tuple[Path, MockCase]]] = {}
        for mock_path, mock in loaded.mocks:
            for case in mock.cases():
                by_module.setdefault(case.module_name, []).append((mock_path, case))
        for module_name, cases in by_module.items():
            yield ModuleNode.from_parent(self, name=module_name, cases=cases)


class ManifestItem(pytest.Item):
    """Every problem of the package's files and code, reported together; the code is read, never run."""

    def runtest(self) -> None:
        loaded: Loaded = self.parent.loaded
        problems: list = list(loaded.problems)
        findings = []
        if loaded.manifest is not None:
            findings += checks.check_package(self.path.parent, loaded.manifest)
            if loaded.service is not None:
                findings += checks.check_service(loaded.manifest, loaded.service)
            for _, mock in loaded.mocks:
                findings += checks.check_mock(loaded.manifest, mock)
        errors = [f for f in findings if f.severity == "error"]
        for warning in (f for f in findings if f.severity != "error"):
            self.warn(pytest.PytestWarning(str(warning)))
        if problems or errors:
            raise CheckError([*problems, *errors])

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckError):
            return report.render_findings(self.path, excinfo.value.findings, self.config.rootpath)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # A line number, not None: pytest's Node.warn asserts one, and a warning finding is issued from here.
        return self.path, 0, f"{self.path.parent.name}: manifest"


class ModuleNode(pytest.Collector):
    """One module of a package: its cases, in mock file order."""

    def __init__(self, *, cases, **kwargs):
        super().__init__(**kwargs)
        self.cases = cases

    def collect(self):
        package_dir = self.path.parent
        for mock_path, case in self.cases:
            label = mock_path.relative_to(package_dir).as_posix()
            name = f"{case.function_name}[{label}:{case.index}]"
            # The id is given as a string so that pytest 9.2+ parses the bracket into its structured
            # params, as it does for the ids it stores for --lf; built from the name alone, they differ.
            item = MockCaseItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
                                            mock_path=mock_path, case=case)
            item.add_marker(pytest.mark.faas)
            yield item


class MockCaseItem(pytest.Item):
    """One input set of a mock file, executed on the platform."""

    def __init__(self, *, mock_path: Path, case: MockCase, **kwargs):
        super().__init__(**kwargs)
        self.mock_path = mock_path
        self.case = case

    @property
    def label(self) -> str:
        return f"{self.case.module_name}.{self.name}"

    def runtest(self) -> None:
        loaded: Loaded = self.parent.parent.loaded
        runner = session.case_runner(self.config)
        started = time.perf_counter()
        outcome = runner.run(self.path.parent, loaded.manifest, self.case, self.mock_path, loaded.service)
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": outcome.user_s,
                                             "wall_s": time.perf_counter() - started}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log",
                                    report.user_traceback("\n".join(outcome.logs), self.path.parent))
        from ..cases import check  # noqa: PLC0415

        check(outcome, self.case.expect, runner.placement, self.label)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.path.parent)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.mock_path, None, self.label
