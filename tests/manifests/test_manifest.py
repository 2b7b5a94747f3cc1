"""package.json, service.json and mock.json: what loads, and where each bad file is said to be wrong."""

import json

import pytest

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.package import (INPUT_TYPES, MockFile, PackageManifest, ServiceManifest, declares_modules,
                                  load_mock, load_package, load_service)

HELLO_PACKAGE = {
    "name": "default_package",
    "modules": [{
        "name": "default_module",
        "entryPoint": "main.py",
        "initInputs": [],
        "functions": [{
            "name": "run",
            "description": "this description for your service",
            "input": [{"name": "item", "type": "Item"}],
            "output": [],
        }],
    }],
}

HELLO_SERVICE = {
    "name": "service-name",
    "packageName": "default_package",
    "packageRevision": "latest",
    "runtime": {"gpu": False, "replicas": 1, "concurrency": 6, "runnerImage": ""},
    "triggers": [{
        "name": "trigger-name",
        "filter": {"$and": [{"dir": "/train"}, {"hidden": False}, {"type": "file"}]},
        "resource": "Item",
        "actions": ["Created"],
        "active": True,
        "function": "run",
        "executionMode": "Once",
    }],
    "initParams": {},
    "moduleName": "default_module",
}

AUTO_ML_PACKAGE = {
    "name": "auto_ml",
    "modules": [
        {
            "name": name,
            "entryPoint": f"{name}.py",
            "initInputs": [{"type": "Json", "name": "model_name"}],
            "functions": [
                {"name": "train", "description": f"Train {what}", "input": [{"name": entity, "type": entity.title()}]},
                {"name": "predict", "description": f"Predict {what}", "input": [{"name": entity, "type": entity.title()}]},
            ],
        }
        for name, entity, what in (("dataset_auto_ml", "dataset", "entire dataset"),
                                   ("single_item_auto_ml", "item", "single item"))
    ],
}

AUTO_ML_SERVICE = {
    "name": "item-auto-ml-service",
    "packageName": "auto_ml",
    "packageRevision": "latest",
    "runtime": {"gpu": True, "replicas": 1, "concurrency": 1, "runnerImage": "gpu/image/main:latest"},
    "triggers": [],
    "initParams": {"model_name": "my_model"},
    "moduleName": "single_item_auto_ml",
}


@pytest.fixture
def write(tmp_path):
    """Write a JSON document (or raw text/bytes) to a file under tmp_path; return its path."""

    def _write(name, document):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(document, bytes):
            path.write_bytes(document)
        else:
            path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
        return path

    return _write


def errors_of(loader, path):
    """The located errors a loader raises, as a list, whatever their number."""
    with pytest.raises((ManifestError, ManifestErrors)) as info:
        loader(path)
    return info.value.errors if isinstance(info.value, ManifestErrors) else [info.value]


def only_error(loader, path):
    errors = errors_of(loader, path)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def with_module(**changes):
    module = {**HELLO_PACKAGE["modules"][0], **changes}
    return {**HELLO_PACKAGE, "modules": [module]}


def with_function(**changes):
    return with_module(functions=[{**HELLO_PACKAGE["modules"][0]["functions"][0], **changes}])


# -- the tutorial's packages load, with the platform's defaults ------------------------------------------


def test_the_hello_world_package_loads_with_platform_defaults(write):
    package = load_package(write("package.json", HELLO_PACKAGE))
    module = package.module("default_module")
    assert (module.entry_point, module.class_name) == ("main.py", "ServiceRunner")
    assert module.function("run").input_names == ["item"]
    assert package.source.name == "package.json"


def test_the_auto_ml_package_loads_both_modules_with_their_init_input(write):
    package = load_package(write("package.json", AUTO_ML_PACKAGE))
    assert [m.name for m in package.modules] == ["dataset_auto_ml", "single_item_auto_ml"]
    module = package.module("single_item_auto_ml")
    assert module.entry_point == "single_item_auto_ml.py"
    assert [(io.name, io.type) for io in module.init_inputs] == [("model_name", "Json")]
    assert [f.name for f in module.functions] == ["train", "predict"]
    assert package.module("dataset_auto_ml").function("predict").inputs[0].type == "Dataset"


