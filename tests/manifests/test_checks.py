"""Static checks: the manifests against the code, read with ast and never run."""

import json
import subprocess
import sys
import textwrap

import pytest

from pytest_faas.manifests.checks import Finding, check_mock, check_package, check_service, require_consistent
from pytest_faas.errors import CheckError
from pytest_faas.manifests.package import Function, FunctionIO, Module, PackageManifest, load_mock, load_package, load_service

HELLO_MAIN = '''
import dtlpy as dl
import logging
logger = logging.getLogger(name=__name__)


class ServiceRunner(dl.BaseServiceRunner):
    """
    Package runner class

    """

    def __init__(self, **kwargs):
        """
        Init package attributes here
        """

    def run(self, item, progress=None):
        ann = dl.Annotation.new(annotation_definition=dl.Classification(label='completed'), item=item)
        ann.upload()
        progress.update(status='inProgress', progress=100)
'''

HELLO_PACKAGE = {"name": "default-package", "modules": [{
    "name": "default_module", "entryPoint": "main.py", "initInputs": [],
    "functions": [{"name": "run", "description": "this description for your service",
                   "input": [{"name": "item", "type": "Item"}], "output": []}]}]}

AUTO_ML_TEMPLATE = '''
import dtlpy as dl
import logging
from .models_loader import ModelLoader

logger = logging.getLogger(name=__name__)


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, **kwargs):
        model_name = kwargs['model_name']
        self.model = ModelLoader(model_name=model_name)

    def train(self, {entity}, progress=None):
        progress.update(status='completed', progress=100)

    def predict(self, {entity}, progress=None):
        progress.update(status='completed', progress=100)
'''

AUTO_ML_PACKAGE = {"name": "auto-ml", "modules": [
    {"name": name, "entryPoint": f"{name}.py", "initInputs": [{"type": "Json", "name": "model_name"}],
     "functions": [{"name": f, "input": [{"name": entity, "type": entity.title()}]} for f in ("train", "predict")]}
    for name, entity in (("dataset_auto_ml", "dataset"), ("single_item_auto_ml", "item"))]}


@pytest.fixture
def package(tmp_path):
    """Write a package (package.json plus source files) under tmp_path and load its manifest."""

    def _package(manifest, files=()):
        for name, text in dict(files).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        (tmp_path / "package.json").write_text(json.dumps(manifest))
        return load_package(tmp_path / "package.json")

    return _package


def module_with(functions, init_inputs=(), class_name="ServiceRunner", entry="main.py", name="default_module"):
    return {"name": name, "entryPoint": entry, "className": class_name, "initInputs": list(init_inputs),
            "functions": [{"name": f, "input": [{"name": i, "type": "Json"} for i in inputs]} for f, inputs in functions]}


def messages(findings):
    return sorted(f.message for f in findings)


# -- the tutorial's packages check clean -----------------------------------------------------------------


def test_the_hello_world_package_checks_clean(package, tmp_path):
    manifest = package(HELLO_PACKAGE, files={"main.py": HELLO_MAIN})
    assert check_package(tmp_path, manifest) == []
    assert require_consistent(tmp_path, manifest) == []


def test_the_auto_ml_package_with_relative_imports_checks_clean(package, tmp_path):
    manifest = package(AUTO_ML_PACKAGE, files={
        "dataset_auto_ml.py": AUTO_ML_TEMPLATE.format(entity="dataset"),
        "single_item_auto_ml.py": AUTO_ML_TEMPLATE.format(entity="item"),
    })
    assert not (tmp_path / "models_loader.py").exists()  # the tutorial never shows it; the check must not care
    assert check_package(tmp_path, manifest) == []


def test_the_code_is_never_imported_or_run(package, tmp_path):
    source = "import no_such_module\nraise SystemExit('ran')\n" + HELLO_MAIN
    assert check_package(tmp_path, package(HELLO_PACKAGE, files={"main.py": source})) == []


# -- a mismatched package reports every finding at once --------------------------------------------------


MISMATCHED_MAIN = '''
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, model_name, threshold=0.5):
        self.model_name = model_name

    def run(self, item, mode, verbose=False, progress=None, context=None):
        pass

    def predict(self, dataset):
        pass
'''


