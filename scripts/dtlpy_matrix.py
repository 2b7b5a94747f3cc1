#!/usr/bin/env python
"""Run the sample package and a fidelity subset against every supported dtlpy line, one venv per line.

The lines are the table of docs/dtlpy-versions.md (one place to add a line). Per line: a venv under
``--work``, this checkout installed with ``dtlpy==<release>`` (a resolver conflict is a result, not a
crash), ``pip check``, the sample package's ``pytest --faas`` with ``HOME`` pointed at an empty folder and
no ``DATALOOP_PATH`` (the line fails if ``$HOME/.dataloop`` appears), then ``SUBSET``. Every step is bounded.

    python scripts/dtlpy_matrix.py [--lines 1.110.3,1.121.5] [--work DIR] [--seed-venv VENV] [--jobs 1]

Prints a table and writes ``summary.json`` under ``--work``; exits 1 when a line fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "dtlpy-versions.md"
# Tests that drive each line's dtlpy against the platform where the lines differ: push, deploy and execute,
# triggers, items and exports, and the binding itself. They run on every line as written (tests that use a
# call only the newest SDK has stay in the main suite). The fixtures' entities and the private ~/.dataloop
# are the sample package's part (its unit tests and the HOME check), not a pytester run's: cheaper per line.
SUBSET = [
    "tests/backend/test_dtlpy_lines.py",
    "tests/backend/data/test_data_plane.py",
    "tests/backend/data/test_uploads.py",
    "tests/backend/faas/test_faas_tutorial.py::test_generate_push_deploy_and_invoke_on_an_item",
    "tests/backend/faas/test_faas_tutorial.py::test_a_train_trigger_fires_once_per_new_item_and_never_for_val",
    "tests/backend/faas/test_faas_tutorial.py::test_annotation_and_dataset_triggers_pass_the_resource",
    "tests/backend/faas/test_faas_tutorial.py::test_deploy_from_local_folder_creates_the_service_and_its_triggers",
    "tests/backend/faas/test_faas_tutorial.py::test_auto_ml_modules_with_init_input_and_relative_imports",
]
OUTPUT_TAIL = 3000  # characters of a failed step's output kept in the summary


def documented_releases(doc: Path = DOC) -> list[str]:
    """The release column of docs/dtlpy-versions.md's "Lines" table, oldest first."""
    section = doc.read_text(encoding="utf-8").split("## Lines", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| 1\.\d+ \| (1\.\d+\.\d+) \|", section, re.M)


def run(command: list[str], timeout: float, **kwargs) -> tuple[int | None, str]:
    """Return code (None on timeout) and the output's tail."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"")
        return None, (output.decode(errors="replace") if isinstance(output, bytes) else output)[-OUTPUT_TAIL:]
    return done.returncode, (done.stdout + done.stderr)[-OUTPUT_TAIL:]


def counts(junit: Path) -> dict[str, int]:
    """passed, failed, errors, skipped from a junit xml (empty when the run made none)."""
    if not junit.is_file():
        return {}
    suite = ElementTree.parse(junit).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    total, failed, errors, skipped = (int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped"))
    return {"passed": total - failed - errors - skipped, "failed": failed, "errors": errors, "skipped": skipped}


def clean_env(home: Path, dataloop_path: Path | None) -> dict[str, str]:
    """The environment of a line's runs: its own venv only, a private HOME, no inherited dtlpy settings."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "DATALOOP_PATH", "DEFAULT_CACHE_PATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["HOME"] = str(home)
    if dataloop_path is not None:
        env["DATALOOP_PATH"] = str(dataloop_path)
    return env


def install(release: str, venv: Path, seed: Path | None, timeout: float) -> tuple[str, str]:
    """A venv with this checkout and ``dtlpy==release``: ("ok" | "conflict" | "failed" | "timeout", detail)."""
    python = str(venv / "bin" / "python")
    if seed is not None:
        shutil.copytree(seed, venv, symlinks=True)
        # The copy's scripts name the seed's python; only ``python -m`` is used here.
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=timeout)
    code, output = run([python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]", f"dtlpy=={release}"], timeout)
    if code is None:
        return "timeout", output
    if code != 0:
        return ("conflict" if "ResolutionImpossible" in output or "conflict" in output else "failed"), output
    code, output = run([python, "-m", "pip", "check"], timeout)
    return ("ok", "") if code == 0 else ("conflict", output)


def pytest_step(venv: Path, args: list[str], cwd: Path, env: dict, junit: Path, timeout: float) -> dict:
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-W", "ignore",
               f"--junitxml={junit}", *args]
    code, output = run(command, timeout, cwd=cwd, env=env)
    result = counts(junit)
    result["ok"] = code == 0
    if code != 0:
        result["output"] = output if code is not None else f"timed out after {timeout:.0f} s\n{output}"
    return result