def test_the_tutorial_service_files_load_with_their_legacy_runtime_keys(write):
    hello = load_service(write("service.json", HELLO_SERVICE))
    assert (hello.module_name, hello.revision, hello.package_name) == ("default_module", "latest", "default_package")
    assert (hello.runtime.gpu, hello.runtime.effective_replicas, hello.runtime.concurrency) == (False, 1, 6)
    trigger = hello.triggers[0]
    assert (trigger.resource, trigger.actions, trigger.function, trigger.execution_mode) == ("Item", ["Created"], "run", "Once")
    auto = load_service(write("auto.json", AUTO_ML_SERVICE))
    assert auto.runtime.gpu is True and auto.runtime.runner_image == "gpu/image/main:latest"
    assert auto.init_params == {"model_name": "my_model"} and auto.module_name == "single_item_auto_ml"
    assert (auto.execution_timeout, auto.drain_time, auto.on_reset, auto.run_execution_as_process) == (3600, 600, "failed", False)


def test_an_empty_package_module_gets_every_default():
    module = PackageManifest.model_validate({"modules": [{}]}).modules[0]
    assert (module.name, module.entry_point, module.class_name, module.functions) == (
        "default_module", "main.py", "ServiceRunner", [])
    assert PackageManifest.model_validate({"modules": []}).name == "default-package"


@pytest.mark.parametrize("kind, name", [("Item", "item"), ("Dataset", "dataset"), ("Annotation", "annotation"),
                                        ("Model", "model"), ("Task", "config"), ("Json", "config"),
                                        ("String", "config"), ("Item[]", "config")])
def test_an_unnamed_input_is_named_after_its_type_as_the_sdk_does(kind, name):
    package = PackageManifest.model_validate(with_function(input=[{"type": kind}]))
    assert package.modules[0].functions[0].inputs[0].name == name


def test_every_platform_input_type_and_its_list_form_is_accepted():
    assert {"Item", "Item[]", "Recipe[]", "Boolean[]", "Assignment"} <= set(INPUT_TYPES) and len(INPUT_TYPES) == 34
    PackageManifest.model_validate(with_function(input=[{"type": t, "name": f"i{n}"} for n, t in enumerate(INPUT_TYPES)]))


def test_a_single_output_dict_and_null_lists_read_as_lists():
    function = PackageManifest.model_validate(with_function(output={"type": "Json", "name": "out"}, input=None)).modules[0].functions[0]
    assert [o.name for o in function.outputs] == ["out"] and function.inputs == []


def test_unknown_keys_are_ignored_like_the_sdk_does(write):
    package = load_package(write("package.json", {**HELLO_PACKAGE, "uiHooks": [], "id": "x", "creator": "me"}))
    assert package.name == "default_package"


# -- declares_modules: the collection-time sniff --------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    (json.dumps({"name": "left-pad", "version": "1.0.0", "scripts": {}}), False),
    (json.dumps(HELLO_PACKAGE), True),
    ('{"name": "broken", "modules": [ {,] }', True),
    ('{"name": "broken" "version": 1', False),
    ('["modules"]', False),
    ('{"\\u006dodules": []}', True),
    ("", True),  # an empty package.json is nobody's: reported, not skipped
])
def test_declares_modules_sniffs_without_raising(write, text, expected):
    assert declares_modules(write("package.json", text)) is expected


def test_declares_modules_is_false_for_a_missing_or_binary_file(write, tmp_path):
    assert declares_modules(tmp_path / "nope.json") is False
    assert declares_modules(write("package.json", b'\xff\xfe"modules"\x00')) is True


def test_an_npm_package_json_is_not_ours(write):
    assert load_package(write("package.json", {"name": "left-pad", "dependencies": {}})) is None


# -- bad package.json: each problem located, with a hint where one helps --------------------------------


