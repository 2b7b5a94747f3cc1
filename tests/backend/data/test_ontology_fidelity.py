"""Ontologies as dtlpy's own suite uses them: nested labels, attributes (v2), system metadata, colours and
refusals, through the real dtlpy client over HTTP."""

import pytest


def ontology_of(faas_dataset):
    recipe = faas_dataset.recipes.get(recipe_id=faas_dataset.get_recipe_ids()[0])
    return recipe, recipe.ontologies.get(ontology_id=recipe.ontology_ids[0])


def test_a_nested_label_makes_its_missing_parent(faas_dl, faas_dataset):
    _, ontology = ontology_of(faas_dataset)
    ontology.add_labels(label_list=["aaa.bbb", "aaa.ccc.ddd"])
    fetched = faas_dl.ontologies.get(ontology_id=ontology.id)
    [aaa] = fetched.labels
    assert aaa.tag == "aaa" and [c.tag for c in aaa.children] == ["bbb", "ccc"]
    assert set(fetched.labels_flat_dict) == {"aaa", "aaa.bbb", "aaa.ccc", "aaa.ccc.ddd"}
    assert all(isinstance(label.rgb, tuple) for label in fetched.labels_flat_dict.values())


def test_update_and_delete_attributes_keep_them_in_metadata_attributes(faas_dl, faas_dataset):
    _, ontology = ontology_of(faas_dataset)
    kinds = faas_dl.AttributesTypes
    assert ontology.update_attributes(title="colour", key="1", attribute_type=kinds.CHECKBOX, values=["a", "b"])
    assert ontology.update_attributes(title="size", key="2", attribute_type=kinds.SLIDER, scope=["*"],
                                      attribute_range=faas_dl.AttributesRange(0, 10, 1))
    assert ontology.update_attributes(title="ok", key="3", attribute_type=kinds.YES_NO, optional=True)
    assert ontology.update_attributes(title="note", key="4", attribute_type=kinds.FREE_TEXT)
    assert ontology.update_attributes(title="colours", key="1", attribute_type=kinds.RADIO_BUTTON, values=["c"])
    stored = faas_dl.ontologies.get(ontology_id=ontology.id).to_json()["metadata"]["attributes"]
    assert [(a["key"], a["type"]) for a in stored] == [("2", "range"), ("3", "boolean"), ("4", "freeText"),
                                                       ("1", "options")]
    assert stored[-1]["multi"] is False and stored[-1]["values"] == ["c"]
    assert stored[0]["range"] == {"min": 0, "max": 10, "step": 1} and stored[1]["optional"] is True
    assert ontology.delete_attributes(keys="2")
    assert ontology.delete_attributes(keys=["1", "3", "4"])
    assert faas_dl.ontologies.get(ontology_id=ontology.id).to_json()["metadata"]["attributes"] == []


@pytest.mark.parametrize("body, message", [
    ({"items": [{"key": "1", "title": "t", "type": "options"}]}, "needs its 'values'"),
    ({"items": [{"key": "1", "title": "t", "type": "options", "values": [1]}]}, "values must be a list of strings"),
    ({"items": [{"key": "1", "title": "t", "type": "range", "range": {"min": 0, "max": "x", "step": 1}}]},
     "range must be"),
    ({"items": [{"key": "", "title": "t", "type": "boolean"}]}, "items[0].key"),
    ({"items": [{"key": "1", "title": "t", "type": "colour"}]}, "items[0].type must be one of"),
    ({"items": "x"}, "items must be a list"),
])
def test_bad_attribute_bodies_are_refused_and_change_nothing(faas_dataset, api, body, message):
    _, ontology = ontology_of(faas_dataset)
    before = api.get(f"/ontologies/{ontology.id}").json()
    answer = api.patch(f"/ontologies/{ontology.id}/attributes", json=body)
    assert answer.status_code == 400 and message in answer.json()["message"]
    answer = api.delete(f"/ontologies/{ontology.id}/attributes", json={"keys": [1]})
    assert answer.status_code == 400 and "keys" in answer.json()["message"]
    assert api.get(f"/ontologies/{ontology.id}").json() == before


def test_update_with_system_metadata_keeps_custom_system_keys_and_colours_as_sent(faas_dl, faas_dataset):
    recipe, ontology = ontology_of(faas_dataset)
    ontology.add_labels(label_list=[{"value": {"tag": "red", "color": "#FF0000"}, "children": []}])
    ontology.metadata["system"]["something"] = "value"
    updated = recipe.ontologies.update(ontology=ontology, system_metadata=True)
    fetched = recipe.ontologies.get(ontology_id=ontology.id)
    assert fetched.to_json() == updated.to_json()
    assert fetched.metadata["system"]["something"] == "value"
    assert fetched.metadata["system"]["projectIds"] == [faas_dataset.project.id]
    assert fetched.to_json()["roots"][0]["value"]["color"] == "#FF0000"
    fetched.metadata["system"]["other"] = "dropped"
    fetched.update()  # without system_metadata the platform keeps its own system metadata
    assert "other" not in faas_dl.ontologies.get(ontology_id=ontology.id).metadata["system"]


def test_attributes_sent_as_text_are_read_as_the_list(faas_dataset):
    recipe, _ = ontology_of(faas_dataset)
    created = recipe.ontologies.create(labels=[], project_ids=faas_dataset.project.id,
                                       attributes="['attr1', 'attr2']")
    assert recipe.ontologies.get(ontology_id=created.id).attributes == ["attr1", "attr2"]


def test_an_unknown_project_is_forbidden_and_a_malformed_ontology_id_a_bad_request(faas_dl, faas_dataset):
    recipe, _ = ontology_of(faas_dataset)
    before = len(faas_dl.ontologies.list(project_ids=[faas_dataset.project.id]))
    with pytest.raises(faas_dl.exceptions.Forbidden):
        recipe.ontologies.create(labels=[], project_ids="some_project_id", attributes=[])
    assert len(faas_dl.ontologies.list(project_ids=[faas_dataset.project.id])) == before
    with pytest.raises(faas_dl.exceptions.BadRequest):
        recipe.ontologies.get(ontology_id="some_id")
    with pytest.raises(faas_dl.exceptions.NotFound):
        recipe.ontologies.get(ontology_id="0" * 24)
