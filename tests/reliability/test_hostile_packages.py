"""A repository of hostile packages beside a good one: each bad file fails its own ``::manifest`` item with a
located finding, nothing interrupts the collection, and the good package's cases still run and pass.

Before, a 5,000-digit integer stopped the whole session at collection, a name with NUL or a lone surrogate
broke the push, deep nesting overflowed the recursion limit on the platform, ``/etc/passwd`` was parsed as
an entry point, UTF-16 and empty files were skipped in silence, and bad cron specs and DQL paths in
service.json passed unnoticed.
"""

from __future__ import annotations

import copy
import json

import pytest

MAIN = "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n    def run(self, config):\n        return config\n"
PACKAGE = {"name": "echo", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
    {"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]}
MOCK = {"inputs": [{"name": "config", "value": {"n": 1}}], "expect": {"output": {"n": 1}}}
PACKAGE_TEXT = json.dumps(PACKAGE)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _entry(entry_point: str) -> dict:
    package = copy.deepcopy(PACKAGE)
    package["modules"][0]["entryPoint"] = entry_point
    return package


def _service(**keys) -> dict:
    return {"name": "svc", "moduleName": "default_module", **keys}


# name -> (files beside main.py, the package's finding: its file and what it must say)
CORPUS = {
    "big_integer": ({"package.json": PACKAGE_TEXT.replace('"name": "echo"', '"name": "echo", "version": ' + "9" * 5000)},
                    ("big_integer/package.json", "numbers of at most 4300 digits")),
    "nul_name": ({"package.json": PACKAGE_TEXT.replace('"echo"', '"ec\\u0000ho"')},
                 ("nul_name/package.json", "name: expected a name without control characters")),
    "lone_surrogate": ({"package.json": PACKAGE_TEXT.replace('"echo"', '"\\ud800echo"')},
                       ("lone_surrogate/package.json", "name: expected valid Unicode text")),
    "deep_package_900": ({"package.json": PACKAGE_TEXT[:-1] + ', "metadata": {"x": ' + _nested(900) + "}}"},
                         ("deep_package_900/package.json", "metadata.x[0][0]... (100 levels down)")),
    "deep_package_500": ({"package.json": PACKAGE_TEXT[:-1] + ', "metadata": {"x": ' + _nested(500) + "}}"},
                         ("deep_package_500/package.json", "expected at most 100 levels of nesting")),
    "deep_mock_900": ({"mock.json": '{"inputs": [{"name": "config", "value": ' + _nested(900) + "}]}"},
                      ("deep_mock_900/mock.json", "inputs[0].value[0]... (100 levels down)")),
    "deep_mock_500": ({"mock.json": '{"inputs": [{"name": "config", "value": ' + _nested(500) + "}]}"},
                      ("deep_mock_500/mock.json", "expected at most 100 levels of nesting")),
    "huge_concurrency": ({"service.json": _service(runtime={"concurrency": 10**9})},
                         ("huge_concurrency/service.json", "runtime.concurrency: expected a number <= 1000")),
    "huge_replicas": ({"service.json": _service(runtime={"replicas": 10**6})},
                      ("huge_replicas/service.json", "runtime.replicas: expected a number <= 32")),
    "modules_object": ({"package.json": dict(PACKAGE, modules={"a": 1})},
                       ("modules_object/package.json", "modules: expected a list of modules")),
    "entry_dot": ({"package.json": _entry(".")},
                  ("entry_dot/package.json", "modules[0].entryPoint: expected a relative path to a .py file")),
    "entry_absolute": ({"package.json": _entry("/etc/passwd")},
                       ("entry_absolute/package.json", "modules[0].entryPoint: expected a relative path")),
    "entry_outside": ({"package.json": _entry("../outside.py")},
                      ("entry_outside/package.json", "modules[0].entryPoint: expected a relative path")),
    "utf16": ({"package.json": PACKAGE_TEXT.encode("utf-16")},
              ("utf16/package.json", "expected UTF-8 text, found byte 0xff at offset 0 (the file is UTF-16")),
    "empty": ({"package.json": ""}, ("empty/package.json", "(the file is empty)")),
    "bad_cron": ({"service.json": _service(triggers=[{"name": "t", "type": "Cron", "cron": "99 * * * *"}])},
                 ("bad_cron/service.json", "triggers[0].cron: expected a 5-field cron expression")),
    "bad_dql": ({"service.json": _service(triggers=[{"name": "t", "resource": "Item", "filter": {"metadata.²": 1}}])},
                ("bad_dql/service.json", "triggers[0].filter: expected a valid DQL filter, found invalid DQL at "
                                         "filter.metadata.²")),
}


def _write(folder, files: dict) -> None:
    folder.mkdir(parents=True)
    everything = {"package.json": PACKAGE, "main.py": MAIN, "mock.json": MOCK, **files}
    for name, content in everything.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")


@pytest.fixture
def repository(pytester, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    _write(pytester.path / "good", {})
    for name, (files, _) in CORPUS.items():
        _write(pytester.path / name, files)
    # Read by the checks only if an entry point outside the package were followed: a syntax error there
    # would show up as a finding naming this file.
    (pytester.path / "outside.py").write_text("this is not python (\n")
    return pytester


def test_every_hostile_file_gets_a_located_finding_and_the_good_package_runs(repository):
    result = repository.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-rA", "-p", "no:logging")
    text = result.stdout.str()
    outcomes = result.parseoutcomes()
    assert "error" not in outcomes and "errors" not in outcomes, text[-3000:]
    result.stdout.fnmatch_lines(["PASSED good/package.json::manifest",
                                 "PASSED good/package.json::default_module::run[[]mock.json:0[]]"])
    for name, (_, (file, finding)) in CORPUS.items():
        assert f"FAILED {name}/package.json::manifest" in text, f"{name}: no failed manifest item"
        assert f"  - {file}: " in text and finding in text, f"{name}: no finding {finding!r} for {file}"
    assert "syntax error" not in text  # outside.py was never read as an entry point
    assert "pytest-faas bug" not in text and "Traceback" not in text
    # The hostile packages fail once each, at their manifest; none is failed by its cases.
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    assert sorted(line.split()[1] for line in failed) == sorted(f"{n}/package.json::manifest" for n in CORPUS)
