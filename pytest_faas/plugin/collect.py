"""The nodes `pytest --faas` collects: a package.json becomes a `PackageFile` with one `ManifestItem` (every
check of the package's files and code) and, per module, `MockCaseItem`s, one per input set of `mock.json`
and of each `mocks/*.json` beside it.

The folder is read once, by `manifests.loaded.load_folder` (as `faas packages test` reads it), and the
`LoadedPackage` is handed to each node at ``from_parent``, with the case it runs: no node reaches back into
its parent for it.

Ids are ``<path>/package.json::manifest`` and ``<path>/package.json::<module>::<function>[<mock file>:<n>]``:
stable across runs and workers, and ``-k run`` selects every case of ``run``.
"""

from __future__ import annotations

import time

import pytest

from ..errors import CheckError, ExecutionFailed, FaasError
from ..manifests.loaded import LoadedPackage, PackageCase, load_folder
from . import report, session

STATS = "faas"  # the user_properties key that carries a case's figures to the terminal summary


class PackageFile(pytest.File):
    """A package.json that declares modules."""

    def collect(self):
        package = load_folder(self.path)
        if package is None:  # npm's package.json after all
            return
        yield ManifestItem.from_parent(self, name="manifest", package=package)
        for module_name, cases in package.cases_by_module().items():
            yield ModuleNode.from_parent(self, name=module_name, package=package, cases=cases)


class ManifestItem(pytest.Item):
    """Every problem of the package's files and code, reported together; the code is read, never run."""

    def __init__(self, *, package: LoadedPackage, **kwargs):
        super().__init__(**kwargs)
        self.package = package

    def runtest(self) -> None:
        errors = self.package.errors()
        for warning in self.package.warnings():
            self.warn(pytest.PytestWarning(str(warning)))
        if errors:
            raise CheckError(errors)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckError):
            return report.render_findings(self.path, excinfo.value.findings, self.config.rootpath)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # A line number, not None: pytest's Node.warn asserts one, and a warning finding is issued from here.
        return self.path, 0, f"{self.path.parent.name}: manifest"


class ModuleNode(pytest.Collector):
    """One module of a package: its cases, in mock file order."""

    def __init__(self, *, package: LoadedPackage, cases: list[PackageCase], **kwargs):
        super().__init__(**kwargs)
        self.package = package
        self.cases = cases

    def collect(self):
        for case in self.cases:
            name = f"{case.case.function_name}[{case.mock_label}:{case.case.index}]"
            # The id is given as a string so that pytest 9.2+ parses the bracket into its structured
            # params, as it does for the ids it stores for --lf; built from the name alone, they differ.
            item = MockCaseItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
                                            package=self.package, case=case)
            item.add_marker(pytest.mark.faas)
            yield item


class MockCaseItem(pytest.Item):
    """One input set of a mock file, executed on the platform."""

    def __init__(self, *, package: LoadedPackage, case: PackageCase, **kwargs):
        super().__init__(**kwargs)
        self.package = package
        self.case = case

    @property
    def label(self) -> str:
        """``hello_world/default_module.run[mock.json:0]``: the package too, as two packages share names."""
        manifest = self.package.manifest
        package = manifest.name if manifest is not None else self.package.folder.name
        return f"{package}/{self.case.case.module_name}.{self.name}"

    def runtest(self) -> None:
        runner = session.case_runner(self.config)
        started = time.perf_counter()
        outcome = runner.run(self.package, self.case)
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": outcome.user_s,
                                             "wall_s": time.perf_counter() - started,
                                             "kept": session.kept_dir(self.config)}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log",
                                    report.user_traceback("\n".join(outcome.logs), self.package.folder))
        from ..cases import check  # noqa: PLC0415

        check(outcome, self.case.case.expect, runner.placement, self.label)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.package.folder)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.case.mock_file, None, self.label
