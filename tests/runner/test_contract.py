"""The runner contract, the same in every placement (``PLACEMENTS`` in conftest.py).

Everything goes through the real dtlpy SDK against the real platform over HTTP; the only shortcut is
waiting for a record to be final through the backend's Python API instead of dtlpy's 2 s polling sleeps.
"""

from __future__ import annotations

import io
import time
import uuid

import pytest

from faas_code import container_stops, contract_package, simple_package, wait

from pytest_faas.protocol import END_MARKER, OUTPUT_TOO_LARGE, TIMEOUT_MESSAGE


@pytest.fixture
def run(platform, project):
    """``run(service, function, inputs) -> (dl.Execution, final record)``."""
    def execute(service, function, inputs=None):
        execution = service.execute(execution_input=inputs or {}, function_name=function, project_id=project.id)
        return execution, wait(platform, execution.id)
    return execute


def statuses(record):
    return [entry["status"] for entry in record["statusLog"]]


def log_lines(service, execution_id):
    return [line.split(": ", 1)[1] for line in service.log(execution_id=execution_id, view=False, follow=False)]


def test_return_value_becomes_the_output_and_the_status_log_is_complete(run, dl, service, project):
    execution, record = run(service, "echo", {"config": {"a": [1, 2]}})
    fetched = dl.executions.get(execution_id=execution.id)
    assert fetched.latest_status["status"] == "success"
    assert fetched.output == {"a": [1, 2]}
    assert statuses(record) == ["created", "in-progress", "success"]
    assert record["attempts"] == 1 and record["latestStatus"]["percentComplete"] == 100
    assert isinstance(record["duration"], float)
    assert log_lines(service, execution.id)[-1] == END_MARKER


def test_entity_inputs_are_resolved_by_declared_type(run, dl, service, project):
    dataset = project.datasets.create(dataset_name=f"entities-{time.time_ns()}")
    first = dataset.items.upload(local_path=io.BytesIO(b"1"), remote_path="/in", remote_name="a.txt")
    second = dataset.items.upload(local_path=io.BytesIO(b"2"), remote_path="/in", remote_name="b.txt")
    annotation = dl.Annotation.new(item=first, annotation_definition=dl.Classification(label="cat")).upload()
    inputs = {"item": first.id, "items": [first.id, {"item_id": second.id, "dataset_id": dataset.id}],
              "dataset": {"dataset_id": dataset.id}, "annotation": {"annotation_id": annotation.id},
              "number": 7, "text": "hi"}
    execution, record = run(service, "entities", inputs)
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]
    assert record["output"] == {
        "item": ["Item", first.id], "items": [first.id, second.id], "dataset": ["Dataset", dataset.id],
        "item_dataset": dataset.name, "item_bytes": "1",
        "annotation": ["Annotation", annotation.id, "cat"], "number": 7, "text": "hi", "progress": True,
        "execution_id": execution.id, "trigger_id": None, "service": "contract"}


def test_missing_entity_fails_naming_the_input(run, service, project):
    _, record = run(service, "entities", {"item": "0" * 24, "items": [], "dataset": "x", "annotation": "y",
                                                    "number": 1, "text": ""})
    assert record["latestStatus"]["status"] == "failed"
    assert "'item'" in record["latestStatus"]["message"] and "not found" in record["latestStatus"]["message"]


def test_init_params_and_package_relative_imports(run, service, project):
    _, record = run(service, "marker")
    assert record["output"] == {"marker": "contract", "value": 42}


def test_two_packages_with_a_main_py_never_collide(run, push, service, project, tmp_path):
    other = push(contract_package(tmp_path / "other", name="other", marker="other"))
    other_service = other.deploy(service_name="other", runtime={"concurrency": 1})
    _, mine = run(service, "marker")
    _, theirs = run(other_service, "marker")
    assert (mine["output"]["marker"], theirs["output"]["marker"]) == ("contract", "other")
    other_service.delete()


