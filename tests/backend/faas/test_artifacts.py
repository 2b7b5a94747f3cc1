"""Artifacts, with the real dtlpy: kept in the project's Binaries dataset, by package, execution or folder.

docs/platform.md#artifacts. dtlpy's artifacts repository is items of the Binaries dataset under
``/artifacts/packages/<name>/`` or ``/artifacts/executions/<id>/``; the platform must find that dataset,
list by ``filename`` glob and serve the bytes.
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.bin").write_bytes(b"weights v1")
    (tmp_path / "labels.txt").write_text("cat\ndog\n")
    return tmp_path


def test_upload_list_get_and_download_by_package(faas_project, here):
    name = f"model-{uuid.uuid4().hex[:8]}"
    artifacts = faas_project.artifacts
    model = artifacts.upload(filepath=str(here / "model.bin"), package_name=name)
    artifacts.upload(filepath=str(here / "labels.txt"), package_name=name)

    assert model.filename == f"/artifacts/packages/{name}/model.bin"
    assert sorted(a.name for a in artifacts.list(package_name=name)) == ["labels.txt", "model.bin"]
    assert artifacts.get(artifact_name="labels.txt", package_name=name).filename.endswith("/labels.txt")
    assert artifacts.get(artifact_id=model.id).name == "model.bin"
    one = artifacts.download(artifact_name="model.bin", package_name=name, local_path=str(here / "one"))
    assert open(one, "rb").read() == b"weights v1"
    artifacts.download(package_name=name, local_path=str(here / "all"))
    assert sorted(p.name for p in (here / "all").iterdir()) == ["labels.txt", "model.bin"]
    with pytest.raises(Exception, match="Artifact not found"):
        artifacts.get(artifact_name="nope.bin", package_name=name)


def test_overwrite_replaces_the_bytes_and_executions_have_their_own_folder(faas_project, here):
    name = f"model-{uuid.uuid4().hex[:8]}"
    artifacts = faas_project.artifacts
    first = artifacts.upload(filepath=str(here / "model.bin"), package_name=name)
    (here / "model.bin").write_bytes(b"weights v2")
    again = artifacts.upload(filepath=str(here / "model.bin"), package_name=name, overwrite=True)
    assert again.id == first.id
    path = artifacts.download(artifact_id=first.id, local_path=str(here / "v2"))
    assert open(path, "rb").read() == b"weights v2"

    run = f"exec-{uuid.uuid4().hex[:8]}"
    artifacts.upload(filepath=str(here / "labels.txt"), execution_id=run)
    assert [a.filename for a in artifacts.list(execution_id=run)] == [f"/artifacts/executions/{run}/labels.txt"]
    assert artifacts.list(package_name=name)[0].filename == f"/artifacts/packages/{name}/model.bin"


def test_a_folder_keeps_its_name_below_the_package(faas_project, here):
    name = f"model-{uuid.uuid4().hex[:8]}"
    weights = here / "weights"
    weights.mkdir()
    (weights / "a.bin").write_bytes(b"a")
    (weights / "b.bin").write_bytes(b"b")
    list(faas_project.artifacts.upload(filepath=str(weights), package_name=name) or [])

    binaries = faas_project.datasets._get_binaries_dataset()
    stored = sorted(i.filename for i in binaries.items.list().all()
                    if i.filename.startswith(f"/artifacts/packages/{name}/"))
    assert stored == [f"/artifacts/packages/{name}/weights/a.bin", f"/artifacts/packages/{name}/weights/b.bin"]
    assert faas_project.artifacts.list(package_name=name) == []  # one level: a `*` does not cross `/`


def test_package_artifacts_and_a_package_found_by_name_without_a_project(faas_dl, faas_project, here):
    name = f"pkg-{uuid.uuid4().hex[:8]}"
    (here / "src").mkdir()
    faas_dl.packages.generate(name=name, src_path=str(here / "src"))
    package = faas_project.packages.push(src_path=str(here / "src"))
    package.artifacts.upload(filepath=str(here / "model.bin"))
    assert [a.filename for a in package.artifacts.list()] == [f"/artifacts/packages/{name}/model.bin"]

    found = faas_dl.packages.get(package_name=name)  # dtlpy sends projectId: null
    assert found.id == package.id
    path = found.artifacts.download(artifact_name="model.bin", local_path=str(here / "got"))
    assert open(path, "rb").read() == b"weights v1"
