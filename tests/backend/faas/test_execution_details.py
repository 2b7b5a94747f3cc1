"""What an execution record tells, as on the platform: the replica in each status entry, the `error` of an
output that could not be kept, `runtime.preemptible`, a forced update's reset, `__init__`'s lines in the
service's log, the system user as the creator of triggered executions, and runExecutionAsProcess refused."""

from __future__ import annotations

import io
import threading

import pytest

from faas_code import simple_package, wait

from pytest_faas.backend.records import LOCAL_USER, SYSTEM_USER
from pytest_faas.protocol import OUTPUT_TOO_LARGE

BODY = '''
def __init__(self):
    print("warming up the model")

def run(self, item):
    return item.id

def big(self, size):
    return "x" * (size * 1024 * 1024)

def hang(self, seconds):
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(0.05)
    return "done"
'''
FUNCTIONS = [("run", [("item", "Item")]), ("big", [("size", "Integer")]), ("hang", [("seconds", "Integer")])]


@pytest.fixture
def package(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "details", BODY, FUNCTIONS)
    return faas_project.packages.push(src_path=str(tmp_path / "pkg"))


def test_status_entries_name_the_replica_and_an_oversized_output_its_error(faas_platform, package, faas_item):
    service = package.deploy(service_name="details")
    execution = service.execute(function_name="run", execution_input={"item": faas_item.id})
    done = service.executions.get(execution_id=wait(faas_platform, execution.id)["id"])
    assert done.latest_status["status"] == "success"
    replica = done.latest_status["replicaId"]
    assert replica.startswith("details-0-") and replica != "details-0-"
    assert [s.get("replicaId") for s in done.status] == [None, replica, replica]

    execution = service.execute(function_name="big", execution_input={"size": 5})
    failed = service.executions.get(execution_id=wait(faas_platform, execution.id)["id"])
    assert failed.latest_status["status"] == "failed"
    assert failed.latest_status["error"] == OUTPUT_TOO_LARGE


def test_each_start_of_a_replica_has_its_own_replica_id(faas_platform, package, faas_item):
    service = package.deploy(service_name="restarted")
    seen = []
    for update in range(3):
        execution = service.execute(function_name="run", execution_input={"item": faas_item.id})
        seen.append(wait(faas_platform, execution.id)["latestStatus"]["replicaId"])
        service.execution_timeout = 600 + update  # an update starts the replicas again
        service = service.update()
    assert len(set(seen)) == 3 and all(r.startswith("restarted-0-") for r in seen)


@pytest.mark.parametrize("settings, expected", [
    ({}, True), ({"execution_timeout": 360000}, False), ({"max_attempts": 1}, False),
    ({"execution_timeout": 600, "max_attempts": 2}, True),
])
def test_preemptible_is_derived_from_timeout_and_attempts(package, settings, expected):
    service = package.deploy(service_name="preemptible", **settings)
    assert service.runtime.preemptible is expected
    assert package.services.get(service_id=service.id).runtime.preemptible is expected


def _started(faas_platform, execution_id: str, attempt: int) -> bool:
    """Whether the execution runs its ``attempt``-th attempt within a generous bound (an event, not a time)."""
    executions = faas_platform.backend.engine.executions
    with executions.cond:
        for _ in range(600):
            doc = executions.get(execution_id)
            if doc["latestStatus"]["status"] == "in-progress" and doc["attempts"] == attempt:
                return True
            executions.changed.wait(0.1)
    return False


@pytest.mark.parametrize("attempts, ends", [(1, "failed"), (2, "in-progress")])
def test_an_update_with_force_requeues_what_runs_now_while_attempts_remain(faas_platform, package, attempts, ends):
    service = package.deploy(service_name=f"forced-{attempts}", max_attempts=attempts)
    execution = service.execute(function_name="hang", execution_input={"seconds": 20})
    assert _started(faas_platform, execution.id, 1)
    service.execution_timeout = 1800
    service = service.update(force=True)
    assert service.execution_timeout == 1800
    if ends == "failed":  # no attempt left: it ends, well before the 20 s the function takes
        record = wait(faas_platform, execution.id, timeout=10)
        assert record["latestStatus"]["status"] == "failed"
        assert "updated with force=true" in record["latestStatus"]["message"]
        return
    assert _started(faas_platform, execution.id, 2)  # queued again, and running on a new replica
    record = faas_platform.backend.engine.executions.get(execution.id)
    statuses = [s["status"] for s in record["statusLog"]]
    assert statuses == ["created", "in-progress", "rerun", "in-progress"]
    assert "updated with force=true" in record["statusLog"][2]["message"]
    assert record["statusLog"][1]["replicaId"] != record["statusLog"][3]["replicaId"]
    service.executions.get(execution_id=execution.id).terminate()  # not 20 s more


