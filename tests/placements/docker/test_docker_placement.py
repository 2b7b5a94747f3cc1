"""What only the docker placement has: containers, images, their faults. The runner contract itself runs in
docker too (``PLACEMENTS`` in conftest.py); these tests drive the real dtlpy SDK against the real platform
and a real Docker engine.
"""

from __future__ import annotations

import socket
import time

import pytest

from faas_code import simple_package, wait

from pytest_faas.placements.docker.engine import DockerEngine
from pytest_faas.placements.docker.labels import LABEL_PLATFORM

FUNCTIONS = [("whereami", []), ("eat", [("config", "Json")]), ("sleep", [("config", "Json")]),
             ("six_version", []), ("fail", []), ("marker", [])]
BODY = '''
def whereami(self):
    import os, socket
    return {"hostname": socket.gethostname(), "uid": os.getuid(),
            "interfaces": sorted(name for _, name in socket.if_nameindex())}

def eat(self, config):
    hoard = bytearray(config["mb"] * 1024 * 1024)
    for i in range(0, len(hoard), 4096):  # touch every page, so the memory is really used
        hoard[i] = 1
    return len(hoard)

def sleep(self, config):
    import time
    time.sleep(config["s"])
    return "slept"

def six_version(self):
    import six
    return six.__version__

def fail(self):
    raise ValueError("deliberately")

def marker(self):
    return "first edit"
'''


@pytest.fixture(scope="module")
def engine():
    engine = DockerEngine.connect()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def platform(engine):
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement="docker") as running:
        yield running


@pytest.fixture(scope="module")
def project(platform):
    return platform.dl.projects.create(f"docker-{time.time_ns()}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = simple_package(tmp_path_factory.mktemp("docker") / "inside", "inside", BODY, FUNCTIONS)
    (folder / "requirements.txt").write_text("six\n")
    return folder


@pytest.fixture(scope="module")
def package(project, folder):
    return project.packages.push(src_path=str(folder), ignore_sanity_check=True)


@pytest.fixture(scope="module")
def service(package):
    return package.deploy(service_name="inside", runtime={"concurrency": 2, "podType": "regular-xs"},
                          execution_timeout=60)


def run(platform, service, project, function, inputs=None, timeout=120.0):
    execution = service.execute(execution_input=inputs or {}, function_name=function, project_id=project.id)
    return execution, wait(platform, execution.id, timeout)


def docker_placement(platform):
    return platform.supervisor


pytestmark = pytest.mark.docker


def test_code_runs_in_a_labelled_container_as_non_root_with_only_loopback(platform, service, project, engine):
    _, record = run(platform, service, project, "whereami")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]
    where = record["output"]
    ours = {replica.id[:12]: replica for replica in engine.replicas(docker_placement(platform).platform_id)}
    assert where["hostname"] in ours, f"{where['hostname']} is not one of this platform's containers {list(ours)}"
    assert where["hostname"] != socket.gethostname()
    assert where["uid"] != 0
    assert where["interfaces"] == ["lo"], "a network-none container has loopback only"


def test_requirements_are_installed_in_the_image(platform, service, project):
    _, record = run(platform, service, project, "six_version")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]
    assert record["output"].count(".") >= 1


def test_an_unchanged_package_is_never_rebuilt(platform, package, service, project, engine):
    run(platform, service, project, "whereami")
    placement = docker_placement(platform)
    image = placement.images[service.id]
    created = engine.image_attrs(image)["Created"]
    again = package.deploy(service_name="inside-again", runtime={"concurrency": 1}, execution_timeout=60)
    _, record = run(platform, again, project, "whereami")
    assert record["latestStatus"]["status"] == "success"
    assert placement.images[again.id] == image
    assert engine.image_attrs(image)["Created"] == created
    again.delete()


def test_a_container_killed_for_memory_ends_in_system_failure_and_comes_back(platform, service, project):
    _, record = run(platform, service, project, "eat", {"config": {"mb": 1536}})  # regular-xs: 1 GiB
    assert record["latestStatus"]["status"] == "system-failure"
    assert "OOM-killed" in record["latestStatus"]["message"]
    _, record = run(platform, service, project, "eat", {"config": {"mb": 8}})
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]


def test_a_container_that_dies_mid_execution_ends_it_and_is_replaced(platform, service, project, engine):
    execution = service.execute(execution_input={"config": {"s": 30}}, function_name="sleep", project_id=project.id)
    deadline = time.monotonic() + 120  # a bound for the wait, not a figure
    while platform.backend.engine.executions.get(execution.id)["latestStatus"]["status"] != "in-progress":
        if time.monotonic() > deadline:
            pytest.fail("the execution never started")
        time.sleep(0.02)
    for replica in docker_placement(platform).replicas(service.id):
        engine.client.containers.get(replica.handle.replica.id).kill()  # as `docker kill` from outside would
    record = wait(platform, execution.id, 30)
    assert record["latestStatus"]["status"] == "system-failure"
    assert "SIGKILL" in record["latestStatus"]["message"]
    _, record = run(platform, service, project, "whereami")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]["message"]