def test_progress_updates_are_recorded_without_ending_the_execution(run, service, project):
    _, record = run(service, "report")
    progress = [e for e in record["statusLog"] if e["message"] == "half way"]
    assert progress and progress[0]["status"] == "inProgress" and progress[0]["percentComplete"] == 50
    assert statuses(record)[-1] == "success" and record["output"] == "reported"


def test_an_exception_fails_with_the_users_traceback(run, service, project):
    execution, record = run(service, "fail", {"config": {"why": "bad input"}})
    message = record["latestStatus"]["message"]
    assert record["latestStatus"]["status"] == "failed"
    assert message.startswith("ValueError: boom: bad input")
    assert "Traceback" in message and "main.py" in message and "pytest_faas/runtime" not in message
    lines = log_lines(service, execution.id)
    assert "about to fail" in lines and any("ValueError: boom: bad input" in line for line in lines)
    assert lines[-1] == END_MARKER


def test_a_hang_past_the_execution_timeout_fails_and_the_service_goes_on(run, service, project, placement, tmp_path):
    ticks = tmp_path / "ticks"
    execution, record = run(service, "hang", {"config": {"file": str(ticks)}})
    assert record["latestStatus"]["status"] == "failed"
    assert record["latestStatus"]["message"] == TIMEOUT_MESSAGE
    if placement == "docker":  # the container that ran it is killed
        host = next(line.split()[-1] for line in log_lines(service, execution.id) if line.startswith("running on"))
        assert container_stops(host), f"container {host} still runs the timed-out function"
    elif placement != "thread":  # a thread cannot be killed; a process can, and is
        time.sleep(0.3)
        size = ticks.stat().st_size
        time.sleep(0.6)
        assert ticks.stat().st_size == size, "the timed-out function kept running"
    _, record = run(service, "echo", {"config": 1})
    assert record["output"] == 1


def test_timeouts_rerun_per_on_reset_up_to_max_attempts(run, rerun_service, project, tmp_path):
    _, record = run(rerun_service, "hang", {"config": {"file": str(tmp_path / "ticks")}})
    assert record["latestStatus"]["status"] == "failed"
    assert record["attempts"] == 2
    assert statuses(record).count("rerun") == 1
    assert all(e["message"] == TIMEOUT_MESSAGE for e in record["statusLog"] if e["status"] in ("rerun", "failed"))


@pytest.mark.parametrize("how, says", [("exit", "died"), ("signal", "SIGKILL")])
def test_a_runner_that_dies_ends_in_system_failure(run, service, project, how, says):
    _, record = run(service, "die", {"config": {"how": how}})
    assert record["latestStatus"]["status"] == "system-failure"
    assert says in record["latestStatus"]["message"]
    _, record = run(service, "echo", {"config": "alive"})
    assert record["output"] == "alive"


def test_a_runner_that_dies_is_rerun_with_on_reset_rerun(run, rerun_service):
    _, record = run(rerun_service, "die", {"config": {"first_only": True}})
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]
    assert record["output"] == "second attempt" and record["attempts"] == 2
    assert "rerun" in statuses(record)


def test_output_that_is_not_json_fails(run, service, project):
    _, record = run(service, "not_json")
    assert record["latestStatus"]["status"] == "failed"
    assert "not JSON serialisable" in record["latestStatus"]["message"]


def test_output_over_4_mb_fails_with_the_platform_message(run, service, project):
    _, record = run(service, "big")
    assert record["latestStatus"]["status"] == "failed"
    assert record["latestStatus"]["message"] == OUTPUT_TOO_LARGE
    assert record["output"] is None