@pytest.mark.parametrize("document, json_path, expected, found, hint", [
    (with_function(input=[{"name": "item", "type": "item"}]), "modules[0].functions[0].input[0].type",
     "a FunctionIO type", "item", "did you mean 'Item'?"),
    (with_function(input=[{"name": "items", "type": "Items"}]), "modules[0].functions[0].input[0].type",
     "a FunctionIO type", "Items", "did you mean 'Item'?"),
    (with_function(output=[{"name": "label", "type": "Strng"}]), "modules[0].functions[0].output[0].type",
     "a FunctionIO type (inputs and outputs alike)", "Strng", "did you mean 'String'?"),
    (with_function(input=[{"name": "item"}]), "modules[0].functions[0].input[0].type",
     "required", None, None),
    (with_module(functions=[{"name": "run"}, {"name": "hello"}, {"name": "run"}]), "modules[0].functions[2].name",
     "a unique function name ('run' is already at [0])", "run", None),
    (with_module(functions=[{}, {"name": "run"}]), "modules[0].functions[1].name", "a unique function name", "run", None),
    (with_function(input=[{"type": "Item"}, {"type": "Item"}]), "modules[0].functions[0].input[1].name",
     "a unique input/output name", "item", None),
    ({"modules": [{"name": "a"}, {"name": "a"}]}, "modules[1].name", "a unique module name", "a", None),
    ({"modules": [3]}, "modules[0]", "an object", 3, None),
    # The SDK iterates 'modules' (a dict would give its keys) and the platform refuses one: no bare module.
    ({"modules": {"name": "m", "functions": "run"}}, "modules", "a list of modules", {"name": "m", "functions": "run"}, None),
    (with_function(input="item"), "modules[0].functions[0].input", "a list", "item", None),
    (with_module(entryPoint=""), "modules[0].entryPoint", "a non-empty string", "", None),
    (with_module(className=7), "modules[0].className", "a string", 7, None),
    ({**HELLO_PACKAGE, "slots": [{"moduleName": "default_modul", "functionName": "run"}]}, "slots[0].moduleName",
     "the name of a module", "default_modul", "did you mean 'default_module'?"),
    ({**HELLO_PACKAGE, "slots": [{"functionName": "rn"}]}, "slots[0].functionName",
     "a function of module 'default_module'", "rn", "did you mean 'run'?"),
    ({**HELLO_PACKAGE, "requirements": [{"name": "numpy", "operator": "=>"}]}, "requirements[0].operator",
     "one of '==', '>', '<', '<=', '>='", "=>", "did you mean '>='?"),
    ({**HELLO_PACKAGE, "type": "FaaS"}, "type", "one of 'faas', 'app', 'ml'", "FaaS", "did you mean 'faas'?"),
    ({**HELLO_PACKAGE, "codebase": {"type": "gitt"}}, "codebase.type", "one of 'item', 'git'", "gitt", "did you mean 'git'?"),
])
def test_a_bad_package_json_names_the_path_the_expectation_and_the_hint(write, document, json_path, expected, found, hint):
    path = write("pkg/package.json", document)
    error = only_error(load_package, path)
    assert (error.file, error.json_path) == (str(path), json_path)
    assert expected in error.expected
    if found is not None:
        assert error.found == found
    assert error.hint == hint
    assert str(error).startswith(f"{path}: {json_path}: expected ")


def test_a_missing_required_key_is_found_as_nothing(write):
    error = only_error(load_package, write("package.json", with_function(input=[{"name": "item"}])))
    assert str(error).endswith("found nothing")


def test_every_problem_of_one_file_is_reported_at_once(write):
    document = {"modules": [
        {"name": "m", "functions": [{"name": "run", "input": [{"type": "item"}, {"type": "Dataset", "name": 3}]},
                                    {"name": "run"}]},
        {"name": "m", "initInputs": [{"type": "Jason", "name": "model_name"}]},
    ]}
    errors = errors_of(load_package, write("package.json", document))
    assert {e.json_path: e.hint for e in errors} == {
        "modules[0].functions[0].input[0].type": "did you mean 'Item'?",
        "modules[0].functions[0].input[1].name": None,
        "modules[0].functions[1].name": None,
        "modules[1].initInputs[0].type": "did you mean 'Json'?",
        "modules[1].name": None,
    }


def test_invalid_json_gives_line_and_column(write):
    path = write("package.json", '{\n  "name": "x",\n  "modules": [,]\n}\n')
    error = only_error(load_package, path)
    assert (error.json_path, error.expected, error.line, error.column) == ("", "valid JSON", 3, 15)
    assert "line 3, column 15" in str(error) and '"modules": [,]' in error.hint


