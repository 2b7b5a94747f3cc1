"""Pipelines of function nodes, built and run with the real dtlpy client against the local platform."""

from __future__ import annotations

import io

import pytest

from .pipeline_code import node


def wait_cycle(faas_platform, cycle, timeout: float = 30.0) -> dict:
    found = faas_platform.backend.pipeline_runs.wait(cycle.id, timeout)
    assert found["status"] in ("success", "failed"), f"pipeline execution still {found['status']}"
    return found


def routed_pipeline(faas_dl, faas_project, service, name="routed"):
    pipeline = faas_project.pipelines.create(name=name)
    classify = node(faas_dl, service, "classify", "classify",
                    {"route": {"cat.png": "cats"}, "default": "dogs"})
    cats, dogs = node(faas_dl, service, "cats", "tag", position=(2, 0)), node(faas_dl, service, "dogs", "tag",
                                                                               position=(2, 2))
    pipeline.nodes.add(classify)
    classify.connect(cats, action="cats")
    classify.connect(dogs, action="dogs")
    return pipeline.update()


def test_three_nodes_route_by_action_and_only_the_chosen_branch_runs(faas_platform, faas_dl, faas_project,
                                                                     nodes_service, make_faas_item):
    pipeline = routed_pipeline(faas_dl, faas_project, nodes_service)
    assert [n.name for n in pipeline.nodes] == ["classify", "cats", "dogs"]
    assert {c.action for c in pipeline.connections} == {"cats", "dogs"}
    pipeline.install()
    item = make_faas_item(name="cat.png")

    cycle = pipeline.execute(execution_input={"item": item.id})
    ended = wait_cycle(faas_platform, cycle)

    assert ended["status"] == "success"
    statuses = {n["name"]: n["status"] for n in ended["nodes"]}
    assert statuses == {"classify": "success", "cats": "success", "dogs": "pending"}
    user = faas_dl.items.get(item_id=item.id).metadata["user"]
    assert user.get("cats") == cycle.id and "dogs" not in user
    got = pipeline.pipeline_executions.get(pipeline_execution_id=cycle.id)
    assert got.status == "success" and [n.status for n in got.nodes] == ["success", "success", "pending"]
    listed = pipeline.pipeline_executions.list()
    assert [c.id for c in listed.items] == [cycle.id]
    by_node = faas_dl.executions.list(filters=faas_dl.Filters(
        resource=faas_dl.FiltersResource.EXECUTION, field="pipeline.nodeId", values=pipeline.nodes[1].node_id))
    assert [e.function_name for e in by_node.items] == ["tag"] and by_node.items[0].pipeline_execution_id == cycle.id


def test_a_failing_node_fails_its_pipeline_execution_naming_the_node(faas_platform, faas_dl, faas_project,
                                                                     nodes_service, make_faas_item):
    pipeline = faas_project.pipelines.create(name="failing")
    first, broken = node(faas_dl, nodes_service, "first", "tag"), node(faas_dl, nodes_service, "broken", "boom")
    pipeline.nodes.add(first)
    first.connect(broken)
    pipeline = pipeline.update()
    pipeline.install()

    ended = wait_cycle(faas_platform, pipeline.execute(execution_input={"item": make_faas_item().id}))

    assert ended["status"] == "failed"
    assert "'broken'" in ended["message"] and "no luck with image.png" in ended["message"]
    assert {n["name"]: n["status"] for n in ended["nodes"]} == {"first": "success", "broken": "failed"}


def test_a_node_lists_its_predecessors_executions_by_pipeline_execution_id(faas_platform, faas_dl, faas_project,
                                                                           nodes_service, make_faas_item):
    pipeline = faas_project.pipelines.create(name="history")
    first, second, last = (node(faas_dl, nodes_service, "first", "tag"), node(faas_dl, nodes_service, "second", "tag"),
                           node(faas_dl, nodes_service, "last", "history"))
    pipeline.nodes.add(first)
    first.connect(second)
    second.connect(last)
    pipeline = pipeline.update()
    pipeline.install()
    item = make_faas_item()

    assert wait_cycle(faas_platform, pipeline.execute(execution_input={"item": item.id}))["status"] == "success"

    assert faas_dl.items.get(item_id=item.id).metadata["user"]["history"] == ["history", "tag", "tag"]


def test_a_loop_ends_on_its_nodes_own_condition(faas_platform, faas_dl, faas_project, nodes_service, make_faas_item):
    pipeline = faas_project.pipelines.create(name="loop")
    lap, out = node(faas_dl, nodes_service, "lap", "loop"), node(faas_dl, nodes_service, "out", "tag")
    pipeline.nodes.add(lap)
    lap.connect(lap, action="again")
    lap.connect(out, action="done")
    pipeline = pipeline.update()
    pipeline.install()
    item = make_faas_item()

    ended = wait_cycle(faas_platform, pipeline.execute(execution_input={"item": item.id}))

    assert ended["status"] == "success"
    assert len(ended["executions"][lap.node_id]) == 3 and len(ended["executions"][out.node_id]) == 1
    assert faas_dl.items.get(item_id=item.id).metadata["user"]["laps"] == 3


