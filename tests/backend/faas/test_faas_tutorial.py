"""The tutorial (docs/platform.md#the-faas-tutorial) replayed with the real dtlpy SDK against the local platform.

generate -> push -> deploy (the tutorial's runtime) -> execute on an item -> the annotation is there;
a trigger on ``/train`` fires once per new item there and never for ``/val``; an Always trigger fires on
every update; ``deploy_from_local_folder`` and ``deploy_from_file`` create services and triggers.
"""

from __future__ import annotations

import io
import json
import time

import pytest

from faas_code import simple_package, wait

from pytest_faas.protocol import END_MARKER

TUTORIAL_MAIN = '''
import dtlpy as dl
import logging
logger = logging.getLogger(name=__name__)


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, **kwargs):
        pass

    def run(self, item, progress=None):
        ann = dl.Annotation.new(annotation_definition=dl.Classification(label='completed'), item=item)
        ann.upload()
        progress.update(status='inProgress', progress=100)
'''

TUTORIAL_RUNTIME = {"gpu": False, "replicas": 1, "concurrency": 6, "runnerImage": ""}


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in tmp_path: dtlpy's push writes a .dataloop folder into the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def upload(dataset, folder: str, name: str, data: bytes = b"data"):
    return dataset.items.upload(local_path=io.BytesIO(data), remote_path=folder, remote_name=name)


def labels(item) -> list[str]:
    return [annotation.label for annotation in item.annotations.list()]


def trigger_executions(faas_dl, trigger) -> list:
    filters = faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION, field="triggerId", values=trigger.id)
    return list(faas_dl.executions.list(filters=filters).all())


def test_generate_push_deploy_and_invoke_on_an_item(faas_platform, faas_dl, faas_project, here):
    faas_dl.packages.generate(name="my-first-package", src_path=str(here))
    package = faas_project.packages.push(src_path=str(here))
    assert (package.name, package.version) == ("my-first-package", "1.0.0")
    assert package.codebase.type == "item"
    service = package.deploy(service_name="hello", runtime=TUTORIAL_RUNTIME)
    assert (service.runtime.concurrency, service.runtime.num_replicas) == (6, 1)
    dataset = faas_project.datasets.create(dataset_name="images")
    item = upload(dataset, "/train", "a.txt")

    execution = service.execute(execution_input=faas_dl.FunctionIO(name="item", value=item.id, type="Item"),
                                function_name="run")
    execution = execution.wait()

    assert execution.latest_status["status"] == "success"
    assert labels(item) == ["from_function"]
    lines = [line.split(": ", 1)[1] for line in service.log(execution_id=execution.id, view=False)]
    assert "Item received! filename: /train/a.txt" in lines and lines[-1] == END_MARKER


def test_the_tutorials_edited_function_and_sync_execute(faas_platform, faas_dl, faas_project, here, monkeypatch):
    simple_package(here / "pkg", "default-package", "", [("run", [("item", "Item")])])
    (here / "pkg" / "main.py").write_text(TUTORIAL_MAIN)
    package = faas_project.packages.push(src_path=str(here / "pkg"))
    service = package.deploy(service_name="tutorial", runtime=TUTORIAL_RUNTIME)
    item = upload(faas_project.datasets.create(dataset_name="d"), "/", "b.txt")

    # dtlpy's sync execute polls the execution and sleeps between polls; the platform's short grace on
    # GET /executions/{id} answers the first poll with the final record, so dtlpy never sleeps.
    import dtlpy.repositories.executions as dtlpy_executions  # noqa: PLC0415

    slept = []

    class Clock:  # dtlpy's executions module's own view of `time`: its sleeps recorded, the process's untouched
        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds):
            slept.append(seconds)

    monkeypatch.setattr(dtlpy_executions, "time", Clock())
    # The grace is a bound, not a promise of speed: a generous one keeps a busy machine from failing this.
    monkeypatch.setattr(faas_platform.backend.engine, "get_grace_s", 60.0)
    output = service.execute(execution_input=faas_dl.FunctionIO(name="item", value=item.id, type="Item"), sync=True)
    monkeypatch.undo()

    assert slept == [], "sync execute had to poll again: the first GET did not wait for the end"
    assert output is None
    assert labels(item) == ["completed"]