def test_a_mismatched_package_lists_every_finding_at_once(package, tmp_path):
    manifest = package({"modules": [
        module_with([("run", ["item", "extra"]), ("predict", ["item"]), ("train", ["dataset"])], init_inputs=[]),
        module_with([("run", [])], entry="missing.py", name="second"),
        module_with([("run", [])], entry="broken.py", name="third"),
        module_with([("run", [])], class_name="ServiceRuner", name="fourth"),
    ]}, files={"main.py": MISMATCHED_MAIN, "broken.py": "class ServiceRunner:\n    def run(self:\n        pass\n"})
    findings = check_package(tmp_path, manifest)
    main, pkg, broken = str(tmp_path / "main.py"), str(tmp_path / "package.json"), str(tmp_path / "broken.py")
    rendered = sorted(str(f) for f in findings)
    assert rendered == sorted([
        f"{main}:6: ServiceRunner.__init__() parameter 'model_name' is not declared in modules[0].initInputs",
        f"{main}:6: warning: ServiceRunner.__init__() parameter 'threshold' is not declared in modules[0].initInputs; "
        "it will always get its default",
        f"{main}:9: ServiceRunner.run() parameter 'mode' is not declared in modules[0].functions[0].input",
        f"{main}:9: warning: ServiceRunner.run() parameter 'verbose' is not declared in modules[0].functions[0].input; "
        "it will always get its default",
        f"{main}:9: modules[0].functions[0].input declares 'extra', but ServiceRunner.run() has no such parameter "
        "(and no **kwargs)",
        f"{main}:12: ServiceRunner.predict() parameter 'dataset' is not declared in modules[0].functions[1].input",
        f"{main}:12: modules[0].functions[1].input declares 'item', but ServiceRunner.predict() has no such "
        "parameter (and no **kwargs)",
        f"{main}:5: class 'ServiceRunner' has no method 'train' (module 'default_module')",
        f"{pkg}: modules[1].entryPoint: module 'second': entry point 'missing.py' not found in {tmp_path}",
        f"{broken}:2: syntax error: '(' was never closed",
        f"{main}: modules[3].className: module 'fourth': no class 'ServiceRuner' in main.py "
        "(did you mean 'ServiceRunner'?)",
    ])
    assert {f.severity for f in findings if "its default" in f.message} == {"warning"}
    with pytest.raises(CheckError) as info:
        require_consistent(tmp_path, manifest)
    assert info.value.findings == findings and len(str(info.value).splitlines()) == len(findings)


def test_a_missing_method_gets_a_did_you_mean(package, tmp_path):
    manifest = package({"modules": [module_with([("predcit", [])])]},
                       files={"main.py": "class ServiceRunner:\n    def predict(self):\n        pass\n"})
    (finding,) = check_package(tmp_path, manifest)
    assert finding.message == "class 'ServiceRunner' has no method 'predcit' (module 'default_module') (did you mean 'predict'?)"
    assert finding.json_path == "modules[0].functions[0].name" and finding.line == 1


# -- signatures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signature, declared, expected", [
    ("self, item, **kwargs", ["item", "anything"], []),
    ("self, *, item, threshold=1", ["item"], ["warning:threshold"]),
    ("self, item, /", ["item"], ["error:item positional-only"]),
    ("self, *args", ["item"], ["error:declares 'item'"]),
    ("self, progress, context", [], []),
    ("self", [], []),
])
def test_parameters_against_declared_inputs(package, tmp_path, signature, declared, expected):
    manifest = package({"modules": [module_with([("run", declared)])]},
                       files={"main.py": f"class ServiceRunner:\n    def run({signature}):\n        pass\n"})
    found = sorted(f"{f.severity}:{f.message}" for f in check_package(tmp_path, manifest))
    assert len(found) == len(expected)
    for got, want in zip(found, sorted(expected)):
        severity, _, words = want.partition(":")
        assert got.startswith(severity) and all(w in got for w in words.split())


def test_static_async_and_class_methods_are_read_correctly(package, tmp_path):
    source = '''
    class ServiceRunner:
        @staticmethod
        def a(item):
            pass

        @classmethod
        def b(cls, item):
            pass

        async def c(self, item):
            pass
    '''
    manifest = package({"modules": [module_with([("a", ["item"]), ("b", ["item"]), ("c", ["item"])])]},
                       files={"main.py": source})
    assert check_package(tmp_path, manifest) == []


