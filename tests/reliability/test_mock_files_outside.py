"""Every file a mock file names stays inside the package folder: an item's ``file`` reached through '..' or a
symlink in ``mocks/`` is a located finding, as an artifact's was (one rule, ``manifests/mock.py``).

Before, only ``artifacts`` were held to the package folder: ``items[].file: "../../secret.txt"`` was uploaded
into the platform as an item, and in docker carried host files into the container.
"""

from __future__ import annotations

import json
import os

from faas_code import simple_package

from pytest_faas.manifests.loaded import load_folder
from pytest_faas.manifests.pipeline_mock import load_pipeline_mock
from pytest_faas.errors import ManifestError, ManifestErrors

import pytest

BODY = "\ndef run(self, item):\n    return item.name\n"


def _errors(problem) -> list[ManifestError]:
    return list(getattr(problem, "errors", [problem]))


def test_item_files_out_of_the_package_folder_are_located_findings(tmp_path):
    (tmp_path / "secret.txt").write_text("a key")
    folder = simple_package(tmp_path / "repo" / "pkg", "pkg", BODY, [("run", [("item", "Item")])])
    (folder / "cat.jpg").write_bytes(b"\xff\xd8 an image of the package's own")
    (folder / "mocks").mkdir()
    os.symlink(tmp_path / "secret.txt", folder / "mocks" / "linked.txt")
    (folder / "mocks" / "out.json").write_text(json.dumps({
        "inputs": [[{"name": "item", "value": {"item_id": "a"}}], [{"name": "item", "value": {"item_id": "d"}}]],
        "items": [{"id": "a", "file": "../../../secret.txt"}, {"id": "b", "file": "linked.txt"},
                  {"id": "c", "file": "../cat.jpg"}],
        "cases": [{}, {"items": [{"id": "d", "file": "../../../secret.txt"}]}]}))
    package = load_folder(folder / "package.json")
    [problem] = package.problems
    found = {(e.file, e.json_path, str(e.found)) for e in _errors(problem)}
    mock = str(folder / "mocks" / "out.json")
    assert found == {(mock, "items[0].file", "../../../secret.txt"), (mock, "items[1].file", "linked.txt"),
                     (mock, "cases[1].items[0].file", "../../../secret.txt")}
    assert all("a file inside the package folder" in e.render() for e in _errors(problem))
    assert package.cases() == []  # the mock file is not read into cases: nothing of it is uploaded


def test_a_pipeline_mock_item_file_outside_the_template_folder_is_a_finding(tmp_path):
    (tmp_path / "secret.txt").write_text("a key")
    (tmp_path / "flows").mkdir()
    path = tmp_path / "flows" / "flow.pipeline.mock.json"
    path.write_text(json.dumps({"inputs": [{"name": "item", "value": {"item_id": "a"}}],
                                "items": [{"id": "a", "file": "../secret.txt"}]}))
    with pytest.raises((ManifestError, ManifestErrors)) as caught:
        load_pipeline_mock(path)
    [error] = _errors(caught.value)
    assert (error.file, error.json_path, str(error.found)) == (str(path), "items[0].file", "../secret.txt")