@pytest.mark.parametrize("content, line", [('{\n  "name": "x",\n  "modules": [],\n}\n', 3),
                                           ('{"modules": [{"name": "m"},\n\n]}', 1)])
def test_a_trailing_comma_is_called_one(write, content, line):
    error = only_error(load_package, write("package.json", content))
    assert error.hint.startswith(f"a trailing comma at line {line}") and "remove it" in error.hint


@pytest.mark.parametrize("content, expected, found", [
    ("[1, 2]", "a JSON object", [1, 2]),
    ("", "valid JSON", None),
    ('{"modules": [], "x": NaN}', "valid JSON", "NaN"),
    (b'{"modules": ["\xff"]}', "UTF-8 text", None),
    ("[" * 100_000, "valid JSON", None),
])
def test_a_file_that_is_not_a_json_object_is_one_located_error(write, content, expected, found):
    error = only_error(load_package, write("package.json", content))
    assert error.json_path == "" and error.expected == expected
    if found is not None:
        assert error.found == found


def test_a_missing_file_is_a_manifest_error(tmp_path):
    error = only_error(load_service, tmp_path / "service.json")
    assert error.expected == "a readable file"


# -- service.json ----------------------------------------------------------------------------------------


def test_effective_replicas_prefer_num_replicas_then_legacy_replicas_then_one(write):
    def replicas(runtime):
        return load_service(write("service.json", {"runtime": runtime})).runtime.effective_replicas

    assert (replicas({"numReplicas": 3, "replicas": 2}), replicas({"replicas": 2}), replicas({})) == (3, 2, 1)
    assert replicas({"numReplicas": 0, "replicas": 0}) == 1
    assert load_service(write("service.json", {})).runtime.concurrency == 10


def test_snake_case_service_keys_are_read_as_deploy_from_local_folder_reads_them(write):
    service = load_service(write("service.json", {
        "module_name": "m", "run_execution_as_process": True, "execution_timeout": 5, "drain_time": 1,
        "on_reset": "rerun", "maxAttempts": 3, "revision": 2, "initParams": [{"name": "model_name", "value": "tiny"}]}))
    assert (service.module_name, service.run_execution_as_process, service.execution_timeout, service.drain_time,
            service.on_reset, service.max_attempts, service.revision) == ("m", True, 5, 1, "rerun", 3, "2")
    assert service.init_params == {"model_name": "tiny"}


def test_trigger_defaults_follow_triggers_create(write):
    service = load_service(write("service.json", {"triggers": [
        {"resource": "Item"}, {"resource": "Dataset", "actions": "Updated"}, {"resource": "Annotation", "actions": []}]}))
    assert [(t.actions, t.function, t.execution_mode, t.filter, t.active) for t in service.triggers] == [
        (["Created"], "run", "Once", {}, True), (["Updated"], "run", "Once", {}, True),
        (["Created"], "run", "Once", {}, True)]


def test_package_json_service_templates_with_spec_expose_the_same_fields(write):
    template = {"name": "default-service", "moduleName": "default_module", "packageRevision": "latest",
                "runtime": {"gpu": False, "replicas": 1, "concurrency": 10}, "initParams": {},
                "triggers": [{"name": "name", "active": True, "type": "Event", "spec": {
                    "filter": {}, "resource": "Item", "actions": ["Created"],
                    "operation": {"type": "function", "functionName": "run"}, "executionMode": "Once"}},
                    {"name": "tick", "type": "Cron", "spec": {"cron": "*/5 * * * *", "input": {"n": 1},
                                                             "startAt": "2024-01-01T00:00:00",
                                                             "operation": {"type": "function", "functionName": "tick"}}}]}
    package = load_package(write("package.json", {**HELLO_PACKAGE, "services": [template]}))
    event, cron = package.services[0].triggers
    assert (event.resource, event.actions, event.function, event.execution_mode) == ("Item", ["Created"], "run", "Once")
    assert (cron.type, cron.cron, cron.input, cron.function, cron.resource) == ("Cron", "*/5 * * * *", {"n": 1}, "tick", None)


