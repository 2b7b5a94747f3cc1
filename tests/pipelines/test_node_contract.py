"""The runtime contract holds for node executions: a timeout, a crash or a terminate ends the node's execution,
and its pipeline execution fails naming the node instead of staying in progress."""

from __future__ import annotations

import time

import pytest

from .pipeline_code import node, write_nodes_package


@pytest.fixture(scope="module", params=["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def faas_platform(request):
    """A platform per placement (a process or container is killed on terminate; a thread is asked)."""
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement=request.param) as running:
        yield running


@pytest.fixture
def faas_dl(faas_platform):
    return faas_platform.dl


@pytest.fixture
def faas_project(faas_dl):
    from pytest_faas.ids import new_id

    return faas_dl.projects.create(f"node-contract-{new_id()[-8:]}")


def one_after_another(faas_dl, faas_project, service, function: str, config=None):
    pipeline = faas_project.pipelines.create(name=f"contract-{function}")
    first, second = node(faas_dl, service, "first", "tag"), node(faas_dl, service, "second", function, config)
    pipeline.nodes.add(first)
    first.connect(second)
    pipeline = pipeline.update()
    pipeline.install()
    return pipeline, second


def ended(faas_platform, cycle_id: str, within_s: float = 30.0) -> dict:
    found = faas_platform.backend.pipeline_runs.wait(cycle_id, within_s)
    assert found["status"] in ("success", "failed"), f"pipeline execution still {found['status']} after {within_s} s"
    return found


def test_a_node_that_times_out_fails_its_pipeline_execution(faas_platform, faas_dl, faas_project, here, make_faas_item):
    package = faas_project.packages.push(src_path=str(write_nodes_package(here / "slow")), ignore_sanity_check=True)
    service = package.deploy(service_name="slow-nodes", execution_timeout=1, runtime={"concurrency": 2})
    pipeline, _ = one_after_another(faas_dl, faas_project, service, "sleepy", {"s": 20})

    cycle = ended(faas_platform, pipeline.execute(execution_input={"item": make_faas_item().id}).id)

    assert cycle["status"] == "failed" and "node 'second' failed" in cycle["message"]
    assert "timed out" in cycle["message"].lower() or "timeout" in cycle["message"].lower()


def test_a_node_whose_runner_dies_fails_its_pipeline_execution(faas_platform, faas_dl, faas_project, nodes_service,
                                                               make_faas_item):
    pipeline, _ = one_after_another(faas_dl, faas_project, nodes_service, "die")

    cycle = ended(faas_platform, pipeline.execute(execution_input={"item": make_faas_item().id}).id)

    assert cycle["status"] == "failed" and "node 'second' failed" in cycle["message"]
    assert "died" in cycle["message"]


def test_a_terminated_node_execution_fails_its_pipeline_execution(faas_platform, faas_dl, faas_project, nodes_service,
                                                                  make_faas_item):
    pipeline, second = one_after_another(faas_dl, faas_project, nodes_service, "sleepy", {"s": 30})
    cycle = pipeline.execute(execution_input={"item": make_faas_item().id})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = faas_platform.backend.pipeline_runs.get(pipeline.id, cycle.id)
        started = state["executions"].get(second.node_id)
        if started and faas_dl.executions.get(execution_id=started[0]).latest_status["status"] == "in-progress":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the second node never started")
    faas_dl.executions.get(execution_id=started[0]).terminate()
    cycle = ended(faas_platform, cycle.id)

    # Ended by the terminate: had the 30 s sleep run out, the node would have succeeded.
    assert cycle["status"] == "failed" and "node 'second' failed" in cycle["message"]
    assert {n["name"]: n["status"] for n in cycle["nodes"]} == {"first": "success", "second": "failed"}