def test_a_train_trigger_fires_once_per_new_item_and_never_for_val(faas_platform, faas_dl, faas_project, here):
    faas_dl.packages.generate(name="trigger-package", src_path=str(here))
    service = faas_project.packages.push(src_path=str(here)).deploy(service_name="on-train")
    trigger = service.triggers.create(service_id=service.id, resource=faas_dl.TriggerResource.ITEM,
                                      actions=faas_dl.TriggerAction.CREATED, name="training-trigger",
                                      filters=faas_dl.Filters(field="dir", values="/train"),
                                      execution_mode=faas_dl.TriggerExecutionMode.ONCE, function_name="run")
    assert trigger.filters == {"$and": [{"hidden": False}, {"type": "file"}, {"dir": "/train"}]}
    dataset = faas_project.datasets.create(dataset_name="data")
    train = [upload(dataset, "/train", f"t{n}.txt") for n in range(3)]
    val = [upload(dataset, "/val", f"v{n}.txt") for n in range(2)]
    upload(dataset, "/train/sub", "deeper.txt")  # `dir` is an exact match
    upload(dataset, "/train/.hidden", "h.txt")  # hidden: the implicit hidden:false clause excludes it
    dataset.items.upload(local_path=io.BytesIO(b"new"), remote_path="/train", remote_name="t0.txt",
                         overwrite=True)  # an update, not a creation

    executions = trigger_executions(faas_dl, trigger)
    assert sorted(e.input["item"]["item_id"] for e in executions) == sorted(i.id for i in train)
    for execution in executions:
        assert wait(faas_platform, execution.id)["latestStatus"]["status"] == "success"
        assert execution.trigger_id == trigger.id
    assert all(labels(i) == ["from_function"] for i in train)
    assert all(labels(i) == [] for i in val)


@pytest.mark.parametrize("mode, fired", [("Always", 3), ("Once", 1)])
def test_update_triggers_fire_always_or_once(faas_platform, faas_dl, faas_project, here, mode, fired):
    simple_package(here / "pkg", "counter", "def seen(self, item):\n    return item.metadata['user'].get('n')\n",
                   [("seen", [("item", "Item")])])
    service = faas_project.packages.push(src_path=str(here / "pkg")).deploy(service_name=f"updates-{mode.lower()}")
    trigger = service.triggers.create(resource=faas_dl.TriggerResource.ITEM, actions=faas_dl.TriggerAction.UPDATED,
                                      execution_mode=mode, function_name="seen", name="on-update")
    item = upload(faas_project.datasets.create(dataset_name="d"), "/", "x.txt")
    for n in range(3):
        item.metadata["user"]["n"] = n
        item = item.update()

    executions = trigger_executions(faas_dl, trigger)
    assert len(executions) == fired
    assert all(e.input["item"]["item_id"] == item.id for e in executions)
    assert all(wait(faas_platform, e.id)["latestStatus"]["status"] == "success" for e in executions)


def test_an_inactive_trigger_never_fires_and_triggers_can_be_updated(faas_platform, faas_dl, faas_project, here):
    faas_dl.packages.generate(name="inactive-package", src_path=str(here))
    service = faas_project.packages.push(src_path=str(here)).deploy(service_name="inactive")
    trigger = service.triggers.create(name="off", active=False, filters=faas_dl.Filters(field="dir", values="/in"))
    dataset = faas_project.datasets.create(dataset_name="d")
    upload(dataset, "/in", "ignored.txt")
    assert trigger_executions(faas_dl, trigger) == []
    trigger.active = True
    trigger.update()
    upload(dataset, "/in", "seen.txt")
    [execution] = trigger_executions(faas_dl, trigger)
    assert wait(faas_platform, execution.id)["latestStatus"]["status"] == "success"