def test_terminate_stops_a_running_execution(platform, service, project, placement):
    execution = service.execute(execution_input={"config": {}}, function_name="interruptible", project_id=project.id)
    deadline = time.monotonic() + 20
    while platform.backend.engine.executions.get(execution.id)["latestStatus"]["status"] != "in-progress":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.1)
    execution.terminate()
    record = wait(platform, execution.id)
    assert record["latestStatus"]["status"] == "failed"
    assert record["toTerminate"] is True
    # A thread can only be asked; a process is killed at once. A container's kill goes through the engine
    # and can lose the race to the cooperative signal that `kill_event()` raises on: either ends it.
    expected = {"thread": ("termination signal",), "subprocess": ("killed",),
                "docker": ("killed", "termination signal")}[placement]
    assert any(word in record["latestStatus"]["message"] for word in expected), record["latestStatus"]["message"]


def test_executions_run_up_to_concurrency_at_once(platform, service, project):
    config = {"group": uuid.uuid4().hex, "n": 4, "within": 90}
    executions = [service.execute(execution_input={"config": config}, function_name="together", project_id=project.id)
                  for _ in range(4)]
    outputs = [wait(platform, e.id, timeout=150)["output"] for e in executions]
    assert outputs == ["together"] * 4, "the four did not run at once"


def test_output_and_logging_are_captured_per_execution(platform, service, project):
    executions = {tag: service.execute(execution_input={"config": {"tag": tag, "lines": 30}}, function_name="chatty",
                                       project_id=project.id) for tag in ("alpha", "beta")}
    for tag, execution in executions.items():
        assert wait(platform, execution.id)["output"] == tag
        lines = log_lines(service, execution.id)
        assert [line for line in lines if line.startswith(("alpha", "beta"))] == [f"{tag} {n}" for n in range(30)]
        assert any(f"logged by {tag}" in line for line in lines)
        assert lines[-1] == END_MARKER


def test_code_that_cannot_load_fails_its_executions_clearly(run, push, project, tmp_path, platform):
    broken = simple_package(tmp_path / "broken", "broken", "def run(self):\n    return 1\n", [("run", [])])
    (broken / "main.py").write_text("raise RuntimeError('cannot import me')\n" + (broken / "main.py").read_text())
    # dtlpy's own sanity check would import the module here, in the test process.
    service = push(broken, ignore_sanity_check=True).deploy(service_name="broken")
    _, record = run(service, "run")
    assert record["latestStatus"]["status"] == "failed"
    assert "could not start" in record["latestStatus"]["message"]
    assert "RuntimeError: cannot import me" in record["latestStatus"]["message"]
    service.delete()


def _at(record, status) -> float:
    from datetime import datetime  # noqa: PLC0415

    stamp = next(e["timestamp"] for e in record["statusLog"] if e["status"] == status)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_replica_that_keeps_dying_comes_back_ever_more_slowly(run, dl, platform, contract, placement):
    """The one restart policy of every placement: a replica that dies soon after its start is restarted
    after 0.4 s, then 0.8 s, then 1.6 s; the next execution starts no sooner."""
    supervisor = platform.supervisor
    # "Soon" widened: on a loaded machine a container's start alone can take seconds.
    supervisor.quick_death_s = 120.0
    crashing = contract.deploy(service_name=f"crash-loop-{placement}", runtime={"concurrency": 1},
                               init_input=dl.FunctionIO(type="Json", name="value", value=0))
    try:
        records = [run(crashing, "die", {"config": {"how": "exit"}})[1] for _ in range(3)]
        _, alive = run(crashing, "echo", {"config": "alive"})
    finally:
        crashing.delete()
        del supervisor.quick_death_s
    assert [r["latestStatus"]["status"] for r in records] == ["system-failure"] * 3
    assert alive["output"] == "alive"
    decided = [r for r in supervisor.restarts if r.service_id == crashing.id]
    assert [(r.attempt, r.delay) for r in decided[:3]] == [(1, 0.4), (2, 0.8), (3, 1.6)]
    for (died, then), delay in zip(zip(records, [*records[1:], alive]), (0.4, 0.8, 1.6)):
        gap = _at(then, "in-progress") - _at(died, "system-failure")
        assert gap >= delay - 0.01, f"the next execution started {gap:.2f} s after a death: within the {delay} s"
