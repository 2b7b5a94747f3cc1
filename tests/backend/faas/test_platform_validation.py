"""Refusals with the platform's status codes, through dtlpy: names, ids, inputs and trigger actions.

Each refusal changes nothing stored.
"""

from __future__ import annotations

import pytest

from faas_code import simple_package

BODY = '''
def run(self, item):
    return item.id
'''


def test_a_duplicate_project_name_is_400(faas_dl, faas_project):
    with pytest.raises(faas_dl.exceptions.BadRequest, match="already exists"):
        faas_dl.projects.create(project_name=faas_project.name)
    assert len(faas_dl.projects.list()) == len({p.name for p in faas_dl.projects.list()})


def test_a_duplicate_dataset_name_is_400(faas_dl, faas_project, faas_dataset):
    with pytest.raises(faas_dl.exceptions.BadRequest, match="already exists"):
        faas_project.datasets.create(dataset_name=faas_dataset.name)
    assert [d.name for d in faas_project.datasets.list()] == [faas_dataset.name]


@pytest.mark.parametrize("name", ["it's", "a/b", "colon: no", "ünïcode", "tilde~", "<tag>"])
def test_project_names_with_characters_the_platform_refuses(faas_dl, name):
    before = len(faas_dl.projects.list())
    with pytest.raises(faas_dl.exceptions.BadRequest, match="characters the platform refuses"):
        faas_dl.projects.create(project_name=name)
    assert len(faas_dl.projects.list()) == before


def test_legal_punctuation_in_a_project_name(faas_dl):
    name = "Legal Name 09 !@#$%^&*()_+-[]|.,"
    assert faas_dl.projects.create(project_name=name).name == name


def test_a_malformed_id_is_400_and_an_unknown_well_formed_one_404(faas_dl, faas_project, faas_dataset, faas_item):
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Invalid item id 'some_id'"):
        faas_dataset.items.get(item_id="some_id")
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Invalid annotation id"):
        faas_item.annotations.get(annotation_id="some_id")
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_dataset.items.get(item_id="f" * 24)
    with pytest.raises(faas_dl.exceptions.NotFound):  # projects and datasets answer 404 to any unknown id
        faas_dl.projects.get(project_id="some_id")
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_project.datasets.get(dataset_id="some_ID")
    with pytest.raises(faas_dl.exceptions.BadRequest):
        faas_dataset.items.delete(item_id="Some_id")
    assert faas_dataset.items.get(item_id=faas_item.id).id == faas_item.id


@pytest.mark.parametrize("name, valid", [
    ("package", True), ("my-package", True), ("package-number-1", True), ("a" * 35, True),
    ("1package", False), ("my_package", False), ("-package", False), ("package-", False), ("Package", False),
    ("a" * 36, False),
])
def test_the_naming_route_applies_the_platform_rule(faas_dl, faas_project, name, valid):
    if valid:
        faas_project.packages._name_validation(name)
        faas_project.services.name_validation(name)
        return
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Invalid package name|at most 35 characters"):
        faas_project.packages._name_validation(name)
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Invalid service name|at most 35 characters"):
        faas_project.services.name_validation(name)


def test_pushing_a_package_with_an_illegal_name_is_refused(faas_dl, faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "ok-name", BODY, [("run", [("item", "Item")])])
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Invalid package name: 'illegal_name'.*'illegal-name'"):
        faas_project.packages.push(src_path=str(tmp_path / "pkg"), package_name="illegal_name")
    assert len(faas_project.packages.list()) == 0


@pytest.mark.parametrize("key", ["input", "output"])
def test_duplicate_input_or_output_names_in_a_function_are_409(faas_dl, faas_project, tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "twins", BODY, [("run", [("item", "Item")])])
    twins = [faas_dl.FunctionIO(type="Item", name="item"), faas_dl.FunctionIO(type="Json", name="item")]
    function = faas_dl.PackageFunction(name="run", **{"inputs" if key == "input" else "outputs": twins})
    module = faas_dl.PackageModule(name="default_module", entry_point="main.py", functions=[function])
    with pytest.raises(faas_dl.exceptions.Conflict, match=rf"modules\[0\].functions\[0\].{key}\[1\]: duplicate "
                                                         "name 'item'"):
        faas_project.packages.push(src_path=str(tmp_path / "pkg"), package_name="twins", modules=[module],
                                   ignore_sanity_check=True)
    assert len(faas_project.packages.list()) == 0


def test_a_trigger_action_its_resource_has_not_is_refused(faas_dl, faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "triggered", BODY, [("run", [("item", "Item")])])
    service = faas_project.packages.push(src_path=str(tmp_path / "pkg")).deploy(service_name="triggered")
    with pytest.raises(faas_dl.exceptions.BadRequest, match="Received an unsupported action type as input, "
                                                             "type: statusChanged for resource type: Item"):
        service.triggers.create(function_name="run", resource="Item", actions="statusChanged", name="bad")
    with pytest.raises(faas_dl.exceptions.BadRequest, match="type: Clone for resource type: Dataset"):
        service.triggers.create(function_name="run", resource="Dataset", actions="Clone", name="bad2")
    assert service.triggers.list().items_count == 0
    assert service.triggers.create(function_name="run", resource="Item", actions="Clone", name="good").id