def test_a_bad_force_value_changes_nothing(faas_platform, package, api):
    service = package.deploy(service_name="not-forced")
    answer = api.patch(f"/services/{service.id}?force=maybe", json={"executionTimeout": 5})
    assert answer.status_code == 400
    assert api.get(f"/services/{service.id}").json()["executionTimeout"] == service.execution_timeout


def test_init_prints_are_in_the_service_log(faas_platform, package, faas_item, api):
    service = package.deploy(service_name="chatty-init")
    wait(faas_platform, service.execute(function_name="run", execution_input={"item": faas_item.id}).id)
    lines = api.post("/services/logs", json={"serviceId": service.id, "follow": False,
                                             "start": "2000-01-01T00:00:00"}).json()["logs"]
    init = [line for line in lines if line["message"] == "warming up the model"]
    assert init and init[0]["replicaId"].startswith("chatty-init-0-") and init[0]["executionId"] is None


def test_triggered_executions_are_created_by_the_system_user(faas_platform, package, faas_dataset, tmp_path):
    service = package.deploy(service_name="triggered")
    service.triggers.create(function_name="run", resource="Item", actions="Created", name="on-upload")
    (tmp_path / "new.txt").write_text("new")
    item = faas_dataset.items.upload(local_path=str(tmp_path / "new.txt"))
    [fired] = service.executions.list().items
    assert wait(faas_platform, fired.id)["latestStatus"]["status"] == "success"
    assert fired.creator == SYSTEM_USER and fired.input["item"]["item_id"] == item.id
    by_hand = service.execute(function_name="run", execution_input={"item": item.id})
    assert by_hand.creator == LOCAL_USER


def test_run_execution_as_process_is_refused_at_deploy(faas_dl, package):
    with pytest.raises(faas_dl.exceptions.BadRequest, match="runExecutionAsProcess: true is not supported"):
        package.deploy(service_name="as-process", run_execution_as_process=True)
    assert package.services.list().items_count == 0


def test_an_items_resource_executions_list_what_ran_on_it(faas_platform, package, faas_item, faas_dataset, api):
    service = package.deploy(service_name="on-items")
    ran = service.execute(function_name="run", execution_input={"item": faas_item.id})
    wait(faas_platform, ran.id)
    other = faas_dataset.items.upload(local_path=io.BytesIO(b"y"), remote_name="other.txt")
    wait(faas_platform, service.execute(function_name="run", execution_input={"item": other.id}).id)
    [record] = faas_item.resource_executions.list().items
    assert (record.execution_id, record.status, record.resource_type) == (ran.id, "success", "Item")
    assert (record.service_name, record.function_name, record.package_name) == ("on-items", "run", "details")
    assert api.post("/executions/resource/query", json={"resource": "items", "filter": {}}).status_code == 400
    answer = api.post("/executions/resource/query", json={"resource": "resourceExecution", "filter": {"$x": 1}})
    assert answer.status_code == 400 and answer.json()["message"]


def test_an_item_clone_fires_the_clone_trigger_on_the_new_item(faas_platform, package, faas_item, faas_dataset):
    service = package.deploy(service_name="on-clone")
    service.triggers.create(function_name="run", resource="Item", actions="Clone", name="on-clone")
    clone = faas_item.clone(dst_dataset_id=faas_dataset.id, remote_filepath="/clone/")
    [fired] = service.executions.list().items  # the upload made the clone too, but no trigger is on Created
    record = wait(faas_platform, fired.id)
    assert record["latestStatus"]["status"] == "success"
    assert record["resources"] == [{"type": "Item", "id": clone.id}] and clone.id != faas_item.id
