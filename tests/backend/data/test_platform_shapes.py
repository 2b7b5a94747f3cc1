"""Entity JSON as the platform answers it: what dtlpy reads back and writes out is the same document.

dtlpy's own suite checks `Entity.from_json(answer).to_json() == answer` for projects, datasets, items,
packages, services and annotations; extra or missing keys (an item's ``projectId``, a service's empty
``mode``) break that. Also: a PATCH of an item ignores root fields an item does not have, and a DQL
wildcard works on any string field.
"""

from __future__ import annotations

import dictdiffer
import pytest

from faas_code import simple_package

BODY = '''
def run(self, item):
    return item.id
'''


def roundtrip(entity, path: str, **from_json) -> list:
    """The differences between the platform's JSON and dtlpy's rebuilt entity's ``to_json()``."""
    success, answer = entity._client_api.gen_request(req_type="get", path=path)
    assert success, answer.text
    found = answer.json()
    rebuilt = type(entity).from_json(_json=found, client_api=entity._client_api, **from_json).to_json()
    return list(dictdiffer.diff(found, rebuilt))


@pytest.fixture
def service(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "shapes", BODY, [("run", [("item", "Item")])])
    return faas_project.packages.push(src_path=str(tmp_path / "pkg")).deploy(service_name="shapes")


def test_project_dataset_and_item_read_back_unchanged(faas_project, faas_dataset, faas_item):
    assert roundtrip(faas_project, f"/projects/{faas_project.id}") == []
    assert faas_project.to_json()["systemProject"] is False
    # dtlpy's suite leaves `export` out of the comparison (the SDK drops an empty one)
    assert [d for d in roundtrip(faas_dataset, f"/datasets/{faas_dataset.id}", project=faas_project)
            if "export" not in str(d)] == []
    success, answer = faas_dataset._client_api.gen_request(req_type="get", path=f"/datasets/{faas_dataset.id}")
    assert answer.json()["isSyncing"] is False
    assert roundtrip(faas_item, f"/items/{faas_item.id}") == []
    assert "projectId" not in faas_item.to_json() and "spec" not in faas_item.to_json()
    assert faas_item.dataset.project.id == faas_project.id  # dtlpy reaches the project through the dataset


def test_package_and_service_read_back_unchanged(faas_project, service):
    package = service.package
    assert roundtrip(package, f"/packages/{package.id}", project=faas_project) == []
    module = package.to_json()["modules"][0]
    success, answer = package._client_api.gen_request(req_type="get", path=f"/packages/{package.id}")
    assert "computeConfig" not in answer.json()["modules"][0] and module["computeConfig"] is None
    assert roundtrip(service, f"/services/{service.id}", project=faas_project) == []
    assert not {"mode", "metadata", "queueLengthLimit"} & set(service.to_json())


def test_annotation_reads_back_unchanged(faas_dl, faas_item):
    [annotation] = faas_item.annotations.upload([faas_dl.Annotation.new(
        item=faas_item, annotation_definition=faas_dl.Box(top=1, left=1, bottom=5, right=5, label="cat"))])
    success, answer = faas_item._client_api.gen_request(req_type="get", path=f"/annotations/{annotation.id}")
    found = answer.json()
    assert "status" not in found and "description" not in found
    rebuilt = faas_dl.Annotation.from_json(_json=found, item=faas_item).to_json()
    assert list(dictdiffer.diff(found, rebuilt)) == []


def test_item_patch_ignores_root_fields_an_item_does_not_have(faas_item, api):
    answer = api.patch(f"/items/{faas_item.id}", json={"inventedRoot": 1, "description": "kept",
                                                      "metadata": {"user": {"k": "v"}}})
    assert answer.status_code == 200, answer.text
    stored = api.get(f"/items/{faas_item.id}").json()
    assert "inventedRoot" not in stored
    assert stored["description"] == "kept" and stored["metadata"]["user"] == {"k": "v"}


def test_a_wildcard_matches_on_any_string_field(faas_dl, faas_dataset, tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 16)
    (tmp_path / "b.txt").write_text("text")
    faas_dataset.items.upload(local_path=str(tmp_path / "a.png"), remote_path="/deep/er")
    faas_dataset.items.upload(local_path=str(tmp_path / "b.txt"))

    def names(**fields) -> list[str]:
        filters = faas_dl.Filters()
        for field, value in fields.items():
            filters.add(field=field, values=value)
        return sorted(item.name for item in faas_dataset.items.list(filters=filters).all())

    assert names(**{"metadata.system.mimetype": "*png"}) == ["a.png"]  # '*' crosses the '/' of image/png
    assert names(**{"metadata.system.mimetype": "text/*"}) == ["b.txt"]
    assert names(**{"metadata.system.mimetype": "*jpeg"}) == []
    assert names(filename="/*.png") == []  # on a path field '*' stays in its folder
    assert names(filename="/**.png") == ["a.png"]


def test_a_description_is_replaced_by_an_overwrite_and_deleted_by_an_empty_one(faas_dl, faas_dataset, tmp_path):
    (tmp_path / "d.txt").write_text("d")
    item = faas_dataset.items.upload(local_path=str(tmp_path / "d.txt"), item_description="first")
    assert faas_dl.items.get(item_id=item.id).description == "first"
    faas_dataset.items.upload(local_path=str(tmp_path / "d.txt"), item_description="second", overwrite=True)
    item = faas_dl.items.get(item_id=item.id)
    assert item.description == "second"
    item.description = None  # dtlpy sends "" for it
    item = faas_dl.items.get(item_id=item.id)
    assert item.description is None and "description" not in item.to_json()
