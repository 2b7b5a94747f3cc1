"""Bad pipeline requests are answered 4xx with a message that says what is wrong, and change nothing stored."""

from __future__ import annotations

import pytest


def sound_graph(project_id: str) -> dict:
    port = {"portId": "p-in", "name": "item", "type": "Item"}
    out = {"portId": "p-out", "name": "item", "type": "Item"}
    nodes = [{"id": n, "name": n, "type": "function", "inputs": [port], "outputs": [out],
              "namespace": {"functionName": "tag", "serviceName": "nodes"}} for n in ("a", "b")]
    return {"name": "sound", "projectId": project_id, "nodes": nodes,
            "connections": [{"src": {"nodeId": "a", "portId": "p-out"}, "tgt": {"nodeId": "b", "portId": "p-in"}}],
            "startNodes": [{"nodeId": "a", "type": "root"}]}


BROKEN = [
    ({"nodes": "x"}, "'nodes' must be a list"),
    ({"nodes": [{"id": "a"}, {"id": "a"}]}, "nodes[1].id 'a' is already the id of another node"),
    ({"connections": [{"src": {"nodeId": ["a"], "portId": "p-out"}, "tgt": {"nodeId": "b", "portId": "p-in"}}]},
     "connections[0].src.nodeId ['a'] is not the id of a node"),
    ({"connections": [{"src": {"nodeId": "a", "portId": "nope"}, "tgt": {"nodeId": "b", "portId": "p-in"}}]},
     "connections[0].src.portId 'nope' is not one of the outputs of node 'a'"),
    ({"connections": [{"src": {"nodeId": "a", "portId": "p-out"}, "tgt": {"nodeId": "b", "portId": "p-in"},
                       "condition": "{not json"}]}, "connections[0].condition must be a DQL filter"),
    ({"startNodes": [{"nodeId": {}}]}, "startNodes[0].nodeId {} is not the id of a node"),
    ({"name": ""}, "pipeline 'name' is required"),
    ({"startNodes": [{"nodeId": "a", "type": "trigger", "trigger": {"type": "Event", "spec": {
        "resource": "Item", "actions": ["Created"], "filter": "{bad"}}}]},
     "startNodes[0].trigger.spec.filter must be a DQL filter"),
]


@pytest.mark.parametrize("change, message", BROKEN, ids=[m for _, m in BROKEN])
def test_a_broken_graph_is_refused_on_create_and_update_and_nothing_changes(api, faas_project, change, message):
    refused = api.post("/pipelines", json={**sound_graph(faas_project.id), **change})
    assert refused.status_code == 400 and message in refused.json()["message"]
    created = api.post("/pipelines", json=sound_graph(faas_project.id)).json()

    patched = api.patch(f"/pipelines/{created['id']}", json=change)

    assert patched.status_code == 400 and message in patched.json()["message"]
    assert api.get(f"/pipelines/{created['id']}").json() == created


@pytest.mark.parametrize("body, status, message", [
    ([], 400, "must be a JSON object"),
    ({"name": "x"}, 400, "'projectId' is required"),
    ({"name": "x", "projectId": "nope"}, 404, "not found"),
])
def test_create_refuses_what_is_not_a_pipeline(api, body, status, message):
    answer = api.post("/pipelines", json=body)
    assert answer.status_code == status and message in answer.json()["message"]


def test_execute_and_its_reads_refuse_bad_requests(api, faas_project):
    pipeline = api.post("/pipelines", json=sound_graph(faas_project.id)).json()
    path = f"/pipelines/{pipeline['id']}"
    assert "install it" in api.post(f"{path}/execute", json={"pipeline": {"input": {}}}).json()["message"]
    installing = api.post(f"{path}/install", json={})
    assert installing.status_code == 400 and "no service named 'nodes'" in installing.json()["message"]
    assert api.get(path).json()["status"] == "Created"
    for bad, message in (({"resource": "nope"}, "resource must be"), ([], "must be a JSON object")):
        answer = api.post("/pipelines/query", json=bad)
        assert answer.status_code == 400 and message in answer.json()["message"]
    assert api.get(f"{path}/executions/nope").status_code == 404
    assert api.get(f"/_faas{path}/executions/nope/wait", params={"timeout": "soon"}).status_code == 400
    assert api.get("/pipelines/nope").status_code == 404


def test_execute_refuses_bad_inputs_before_anything_runs(api, faas_project, nodes_service):
    pipeline = api.post("/pipelines", json=sound_graph(faas_project.id)).json()
    path = f"/pipelines/{pipeline['id']}"
    assert api.post(f"{path}/install", json={}).status_code == 200
    for body, message in (({"pipeline": []}, "'pipeline' must be an object"),
                          ({"pipeline": {"input": [1]}}, "'input' must be an object"),
                          ({"pipeline": {"nodeId": ["a"]}}, "'nodeId' must be a node id string"),
                          ({"pipeline": {"nodeId": "zz"}}, "'nodeId' 'zz' is not a node"),
                          ({"batch": {"query": {"filter": {}, "context": "x"}}}, "execute_batch needs"),
                          ({"batch": []}, "'batch' must be an object")):
        answer = api.post(f"{path}/execute", json=body)
        assert answer.status_code == 400 and message in answer.json()["message"], (body, answer.text)
    listed = api.post("/pipelines/query", json={"resource": "pipelineState", "filter": {"pipelineId": pipeline["id"]}})
    assert listed.json()["items"] == []


def _any_json():
    from hypothesis import strategies as st

    leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["a", "b", "p-in", "p-out"])
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "name", "nodeId", "portId", "src", "tgt", "inputs", "outputs", "type", "namespace",
                         "metadata", "action", "condition"]), inner, max_size=4), max_leaves=12)


def test_no_pipeline_body_crashes_the_platform(faas_platform, api, faas_project):
    """Any JSON in any pipeline field is refused 4xx (or stored when sound), never a 500."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    sound = sound_graph(faas_project.id)
    created = api.post("/pipelines", json=sound).json()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(key=st.sampled_from(["nodes", "connections", "startNodes", "name", "variables"]), value=_any_json(),
           node_key=st.sampled_from(["id", "name", "type", "inputs", "outputs", "namespace", "metadata"]))
    def check(key, value, node_key):
        for body in ({**sound, key: value}, {**sound, "nodes": [{**sound["nodes"][0], node_key: value},
                                                                sound["nodes"][1]]}):
            assert api.post("/pipelines", json=body).status_code < 500
            assert api.patch(f"/pipelines/{created['id']}", json=body).status_code < 500
        assert api.post(f"/pipelines/{created['id']}/execute", json={"pipeline": {key: value}}).status_code < 500

    check()
    assert faas_platform.backend.app.crashes == []
