"""The nodes `pytest --faas` collects from an app: a dataloop.json becomes an `AppFile` with one
`AppManifestItem` (every check of dataloop.json and of the code it names) and, per module, one case per input
set of the mock files beside it (``mock.json``, ``mocks/*.json``), as for a package.json.

Ids are ``<path>/dataloop.json::manifest`` and ``<path>/dataloop.json::<module>::<function>[<mock file>:<n>]``.
The cases run on the installed app (`pytest_faas.app_cases`): published and installed as its author would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..errors import CheckError, FaasError, ManifestError, ManifestErrors
from ..manifests import checks
from ..manifests.app import AppManifest, load_app
from ..manifests.mock import MockFile, load_mock
from . import report, session
from .collect import STATS, ManifestItem, MockCaseItem, ModuleNode


@dataclass
class LoadedApp:
    """What the app's files say, and what could not be read."""

    app: AppManifest | None
    mocks: list[tuple[Path, MockFile]]
    problems: list[FaasError]


def load(path: Path) -> LoadedApp:
    problems: list[FaasError] = []
    try:
        app = load_app(path)
    except (ManifestError, ManifestErrors) as exc:
        app = None
        problems.append(exc)
    mocks = []
    for mock_path in [path.parent / "mock.json", *sorted((path.parent / "mocks").glob("*.json"))]:
        if mock_path.is_file():
            try:
                mocks.append((mock_path, load_mock(mock_path)))
            except (ManifestError, ManifestErrors) as exc:
                problems.append(exc)
    return LoadedApp(app, mocks, problems)


class AppFile(pytest.File):
    """A dataloop.json."""

    def collect(self):
        self.loaded = load(self.path)
        yield AppManifestItem.from_parent(self, name="manifest")
        if self.loaded.app is None:
            return
        by_module: dict[str, list] = {}
        for mock_path, mock in self.loaded.mocks:
            for case in mock.cases():
                by_module.setdefault(case.module_name, []).append((mock_path, case))
        for module_name, cases in by_module.items():
            yield AppModuleNode.from_parent(self, name=module_name, cases=cases)


class AppManifestItem(ManifestItem):
    """Every problem of dataloop.json, its mock files and its code, reported together; the code is read, never run."""

    def runtest(self) -> None:
        loaded: LoadedApp = self.parent.loaded
        findings = []
        if loaded.app is not None:
            findings += checks.check_app(self.path.parent, loaded.app)
            for _, mock in loaded.mocks:
                findings += checks.check_app_mock(loaded.app, mock)
        errors = [f for f in findings if f.severity == "error"]
        for warning in (f for f in findings if f.severity != "error"):
            self.warn(pytest.PytestWarning(str(warning)))
        if loaded.problems or errors:
            raise CheckError([*loaded.problems, *errors])

    def reportinfo(self):
        # Line 0, not None: pytest's Node.warn needs a line number to attach a warning to.
        return self.path, 0, f"{self.path.parent.name}: manifest"


class AppModuleNode(ModuleNode):
    """One module of an app: its cases, in mock file order."""

    def collect(self):
        for mock_path, case in self.cases:
            label = mock_path.relative_to(self.path.parent).as_posix()
            name = f"{case.function_name}[{label}:{case.index}]"
            item = AppCaseItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
                                           mock_path=mock_path, case=case)
            item.add_marker(pytest.mark.faas)
            yield item


class AppCaseItem(MockCaseItem):
    """One input set of a mock file, executed on the installed app's service of its module."""

    def runtest(self) -> None:
        from ..app_cases import AppCases  # noqa: PLC0415 (dtlpy and the platform: only when a case runs)
        from ..cases import check  # noqa: PLC0415

        loaded: LoadedApp = self.parent.parent.loaded
        runner = session.case_runner(self.config)
        started = time.perf_counter()
        outcome = AppCases.of(runner).run(self.path.parent, loaded.app, self.case, self.mock_path)
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": outcome.user_s,
                                             "wall_s": time.perf_counter() - started}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log",
                                    report.user_traceback("\n".join(outcome.logs), self.path.parent))
        check(outcome, self.case.expect, runner.placement, self.label)
