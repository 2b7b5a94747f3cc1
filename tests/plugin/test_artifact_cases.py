"""A mock file's artifacts: kept where dtlpy's artifacts repository looks, found by the function with dtlpy.

docs/formats.md#mockjson-and-mocksjson (`artifacts`), docs/platform.md#artifacts.
"""

from __future__ import annotations

import json
import uuid

from faas_code import simple_package

from pytest_faas.cases import CaseRunner, run as run_case
from pytest_faas.errors import ManifestError
from pytest_faas.manifests.loaded import load_folder

BODY = '''
def run(self, name):
    import tempfile
    package = dl.packages.get(package_name=self.package_name)  # by name alone: dtlpy sends projectId: null
    mine = package.artifacts.download(artifact_name="model.txt", local_path=tempfile.mkdtemp())
    theirs = package.project.artifacts.get(artifact_name=name, package_name="shared-models")
    return [open(mine).read(), theirs.download(save_locally=False).read().decode()]

def __init__(self, package_name):
    self.package_name = package_name
'''


def _package(tmp_path, name: str, artifacts: list) -> tuple:
    folder = simple_package(tmp_path / name, name, BODY, [("run", [("name", "String")])],
                            init_inputs=[("package_name", "String")])
    (folder / "model.txt").write_text("weights of " + name)
    (folder / "models").mkdir()
    (folder / "models" / "other.txt").write_text("shared weights")
    (folder / "mocks").mkdir()
    (folder / "mocks" / "models.json").write_text(json.dumps({
        "init_params": {"package_name": name}, "inputs": [{"name": "name", "value": "other.txt"}],
        "artifacts": artifacts}))
    return folder, load_folder(folder / "package.json")


def test_the_function_downloads_the_artifacts_its_mock_file_provides(faas_platform, tmp_path):
    name = f"art-{uuid.uuid4().hex[:8]}"
    folder, package = _package(tmp_path, name, [{"file": "model.txt"},
                                                {"package": "shared-models", "file": "models/other.txt"}])
    assert package.errors() == []
    outcome = run_case(CaseRunner(faas_platform, "thread"), package, package.cases()[0])
    assert outcome.status == "success", outcome.execution["latestStatus"]
    assert outcome.execution["output"] == [f"weights of {name}", "shared weights"]


def test_a_missing_artifact_file_is_a_located_finding(tmp_path):
    folder, package = _package(tmp_path, "art-missing", [{"file": "model.txt"}, {"file": "weights/best.pt"},
                                                          {"file": "/abs/model.pt"}])
    [problem] = package.problems
    found = {(e.json_path, str(e.found)) for e in getattr(problem, "errors", [problem])}
    assert ("artifacts[1].file", "weights/best.pt") in found
    assert any(path == "artifacts[2].file" for path, _ in found)
    assert all(isinstance(e, ManifestError) and e.file.endswith("models.json")
               for e in getattr(problem, "errors", [problem]))


def test_an_artifact_outside_the_package_folder_is_a_located_finding(tmp_path):
    (tmp_path / "secret.txt").write_text("not the package's")
    folder, _ = _package(tmp_path, "art-outside", [])
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "inner.txt").symlink_to(folder / "model.txt")  # a link that stays inside is the package's own
    mock = folder / "mocks" / "models.json"
    document = json.loads(mock.read_text())
    document["artifacts"] = [{"file": "../secret.txt"}, {"file": "link.txt"}, {"file": "inner.txt"},
                             {"file": "models/../model.txt"}]
    mock.write_text(json.dumps(document))
    [problem] = load_folder(folder / "package.json").problems
    errors = getattr(problem, "errors", [problem])
    assert {(e.json_path, e.found) for e in errors} == {("artifacts[0].file", "../secret.txt"),
                                                        ("artifacts[1].file", "link.txt")}
    assert all("copy the file into the package folder" in e.hint for e in errors)