def test_annotation_and_dataset_triggers_pass_the_resource(faas_platform, faas_dl, faas_project, here):
    body = ("def on_annotation(self, annotation):\n    return annotation.label\n\n"
            "def on_dataset(self, dataset):\n    return dataset.name\n")
    simple_package(here / "pkg", "resources", body, [("on_annotation", [("annotation", "Annotation")]),
                                                     ("on_dataset", [("dataset", "Dataset")])])
    service = faas_project.packages.push(src_path=str(here / "pkg")).deploy(service_name="resources")
    on_annotation = service.triggers.create(name="a", resource=faas_dl.TriggerResource.ANNOTATION,
                                            function_name="on_annotation",
                                            filters=faas_dl.Filters(resource=faas_dl.FiltersResource.ANNOTATION))
    on_dataset = service.triggers.create(name="d", resource=faas_dl.TriggerResource.DATASET,
                                         function_name="on_dataset")
    dataset = faas_project.datasets.create(dataset_name="fresh")
    item = upload(dataset, "/", "x.txt")
    faas_dl.Annotation.new(item=item, annotation_definition=faas_dl.Classification(label="dog")).upload()

    [annotation_run] = trigger_executions(faas_dl, on_annotation)
    [dataset_run] = trigger_executions(faas_dl, on_dataset)
    assert wait(faas_platform, annotation_run.id)["output"] == "dog"
    assert wait(faas_platform, dataset_run.id)["output"] == "fresh"


def test_deploy_from_local_folder_creates_the_service_and_its_triggers(faas_platform, faas_dl, faas_project, here):
    faas_dl.packages.generate(name="default-package", src_path=str(here))
    faas_project.packages.push(src_path=str(here))
    service_json = {"name": "service-name", "packageName": "default-package", "packageRevision": "latest",
                    "runtime": TUTORIAL_RUNTIME, "initParams": {}, "moduleName": "default_module",
                    "triggers": [{"name": "trigger-name", "resource": "Item", "actions": ["Created"], "active": True,
                                  "filter": {"$and": [{"dir": "/train"}, {"hidden": False}, {"type": "file"}]},
                                  "function": "run", "executionMode": "Once"}]}
    (here / "service.json").write_text(json.dumps(service_json))

    service = faas_project.services.deploy_from_local_folder(cwd=str(here), service_file=str(here / "service.json"))

    assert service.name == "service-name" and service.runtime.concurrency == 6
    [trigger] = service.triggers.list().all()
    assert trigger.name == "trigger-name"
    item = upload(faas_project.datasets.create(dataset_name="d"), "/train", "x.txt")
    [execution] = trigger_executions(faas_dl, trigger)
    assert wait(faas_platform, execution.id)["latestStatus"]["status"] == "success"
    assert labels(item) == ["from_function"]


def test_deploy_from_file_pushes_deploys_and_creates_triggers(faas_platform, faas_dl, faas_project, here):
    faas_dl.packages.generate(name="from-file", src_path=str(here))
    services, package = faas_project.packages.deploy_from_file(project=faas_project,
                                                               json_filepath=str(here / "package.json"))
    [service] = services
    assert (service.name, service.package_revision, package.name) == ("default-service", package.version, "from-file")
    assert [t.name for t in service.triggers.list().all()] == ["name"]
    # Deploying the same file again updates in place.
    again, _ = faas_project.packages.deploy_from_file(project=faas_project, json_filepath=str(here / "package.json"))
    assert again[0].id == service.id


def test_auto_ml_modules_with_init_input_and_relative_imports(faas_platform, faas_dl, faas_project, here):
    main = '''
import dtlpy as dl
from .models_loader import ModelLoader


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, **kwargs):
        self.model = ModelLoader(model_name=kwargs["model_name"])

    def predict(self, item, progress=None):
        item.annotations.upload(annotations=[{"type": "class", "label": self.model.model_name}])
        progress.update(status='completed', progress=100)
        return self.model.model_name
'''
    from faas_code import package_json, write_package

    package_dir = write_package(here / "auto_ml", {
        "package.json": package_json("auto-ml", [("predict", [("item", "Item")])], module="single_item_auto_ml",
                                     entry_point="single_item_auto_ml.py", init_inputs=[("model_name", "Json")]),
        "single_item_auto_ml.py": main,
        "models_loader.py": "class ModelLoader:\n    def __init__(self, model_name):\n        self.model_name = model_name\n"})
    package = faas_project.packages.push(src_path=str(package_dir), ignore_sanity_check=True)
    init_inputs = faas_dl.FunctionIO(type=faas_dl.PackageInputType.JSON, name="model_name", value="my_model")
    service = package.deploy(service_name="single-item-auto-ml-service", init_input=init_inputs,
                             module_name="single_item_auto_ml",
                             runtime={"gpu": True, "replicas": 1, "concurrency": 1, "runnerImage": ""})
    item = upload(faas_project.datasets.create(dataset_name="d"), "/", "x.png")

    output = service.execute(execution_input={"item": {"item_id": item.id}}, function_name="predict", sync=True)

    assert output == "my_model" and labels(item) == ["my_model"]


