"""Smaller points where dtlpy's own suite found the local platform unlike the real one: dataset schemas,
recipe clones and a null that deletes a system metadata key, through the real dtlpy client over HTTP."""

import pytest


def test_unsearchable_paths_are_added_removed_and_read_back_in_the_schema(faas_dataset, api):
    assert faas_dataset.schema.get() == {"items": {"unsearchablePaths": []}}
    faas_dataset.schema.unsearchable_paths.add(paths=["metadata.test", "metadata.other"])
    faas_dataset.schema.unsearchable_paths.add(paths=["metadata.test"])  # once only
    assert faas_dataset.schema.get()["items"]["unsearchablePaths"] == ["metadata.test", "metadata.other"]
    faas_dataset.schema.unsearchable_paths.remove(paths=["metadata.test"])
    assert faas_dataset.schema.get()["items"]["unsearchablePaths"] == ["metadata.other"]
    for body in ({"unsearchablePaths": {"add": [5]}}, {"unsearchablePaths": {"drop": ["a"]}}, {"paths": []},
                 {"unsearchablePaths": {"add": ["x" * 2000]}}):
        answer = api.post(f"/datasets/{faas_dataset.id}/schema/items", json=body)
        assert answer.status_code == 400 and answer.json()["message"]
    assert faas_dataset.schema.get()["items"]["unsearchablePaths"] == ["metadata.other"]
    assert api.get(f"/datasets/{'0' * 24}/schema").status_code == 404


@pytest.mark.parametrize("shallow", [False, True])
def test_a_recipe_clone_copies_its_ontologies_unless_shallow(faas_dl, faas_project, shallow):
    first, second = (faas_project.datasets.create(dataset_name=n) for n in ("first", "second"))
    first.add_labels(label_list=["cat", "dog"])
    recipe = first.recipes.list()[0]
    clone = recipe.clone(shallow=shallow)
    assert clone.id != recipe.id and clone.title == recipe.title
    assert (clone.ontology_ids == recipe.ontology_ids) is shallow
    second.switch_recipe(recipe=clone)
    assert sorted(label.tag for label in faas_dl.datasets.get(dataset_id=second.id).labels) == ["cat", "dog"]
    second.add_labels(label_list=["bird"])  # a deep clone's ontology is its own
    first_labels = [label.tag for label in faas_dl.datasets.get(dataset_id=first.id).labels]
    assert ("bird" in first_labels) is shallow


def test_a_recipe_clone_refuses_a_bad_shallow_and_an_unknown_recipe(faas_dataset, api):
    recipe_id = faas_dataset.get_recipe_ids()[0]
    before = api.get("/recipes").json()["totalItemsCount"]
    assert api.post(f"/recipes/{recipe_id}/clone", json={"shallow": "yes"}).status_code == 400
    assert api.post(f"/recipes/{'0' * 24}/clone", json={}).status_code == 404
    assert api.get("/recipes").json()["totalItemsCount"] == before


def test_a_null_in_a_system_metadata_update_deletes_the_key(faas_dataset, faas_item):
    faas_item.metadata["system"]["modified"] = "yes"
    faas_item = faas_dataset.items.update(item=faas_item, system_metadata=True)
    assert faas_item.metadata["system"]["modified"] == "yes"
    faas_item.metadata["system"]["modified"] = None
    faas_dataset.items.update(item=faas_item, system_metadata=True)
    fetched = faas_dataset.items.get(item_id=faas_item.id)
    assert "modified" not in fetched.metadata["system"] and fetched.metadata["system"]["size"] > 0


def test_the_legacy_items_list_answers_a_page_of_files(faas_dataset, make_faas_item, api):
    names = sorted(make_faas_item(name=f"{i}.png", remote_path="/in").filename for i in range(3))
    success, answer = faas_dataset._client_api.gen_request(req_type="get", path=f"/datasets/{faas_dataset.id}/items")
    assert success and sorted(i["filename"] for i in answer.json()["items"]) == names  # files only, no folder
    page = api.get(f"/datasets/{faas_dataset.id}/items?pageSize=2&pageOffset=1").json()
    assert page["totalItemsCount"] == 3 and len(page["items"]) == 1
    assert api.get(f"/datasets/{faas_dataset.id}/items?pageSize=x").status_code == 400
    assert api.get(f"/datasets/{faas_dataset.id}/items?pageSize=100000").status_code == 400