def test_methods_are_found_through_bases_in_the_same_file_and_in_local_modules(package, tmp_path):
    source = '''
    from .base import Trainer as BaseTrainer

    class Mixin:
        def predict(self, item):
            pass

    class ServiceRunner(Mixin, BaseTrainer):
        pass
    '''
    base = '''
    class Trainer:
        def __init__(self, model_name):
            pass

        def train(self, dataset, epochs):
            pass
    '''
    manifest = package({"modules": [module_with([("predict", ["item"]), ("train", ["dataset"])],
                                                init_inputs=[{"type": "Json", "name": "model_name"}])]},
                       files={"main.py": source, "base.py": base})
    (finding,) = check_package(tmp_path, manifest)
    assert str(finding) == (f"{tmp_path / 'base.py'}:6: ServiceRunner.train() parameter 'epochs' is not declared in "
                            "modules[0].functions[1].input")


def test_an_external_base_excuses_only_its_known_members(package, tmp_path):
    source = "import dtlpy as dl\n\nclass ServiceRunner(dl.BaseServiceRunner):\n    def run(self):\n        pass\n"
    manifest = package({"modules": [module_with([("run", []), ("ping", []), ("train", [])])]}, files={"main.py": source})
    assert messages(check_package(tmp_path, manifest)) == [
        "class 'ServiceRunner' has no method 'train' (module 'default_module')"]


def test_init_inputs_need_an_init_unless_an_unknown_base_may_provide_it(package, tmp_path):
    init = [{"type": "Json", "name": "model_name"}]
    runner = package({"modules": [module_with([], init_inputs=init)]}, files={
        "main.py": "import dtlpy as dl\nclass ServiceRunner(dl.BaseServiceRunner):\n    pass\n"})
    assert messages(check_package(tmp_path, runner)) == [
        "modules[0].initInputs declares 'model_name', but class 'ServiceRunner' has no __init__ to receive it"]
    other = package({"modules": [module_with([], init_inputs=init)]}, files={
        "main.py": "from somelib import Base\nclass ServiceRunner(Base):\n    pass\n"})
    assert check_package(tmp_path, other) == []


def test_a_class_imported_from_a_local_module_or_aliased_is_followed(package, tmp_path):
    manifest = package({"modules": [module_with([("run", ["item"])])]}, files={
        "main.py": "from impl.runner import Impl\nServiceRunner = Impl\n",
        "impl/runner.py": "class Impl:\n    def run(self, item, other):\n        pass\n",
    })
    (finding,) = check_package(tmp_path, manifest)
    assert finding.file == str(tmp_path / "impl" / "runner.py") and "'other'" in finding.message


def test_a_class_imported_from_outside_the_package_is_not_checked(package, tmp_path):
    manifest = package({"modules": [module_with([("run", ["item"])])]},
                       files={"main.py": "from vendor_lib import ServiceRunner\n"})
    assert check_package(tmp_path, manifest) == []


def test_a_class_defined_under_a_top_level_guard_is_found(package, tmp_path):
    source = "try:\n    import torch\nexcept ImportError:\n    torch = None\nif True:\n    class ServiceRunner:\n        def run(self):\n            pass\n"
    assert check_package(tmp_path, package({"modules": [module_with([("run", [])])]}, files={"main.py": source})) == []


def test_models_built_without_validation_are_still_checked(tmp_path):
    (tmp_path / "main.py").write_text("class ServiceRunner:\n    def run(self, item):\n        pass\n")
    io = FunctionIO.model_construct(type="Itme", name="item")
    function = Function.model_construct(name="run", inputs=[io, io], outputs=[])
    module = Module.model_construct(name="default_module", entry_point="main.py", class_name="ServiceRunner",
                                    init_inputs=[], functions=[function, function])
    manifest = PackageManifest.model_construct(modules=[module, module])
    assert messages(check_package(tmp_path, manifest)) == sorted([
        "duplicate module name 'default_module'",
        "duplicate function name 'run' in module 'default_module'",
        "duplicate function name 'run' in module 'default_module'",
        *["duplicate input name 'item' in function 'run'"] * 4,
        *["unknown input type 'Itme' (did you mean 'Item'?)"] * 8,
    ])