@pytest.mark.parametrize("document, json_path, expected, found, hint", [
    ({"triggers": [{"name": "t", "actions": ["Created"]}]}, "triggers[0].resource", "a trigger resource", None, None),
    ({"triggers": [{"resource": "item"}]}, "triggers[0].resource", "one of 'Item'", "item", "did you mean 'Item'?"),
    ({"triggers": [{"resource": "Items"}]}, "triggers[0].resource", "one of 'Item'", "Items", "did you mean 'Item'?"),
    ({"triggers": [{"resource": "Item", "actions": ["Creatd"]}]}, "triggers[0].actions[0]", "one of 'Created'",
     "Creatd", "did you mean 'Created'?"),
    ({"triggers": [{"resource": "Dataset", "actions": ["Created", "Clone"]}]}, "triggers[0].actions[1]",
     "an action Dataset triggers allow", "Clone", None),
    ({"triggers": [{"resource": "Item", "executionMode": "always"}]}, "triggers[0].executionMode", "one of 'Once'",
     "always", "did you mean 'Always'?"),
    ({"triggers": [{"type": "Cron", "cron": "every minute"}]}, "triggers[0].cron", "a 5-field cron expression",
     "every minute", None),
    ({"triggers": [{"type": "Cron", "cron": "* * * * *", "endAt": "tomorrow"}]}, "triggers[0].endAt",
     "an ISO 8601 date-time", "tomorrow", None),
    ({"triggers": [{"type": "cron"}]}, "triggers[0].type", "one of 'Event', 'Cron'", "cron", "did you mean 'Cron'?"),
    ({"triggers": [{"spec": {"actions": ["Created"]}}]}, "triggers[0].spec.resource", "a trigger resource", None, None),
    ({"triggers": [{"spec": {"resource": "Task", "actions": ["Clone"]}}]}, "triggers[0].spec.actions[0]",
     "an action Task triggers allow", "Clone", None),
    ({"on_reset": "retry"}, "on_reset", "one of 'failed', 'rerun'", "retry", "did you mean 'rerun'?"),
    ({"runtime": {"concurrency": 0}}, "runtime.concurrency", "a number >= 1", 0, None),
    ({"runtime": {"replicas": "two"}}, "runtime.replicas", "an integer", "two", None),
    ({"runtime": {"autoscaler": {"type": "rabitmq"}}}, "runtime.autoscaler.type", "one of 'rabbitmq'", "rabitmq",
     "did you mean 'rabbitmq'?"),
    ({"runtime": {"autoscaler": {"minReplicas": 3, "maxReplicas": 1}}}, "runtime.autoscaler.maxReplicas",
     "a number >= minReplicas (3)", 1, None),
    ({"executionTimeout": 0}, "executionTimeout", "a number > 0", 0, None),
    ({"triggers": {"resource": "Item"}}, "triggers", "a list", None, None),
])
def test_a_bad_service_json_names_the_path_the_expectation_and_the_hint(write, document, json_path, expected, found, hint):
    path = write("service.json", document)
    error = only_error(load_service, path)
    assert (error.file, error.json_path) == (str(path), json_path)
    assert expected in error.expected
    if found is not None:
        assert error.found == found
    assert error.hint == hint


def test_service_template_errors_point_into_package_json_services(write):
    bad = {**HELLO_PACKAGE, "services": [{"triggers": [{"spec": {"resource": "Itme"}}]}]}
    error = only_error(load_package, write("package.json", bad))
    assert (error.json_path, error.hint) == ("services[0].triggers[0].spec.resource", "did you mean 'Item'?")


# -- mock.json -------------------------------------------------------------------------------------------


def test_a_single_input_list_is_one_case(write):
    mock = load_mock(write("mock.json", {"init_params": {}, "inputs": [{"name": "item", "value": {"item_id": "1"}}]}))
    (case,) = mock.cases()
    assert (case.index, case.inputs, case.threaded, case.function_name, case.module_name) == (
        0, {"item": {"item_id": "1"}}, False, "run", "default_module")
    assert case.expect.status == "success" and not case.expect.checks_output


