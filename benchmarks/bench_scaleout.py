"""`pytest --faas -n 2` against serial `pytest --faas`: one package of 600 generated cases, and the sample package
(and, named ``slow``, 600 cases whose function waits 20 ms: the kind of suite where ``-n`` pays).

Whole pytest processes, as a user runs them, serial and ``-n 2`` interleaved (ABAB...), after one unmeasured
run of each; medians of 3. Besides the wall time, the CPU of the whole process tree (pytest, its xdist workers,
and any process they waited for) is read from ``getrusage(RUSAGE_CHILDREN)`` around each run and divided by
the number of tests that passed, so that "CPU per case" compares like with like. The load average of the
machine is printed before and after: on a shared machine the wall times say as much about the neighbours as
about pytest-faas, and the CPU figures are the steadier ones.

Run: ``python benchmarks/run.py scaleout``, or ``python benchmarks/bench_scaleout.py [600] [sample] [slow]
[--repeat N] [--variant NAME='ARGS']`` (extra variants, e.g. ``--variant grouped='-n 2 --dist loadfile'``, or
``--variant before='PYTHONPATH=/path/to/other/checkout'`` to compare two trees in the same run).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = 600
REPEAT = 3
SAMPLE = Path(__file__).resolve().parent.parent / "sample_package"
FIGURES = Path(__file__).resolve().parent / "scaleout-figures.md"  # the last run from the command line
MAIN = """import time

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, config):
        time.sleep(config.get("wait_s", 0))
        return config
"""
WAIT_S = 0.02  # the "600 cases of 20 ms" subject: functions that wait, as ones calling a service would
VARIANTS = {"serial": (), "-n 2": ("-n", "2")}
GOALS = {"600 cases": "<= 0.7x serial", "sample package": "<= 1.0x serial", "600 cases of 20 ms": ""}
# As on a user's machine, Python keeps its bytecode: without it every process (each worker too) would compile
# and assertion-rewrite the modules again, a per-process cost no user pays after the first run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def generated_package(root: Path, cases: int = CASES, wait_s: float = 0.0) -> Path:
    """One package, one echo function, ``cases`` input sets in its mock.json; each waits ``wait_s``."""
    folder = root / f"echo{cases}-{int(wait_s * 1000)}ms"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(MAIN)
    function = {"name": "run", "input": [{"name": "config", "type": "Json"}]}
    (folder / "package.json").write_text(json.dumps(
        {"name": f"echo{cases}", "modules": [{"name": "default_module", "functions": [function]}]}))
    (folder / "mock.json").write_text(json.dumps({"inputs": [[{"name": "config", "value": {"n": i, "wait_s": wait_s}}]
                                                             for i in range(cases)]}))
    return folder


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_run(target: Path, args: tuple[str, ...], cwd: Path) -> tuple[float, float, int]:
    """One whole `pytest --faas` run: (wall seconds, CPU seconds of the process tree, tests passed). Leading
    ``NAME=value`` words of ``args`` are set in its environment (``PYTHONPATH=<another checkout>``, say)."""
    env = dict(ENV)
    while args and re.match(r"^[A-Z_]+=", args[0]):
        name, _, value = args[0].partition("=")
        env[name], args = value, args[1:]
    command = [sys.executable, "-m", "pytest", "--faas", "-q", "-p", "no:cacheprovider", *args, str(target)]
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=900, env=env)
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    passed = re.search(r"(\d+) passed", result.stdout)
    return wall, cpu, int(passed.group(1)) if passed else 0


def compare(target: Path, cwd: Path, variants: dict[str, tuple[str, ...]], repeat: int = REPEAT) -> dict:
    """Every variant, interleaved: medians of the wall time and of the CPU per test, and the samples."""
    for args in variants.values():  # warm-up: bytecode written, files in the page cache
        pytest_run(target, args, cwd)
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, args in variants.items():
            runs[name].append(pytest_run(target, args, cwd))
    return {name: {"walls": [s[0] for s in samples], "cpus": [s[1] for s in samples],
                   "cpu_per_test": [s[1] / max(s[2], 1) for s in samples], "tests": samples[0][2]}
            for name, samples in runs.items()}


def report_figures(report, subject: str, figures: dict) -> None:
    serial = figures["serial"]
    for name, parallel in figures.items():
        if name == "serial":
            continue
        report(f"{subject}: pytest --faas {name}, wall", parallel["walls"],
               goal=GOALS[subject] if name == "-n 2" else "", baseline="serial", baseline_samples=serial["walls"],
               note=f"{parallel['tests']} tests; walls {_rounded(parallel['walls'])}, serial {_rounded(serial['walls'])}")
        report(f"{subject}: CPU per test, {name}", parallel["cpu_per_test"],
               goal="<= 1.2x serial" if name == "-n 2" and GOALS[subject] else "", baseline="serial",
               baseline_samples=serial["cpu_per_test"],
               note=f"process tree CPU {_rounded(parallel['cpus'])} s, serial {_rounded(serial['cpus'])} s")


def _rounded(values) -> list[float]:
    return [round(v, 2) for v in values]


def measure(report, which=("600", "sample"), variants=VARIANTS, repeat: int = REPEAT) -> None:
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    if "600" in which:
        root = Path(tempfile.mkdtemp(prefix="faas-bench-scaleout-"))
        report_figures(report, "600 cases", compare(generated_package(root), root, variants, repeat))
    if "sample" in which:
        report_figures(report, "sample package", compare(SAMPLE, SAMPLE, variants, repeat))
    if "slow" in which:  # not in the default run: when -n pays, for docs/scale-out.md
        root = Path(tempfile.mkdtemp(prefix="faas-bench-scaleout-"))
        report_figures(report, "600 cases of 20 ms", compare(generated_package(root, wait_s=WAIT_S), root, variants,
                                                             repeat))
    print(f"load average after: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)


def run(report) -> None:
    measure(report)


def _main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import Report  # noqa: PLC0415

    os.environ.setdefault("DATALOOP_PATH", tempfile.mkdtemp(prefix="faas-bench-dtlpy-"))
    ENV.setdefault("DATALOOP_PATH", os.environ["DATALOOP_PATH"])
    which, variants, repeat = [], dict(VARIANTS), REPEAT
    args = iter(argv)
    for arg in args:
        if arg == "--repeat":
            repeat = int(next(args))
        elif arg == "--variant":
            name, _, flags = next(args).partition("=")
            variants[name] = tuple(shlex.split(flags))
        else:
            which.append(arg)
    out = Report()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    loads = [os.getloadavg()[0]]
    measure(out, tuple(which) or ("600", "sample"), variants, repeat)
    loads.append(os.getloadavg()[0])
    table = out.markdown()
    print()
    print(table)
    FIGURES.write_text(f"# bench_scaleout.py, {started}\n\n`python benchmarks/bench_scaleout.py {shlex.join(argv)}`, "
                       f"{os.cpu_count()} cores, load average {loads[0]:.1f} at the start and {loads[1]:.1f} at the "
                       f"end.\n\n{table}\n")
    print(f"written to {FIGURES}")


if __name__ == "__main__":
    _main(sys.argv[1:])
