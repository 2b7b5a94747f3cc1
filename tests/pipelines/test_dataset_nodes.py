"""Pipelines with dataset (storage) nodes, built with dl.DatasetNode through the real dtlpy client."""

from __future__ import annotations

import io

import pytest

from .pipeline_code import node
from .test_pipelines import wait_cycle


def upload(dataset, folder: str, name: str):
    return dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path=folder, remote_name=name)


def dataset_node(faas_dl, faas_project, dataset, name: str, folder: str, position=(1, 1)):
    return faas_dl.DatasetNode(name=name, project_id=faas_project.id, dataset_id=dataset.id,
                               dataset_folder=folder, position=position)


def test_two_dataset_nodes_run_on_a_new_item_matching_the_trigger_and_its_folder(faas_platform, faas_dl,
                                                                                 faas_project, faas_dataset):
    # The shape of dtlpy's own "Pipeline entity DatasetNode triggers" scenario.
    pipeline = faas_project.pipelines.create(name="datasets")
    first = dataset_node(faas_dl, faas_project, faas_dataset, "first", "/pipeline")
    second = dataset_node(faas_dl, faas_project, faas_dataset, "second", "/", position=(2, 2))
    pipeline.nodes.add(first).connect(node=second)
    first.add_trigger(filters=faas_dl.Filters(field="metadata.system.mimetype", values="*image*"))
    pipeline = pipeline.update()
    pipeline.install()

    clauses = pipeline.triggers.list()[0][0].filters["$and"]
    assert {key for clause in clauses for key in clause} >= {"datasetId", "dir", "metadata.system.mimetype"}
    upload(faas_dataset, "/elsewhere", "outside.png")  # not in the node's folder: no cycle
    inside = upload(faas_dataset, "/pipeline", "inside.png")
    cycles = list(pipeline.pipeline_executions.list().all())
    assert len(cycles) == 1
    assert wait_cycle(faas_platform, cycles[0])["status"] == "success"
    filters = faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION, field="pipeline.executionId",
                              values=cycles[0].id)
    executions = list(faas_dl.executions.list(filters=filters).all())
    assert [e.latest_status["status"] for e in executions] == ["success", "success"]
    assert {e.function_name for e in executions} == {"dataset_handler"}
    assert executions[0].output["item_id"] == inside.id  # already in the first node's folder: goes on as it is
    copy = faas_dataset.items.get(filepath="/inside.png")  # the second node's folder is the root: a copy
    assert executions[-1].output["item_id"] == copy.id != inside.id
    names = sorted(i.filename for i in faas_dataset.items.list().all())
    assert names == ["/elsewhere/outside.png", "/inside.png", "/pipeline/inside.png"]  # as the suite counts 2


def test_a_dataset_node_copies_an_item_of_another_dataset_into_its_folder_and_passes_the_copy_on(
        faas_platform, faas_dl, faas_project, faas_dataset, nodes_service):
    target = faas_project.datasets.create(dataset_name="collected")
    pipeline = faas_project.pipelines.create(name="collect")
    store = dataset_node(faas_dl, faas_project, target, "store", "/kept")
    tagger = node(faas_dl, nodes_service, "tagger", "tag", position=(2, 1))
    pipeline.nodes.add(store).connect(node=tagger)
    pipeline = pipeline.update()
    pipeline.install()
    source = upload(faas_dataset, "/", "cat.png")
    source.metadata.setdefault("user", {})["kind"] = "cat"
    source = source.update()

    cycle = pipeline.execute(execution_input={"item": source.id})
    assert wait_cycle(faas_platform, cycle)["status"] == "success"
    copy = target.items.get(filepath="/kept/cat.png")
    assert copy.id != source.id and copy.metadata["user"]["kind"] == "cat"
    assert copy.metadata["user"]["tagger"] == cycle.id  # the node after the dataset node got the copy
    assert "tagger" not in faas_dl.items.get(item_id=source.id).metadata["user"]


def test_a_dataset_node_without_its_dataset_and_a_task_node_are_refused_at_install_saying_why(
        faas_dl, faas_project, faas_dataset, api):
    pipeline = faas_project.pipelines.create(name="missing")
    gone = faas_project.datasets.create(dataset_name="gone")
    store = dataset_node(faas_dl, faas_project, gone, "store", "/")
    pipeline.nodes.add(store)
    pipeline = pipeline.update()
    gone.delete(sure=True, really=True)
    with pytest.raises(faas_dl.exceptions.BadRequest) as refused:
        pipeline.install()
    assert f"node 'store': dataset {gone.id!r} does not exist" in str(refused.value)

    body = pipeline.to_json()
    body["nodes"][0].update(type="task", name="review")
    answer = api.patch(f"/pipelines/{pipeline.id}", json={"nodes": body["nodes"]})
    assert answer.status_code == 200, answer.text
    answer = api.post(f"/pipelines/{pipeline.id}/install", json={})
    assert answer.status_code == 400 and "node 'review' is a 'task' node" in answer.json()["message"]
    assert "annotators" in answer.json()["message"]


def test_a_dataset_node_needs_its_dataset_id(faas_project, api):
    node_json = {"id": "n1", "name": "store", "type": "storage", "namespace": {}, "metadata": {"dir": "kept"},
                 "inputs": [], "outputs": []}
    answer = api.post("/pipelines", json={"name": "bad", "projectId": faas_project.id, "nodes": [node_json]})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "nodes[0].metadata needs 'datasetId'" in message and "nodes[0].metadata.dir must be a folder" in message
    assert not [p for p in faas_project.pipelines.list().all() if p.name == "bad"]
