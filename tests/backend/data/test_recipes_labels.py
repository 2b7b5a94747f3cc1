"""Recipes, ontologies and labels, as dtlpy uses them, through the real dtlpy client over HTTP."""

import io

import pytest


def test_a_new_dataset_has_a_default_recipe_and_an_empty_ontology(faas_dataset):
    recipe_ids = faas_dataset.get_recipe_ids()
    assert len(recipe_ids) == 1
    recipe = faas_dataset.recipes.get(recipe_id=recipe_ids[0])
    assert recipe.title == f"{faas_dataset.name} Default Recipe"
    ontologies = recipe.ontologies.list()
    assert [o.id for o in ontologies] == recipe.ontology_ids
    assert faas_dataset.labels == []


def test_add_label_with_colour_children_and_attributes_is_read_back(faas_dl, faas_dataset):
    added = faas_dataset.add_label(label_name="animal", color=(255, 0, 0), attributes=["big"],
                                   children=[{"value": {"tag": "dog", "color": "#00ff00"}, "children": []}])
    assert [label.tag for label in added] == ["animal"]  # dtlpy returns the ontology's labels
    fresh = faas_dl.datasets.get(dataset_id=faas_dataset.id)
    [animal] = fresh.labels
    assert (animal.tag, animal.rgb, animal.attributes) == ("animal", (255, 0, 0), ["big"])
    assert [(c.tag, c.rgb) for c in animal.children] == [("dog", (0, 255, 0))]
    assert set(fresh.labels_flat_dict) == {"animal", "animal.dog"}


def test_add_labels_gives_labels_sent_without_a_colour_one(faas_dl, faas_dataset):
    faas_dataset.add_labels(label_list=["cat", "bird"])
    fresh = faas_dl.datasets.get(dataset_id=faas_dataset.id)
    colours = {label.tag: label.rgb for label in fresh.labels}
    assert set(colours) == {"cat", "bird"}
    assert all(isinstance(c, tuple) and len(c) == 3 for c in colours.values())
    assert colours["cat"] != colours["bird"]
    # Adding an existing label again updates it (dtlpy upserts), it does not duplicate it.
    faas_dataset.add_label(label_name="cat", color=(1, 2, 3))
    fresh = faas_dl.datasets.get(dataset_id=faas_dataset.id)
    assert [(l.tag, l.rgb) for l in fresh.labels if l.tag == "cat"] == [("cat", (1, 2, 3))]


def test_ontology_add_labels_and_update_through_the_recipe(faas_dl, faas_dataset):
    recipe = faas_dataset.recipes.list()[0]
    ontology = recipe.ontologies.get(ontology_id=recipe.ontology_ids[0])
    ontology.add_labels(label_list=["car", {"value": {"tag": "truck", "color": "#0000ff"}, "children": []}])
    ontology.update()
    fetched = faas_dl.ontologies.get(ontology_id=ontology.id)
    assert {l.tag: l.rgb for l in fetched.labels}["truck"] == (0, 0, 255)
    assert "car" in [l.tag for l in fetched.labels]
    recipe.title = "renamed"
    recipe.update()
    assert faas_dataset.recipes.get(recipe_id=recipe.id).title == "renamed"


def test_annotation_colour_and_instance_map_come_from_the_label_map(faas_dl, faas_dataset):
    faas_dataset.add_label(label_name="person", color=(10, 20, 30))
    faas_dataset.add_label(label_name="bike", color=(40, 50, 60))
    item = faas_dataset.items.upload(local_path=io.BytesIO(b"x" * 10), remote_name="a.bin")
    builder = item.annotations.builder()
    builder.add(annotation_definition=faas_dl.Box(top=1, left=1, bottom=5, right=5, label="person"))
    [annotation] = item.annotations.upload(builder)
    annotation = faas_dl.annotations.get(annotation_id=annotation.id)
    assert annotation.color == (10, 20, 30)
    assert faas_dl.datasets.get(dataset_id=faas_dataset.id).instance_map == {"bike": 1, "person": 2}


def test_switch_recipe_and_a_new_recipe_for_a_dataset(faas_dl, faas_dataset):
    recipe = faas_dataset.recipes.create(recipe_name="second", labels=[faas_dl.Label(tag="x", color="#010203")])
    fresh = faas_dl.datasets.get(dataset_id=faas_dataset.id)
    assert fresh.get_recipe_ids() == [recipe.id]
    assert [l.tag for l in fresh.labels] == ["x"]


@pytest.mark.parametrize("body, message", [
    ({"labelsNode": [{"tag": ""}], "upsert": True}, "labelsNode[0].tag"),
    ({"labelsNode": [{"tag": "a", "color": "red"}], "upsert": True}, "labelsNode[0].color"),
    ({"labelsNode": [{"tag": "nope..child"}], "upsert": True}, "with no empty name"),
    ({"labelsNode": [{"tag": "nope.child"}], "upsert": False}, "label 'nope' does not exist"),
    ({"labelsNode": [{"tag": "missing"}], "upsert": False}, "does not exist"),
    ({"labelsNode": "dog"}, "labelsNode must be a list"),
])
def test_bad_label_requests_are_refused_and_change_nothing(faas_dataset, api, body, message):
    recipe = api.get(f"/recipes/{faas_dataset.get_recipe_ids()[0]}").json()
    ontology_id = recipe["ontologyIds"][0]
    before = api.get(f"/ontologies/{ontology_id}").json()
    response = api.patch(f"/ontologies/{ontology_id}/labels", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert message in response.json()["message"]
    assert api.get(f"/ontologies/{ontology_id}").json() == before


def test_bad_recipe_and_dataset_patches_are_refused(faas_dataset, api):
    recipe_id = faas_dataset.get_recipe_ids()[0]
    assert api.patch(f"/recipes/{recipe_id}", json={"ontologyIds": ["nope"]}).status_code == 400  # not an id
    assert api.patch(f"/recipes/{recipe_id}", json={"ontologyIds": ["0" * 24]}).status_code == 404
    assert api.patch(f"/recipes/{recipe_id}", json={"title": 5}).status_code == 400
    response = api.patch(f"/datasets/{faas_dataset.id}?system=true", json={"metadata": {"system": {"recipes": "x"}}})
    assert response.status_code == 400
    assert api.get(f"/datasets/{faas_dataset.id}").json()["metadata"]["system"]["recipes"] == [recipe_id]
    assert api.get("/recipes?pageSize=0").status_code == 400