def test_a_list_of_lists_is_one_case_per_inner_list(write):
    mock = load_mock(write("mock.json", {"function_name": "train", "module_name": "dataset_auto_ml",
                                         "inputs": [[{"name": "dataset", "value": "a"}], [{"name": "dataset", "value": "b"}], []]}))
    assert [(c.index, c.inputs, c.threaded) for c in mock.cases()] == [
        (0, {"dataset": "a"}, True), (1, {"dataset": "b"}, True), (2, {}, True)]
    assert mock.cases()[0].function_name == "train" and mock.threaded


def test_no_inputs_is_one_call_without_inputs(write):
    assert [c.inputs for c in load_mock(write("mock.json", {"inputs": []})).cases()] == [{}]


@pytest.mark.parametrize("document, expected", [
    ({"init_params": {"model_name": "a"}, "config": {"model_name": "b"}}, {"model_name": "a"}),
    ({"init_params": {}, "config": {"model_name": "b"}}, {}),
    ({"config": {"model_name": "b"}}, {"model_name": "b"}),
    ({}, {}),
])
def test_init_params_win_over_config_whenever_the_key_is_present(write, document, expected):
    mock = load_mock(write("mock.json", {**document, "inputs": []}))
    assert mock.init_kwargs == expected and mock.cases()[0].init_params == expected


def test_expectations_apply_to_every_case_and_cases_override_them_key_by_key(write):
    mock = load_mock(write("mock.json", {
        "inputs": [[{"name": "x", "value": 1}], [{"name": "x", "value": 2}], [{"name": "x", "value": 3}]],
        "expect": {"status": "success", "output": {"ok": True}},
        "cases": [{}, {"expect": {"status": "failed", "message": "boom"}}, {"expect": {"output": None}}],
    }))
    first, second, third = (c.expect for c in mock.cases())
    assert (first.status, first.output, first.checks_output) == ("success", {"ok": True}, True)
    assert (second.status, second.message, second.output) == ("failed", "boom", {"ok": True})
    assert (third.status, third.output, third.checks_output) == ("success", None, True)


def test_declared_entities_reach_each_case(write):
    write("assets/cat.jpg", b"\xff\xd8")
    mock = load_mock(write("mock.json", {
        "inputs": [[{"name": "item", "value": "cat"}], [{"name": "item", "value": "dog"}]],
        "datasets": [{"id": "ds", "name": "pets"}],
        "items": [{"id": "cat", "file": "assets/cat.jpg", "remote_path": "/train", "dataset": "pets",
                   "metadata": {"user": {"split": "train"}}}],
        "cases": [{}, {"items": [{"id": "dog", "name": "dog.jpg", "dataset": "ds"}], "datasets": [{"name": "extra"}]}],
    }))
    first, second = mock.cases()
    assert [i.id for i in first.items] == ["cat"] and [i.id for i in second.items] == ["cat", "dog"]
    assert [d.name for d in second.datasets] == ["pets", "extra"]
    assert first.items[0].filename == "/train/cat.jpg" and second.items[1].filename == "/dog.jpg"
    assert (first.base_dir / first.items[0].file).is_file()


def test_a_mock_model_built_from_a_dict_has_no_source():
    mock = MockFile.model_validate({"inputs": []})
    assert mock.source is None and mock.cases()[0].base_dir is None


