"""Pipeline templates under `pytest --faas`: a ``<name>.pipeline.json`` (the JSON of ``pipeline.to_json()``)
with its ``<name>.pipeline.mock.json`` becomes one `PipelineCaseItem` per input set.

Ids are ``<path>/<name>.pipeline.json::<pipeline name>[<mock file>:<n>]``. The packages the template's
function nodes name are pushed from the folders beside it and deployed under the service names the nodes
give; the pipeline is made and installed once per run, and each case executes it on its own inputs.
"""

from __future__ import annotations

import time

import pytest

from . import report, session
from .report import STATS
from ..errors import ExecutionFailed, FaasError, ManifestError, ManifestErrors
from ..manifests.pipeline_mock import load_pipeline_mock, mock_path_of


class PipelineTemplateFile(pytest.File):
    """A pipeline template and the mock file beside it."""

    def collect(self):
        mock_path = mock_path_of(self.path)
        if not mock_path.is_file():
            yield TemplateProblem.from_parent(self, name="mock", problem=FaasError(
                f"{self.path.name}: no mock file; write the inputs to run it with in {mock_path.name}"))
            return
        try:
            mock, expectations = load_pipeline_mock(mock_path)
        except (ManifestError, ManifestErrors) as exc:
            yield TemplateProblem.from_parent(self, name="mock", problem=exc)
            return
        stem = self.path.name.removesuffix(".pipeline.json")
        for case, expect in zip(mock.cases(), expectations):
            name = f"{stem}[{mock_path.name}:{case.index}]"
            item = PipelineCaseItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
                                                mock_path=mock_path, case=case, expect=expect)
            item.add_marker(pytest.mark.faas)
            yield item


class TemplateProblem(pytest.Item):
    """A template whose mock file is missing or wrong: reported as one failing item, every problem in it."""

    def __init__(self, *, problem: Exception, **kwargs):
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        raise self.problem

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: mock"


class PipelineCaseItem(pytest.Item):
    """One input set of a pipeline template's mock file, run through the whole pipeline."""

    def __init__(self, *, mock_path, case, expect, **kwargs):
        super().__init__(**kwargs)
        self.mock_path = mock_path
        self.case = case
        self.expect = expect

    @property
    def label(self) -> str:
        return f"pipeline {self.name}"

    def runtest(self) -> None:
        from ..pipelinecases import TemplateRunner, check_pipeline  # noqa: PLC0415

        runner = session.case_runner(self.config)
        started = time.perf_counter()
        outcome = TemplateRunner(runner, self.path).run(self.case, self.mock_path)
        self.user_properties.append((STATS, {"status": outcome.status, "user_s": 0.0,
                                             "wall_s": time.perf_counter() - started}))
        if outcome.logs:
            self.add_report_section("call", "faas execution log", "\n".join(outcome.logs))
        check_pipeline(outcome, self.expect, runner.placement, self.label)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExecutionFailed):
            return report.render_execution(excinfo.value, self.label, self.path.parent)
        if isinstance(excinfo.value, FaasError):
            return f"{self.label}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.mock_path, None, self.label
