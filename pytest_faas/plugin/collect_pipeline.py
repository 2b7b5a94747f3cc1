"""Pipeline templates under `pytest --faas`: a ``<name>.pipeline.json`` (the JSON of ``pipeline.to_json()``)
with its ``<name>.pipeline.mock.json`` becomes one `PipelineCaseItem` per input set; so does each entry of an
app's ``components.pipelineTemplates``, with the mock file ``<template name>.pipeline.mock.json`` beside
dataloop.json.

Ids are ``<path>/<name>.pipeline.json::<name>[<mock file>:<n>]`` and
``<path>/dataloop.json::pipelineTemplates::<template name>[<mock file>:<n>]``. The packages a file template's
function nodes name are pushed from the folders beside it and deployed under the service names the nodes
give; an app's template runs on the app as its other cases install it. The pipeline is made and installed
once per run, and each case executes it on its own inputs.
"""

from __future__ import annotations

import time

import pytest

from . import report, session
from .report import STATS
from ..errors import ExecutionFailed, FaasError, ManifestError, ManifestErrors
from ..manifests.pipeline_mock import app_template_mock_path, load_pipeline_mock, mock_path_of


class PipelineTemplateFile(pytest.File):
    """A pipeline template and the mock file beside it."""

    def collect(self):
        mock_path = mock_path_of(self.path)
        if not mock_path.is_file():
            yield TemplateProblem.from_parent(self, name="mock", problem=FaasError(
                f"{self.path.name}: no mock file; write the inputs to run it with in {mock_path.name}"))
            return
        stem = self.path.name.removesuffix(".pipeline.json")
        path = self.path
        yield from _cases(self, stem, mock_path, lambda runner: _runner().from_file(runner, path))


class AppTemplates(pytest.Collector):
    """An app's ``components.pipelineTemplates``: each one's cases, from the mock file named after it."""

    def __init__(self, *, package, **kwargs):
        super().__init__(**kwargs)
        self.package = package

    def collect(self):
        app = self.package.manifest
        for index, template in enumerate(app.components.pipeline_templates):
            name = template.get("name")
            mock_path = app_template_mock_path(self.package.folder, name)
            label = name if isinstance(name, str) and name.strip() else f"pipelineTemplates[{index}]"
            if mock_path is None:
                yield TemplateProblem.from_parent(self, name=label, problem=FaasError(
                    f"{self.path}: components.pipelineTemplates[{index}].name: a template's name must be a file "
                    f"name, as its cases read '<name>.pipeline.mock.json' beside dataloop.json (found {name!r})"))
            elif not mock_path.is_file():
                yield TemplateProblem.from_parent(self, name=label, skip=(
                    f"pipeline template {name!r} of {self.path.name} has no mock file: write the input sets to "
                    f"run it with in {mock_path.name} beside dataloop.json"))
            else:
                yield from _cases(self, name, mock_path, lambda runner, index=index: _runner().from_app(
                    runner, self.package.folder, app, index))


def _runner():
    from ..cases.pipelines import TemplateRunner  # noqa: PLC0415 (loads the platform's client: at run time only)

    return TemplateRunner


def _cases(parent, stem: str, mock_path, make_runner):
    """One `PipelineCaseItem` per input set of the mock file, or one failing item with all its problems."""
    try:
        mock, expectations = load_pipeline_mock(mock_path)
    except (ManifestError, ManifestErrors) as exc:
        yield TemplateProblem.from_parent(parent, name=f"{stem}[{mock_path.name}]", problem=exc)
        return
    for case, expect in zip(mock.cases(), expectations):
        name = f"{stem}[{mock_path.name}:{case.index}]"
        item = PipelineCaseItem.from_parent(parent, name=name, nodeid=f"{parent.nodeid}::{name}",
                                            mock_path=mock_path, case=case, expect=expect, make_runner=make_runner)
        item.add_marker(pytest.mark.faas)
        yield item


class TemplateProblem(pytest.Item):
    """A template whose mock file is missing or wrong: reported as one failing item, every problem in it (or
    skipped, with the reason, for an app's template that has no mock file yet)."""

    def __init__(self, *, problem: Exception | None = None, skip: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.problem = problem
        self.skip = skip

    def runtest(self) -> None:
        if self.skip is not None:
            pytest.skip(self.skip)
        raise self.problem

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: {self.name}"


class PipelineCaseItem(pytest.Item):
    """One input set of a pipeline template's mock file, run through the whole pipeline."""

    runs_on_platform = True  # the platform starts before the first of these (plugin.pytest_runtest_protocol)

    def __init__(self, *, mock_path, case, expect, make_runner, **kwargs):
        super().__init__(**kwargs)
        self.mock_path = mock_path
        self.case = case
        self.expect = expect
        self.make_runner = make_runner  # CaseRunner -> TemplateRunner

    @property
    def label(self) -> str:
        return f"pipeline {self.name}"

    def runtest(self) -> None:
        from ..cases.pipelines import check_pipeline  # noqa: PLC0415

        runner = session.case_runner(self.config)
        started = time.perf_counter()
        outcome = self.case_outcome = self.make_runner(runner).run(self.case, self.mock_path, expect=self.expect)
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": 0.0,
                                             "wall_s": time.perf_counter() - started,
                                             "kept": session.kept_dir(self.config)}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log", "\n".join(outcome.logs))
        check_pipeline(outcome, self.expect, runner.placement, self.label)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.path.parent,
                                            session.settings(self.config).timeout_s)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.mock_path, None, self.label
