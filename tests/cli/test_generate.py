"""`faas packages generate`: the tutorial's five files, consistent with each other, never overwritten."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

from pytest_faas.manifests.checks import check_mock, check_service, require_consistent
from pytest_faas.manifests.package import load_package
from pytest_faas.manifests.mock import load_mock
from pytest_faas.manifests.service import load_service

FILES = ["package.json", "main.py", "mock.json", "service.json", ".gitignore", "conftest.py", "tests"]
README = Path(__file__).resolve().parents[2] / "README.md"


def test_generate_writes_the_tutorials_files_and_a_test(faas, tmp_path):
    result = faas("packages generate")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    for name in [*FILES[:-1], "tests/test_main.py"]:
        assert f"wrote   {name}" in result.stdout
    assert "pytest --faas" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / ".faas").exists(), "generate needs no platform"

    package = json.loads((tmp_path / "package.json").read_text())
    assert package["name"] == "default-package"
    [module] = package["modules"]
    assert (module["name"], module["entryPoint"]) == ("default_module", "main.py")
    assert module["functions"][0]["name"] == "run"
    assert module["functions"][0]["input"] == [{"name": "item", "type": "Item"}]

    service = json.loads((tmp_path / "service.json").read_text())
    assert service["packageName"] == "default-package" and service["moduleName"] == "default_module"
    assert service["runtime"] == {"gpu": False, "replicas": 1, "concurrency": 6, "runnerImage": ""}
    [trigger] = service["triggers"]
    assert trigger["filter"] == {"$and": [{"dir": "/train"}, {"hidden": False}, {"type": "file"}]}
    assert (trigger["resource"], trigger["actions"], trigger["executionMode"], trigger["function"]) == (
        "Item", ["Created"], "Once", "run")

    tree = ast.parse((tmp_path / "main.py").read_text())
    [runner] = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    run = next(n for n in runner.body if isinstance(n, ast.FunctionDef) and n.name == "run")
    assert runner.name == "ServiceRunner" and [a.arg for a in run.args.args] == ["self", "item", "progress"]
    assert "dl.Classification(label='completed')" in (tmp_path / "main.py").read_text()

    assert ".faas/" in (tmp_path / ".gitignore").read_text().splitlines()


def test_generated_files_agree_with_each_other_and_the_code(faas, tmp_path):
    faas("packages generate")
    manifest = load_package(tmp_path / "package.json")
    assert [f for f in require_consistent(tmp_path, manifest) if f.severity == "error"] == []
    assert check_service(manifest, load_service(tmp_path / "service.json")) == []
    assert check_mock(manifest, load_mock(tmp_path / "mock.json")) == []


def test_generate_never_overwrites_and_says_what_it_skipped(faas, tmp_path):
    (tmp_path / "main.py").write_text("# mine\n")
    result = faas("packages generate")
    assert (tmp_path / "main.py").read_text() == "# mine\n"
    assert "skipped" in result.stdout and "main.py" in result.stdout
    assert all((tmp_path / name).exists() for name in FILES)
    again = faas("packages generate")
    assert again.stdout.count("skipped") == len(FILES) and "wrote" not in again.stdout


def test_generate_names_and_folder(faas, tmp_path):
    faas("packages generate --name my-first-package --service-name first --src-path pkg")
    package = json.loads((tmp_path / "pkg" / "package.json").read_text())
    service = json.loads((tmp_path / "pkg" / "service.json").read_text())
    assert package["name"] == service["packageName"] == "my-first-package"
    assert service["name"] == "first"
    # dlp's spellings of the name option are accepted too
    faas("packages generate --plugin-name other --src-path other")
    assert json.loads((tmp_path / "other" / "package.json").read_text())["name"] == "other"


def test_a_generated_package_passes_pytest_faas(faas, pytester, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    monkeypatch.chdir(pytester.path)
    faas("packages generate")
    result = pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)  # the ::manifest item, mock.json's case, tests/test_main.py


def test_the_generated_test_passes_under_plain_pytest_and_is_the_readmes(pytester, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    generate = pytester.run(shutil.which("faas"), "packages", "generate")
    assert generate.ret == 0 and generate.errlines[-1].startswith("test it first: `pytest --faas`"), generate.errlines
    generated = (pytester.path / "tests" / "test_main.py").read_text()
    [readme_test] = [code for code in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
                     if "def test_run_annotates_the_item" in code]
    assert readme_test.strip() in generated
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "tests/test_main.py" in result.stdout.str()


def test_the_hello_world_invoke_needs_no_arguments(faas, tmp_path):
    # The tutorial's Hello World: generate, push, deploy, `services invoke` with nothing else.
    faas("packages generate")
    faas("projects create demo")
    faas("packages push")
    faas("packages deploy")
    result = faas("services invoke")
    assert "status success" in result.stdout
    assert "Hello World" in faas("services logs").stdout
