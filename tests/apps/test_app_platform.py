"""Apps on the local platform through the real dtlpy client: `dl.dpks` publish/get/list, `project.apps`
install/list/get/update/uninstall, what an install creates, and executions of an installed app's services."""

from __future__ import annotations

import io
import re
import time

import pytest

from faas_apps import two_module_app, write_app


@pytest.fixture
def name(request):
    """A name of this test's own: app names are one registry entry whichever project publishes them."""
    return "two-modules-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[5:30].strip("-")


@pytest.fixture
def app_dir(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)  # dtlpy packs the codebase under ./.dataloop
    return write_app(tmp_path / "two-modules", two_module_app(name))


def publish(project, app_dir):
    return project.dpks.publish(manifest_filepath=str(app_dir / "dataloop.json"), local_path=str(app_dir))


def test_publish_install_and_execute_as_the_docs_show(faas_dl, faas_project, app_dir, name):
    dpk = publish(faas_project, app_dir)
    assert (dpk.name, dpk.version, dpk.display_name) == (name, "1.0.0", "Two Modules")
    assert faas_dl.dpks.get(dpk_id=dpk.id).name == name
    assert faas_project.dpks.get(dpk_name=name).id == dpk.id
    assert [d.name for d in faas_project.dpks.list().all()] == [name]

    app = faas_project.apps.install(dpk=dpk)
    assert (app.name, app.dpk_name, app.dpk_version, app.status) == ("Two Modules", name, "1.0.0", "Installed")
    assert [a.id for a in faas_project.apps.list().all()] == [app.id]
    assert faas_project.apps.get(app_name="Two Modules").id == app.id

    labeller = faas_project.services.get(service_name=f"{name}-labeller")
    counter = faas_project.services.get(service_name=f"{name}-counter")
    assert (labeller.module_name, labeller.init_input, labeller.runtime.concurrency) == ("labeller", {"label": "from-config"}, 4)
    assert (counter.module_name, counter.runtime.concurrency) == ("counter", 2)
    assert labeller.app["id"] == app.id
    assert (type(labeller.package).__name__, labeller.package.name, labeller.package.version) == ("Dpk", name, "1.0.0")
    # The app's code is not a package of the project's own.
    assert [p.name for p in faas_project.packages.list().all()] == []

    execution = counter.execute(function_name="count", execution_input={"config": {"a": 1, "b": 2}},
                                project_id=faas_project.id)
    execution = execution.wait()
    assert execution.latest_status["status"] == "success", execution.latest_status
    assert execution.output == {"count": 4}
    execution = labeller.execute(function_name="echo", execution_input={"config": {"x": 1}}, project_id=faas_project.id)
    assert execution.wait().output == {"echo": {"x": 1}, "label": "from-config"}


def test_an_apps_event_trigger_fires_on_an_upload(faas_dl, faas_project, app_dir, faas_platform, name):
    faas_project.apps.install(dpk=publish(faas_project, app_dir))
    triggers = list(faas_project.triggers.list().all())
    assert [t.name for t in triggers] == [f"{name}-on-upload"]
    dataset = faas_project.datasets.create(dataset_name="pictures")
    item = dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/incoming", remote_name="a.jpg")
    elsewhere = dataset.items.upload(local_path=io.BytesIO(b"y"), remote_path="/other", remote_name="b.jpg")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not item.annotations.list():
        time.sleep(0.1)
    assert [a.label for a in item.annotations.list()] == ["from-config"]
    assert list(elsewhere.annotations.list()) == []


def test_pipeline_nodes_are_registered(faas_project, app_dir, faas_platform, name):
    app = faas_project.apps.install(dpk=publish(faas_project, app_dir))
    nodes = faas_platform.backend.apps.pipeline_nodes(app.id)
    counter = faas_project.services.get(service_name=f"{name}-counter")
    assert [(n["name"], n["serviceId"], n["moduleName"], n["functionName"]) for n in nodes] == \
        [("Count", counter.id, "counter", "count")]