def test_push_again_updates_in_place_and_revisions_keep_old_code(faas_platform, faas_dl, faas_project, here):
    def write(value):
        simple_package(here / "pkg", "versioned", f"def run(self):\n    return {value!r}\n", [("run", [])])

    write("one")
    first = faas_project.packages.push(src_path=str(here / "pkg"))
    pinned = first.deploy(service_name="pinned")
    write("two")
    second = faas_project.packages.push(src_path=str(here / "pkg"), revision_increment="patch")
    latest = second.deploy(service_name="latest")

    assert (second.id, second.version) == (first.id, "1.0.1")
    assert [r["version"] for r in second.revisions] == ["1.0.0", "1.0.1"]
    assert pinned.execute(function_name="run", sync=True) == "one"
    assert latest.execute(function_name="run", sync=True) == "two"


def test_deploy_again_updates_the_service_and_pause_holds_executions(faas_platform, faas_dl, faas_project, here):
    simple_package(here / "pkg", "config", "def __init__(self, value):\n    self.value = value\n\n"
                                           "def run(self):\n    return self.value\n", [("run", [])],
                   init_inputs=[("value", "Json")])
    package = faas_project.packages.push(src_path=str(here / "pkg"))
    service = package.deploy(service_name="configured", init_input={"value": 1})
    assert service.execute(function_name="run", sync=True) == 1
    updated = package.deploy(service_name="configured", init_input={"value": 2})
    assert updated.id == service.id and updated.init_input == {"value": 2}
    assert updated.execute(function_name="run", sync=True) == 2

    updated.pause()
    execution = updated.execute(function_name="run")
    assert faas_platform.backend.engine.wait(execution.id, 0.3)["latestStatus"]["status"] == "created"
    updated.resume()
    assert wait(faas_platform, execution.id)["output"] == 2


def test_rerun_keeps_the_id_and_the_history(faas_platform, faas_dl, faas_project, here):
    simple_package(here / "pkg", "rerun", "def run(self):\n    return 'ok'\n", [("run", [])])
    service = faas_project.packages.push(src_path=str(here / "pkg")).deploy(service_name="rerun")
    execution = service.execute(function_name="run")
    wait(faas_platform, execution.id)
    again = execution.rerun()
    record = wait(faas_platform, again.id)
    assert again.id == execution.id
    assert [e["status"] for e in record["statusLog"]] == ["created", "in-progress", "success", "created",
                                                          "in-progress", "success"]


def test_clear_errors_for_undeclared_functions_and_unknown_packages(faas_platform, faas_dl, faas_project, here, api):
    faas_dl.packages.generate(name="errors", src_path=str(here))
    package = faas_project.packages.push(src_path=str(here))
    service = package.deploy(service_name="errors")

    with pytest.raises(faas_dl.exceptions.BadRequest) as error:
        service.execute(function_name="nope")
    assert "'nope'" in str(error.value) and "'run', 'hello'" in str(error.value)

    with pytest.raises(faas_dl.exceptions.NotFound, match="no-such-package"):
        faas_project.packages.deploy(package_name="no-such-package")
    answer = api.post("/services", json={"name": "x", "projectId": faas_project.id, "packageId": "f" * 24})
    assert answer.status_code == 404 and "f" * 24 in answer.json()["message"]
    answer = api.post("/services", json={"name": "x", "projectId": faas_project.id, "packageId": package.id,
                                         "moduleName": "nope"})
    assert answer.status_code == 404 and "'default_module'" in answer.json()["message"]
    answer = api.post("/triggers", json={"type": "Cron", "projectId": faas_project.id, "name": "c", "spec": {
        "cron": "every minute", "operation": {"type": "function", "serviceId": service.id, "functionName": "run"}}})
    assert answer.status_code == 400 and "5-field cron" in answer.json()["message"]
    answer = api.post("/triggers", json={"type": "Event", "projectId": faas_project.id, "name": "t", "spec": {
        "resource": "Item", "filter": {"dir": {"$glob": "/x"}}, "actions": ["Created"],
        "operation": {"type": "function", "serviceId": service.id, "functionName": "run"}}})
    assert answer.status_code == 400 and "$glob" in answer.json()["message"]
