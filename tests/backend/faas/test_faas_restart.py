"""A platform restarted on the same data dir keeps every execution record, and never leaves one in progress.

The crash case runs the first platform in a child process that dies with ``os._exit`` while an execution
is running and another waits in the queue: nothing gets a chance to clean up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from faas_code import contract_package, wait

from pytest_faas.local import LocalPlatform

TESTS = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "platform"


def deploy_contract(platform, folder: Path, **deploy):
    project = platform.dl.projects.create("restart")
    package = project.packages.push(src_path=str(contract_package(folder)))
    return project, package.deploy(service_name="contract", init_input={"value": 1}, **deploy)


def test_records_services_and_triggers_survive_a_restart(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with LocalPlatform(data_dir) as first:
        project, service = deploy_contract(first, tmp_path / "pkg")
        done = [service.execute(execution_input={"config": n}, function_name="echo") for n in range(3)]
        failed = service.execute(execution_input={"config": {"why": "x"}}, function_name="fail")
        for execution in [*done, failed]:
            wait(first, execution.id)
        trigger = service.triggers.create(name="kept", filters=first.dl.Filters(field="dir", values="/in"),
                                          function_name="marker")
        ids = [e.id for e in done]

    with LocalPlatform(data_dir) as second:
        dl = second.dl
        assert [dl.executions.get(execution_id=i).output for i in ids] == [0, 1, 2]
        assert dl.executions.get(execution_id=failed.id).latest_status["status"] == "failed"
        service = dl.services.get(service_id=service.id)
        assert [t.id for t in service.triggers.list().all()] == [trigger.id]
        # The restarted platform starts the service's replicas again, and its triggers still fire.
        dataset = dl.projects.get(project_id=project.id).datasets.create(dataset_name="d")
        import io

        dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/in", remote_name="x.txt")
        filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="triggerId", values=trigger.id)
        [fired] = dl.executions.list(filters=filters).all()
        assert wait(second, fired.id)["output"] == {"marker": "contract", "value": 1}


CRASH = '''
import json, os, sys, time
sys.path.insert(0, {tests!r})
os.chdir({cwd!r})
from pytest_faas.local import LocalPlatform
from faas_code import contract_package

platform = LocalPlatform({data_dir!r}).start()
dl = platform.dl
project = dl.projects.create("crash")
package = project.packages.push(src_path=str(contract_package(__import__("pathlib").Path({cwd!r}) / "pkg")))
service = package.deploy(service_name="contract", init_input={{"value": 1}}, runtime={{"concurrency": 1}})
running = service.execute(execution_input={{"config": {{"file": {ticks!r}}}}}, function_name="hang")
queued = service.execute(execution_input={{"config": "later"}}, function_name="echo")
while platform.backend.engine.executions.get(running.id)["latestStatus"]["status"] != "in-progress":
    time.sleep(0.01)
print(json.dumps({{"running": running.id, "queued": queued.id}}), flush=True)
os._exit(1)  # a crash: no close, no cleanup
'''


def test_an_execution_running_at_a_crash_ends_on_restart_and_the_queue_resumes(data_dir, tmp_path):
    script = CRASH.format(tests=str(TESTS), cwd=str(tmp_path), data_dir=str(data_dir), ticks=str(tmp_path / "ticks"))
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == 1, child.stderr[-3000:]
    ids = json.loads(child.stdout.strip().splitlines()[-1])

    with LocalPlatform(data_dir) as restarted:
        dl = restarted.dl
        running = dl.executions.get(execution_id=ids["running"])
        assert running.latest_status["status"] == "system-failure"
        assert "platform stopped" in running.latest_status["message"]
        assert wait(restarted, ids["queued"])["output"] == "later"


def test_close_ends_running_executions_and_rerun_services_requeue_them(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with LocalPlatform(data_dir) as first:
        _, service = deploy_contract(first, tmp_path / "pkg", on_reset="rerun", max_attempts=3)
        running = service.execute(execution_input={"config": {"file": str(tmp_path / "ticks")}}, function_name="hang")
        first.backend.engine.wait(running.id, 0.5)
        assert first.backend.engine.executions.get(running.id)["latestStatus"]["status"] == "in-progress"

    with LocalPlatform(data_dir, placement="none") as second:  # no runners: the requeued execution waits
        record = second.backend.engine.executions.get(running.id)
        assert record["latestStatus"]["status"] == "rerun"
        assert record["latestStatus"]["message"] == "The platform stopped while this execution was running"
        assert [e["status"] for e in record["statusLog"]] == ["created", "in-progress", "rerun"]