def test_finding_renders_file_line_message():
    assert str(Finding("main.py", 12, "boom")) == "main.py:12: boom"
    assert str(Finding("main.py", 3, "meh", "warning")) == "main.py:3: warning: meh"
    assert str(Finding("package.json", None, "gone", json_path="modules[0].entryPoint")) == \
        "package.json: modules[0].entryPoint: gone"


def test_require_consistent_returns_warnings_when_there_is_no_error(package, tmp_path):
    manifest = package({"modules": [module_with([("run", [])])]},
                       files={"main.py": "class ServiceRunner:\n    def run(self, verbose=False):\n        pass\n"})
    (warning,) = require_consistent(tmp_path, manifest)
    assert warning.severity == "warning"


# -- service.json and mock.json against the package ------------------------------------------------------


def test_service_and_mock_cross_references(package, tmp_path):
    manifest = package(AUTO_ML_PACKAGE)
    (tmp_path / "service.json").write_text(json.dumps({
        "moduleName": "single_item_auto_ml", "initParams": {"model": "x"},
        "triggers": [{"name": "t", "resource": "Item", "function": "trian"}, {"resource": "Item", "function": "train"}]}))
    service = load_service(tmp_path / "service.json")
    assert [(f.json_path, f.severity, f.message) for f in check_service(manifest, service)] == [
        ("triggers[0]", "error", "trigger 't' calls 'trian', which module 'single_item_auto_ml' does not declare "
                                 "(did you mean 'train'?)"),
        ("initParams", "warning", "initParams gives 'model', which module 'single_item_auto_ml' does not declare "
                                  "in initInputs"),
        ("initParams", "warning", "init input 'model_name' of module 'single_item_auto_ml' has no value in initParams"),
    ]
    (tmp_path / "bad_service.json").write_text(json.dumps({"moduleName": "single_item"}))
    (finding,) = check_service(manifest, load_service(tmp_path / "bad_service.json"))
    assert finding.json_path == "module_name" and "no module 'single_item'" in finding.message

    (tmp_path / "mock.json").write_text(json.dumps({
        "module_name": "single_item_auto_ml", "function_name": "train",
        "inputs": [[{"name": "item", "value": "a"}], [{"name": "dataset", "value": "b"}]]}))
    assert [(f.json_path, f.severity, f.message) for f in check_mock(manifest, load_mock(tmp_path / "mock.json"))] == [
        ("inputs[1]", "error", "no entry for input 'item' of train()"),
        ("inputs[1]", "warning", "input 'dataset' is not declared by train(); it is ignored"),
    ]
    (tmp_path / "mock2.json").write_text(json.dumps({"module_name": "dataset_auto_ml", "function_name": "fit",
                                                    "inputs": []}))
    (finding,) = check_mock(manifest, load_mock(tmp_path / "mock2.json"))
    assert finding.json_path == "function_name" and finding.message.startswith("module 'dataset_auto_ml' has no function 'fit'")


def test_pathological_sources_and_paths_give_findings_not_crashes(package, tmp_path):
    source = "from .main import ServiceRunner as Other\nclass ServiceRunner(ServiceRunner):\n    pass\nX = X\n"
    manifest = package({"modules": [
        module_with([("run", [])], class_name="ServiceRunner"),
        module_with([("run", [])], class_name="X", name="x"),
        module_with([("run", [])], class_name="Other", name="other"),
        module_with([("run", [])], entry="a" * 300 + ".py", name="long"),
        module_with([("run", [])], entry="nul.py", name="nul"),
        module_with([("run", [])], entry="deep.py", name="deep"),
    ]}, files={"main.py": source, "nul.py": "x = 1\0\n", "deep.py": "x = " + "(" * 1000 + ")" * 1000 + "\n"})
    findings = check_package(tmp_path, manifest)
    assert [f.json_path for f in findings if "not found" in f.message] == ["modules[3].entryPoint"]
    assert {f.file for f in findings if "cannot read" in f.message or "syntax" in f.message or "deeply" in f.message} \
        == {str(tmp_path / "nul.py"), str(tmp_path / "deep.py")}


def test_the_manifest_and_check_modules_import_nothing_heavy():
    code = ("import sys, pytest_faas.manifests.checks, pytest_faas.manifests.package; "
            "print(sorted(m for m in ('pytest', 'dtlpy', 'werkzeug', 'docker', 'hypothesis') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
