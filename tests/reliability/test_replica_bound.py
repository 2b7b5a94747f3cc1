"""The replicas a platform runs are bounded in all, not only per service: an app of many compute configs x 32
replicas is refused at install with a message, before a single agent starts; a service update past the
bound is refused too; what fits still installs and runs.

Before, 10 configs x 32 replicas added 1,280 threads in 1.7 s, and 200 x 32 left the install unanswered.
"""

from __future__ import annotations

import json
import threading

import pytest
from reliability_data import holds_within

from pytest_faas.backend.faas.services import MAX_REPLICAS, MAX_TOTAL_REPLICAS
from pytest_faas.local import LocalPlatform

CODE = "class Runner:\n" + "".join(f"    def f{n}(self, config):\n        return {n}\n" for n in range(10))


def _app(name: str, configs: int, replicas: int) -> dict:
    return {"name": name, "version": "1.0.0", "displayName": name, "scope": "project", "components": {
        "computeConfigs": [{"name": f"{name}-c{n}", "runtime": {"numReplicas": replicas, "concurrency": 1}}
                           for n in range(configs)],
        "modules": [{"name": "main", "entryPoint": "main.py", "className": "Runner", "functions": [
            {"name": f"f{n}", "computeConfig": f"{name}-c{n}", "input": [{"type": "Json", "name": "config"}]}
            for n in range(configs)]}]}}


def _publish(project, root, manifest: dict):
    folder = root / manifest["name"]
    folder.mkdir()
    (folder / "dataloop.json").write_text(json.dumps(manifest))
    (folder / "main.py").write_text(CODE)
    return project.dpks.publish(manifest_filepath=str(folder / "dataloop.json"), local_path=str(folder))


@pytest.fixture
def platform(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # dtlpy packs the codebase under ./.dataloop
    with LocalPlatform(tmp_path / "data", placement="thread") as platform:
        yield platform


def _agents(platform) -> int:
    return len(platform.backend.engine.dispatch.agents)


def test_an_app_past_the_total_bound_is_refused_before_any_agent_starts(platform, tmp_path):
    dl = platform.dl
    project = dl.projects.create("replicas")
    threads = threading.active_count()
    flood = _publish(project, tmp_path, _app("flood", 10, MAX_REPLICAS))
    with pytest.raises(dl.exceptions.BadRequest) as refused:
        project.apps.install(dpk=flood)
    message = str(refused.value)
    assert f"at most {MAX_TOTAL_REPLICAS} replicas in all" in message and "the app's 10 services asks 320" in message
    # Nothing of it runs, nothing of it is stored: no agent, no service, no app.
    assert _agents(platform) == 0
    assert project.services.list().items_count == 0 and project.apps.list().items_count == 0
    assert threading.active_count() <= threads + 4  # not one thread per refused replica

    # What fits installs and runs: its agents register, as many as it asks.
    project.apps.install(dpk=_publish(project, tmp_path, _app("small", 2, 2)))
    service = project.services.get(service_name="small-c1")
    execution = service.execute(function_name="f1", execution_input={"config": {}}, project_id=project.id)
    assert execution.wait().output == 1
    _wait_for_agents(platform, 4)

    # The bound counts what runs already: 4 + 3 x 32 = 100 fits, 4 + 4 x 32 = 132 does not.
    with pytest.raises(dl.exceptions.BadRequest, match="the active services run 4 and the app's 4 services asks 128"):
        project.apps.install(dpk=_publish(project, tmp_path, _app("four", 4, MAX_REPLICAS)))
    project.apps.install(dpk=_publish(project, tmp_path, _app("three", 3, MAX_REPLICAS)))
    _wait_for_agents(platform, 100)
    # One service raised past the bound is refused, and keeps what it had.
    service.runtime.num_replicas = MAX_REPLICAS
    with pytest.raises(dl.exceptions.BadRequest, match="the active services run 98 and this service asks 32"):
        service.update()
    assert project.services.get(service_name="small-c1").runtime.num_replicas == 2
    assert _agents(platform) == 100


def _wait_for_agents(platform, count: int) -> None:
    """Until ``count`` agents have registered (a bounded wait on the event, not a timing check)."""
    holds_within(lambda: _agents(platform) >= count, 60)
    assert _agents(platform) == count


BODY = "\ndef run(self, config):\n    return config['n']\n"


def test_a_suite_of_more_services_than_the_bound_pauses_the_oldest_and_runs_every_case(platform, tmp_path,
                                                                                         monkeypatch):
    """The case runner deploys a service per package: past the bound (3 here, so the suite stays small) it
    pauses its least recently used services, as a cluster leaves pods pending, and resumes one its case needs
    again; no case fails for the bound, and the agents never number more than it."""
    from faas_code import simple_package  # noqa: PLC0415

    from pytest_faas import cases  # noqa: PLC0415
    from pytest_faas.cases.runner import CaseRunner  # noqa: PLC0415
    from pytest_faas.manifests.loaded import load_folder  # noqa: PLC0415

    monkeypatch.setattr("pytest_faas.backend.faas.services.MAX_TOTAL_REPLICAS", 3)
    runner = CaseRunner(platform, "thread")
    packages = []
    for n in range(5):
        folder = simple_package(tmp_path / f"pkg{n}", f"bound{n}", BODY, [("run", [("config", "Json")])])
        (folder / "mock.json").write_text(json.dumps({"inputs": [{"name": "config", "value": {"n": n}}]}))
        packages.append(load_folder(folder / "package.json"))
    for package in packages + packages[:2]:  # the first two again: paused by then, resumed for their case
        outcome = cases.run(runner, package, package.cases()[0])
        assert outcome.status == "success" and outcome.execution["output"] == int(package.folder.name[3:])
        active = [s for s in platform.backend.engine.services.all() if s.get("active")]
        assert len(active) <= 3
        # A paused service's agents leave once drained: the agents come back under the bound.
        assert holds_within(lambda: _agents(platform) <= 3, 60), _agents(platform)
    runner.close()