@pytest.mark.parametrize("document, json_path, expected, found, hint", [
    ({"inputs": [{"name": "item", "value": 1}, [{"name": "x", "value": 2}]]}, "inputs[1]",
     "a {name, value} object, like inputs[0]", None,
     "mock.json inputs can be either list of dictionaries or list of lists"),
    ({"inputs": [[{"name": "item", "value": 1}], {"name": "x", "value": 2}]}, "inputs[1]",
     "a list of {name, value} objects, like inputs[0]", None,
     "mock.json inputs can be either list of dictionaries or list of lists"),
    ({}, "inputs", "required", None, None),
    ({"inputs": {"name": "item", "value": 1}}, "inputs", "a list", None, None),
    ({"inputs": [{"name": "item"}]}, "inputs[0].value", "required", None, None),
    ({"inputs": [[{"value": 1}]]}, "inputs[0][0].name", "required", None, None),
    ({"inputs": [[{"name": "a", "value": 1}, {"name": "a", "value": 2}]]}, "inputs[0][1].name",
     "a name not already given", "a", None),
    ({"inputs": [], "init_params": None}, "init_params", "an object", None, None),
    ({"inputs": [], "function_name": ""}, "function_name", "a non-empty string", "", None),
    ({"inputs": [], "expected": {"status": "failed"}}, "expected", "one of the keys", "expected",
     "did you mean 'expect'?"),
    ({"inputs": [], "expect": {"status": "fail"}}, "expect.status", "one of 'success', 'failed'", "fail",
     "did you mean 'failed'?"),
    ({"inputs": [], "expect": {"messages": "x"}}, "expect.messages", "one of the keys", "messages",
     "did you mean 'message'?"),
    ({"inputs": [], "items": [{"remotePath": "/a"}]}, "items[0].remotePath", "one of the keys", "remotePath",
     "did you mean 'remote_path'?"),
    ({"inputs": [], "items": [{"remote_path": "train"}]}, "items[0].remote_path", "starting with '/'", "train",
     "did you mean '/train'?"),
    ({"inputs": [], "items": [{"name": "a/b.jpg"}]}, "items[0].name", "a name without '/'", "a/b.jpg", None),
    ({"inputs": [], "items": [{"file": "/etc/passwd"}]}, "items[0].file", "a path relative", "/etc/passwd", None),
    ({"inputs": [], "items": [{"file": "missing.jpg"}]}, "items[0].file", "an existing file relative to",
     "missing.jpg", None),
    ({"inputs": [], "datasets": [{"name": "pets"}], "items": [{"dataset": "pest"}]}, "items[0].dataset",
     "a dataset declared in this mock file", "pest", "did you mean 'pets'?"),
    ({"inputs": [], "items": [{"id": "a"}, {"id": "a"}]}, "items[1].id", "an item id not already used at items[0]",
     "a", None),
    ({"inputs": [], "items": [{"id": "a"}], "cases": [{"items": [{"id": "a"}]}]}, "cases[0].items[0].id",
     "not already used at items[0]", "a", None),
    ({"inputs": [], "datasets": [{"name": "pets"}], "cases": [{"datasets": [{"name": "pets"}]}]},
     "cases[0].datasets[0].name", "a dataset name not already used at datasets[0]", "pets", None),
    ({"inputs": [], "cases": [{}, {}]}, "cases[1]", "at most 1 case entry, one per input set", None, None),
    ({"inputs": [], "cases": [{"expects": {}}]}, "cases[0].expects", "one of the keys", "expects",
     "did you mean 'expect'?"),
    ({"inputs": [], "cases": [{"items": [{"dataset": "nope"}]}]}, "cases[0].items[0].dataset",
     "a dataset declared", "nope", None),
])
def test_a_bad_mock_file_names_the_path_the_expectation_and_the_hint(write, document, json_path, expected, found, hint):
    path = write("mock.json", document)
    error = only_error(load_mock, path)
    assert (error.file, error.json_path) == (str(path), json_path)
    assert expected in error.expected
    if found is not None:
        assert error.found == found
    assert error.hint == hint


def test_a_mock_file_reports_typos_together_with_other_problems(write):
    errors = errors_of(load_mock, write("mock.json", {"inputs": [{"name": "a"}], "expected": {}, "itmes": []}))
    assert [e.json_path for e in errors] == ["expected", "itmes", "inputs[0].value"]


def test_a_misspelt_inputs_key_is_named_besides_the_missing_one(write):
    typo, missing = errors_of(load_mock, write("mock.json", {"input": []}))
    assert (typo.json_path, typo.hint) == ("input", "did you mean 'inputs'?")
    assert (missing.json_path, str(missing).endswith("found nothing")) == ("inputs", True)


def test_other_unknown_top_level_keys_are_ignored_like_the_platform_does(write):
    assert load_mock(write("mock.json", {"inputs": [], "comment": "mine", "version": 2})).cases()


def test_long_found_values_are_shortened_in_messages(write):
    error = only_error(load_mock, write("mock.json", {"inputs": {"name": "x" * 500, "value": 1}}))
    assert len(str(error)) < 300 and repr(error.found).endswith("...")


def test_service_and_package_models_validate_without_files():
    assert ServiceManifest.model_validate({}).runtime.pod_type == "regular-s"
    assert ServiceManifest.model_validate({}).source is None
