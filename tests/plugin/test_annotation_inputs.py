"""A mock file's annotations with ids, passed as `Annotation` inputs; the function reads them with dtlpy."""

from __future__ import annotations

import json

import pytest
from faas_code import simple_package

from pytest_faas import cases
from pytest_faas.cases import CaseRunner
from pytest_faas.errors import BadRequest
from pytest_faas.manifests.loaded import load_folder

BODY = "def run(self, annotation):\n    return [annotation.label, annotation.item_id, annotation.type]\n"


def test_annotation_input_named_by_its_mock_id(faas_platform, tmp_path):
    folder = simple_package(tmp_path / "ann", "ann", BODY, [("run", [("annotation", "Annotation")])])
    box = {"id": "ann-box", "type": "box", "label": "cat",
           "coordinates": [{"x": 1, "y": 1, "z": 0}, {"x": 4, "y": 4, "z": 0}]}
    mock = {"items": [{"id": "pic-1", "annotations": [box, {"id": "ann-class", "type": "class", "label": "dog"}]}],
            "inputs": [[{"name": "annotation", "value": {"annotation_id": "ann-box"}}],
                       [{"name": "annotation", "value": "ann-class"}]]}
    (folder / "mock.json").write_text(json.dumps(mock))
    package = load_folder(folder / "package.json")
    runner = CaseRunner(faas_platform, "thread")
    first, second = package.cases()
    outcome = cases.run(runner, package, first)
    assert (outcome.status, outcome.execution["output"]) == ("success", ["cat", "pic-1", "box"]), outcome.execution
    # Seeding again (the next case) replaces the annotations with the same ids instead of refusing them.
    outcome = cases.run(runner, package, second)
    assert (outcome.status, outcome.execution["output"]) == ("success", ["dog", "pic-1", "class"]), outcome.execution
    assert faas_platform.backend.annotations.get("ann-box")["label"] == "cat"


def test_an_annotation_id_already_taken_is_refused(faas_platform):
    backend = faas_platform.backend
    project = backend.projects.create_project("ann-ids-taken")
    dataset = backend.seeder.dataset(project["id"], "d")
    item = backend.seeder.item(dataset["id"], "/a.png", b"a", annotations=[{"id": "taken-1", "type": "class",
                                                                           "label": "x"}])
    with pytest.raises(BadRequest, match="taken-1"):
        backend.annotations.upload(item["id"], [{"id": "taken-1", "type": "class", "label": "y"}], keep_ids=True)
    assert backend.annotations.get("taken-1")["label"] == "x"
    assert item["annotationsCount"] == 1
