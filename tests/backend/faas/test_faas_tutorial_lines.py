"""The FaaS tutorial's SDK lines, run as the tutorial writes them, with the real dtlpy against a LocalPlatform.

Its lines that dtlpy 1.126 still runs are typed below exactly as the tutorial has them (what the tests add
between them is marked "glue"). Those it no longer runs are the table of docs/platform.md#the-faas-tutorial:
each row is checked to fail as written and to do the job in its current spelling, in the flow where the
tutorial has it, so the table cannot drift from the SDK.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pytest_faas.local import LocalPlatform

ROOT = Path(__file__).resolve().parents[3]
ITEM_ID = "<item id>"  # the tutorial's placeholder, replaced by a real item's id


def unsupported_lines() -> dict[str, str]:
    """docs/platform.md's table: the line as the tutorial writes it -> its current spelling."""
    text = (ROOT / "docs/platform.md").read_text(encoding="utf-8")
    section = text.split("## The FaaS tutorial", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(.+?)` \| `(.+?)` \|", section, re.M)
    return dict(rows)


LINES = unsupported_lines()


def replay(namespace: dict, written: str, item_id: str | None = None):
    """Run a line the tutorial writes and dtlpy 1.126 no longer runs: it fails; its current spelling runs."""
    current = LINES[written]
    if item_id is not None:
        written, current = written.replace(ITEM_ID, repr(item_id)), current.replace(ITEM_ID, repr(item_id))
    with pytest.raises(Exception) as failed:
        exec(compile(written, "<tutorial>", "exec"), namespace)  # noqa: S102 - the line under test
    assert not isinstance(failed.value, NameError), failed.value  # it failed in dtlpy, not for want of glue
    exec(compile(current, "<current spelling>", "exec"), namespace)  # noqa: S102
    return failed.value


@pytest.fixture
def tutorial(tmp_path, monkeypatch):
    """A platform whose user has the one project the tutorial checks out, and an empty working folder."""
    monkeypatch.chdir(tmp_path)
    with LocalPlatform(data_dir=tmp_path / "platform", placement="thread") as platform:
        platform.dl.projects.create(project_name="project name")
        yield platform


def upload(dl, name: str, folder: str = "/"):
    dataset = dl.projects.get().datasets.create(dataset_name=f"images-{name}")
    return dataset.items.upload(local_path=io.BytesIO(b"pixels"), remote_path=folder, remote_name=name)


def test_the_docs_list_the_lines_dtlpy_no_longer_runs():
    assert len(LINES) == 6, LINES


def test_hello_world(tutorial, tmp_path):
    dl = tutorial.dl
    ns = {"dl": dl}

    # as the tutorial writes it
    import dtlpy as dl  # noqa: F811 - the tutorial's own first line: the same dtlpy, bound to the platform
    dl.projects.checkout('project name')
    dl.packages.generate(name="my-first-package")
    dl.packages.push(checkout=True)

    package = dl.packages.get()  # the checked-out package
    assert (package.name, package.project_id) == ("my-first-package", dl.projects.get().id)
    assert package.codebase.type == "item"

    # glue: the service.json the tutorial's next part has the reader write
    (tmp_path / "service.json").write_text(json.dumps({
        "name": "service-name", "packageName": "my-first-package", "packageRevision": "latest",
        "runtime": {"gpu": False, "replicas": 1, "concurrency": 6, "runnerImage": ""},
        "triggers": [], "initParams": {}, "moduleName": "default_module"}))
    failed = replay(ns, 'dl.packages.deploy_from_local_folder(checkout=True)')
    assert isinstance(failed, AttributeError)
    assert dl.services.get().name == "service-name"  # deployed and checked out

    failed = replay(ns, 'dl.services.get().invoke()')
    assert "invoke" in str(failed)
    execution = dl.services.get().executions.list().items[0].wait()
    assert (execution.function_name, execution.latest_status["status"]) == ("hello", "success")


def test_plugin_json_deploy_and_execute(tutorial, tmp_path):
    dl = tutorial.dl
    ns = {"dl": dl}

    # as the tutorial writes it
    dl.projects.checkout('project name')
    dl.packages.generate(name="my-first-package")
    inputs = dl.FunctionIO(type=dl.PackageInputType.ITEM, name='item')
    function = dl.PackageFunction(inputs=inputs)
    ns.update(function=function)
    failed = replay(ns, 'module = dl.PackageModule(functions=function)')
    assert "must be a list" in str(failed)
    module = ns["module"]
    package = dl.packages.push(modules=module, checkout=True)
    package.deploy(service_name=None, runtime={ "gpu": False,  # noqa: E201 - as written
                                                "replicas": 1,
                                                "concurrency": 6,
                                                "runnerImage": "" })  # noqa: E202

    service = package.services.get(service_name=package.name)  # glue: the tutorial's "service"
    assert (service.runtime.concurrency, service.runtime.num_replicas) == (6, 1)
    item = upload(dl, "cat.png")
    replay(ns, "dl.services.get().invoke(execution_input=dl.FunctionIO(name='item', value=<item id>, type='Item'))",
           item_id=item.id)
    assert [a.label for a in item.annotations.list()] == ["from_function"]

    # glue: the mock.json of "Testing Plugin" names a real item
    (tmp_path / "mock.json").write_text(json.dumps({"inputs": [{"name": "item", "value": {"item_id": item.id}}]}))
    replay(ns, 'dl.plugins.test_local_plugin()')
    assert [a.label for a in item.annotations.list()] == ["from_function", "from_function"]

    # as the tutorial writes it: "Triggers"
    filters = dl.Filters(field='dir', values='/train')

    # create trigger
    trigger = service.triggers.create(
            service_id=service.id,
            resource=dl.TriggerResource.ITEM,
            actions=dl.TriggerAction.CREATED,
            name='training-trigger',
            filters=filters,
            execution_mode=dl.TriggerExecutionMode.ONCE,
            function_name='run'
        )

    trained = upload(dl, "dog.png", "/train")
    upload(dl, "bird.png", "/val")
    fired = dl.executions.list(filters=dl.Filters(resource=dl.FiltersResource.EXECUTION, field="triggerId",
                                                  values=trigger.id)).items
    assert [e.input["item"]["item_id"] for e in fired] == [trained.id]


def test_modules_and_functions(tutorial, tmp_path):
    dl = tutorial.dl
    ns = {"dl": dl}
    dl.projects.checkout('project name')
    # glue: the two entry points and the model loader they import, as the tutorial describes them
    for entry, arg in (("single_item_auto_ml.py", "item"), ("dataset_auto_ml.py", "dataset")):
        (tmp_path / entry).write_text(
            "import dtlpy as dl\nfrom .models_loader import ModelLoader\n\n\n"
            "class ServiceRunner(dl.BaseServiceRunner):\n"
            "    def __init__(self, **kwargs):\n        self.model = ModelLoader(model_name=kwargs['model_name'])\n\n"
            f"    def train(self, {arg}, progress=None):\n        return self.model.name\n\n"
            f"    def predict(self, {arg}, progress=None):\n        return self.model.name\n")
    (tmp_path / "models_loader.py").write_text("class ModelLoader:\n    def __init__(self, model_name):\n"
                                               "        self.name = model_name\n")

    # as the tutorial writes it
    # define init input
    init_inputs = dl.FunctionIO(type=dl.PackageInputType.JSON, name='model_name')

    # define item input spec
    item_inputs = dl.FunctionIO(type=dl.PackageInputType.ITEM, name='item')

    # define first module functions
    item_train_function = dl.PackageFunction(inputs=item_inputs, name='train', description='Train single item')
    item_predict_function = dl.PackageFunction(inputs=item_inputs, name='predict', description='Predict single item')

    # define first module
    item_auto_ml_module = dl.PackageModule(functions=[item_train_function, item_predict_function],
                                           name='single_item_auto_ml',
                                           entry_point='single_item_auto_ml.py', init_inputs=init_inputs)

    # define dataset input spec
    dataset_inputs = dl.FunctionIO(type=dl.PackageInputType.DATASET, name='dataset')

    # define second module functions
    dataset_train_function = dl.PackageFunction(inputs=dataset_inputs, name='train', description='Train entire dataset')
    dataset_predict_function = dl.PackageFunction(inputs=dataset_inputs, name='predict',
                                                  description='Predict entire dataset')

    # define second module
    dataset_auto_ml_module = dl.PackageModule(functions=[dataset_train_function, dataset_predict_function],
                                              name='dataset_auto_ml',
                                              entry_point='dataset_auto_ml.py', init_inputs=init_inputs)

    # push package
    # The tutorial names it auto_ml: the platform refuses '_' in package names (docs/platform.md#the-faas-tutorial).
    package = dl.packages.push(package_name='auto-ml', modules=[item_auto_ml_module, dataset_auto_ml_module])

    init_inputs = dl.FunctionIO(type=dl.PackageInputType.JSON, name='model_name', value='my_model')

    assert [m.name for m in package.modules] == ["single_item_auto_ml", "dataset_auto_ml"]
    ns.update(package=package, init_inputs=init_inputs)
    failed = replay(ns, 'package.deploy(service_name=None, init_input=init_inputs, '
                        'service_name=\'single-item-auto-ml-service\', runtime={"gpu": True, "replicas": 1, '
                        '"concurrency": 1, "runnerImage": ""})')
    assert isinstance(failed, SyntaxError)
    service = package.services.get(service_name="single-item-auto-ml-service")
    item = upload(dl, "cat.png")
    execution = service.execute(execution_input={"item": item.id}, function_name="predict").wait()
    assert (execution.latest_status["status"], execution.output) == ("success", "my_model")
