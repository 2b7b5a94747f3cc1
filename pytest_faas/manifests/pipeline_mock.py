"""The mock file of a pipeline template: input sets for a whole pipeline, and what each must end with.

A template ``<name>.pipeline.json`` (what ``pipeline.to_json()`` gives) is run by ``pytest --faas`` with the
mock file beside it, ``<name>.pipeline.mock.json``. Its keys are those of a package's mock.json (``inputs``,
``items``, ``datasets``, ``cases``; see :mod:`.mock`), the inputs going to the pipeline's start node, with
a pipeline's expectation instead of a function's::

    {
      "inputs": [[{"name": "item", "value": "cat-1"}], [{"name": "item", "value": "dog-1"}]],
      "items": [{"id": "cat-1", "name": "cat.png"}, {"id": "dog-1", "name": "dog.png"}],
      "expect": {"status": "success"},
      "cases": [{"expect": {"nodes": ["classify", "cats"]}}, {"expect": {"nodes": ["classify", "dogs"]}}]
    }

- ``expect.status``: the pipeline execution's end, ``success`` (default) or ``failed``.
- ``expect.nodes``: the names of the nodes the input passed through, in the order each was first reached.
- ``expect.message``: a substring of a failed pipeline execution's message (it names the failed node).
- ``expect.items``, ``expect.annotations``: what the pipeline must leave on the platform (see `mock_state`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..errors import ManifestError, ManifestErrors
from .jsondoc import one_of, raise_all, read_document, validate_document
from .mock import MockFile, file_problems
from .mock_state import ExpectedState

TEMPLATE_SUFFIX = ".pipeline.json"
MOCK_SUFFIX = ".pipeline.mock.json"


class PipelineExpectation(ExpectedState):
    """What one input set's pipeline execution must end with (and `mock_state`'s items and annotations)."""

    status: Annotated[str, AfterValidator(one_of(("success", "failed")))] = "success"
    nodes: list[str] | None = None
    message: str | None = None

    def merged(self, override: PipelineExpectation | None) -> PipelineExpectation:
        if override is None:
            return self
        data = self.model_dump(include=self.model_fields_set)
        data.update(override.model_dump(include=override.model_fields_set))
        return PipelineExpectation.model_validate(data)


class _CaseExpectation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    expect: PipelineExpectation | None = None


class _Expectations(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    expect: PipelineExpectation | None = None
    case_specs: list[_CaseExpectation] = Field(default_factory=list, alias="cases")


def mock_path_of(template: Path) -> Path:
    return template.with_name(template.name[: -len(TEMPLATE_SUFFIX)] + MOCK_SUFFIX)


def app_template_mock_path(app_dir: Path, name: Any) -> Path | None:
    """The mock file of an app's pipeline template: ``<name>.pipeline.mock.json`` beside dataloop.json; None
    when the template's name cannot be a file name (empty, not a string, a path)."""
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\\0") or name in (".", ".."):
        return None
    return Path(app_dir) / (name + MOCK_SUFFIX)


def load_pipeline_mock(path: Path | str) -> tuple[MockFile, list[PipelineExpectation]]:
    """The input sets (as a mock.json's) and one expectation per input set.

    Raises:
        ManifestError: one problem. ManifestErrors: several, every one of the file at once.
    """
    document = read_document(path)
    errors: list[ManifestError] = []
    expectations = None
    try:
        expectations = validate_document(_Expectations, document, path)
    except ManifestError as exc:
        errors.append(exc)
    except ManifestErrors as exc:
        errors += exc.errors
    stripped: dict[str, Any] = {k: v for k, v in document.items() if k != "expect"}
    if isinstance(stripped.get("cases"), list):
        stripped["cases"] = [{k: v for k, v in c.items() if k != "expect"} if isinstance(c, dict) else c
                             for c in stripped["cases"]]
    mock: MockFile = validate_document(MockFile, stripped, path, errors)
    mock._source = Path(path)
    # The template's folder is the package folder here: an item file is the template's own, never outside it.
    raise_all(file_problems(mock, str(path), Path(path).parent))
    default = expectations.expect or PipelineExpectation()
    specs = expectations.case_specs
    return mock, [default.merged(specs[n].expect if n < len(specs) else None) for n in range(len(mock.input_sets))]