def test_uninstall_removes_services_and_triggers(faas_dl, faas_project, app_dir, name):
    dpk = publish(faas_project, app_dir)
    app = faas_project.apps.install(dpk=dpk)
    assert faas_project.apps.uninstall(app_id=app.id) is True
    assert [s.name for s in faas_project.services.list().all()] == []
    assert list(faas_project.triggers.list().all()) == []
    with pytest.raises(faas_dl.exceptions.NotFound):
        faas_project.apps.get(app_id=app.id)
    assert dpk.delete() is True


def test_update_to_a_new_version_reinstalls_its_components(faas_dl, faas_project, app_dir, name):
    dpk = publish(faas_project, app_dir)
    app = faas_project.apps.install(dpk=dpk)
    manifest = two_module_app(name)
    manifest["version"] = "1.1.0"
    manifest["components"]["computeConfigs"][0]["initParams"] = {"label": "v2"}
    write_app(app_dir, manifest)
    publish(faas_project, app_dir)
    assert sorted(d.version for d in faas_project.dpks.get(dpk_name=name).revisions.all()) == ["1.0.0", "1.1.0"]
    app.dpk_version = "1.1.0"
    assert app.update() is True
    assert faas_project.apps.get(app_id=app.id).dpk_version == "1.1.0"
    assert faas_project.services.get(service_name=f"{name}-labeller").init_input == {"label": "v2"}


def test_republishing_a_version_is_refused(faas_dl, faas_project, app_dir):
    publish(faas_project, app_dir)
    with pytest.raises(faas_dl.exceptions.Conflict, match="bump 'version'"):
        publish(faas_project, app_dir)


def test_a_cron_trigger_of_an_app_runs_on_its_schedule(faas_project, tmp_path, monkeypatch, name, faas_platform):
    monkeypatch.chdir(tmp_path)
    manifest = two_module_app(name)
    manifest["components"]["triggers"] = [{
        "name": f"{name}-nightly", "type": "Cron", "namespace": f"{name}-counter.counter.count",
        "spec": {"cron": "0 3 * * *", "input": {"config": {"a": 1}}}}]
    app_dir = write_app(tmp_path / "app", manifest)
    faas_project.apps.install(dpk=publish(faas_project, app_dir))
    [trigger] = list(faas_project.triggers.list().all())
    assert (trigger.name, trigger.type, trigger.cron) == (f"{name}-nightly", "Cron", "0 3 * * *")
    counter = faas_project.services.get(service_name=f"{name}-counter")
    assert trigger.service_id == counter.id and trigger.function_name == "count"
    # A day later (this platform's clock only), the trigger has run the function once.
    ran = [i for i in faas_platform.backend.engine.cron.advance(86400)
           if faas_platform.backend.engine.executions.get(i)["serviceId"] == counter.id]
    assert len(ran) == 1
    assert faas_platform.backend.engine.wait(ran[0], timeout=30)["output"] == {"count": 2}


def test_the_docs_way_publish_from_the_app_folder_install_and_execute_on_an_item(faas_dl, faas_project, app_dir, name,
                                                                                monkeypatch):
    monkeypatch.chdir(app_dir)  # the docs publish from the app's folder: dataloop.json in the working directory
    dpk = faas_project.dpks.publish()
    app = faas_project.apps.install(dpk)
    assert faas_dl.dpks.get(dpk_name=name).version == "1.0.0"
    assert faas_project.apps.get(app_name=app.name).id == app.id
    dataset = faas_project.datasets.create(dataset_name="docs")
    item = dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/", remote_name="a.jpg")
    service = faas_project.services.get(service_name=f"{name}-labeller")
    execution = service.execute(function_name="label_item", item_id=item.id, project_id=faas_project.id)
    execution = execution.wait()
    assert execution.latest_status["status"] == "success", execution.latest_status
    assert [a.label for a in item.annotations.list()] == ["from-config"]


def test_pause_and_resume_stop_and_start_every_service_of_the_app(faas_dl, faas_project, app_dir, name):
    app = faas_project.apps.install(dpk=publish(faas_project, app_dir))
    assert app.pause() is True
    assert faas_project.apps.get(app_id=app.id).status == "Deactivated"
    assert [s.active for s in faas_project.services.list().all()] == [False, False]
    assert faas_project.apps.resume(app_id=app.id) is True
    assert faas_project.apps.get(app_id=app.id).status == "Installed"
    assert [s.active for s in faas_project.services.list().all()] == [True, True]
