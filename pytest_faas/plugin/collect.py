"""The nodes `pytest --faas` collects: a package.json becomes a `PackageFile` with one `ManifestItem` (every
check of the package's files and code) and, per module, `MockCaseItem`s, one per input set of `mock.json`
and of each `mocks/*.json` beside it.

The folder is read once, by `manifests.loaded.load_folder` (as `faas packages test` reads it), and the
`LoadedPackage` is handed to each node at ``from_parent``, with the case it runs: no node reaches back into
its parent for it.

Ids are ``<path>/package.json::manifest`` and ``<path>/package.json::<module>::<function>[<mock file>:<n>]``:
stable across runs and workers, and ``-k run`` selects every case of ``run``. An app's pipeline templates
follow its modules, under ``<path>/dataloop.json::pipelineTemplates`` (see `collect_pipeline`).
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from ..errors import CheckError, ExecutionFailed, FaasError
from ..manifests.loaded import LoadedPackage, PackageCase, load_folder
from . import report, session

class PackageFile(pytest.File):
    """A package.json that declares modules."""

    def collect(self):
        package = load_folder(self.path, stop=_ceiling(self.config, self.path))
        if package is None:  # npm's package.json after all
            return
        yield ManifestItem.from_parent(self, name="manifest", package=package)
        for module_name, cases in package.cases_by_module().items():
            yield ModuleNode.from_parent(self, name=module_name, package=package, cases=cases)
        if package.is_app and package.manifest is not None and package.manifest.components.pipeline_templates:
            from .collect_pipeline import AppTemplates  # noqa: PLC0415 (it builds on this module)

            yield AppTemplates.from_parent(self, name="pipelineTemplates", package=package)


def _ceiling(config: pytest.Config, path) -> object:
    """The highest folder where an app's ``.dataloop.cfg`` is looked for: the rootdir, or the folder pytest
    was started in when that is higher (``pytest --faas nodes/hello`` from a repository with no ini file)."""
    above = [folder for folder in (config.rootpath, config.invocation_params.dir) if path.is_relative_to(folder)]
    return min(above, key=lambda folder: len(folder.parts)) if above else None


class ManifestItem(pytest.Item):
    """Every problem of the package's files and code, reported together; the code is read, never run."""

    leaves_cases_running = True  # it never reaches the platform: cases submitted ahead go on (plugin/ahead.py)

    def __init__(self, *, package: LoadedPackage, **kwargs):
        super().__init__(**kwargs)
        self.package = package

    def runtest(self) -> None:
        package = self.package
        added = self.ihook.pytest_faas_manifest_findings(package_dir=package.folder, manifest=package.manifest,
                                                         service=package.service, mocks=list(package.mocks)) \
            if package.manifest is not None else []
        extra = [finding for found in added for finding in (found or [])]
        errors = [*package.errors(), *(f for f in extra if f.severity == "error")]
        warnings = [*package.warnings(), *(f for f in extra if f.severity != "error")]
        for warning in warnings:
            self.warn(pytest.PytestWarning(str(warning)))
        self.found = (errors, warnings)  # what --faas-html lists under the package
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

    leaves_cases_running = True  # plugin/ahead.py decides whether its case waits for those submitted ahead
    runs_on_platform = True  # the platform starts before the first of these (plugin.pytest_runtest_protocol)

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
        from .. import cases  # noqa: PLC0415 (the platform's client and dtlpy: at run time only)
        from . import ahead  # noqa: PLC0415 (as cases)

        runner = session.case_runner(self.config)
        started = time.perf_counter()
        finished = self.ihook.pytest_faas_execution_finished
        # The HTML report shows every case's log, not only the failures'.
        all_logs = bool(finished.get_hookimpls()) or bool(session.settings(self.config).html)
        outcome = self.case_outcome = ahead.register(self.config).run(self, all_logs=all_logs)
        # A case submitted ahead has its own time (CaseOutcome.wall_s), not its test's wait for it.
        wall_s = getattr(outcome, "wall_s", None) or time.perf_counter() - started
        self.user_properties.append((report.STATS, {"status": outcome.status, "user_s": outcome.user_s,
                                             "wall_s": wall_s, "kept": session.kept_dir(self.config)}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log",
                                    report.user_traceback("\n".join(outcome.logs), self.package.folder))
        finished(item=self, status=outcome.status, output=outcome.execution.get("output"),
                 execution=outcome.execution, logs=list(outcome.logs))
        try:
            cases.check(outcome, self.case.case.expect, runner.placement, self.label)
        except ExecutionFailed as failed:
            failed.note = ahead.concurrency_note(runner, outcome.execution) if outcome.execution else None
            raise

    def shaped_case(self) -> PackageCase:
        """The case with the entities ``pytest_faas_case_entities`` implementations added or changed."""
        mock_case = self.case.case
        items, datasets = list(mock_case.items), list(mock_case.datasets)
        self.ihook.pytest_faas_case_entities(item=self, case=mock_case, items=items, datasets=datasets)
        shaped = dataclasses.replace(mock_case, items=tuple(items), datasets=tuple(datasets))
        return dataclasses.replace(self.case, case=shaped)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.package.folder,
                                            session.settings(self.config).timeout_s)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        if isinstance(excinfo.value, pytest.fail.Exception):  # pytest.fail() in a pytest_faas_* hook
            return f"{self.label}: {excinfo.value.msg}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.case.mock_file, None, self.label