def test_to_json_round_trips_through_create_with_pipeline_json(faas_platform, faas_dl, faas_project,
                                                               nodes_service, make_faas_item):
    original = routed_pipeline(faas_dl, faas_project, nodes_service, name="original")
    template = original.to_json()
    for key in ("id", "createdAt", "updatedAt", "url", "status"):
        template.pop(key, None)
    template["name"] = "copy"

    copy = faas_project.pipelines.create(pipeline_json=template)
    copy.install()
    assert copy.id != original.id and [n.name for n in copy.nodes] == ["classify", "cats", "dogs"]
    assert copy.nodes[0].metadata["customNodeConfig"]["default"] == "dogs"
    ended = wait_cycle(faas_platform, copy.execute(execution_input={"item": make_faas_item(name="dog.png").id}))
    assert {n["name"]: n["status"] for n in ended["nodes"]} == {"classify": "success", "cats": "pending",
                                                                "dogs": "success"}


def test_execute_batch_runs_one_pipeline_execution_per_item(faas_platform, faas_dl, faas_project, faas_dataset,
                                                            nodes_service, make_faas_item):
    pipeline = routed_pipeline(faas_dl, faas_project, nodes_service)
    pipeline.install()
    for name in ("cat.png", "a.png", "b.png"):
        make_faas_item(name=name, remote_path="/batch")

    command = pipeline.execute_batch(filters=faas_dl.Filters(field="dir", values="/batch",
                                                             context={"datasets": [faas_dataset.id]}))

    cycles = command.spec["pipelineExecutionIds"]
    assert len(cycles) == 3
    ended = [faas_platform.backend.pipeline_runs.wait(c, 30) for c in cycles]
    assert [c["status"] for c in ended] == ["success"] * 3
    chosen = sorted(next(n["name"] for n in c["nodes"] if n["name"] != "classify" and n["status"] == "success")
                    for c in ended)
    assert chosen == ["cats", "dogs", "dogs"]


def test_a_paused_pipeline_refuses_to_execute_and_install_checks_the_services(faas_dl, faas_project, nodes_service,
                                                                              make_faas_item):
    pipeline = routed_pipeline(faas_dl, faas_project, nodes_service)
    with pytest.raises(faas_dl.exceptions.BadRequest, match="install it"):
        pipeline.execute(execution_input={"item": make_faas_item().id})
    pipeline.install()
    assert faas_project.pipelines.get(pipeline_id=pipeline.id).status == "Installed"
    pipeline.pause()
    assert faas_project.pipelines.get(pipeline_id=pipeline.id).status == "Uninstalled"
    nodes_service.delete()
    with pytest.raises(faas_dl.exceptions.BadRequest, match="no service named 'nodes'"):
        pipeline.install()
    assert pipeline.delete() is True
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_project.pipelines.get(pipeline_id=pipeline.id)


def test_a_connection_condition_passes_only_the_items_it_matches(faas_platform, faas_dl, faas_project, nodes_service,
                                                                 make_faas_item):
    pipeline = faas_project.pipelines.create(name="filtered")
    first, cats = node(faas_dl, nodes_service, "first", "tag"), node(faas_dl, nodes_service, "cats", "tag")
    pipeline.nodes.add(first)
    first.connect(cats, filters=faas_dl.Filters(field="name", values="cat.png"))
    pipeline = pipeline.update()
    pipeline.install()

    ran = {}
    for name in ("cat.png", "dog.png"):
        ended = wait_cycle(faas_platform, pipeline.execute(execution_input={"item": make_faas_item(name=name).id}))
        ran[name] = {n["name"]: n["status"] for n in ended["nodes"]}

    assert ran == {"cat.png": {"first": "success", "cats": "success"},
                   "dog.png": {"first": "success", "cats": "pending"}}


def test_a_start_node_trigger_starts_the_installed_pipeline_on_each_new_item(faas_platform, faas_dl, faas_project,
                                                                             nodes_service, faas_dataset):
    pipeline = faas_project.pipelines.create(name="triggered")
    first = node(faas_dl, nodes_service, "first", "tag")
    pipeline.nodes.add(first)
    first.add_trigger(filters=faas_dl.Filters(field="dir", values="/in"))
    pipeline = pipeline.update()
    assert pipeline.start_nodes[0]["trigger"]["spec"]["actions"] == ["Created"]

    def upload(folder: str, name: str):
        return faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path=folder, remote_name=name)

    upload("/in", "before-install.png")
    pipeline.install()
    inside, outside = upload("/in", "a.png"), upload("/out", "b.png")
    cycles = list(pipeline.pipeline_executions.list().all())
    assert len(cycles) == 1 and cycles[0].to_json()["executions"]
    assert wait_cycle(faas_platform, cycles[0])["status"] == "success"
    assert faas_dl.items.get(item_id=inside.id).metadata["user"]["first"] == cycles[0].id
    assert "first" not in faas_dl.items.get(item_id=outside.id).metadata.get("user", {})
    pipeline.pause()
    upload("/in", "after-pause.png")
    assert len(list(pipeline.pipeline_executions.list().all())) == 1


def _code_node_body(item):  # the source dtlpy's CodeNode sends; the local platform refuses to run it
    return item


def test_a_code_node_is_refused_at_install_saying_to_use_a_function_node(faas_dl, faas_project, nodes_service):
    pipeline = faas_project.pipelines.create(name="with-code")
    code = faas_dl.CodeNode(name="inline", project_id=faas_project.id, project_name=faas_project.name,
                            method=_code_node_body)
    tagger = node(faas_dl, nodes_service, "tagger", "tag", position=(2, 1))
    pipeline.nodes.add(code)
    code.connect(tagger)
    pipeline = pipeline.update()
    with pytest.raises(faas_dl.exceptions.BadRequest) as refused:
        pipeline.install()
    message = str(refused.value)
    assert "node 'inline' is a 'code' node" in message and "dl.FunctionNode(" in message
    assert faas_project.pipelines.get(pipeline_id=pipeline.id).status != "Installed"