def test_a_requirement_that_does_not_exist_fails_executions_naming_it(platform, project, tmp_path):
    folder = simple_package(tmp_path / "broken", "broken-requirements", BODY, FUNCTIONS)
    (folder / "requirements.txt").write_text("six\nfaas-no-such-distribution-anywhere==9.9.9\n")
    service = project.packages.push(src_path=str(folder), ignore_sanity_check=True).deploy(
        service_name="broken-requirements")
    _, record = run(platform, service, project, "whereami")
    message = record["latestStatus"]["message"]
    assert record["latestStatus"]["status"] == "failed"
    assert "faas-no-such-distribution-anywhere==9.9.9" in message and "requirements.txt" in message
    logged = platform.backend.engine.logs.query({"serviceId": service.id, "follow": False,
                                                 "start": "2000-01-01T00:00:00"})["logs"]
    errors = [line["message"] for line in logged if line.get("executionId") is None]
    assert any("requirements.txt line 2 'faas-no-such-distribution-anywhere==9.9.9'" in m for m in errors), errors
    assert any("ERROR: No matching distribution found for" in m for m in errors), errors  # pip's own line
    _, later = run(platform, service, project, "whereami", timeout=5)
    assert later["latestStatus"]["status"] == "failed", "later executions fail at once, not after a rebuild"
    service.delete()


def test_closing_the_platform_removes_its_containers(engine, tmp_path):
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement="docker") as platform:
        project = platform.dl.projects.create("closing")
        folder = simple_package(tmp_path / "closing", "closing", BODY, FUNCTIONS)
        service = project.packages.push(src_path=str(folder), ignore_sanity_check=True).deploy(
            service_name="closing", runtime={"numReplicas": 2})
        _, record = run(platform, service, project, "whereami")
        assert record["latestStatus"]["status"] == "success"
        placement = docker_placement(platform)
        platform_id = placement.platform_id
        serving = {replica.handle.replica.id for replica in placement.replicas(service.id)}
        assert len(serving) == 2
        assert serving <= {replica.id for replica in engine.replicas(platform_id)}
    assert engine.replicas(platform_id) == []
    assert not [c for c in engine.client.containers.list(all=True, filters={"label": f"{LABEL_PLATFORM}={platform_id}"})]


def test_a_failing_functions_traceback_names_the_packages_own_file(platform, service, project, folder):
    from pytest_faas.plugin.report import user_traceback

    _, record = run(platform, service, project, "fail")
    message = record["latestStatus"]["message"]
    assert record["latestStatus"]["status"] == "failed" and "ValueError: deliberately" in message
    # The container runs the host's unpacked copy at the host's own path, as the other placements do ...
    assert f'File "{docker_placement(platform).code_root}/' in message, message
    # ... so a report points at the file the author edits.
    assert f'File "{folder}/main.py", line ' in user_traceback(message, folder)


def test_an_edited_package_runs_without_building_an_image(platform, package, service, project, folder, engine):
    run(platform, service, project, "whereami")
    placement = docker_placement(platform)
    image = placement.images[service.id]
    created = engine.image_attrs(image)["Created"]
    (folder / "main.py").write_text((folder / "main.py").read_text().replace('"first edit"', '"second edit"'))
    edited = project.packages.push(src_path=str(folder), ignore_sanity_check=True)
    again = edited.deploy(service_name="inside-edited", runtime={"concurrency": 1}, execution_timeout=60)
    _, record = run(platform, again, project, "marker")
    assert record["output"] == "second edit", record["latestStatus"]["message"]
    assert placement.images[again.id] == image
    assert engine.image_attrs(image)["Created"] == created, "the image was rebuilt"
    again.delete()


def test_a_deploy_takes_the_container_made_ready_for_its_image(platform, package, service, project):
    from pytest_faas.placements.docker.ready import Slot

    run(platform, service, project, "whereami")
    placement = docker_placement(platform)
    slot = Slot(placement.images[service.id], "regular-xs")
    assert placement.ready.wait_ready(slot), "no container was made ready after the first deploy"
    waiting = placement.ready.waiting(slot)[0].replica.id
    again = package.deploy(service_name="inside-ready", runtime={"concurrency": 1, "podType": "regular-xs"},
                           execution_timeout=60)
    _, record = run(platform, again, project, "whereami")
    assert record["latestStatus"]["status"] == "success"
    assert record["output"]["hostname"] == waiting[:12]
    again.delete()


def test_deploys_back_to_back_each_take_a_container_made_ready(platform, package, service, project):
    from pytest_faas.placements.docker.ready import DEPTH, Slot

    run(platform, service, project, "whereami")
    placement = docker_placement(platform)
    slot = Slot(placement.images[service.id], "regular-xs")
    assert placement.ready.wait_ready(slot, count=DEPTH), f"{DEPTH} containers were not made ready"
    waiting = [ready.replica.id[:12] for ready in placement.ready.waiting(slot)]
    first, second = (package.deploy(service_name=f"back-to-back-{n}", execution_timeout=60,
                                    runtime={"concurrency": 1, "podType": "regular-xs"}) for n in (1, 2))
    hosts = [run(platform, deployed, project, "whereami")[1]["output"]["hostname"] for deployed in (first, second)]
    assert sorted(hosts) == sorted(waiting)  # neither deploy started a container of its own
    first.delete()
    second.delete()
