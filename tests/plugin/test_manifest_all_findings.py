"""`::manifest` reports a package's schema errors and its code-check findings in one go."""


BROKEN = {
    "package.json": {"name": "broken", "modules": [{
        "name": "default_module", "entryPoint": "main.py", "functions": [
            {"name": "run", "input": [{"name": "item", "type": "Itme"}, {"name": "config", "type": "Json"}]},
            {"name": "missing_method"}]}]},
    "main.py": "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
               "    def run(self, item, settings):\n        return 1\n",
}


def test_a_schema_error_and_the_code_findings_come_together(faas_pytester, packages):
    packages.write("broken", BROKEN)
    result = faas_pytester.runpytest_subprocess("--faas", "-q", "-p", "no:cacheprovider", "-k", "manifest")
    out = result.stdout.str()
    assert "modules[0].functions[0].input[0].type" in out and "'Itme'" in out, out  # the schema error
    assert "missing_method" in out, out  # a function main.py does not define
    assert "'config'" in out, out  # a declared input run() does not take
    assert "'settings' is not declared" in out, out  # a parameter the manifest does not declare
    # Exactly these four: the stand-in for the bad type adds no finding of its own.
    assert "4 problems to fix" in out, out
    result.assert_outcomes(failed=1)


def test_unreadable_modules_give_the_schema_error_alone(tmp_path):
    from pytest_faas.manifests.loaded import load_folder

    (tmp_path / "package.json").write_text('{"modules": 5}')
    package = load_folder(tmp_path / "package.json")
    assert package.manifest is None and package.problems
    assert [e.json_path for e in package.errors()] == ["modules"]
    (tmp_path / "package.json").write_text('[1]')  # not an object: nothing to salvage
    package = load_folder(tmp_path / "package.json")
    assert package.salvaged is None and package.findings() == [] and len(package.errors()) == 1


def test_a_type_error_keeps_the_packages_cases_and_other_schema_errors_do_not(faas_pytester, packages):
    code = "class ServiceRunner:\n    def run(self, x):\n        return x\n"
    mock = {"inputs": [{"name": "x", "value": 3}], "expect": {"output": 3}}
    for name, io_type, entry in (("typed", "int", "main.py"), ("escaping", "Json", "/abs/main.py")):
        packages.write(name, {"package.json": {"name": name, "modules": [{"name": "default_module", "entryPoint": entry,
                                                                           "functions": [{"name": "run", "input": [
                                                                               {"name": "x", "type": io_type}]}]}]},
                              "main.py": code, "mock.json": mock})
    result = faas_pytester.runpytest_subprocess("--faas", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*typed/package.json::default_module::run[[]mock.json:0[]] PASSED*"])
    assert "escaping/package.json::default_module" not in result.stdout.str()
