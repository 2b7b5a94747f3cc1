"""`pytest --faas` harness cost: 1,000 generated JSON cases in the thread placement.

Each case is one input set of a mock.json for an echo function; the push and the deploy happen once, before
the timed cases, as they do in a run. Measured per case with the library the plugin uses (`CaseRunner`),
beside a bare call of the same function, and once end to end through pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import sample
from pytest_faas.cases import CaseRunner, run as run_case
from pytest_faas.local import LocalPlatform
from pytest_faas.manifests.loaded import load_folder

CASES = 1000
MAIN = """import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, config):
        return config
"""


def _package(root: Path) -> Path:
    folder = root / "echo"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "echo", "modules": [{"name": "default_module",
                                         "functions": [{"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]}))
    inputs = [[{"name": "config", "value": {"n": i}}] for i in range(CASES)]
    (folder / "mock.json").write_text(json.dumps({"inputs": inputs}))
    return folder


def run(report) -> None:
    root = Path(tempfile.mkdtemp(prefix="faas-bench-cases-"))
    folder = _package(root)
    package = load_folder(folder / "package.json")
    cases = package.cases()
    with LocalPlatform(durable=False, placement="thread") as platform:
        runner = CaseRunner(platform, "thread")
        run_case(runner, package, cases[0])  # push and deploy, once
        pending = iter(cases)
        user_times = []

        def one_case():
            outcome = run_case(runner, package, next(pending))
            assert outcome.status == "success", outcome.execution
            user_times.append(outcome.user_s)

        per_case = sample(one_case, repeat=CASES - 10, warmup=5)

    namespace: dict = {}
    exec(compile(MAIN.replace("import dtlpy as dl", "import dtlpy as dl"), "main.py", "exec"), namespace)
    instance = namespace["ServiceRunner"]()
    bare = sample(lambda: instance.run(config={"n": 1}), repeat=2000)
    report("generated JSON case, thread placement (per case)", per_case, goal="harness <= 2 ms median per case",
           baseline="bare call of the function", baseline_samples=bare,
           note=f"user code median {sorted(user_times)[len(user_times) // 2] * 1000:.3f} ms as the agent timed it")

    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "--faas", "-q", "-p", "no:cacheprovider", str(folder)],
                            capture_output=True, text=True, cwd=root)
    wall = time.perf_counter() - start
    assert result.returncode == 0, result.stdout[-2000:]
    report("pytest --faas, 1,000 cases end to end (per case)", [wall / CASES], note=f"whole run {wall:.1f} s, "
           "including pytest start-up, dtlpy import, push and deploy")
