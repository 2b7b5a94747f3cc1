"""The nodes `pytest --faas` collects: a package.json becomes a `PackageFile` with one `ManifestItem` (every
check of the package's files and code) and, per module, `MockCaseItem`s, one per input set of `mock.json`
and of each `mocks/*.json` beside it.

Ids are ``<path>/package.json::manifest`` and ``<path>/package.json::<module>::<function>[<mock file>:<n>]``:
stable across runs and workers, and ``-k run`` selects every case of ``run``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..manifests import checks
from . import report, session
from ..errors import CheckError, ExecutionFailed, FaasError, ManifestError, ManifestErrors
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


def _load(path: Path) -> Loaded | None:
    problems: list[FaasError] = []
    try:
        manifest = load_package(path)
    except (ManifestError, ManifestErrors) as exc:
        manifest = None
        problems.append(exc)
    else:
        if manifest is None:  # npm's package.json: not ours
            return None
    service = None
    service_path = path.parent / "service.json"
    if service_path.is_file():
        try:
            service = load_service(service_path)
        except (ManifestError, ManifestErrors) as exc:
            problems.append(exc)
    mocks = []
    for mock_path in [path.parent / "mock.json", *sorted((path.parent / "mocks").glob("*.json"))]:
        if mock_path.is_file():
            try:
                mocks.append((mock_path, load_mock(mock_path)))
            except (ManifestError, ManifestErrors) as exc:
                problems.append(exc)
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
            for added in self.ihook.pytest_faas_manifest_findings(package_dir=self.path.parent,
                                                                  manifest=loaded.manifest,
                                                                  service=loaded.service, mocks=list(loaded.mocks)):
                findings += list(added or [])
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
        return self.path, None, f"{self.path.parent.name}: manifest"


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
        case = self._shaped_case()
        finished = self.ihook.pytest_faas_execution_finished
        outcome = runner.run(self.path.parent, loaded.manifest, case, self.mock_path, loaded.service,
                             all_logs=bool(finished.get_hookimpls()))
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": outcome.user_s,
                                             "wall_s": time.perf_counter() - started}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log",
                                    report.user_traceback("\n".join(outcome.logs), self.path.parent))
        finished(item=self, status=outcome.status, output=outcome.execution.get("output"),
                 execution=outcome.execution, logs=list(outcome.logs))
        from ..cases import check  # noqa: PLC0415

        check(outcome, case.expect, runner.placement, self.label)

    def _shaped_case(self) -> MockCase:
        """The case with the entities ``pytest_faas_case_entities`` implementations added or changed."""
        items, datasets = list(self.case.items), list(self.case.datasets)
        self.ihook.pytest_faas_case_entities(item=self, case=self.case, items=items, datasets=datasets)
        return dataclasses.replace(self.case, items=tuple(items), datasets=tuple(datasets))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.path.parent)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        if isinstance(excinfo.value, pytest.fail.Exception):  # pytest.fail() in a pytest_faas_* hook
            return f"{self.label}: {excinfo.value.msg}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.mock_path, None, self.label