def run_line(release: str, work: Path, seed: Path | None, options) -> dict:
    folder = work / release
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    venv, started = folder / "venv", time.monotonic()
    result: dict = {"release": release}
    try:
        result["install"], detail = install(release, venv, seed, options.install_timeout)
        if result["install"] != "ok":
            result["install_output"] = detail
            return result
        home = folder / "home"
        home.mkdir()
        sample = shutil.copytree(ROOT / "sample_package", folder / "sample_package")
        result["sample"] = pytest_step(venv, ["--faas"], sample, clean_env(home, None), folder / "sample.xml",
                                       options.run_timeout)
        result["home_untouched"] = not (home / ".dataloop").exists()
        subset_env = clean_env(home, folder / "dataloop")
        result["subset"] = pytest_step(venv, ["-n", str(options.workers), *SUBSET], ROOT, subset_env,
                                       folder / "subset.xml", options.run_timeout)
        return result
    finally:
        result["seconds"] = round(time.monotonic() - started)
        if not options.keep:
            shutil.rmtree(venv, ignore_errors=True)


def line_passed(result: dict) -> bool:
    return (result.get("install") == "ok" and result.get("home_untouched", False)
            and all(result.get(step, {}).get("ok") for step in ("sample", "subset")))


def table(results: list[dict]) -> str:
    def figures(step: dict | None) -> str:
        if not step:
            return "-"
        return f"{step.get('passed', 0)} passed, {step.get('failed', 0)} failed, {step.get('errors', 0)} errors"

    rows = ["| dtlpy | install | sample package | fidelity subset | ~/.dataloop untouched | seconds |",
            "|---|---|---|---|---|---|"]
    for result in results:
        untouched = {True: "yes", False: "NO"}.get(result.get("home_untouched"), "-")
        rows.append(f"| {result['release']} | {result.get('install', '-')} | {figures(result.get('sample'))} | "
                    f"{figures(result.get('subset'))} | {untouched} | {result.get('seconds', '-')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--lines", help="comma-separated releases (default: docs/dtlpy-versions.md's table)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dtlpy-matrix")
    parser.add_argument("--seed-venv", type=Path, help="copy this venv (with this checkout's dependencies) "
                                                      "instead of installing them afresh")
    parser.add_argument("--jobs", type=int, default=1, help="lines at once (each holds a ~350 MB venv)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the subset")
    parser.add_argument("--install-timeout", type=float, default=900)
    parser.add_argument("--run-timeout", type=float, default=600)
    parser.add_argument("--keep", action="store_true", help="keep each line's venv")
    options = parser.parse_args(argv)
    releases = options.lines.split(",") if options.lines else documented_releases()
    options.work.mkdir(parents=True, exist_ok=True)
    seed = options.seed_venv.resolve() if options.seed_venv else None
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(options.jobs, 4))) as pool:
        results = list(pool.map(lambda release: run_line(release, options.work, seed, options), releases))
    (options.work / "summary.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    for result in results:
        if not line_passed(result):
            failed = result.get("install_output") or next(
                (result[step]["output"] for step in ("sample", "subset") if "output" in result.get(step, {})), "")
            print(f"\n--- {result['release']} ---\n{failed}")
    return 0 if all(line_passed(result) for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
