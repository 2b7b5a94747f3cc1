"""Apps against packages: what a generated case costs when the code is a dataloop.json app (published and
installed through `dl.dpks` / `project.apps`) rather than a package.json package (pushed and deployed).

The same echo function is both; the per-case figures are interleaved on one platform, so the ratio reads
the app path's overhead per case. Setup (publish + install against push + deploy) is measured too, each
time on a fresh copy of the folder, so that nothing is served from the runners' caches.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from harness import interleaved
from pytest_faas.cases import CaseRunner, run as run_case
from pytest_faas.cases.apps import AppCases
from pytest_faas.local import LocalPlatform
from pytest_faas.manifests.app import load_app
from pytest_faas.manifests.loaded import load_folder

CASES = 300
SETUPS = 8
MAIN = "class ServiceRunner:\n    def run(self, config):\n        return config\n"
MODULE = {"name": "echo", "entryPoint": "code/main.py",
          "functions": [{"name": "run", "input": [{"name": "config", "type": "Json"}]}]}


def _folders(root: Path, tag: str) -> tuple[Path, Path]:
    app, package = root / f"app-{tag}", root / f"package-{tag}"
    for folder in (app, package):
        (folder / "code").mkdir(parents=True)
        (folder / "code" / "main.py").write_text(MAIN + f"# {tag}\n")
        inputs = [[{"name": "config", "value": {"n": i}}] for i in range(CASES)]
        (folder / "mock.json").write_text(json.dumps({"module_name": "echo", "inputs": inputs}))
    (app / "dataloop.json").write_text(json.dumps({"name": "echo-app", "version": "1.0.0", "components": {
        "computeConfigs": [{"name": "echo-service"}], "modules": [dict(MODULE, computeConfig="echo-service")]}}))
    (package / "package.json").write_text(json.dumps({"name": "echo", "modules": [MODULE]}))
    return app, package


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-apps-"))
    os.chdir(root)  # dtlpy packs codebases under ./.dataloop
    with LocalPlatform(durable=False, placement="thread") as platform:
        runner = CaseRunner(platform, "thread")
        app_dir, package_dir = _folders(root, "cases")
        app, package = load_folder(app_dir / "dataloop.json"), load_folder(package_dir / "package.json")
        app_cases, package_cases = app.cases(), package.cases()
        pending = iter(range(CASES))

        def app_case():
            outcome = run_case(runner, app, app_cases[next(pending) % CASES])
            assert outcome.status == "success", outcome.execution

        def package_case():
            outcome = run_case(runner, package, package_cases[0])
            assert outcome.status == "success", outcome.execution

        per_app, per_package = interleaved(app_case, package_case, repeat=CASES - 10)
        report("generated case of an app, thread placement (per case)", per_app,
               baseline="the same case of a package.json package", baseline_samples=per_package)

        counter = iter(range(10 ** 6))

        def app_setup():
            folder, _ = _folders(root, f"a{next(counter)}")
            fresh = AppCases(runner)
            fresh.install(folder, load_app(folder / "dataloop.json"))

        def package_setup():
            _, folder = _folders(root, f"p{next(counter)}")
            loaded = load_folder(folder / "package.json")
            runner.service(loaded, loaded.cases()[0].case)

        setup_app, setup_package = interleaved(app_setup, package_setup, repeat=SETUPS, warmup=1)
        report("app publish + install (project, dpk, services)", setup_app,
               baseline="package push + deploy", baseline_samples=setup_package)
    shutil.rmtree(root, ignore_errors=True)
