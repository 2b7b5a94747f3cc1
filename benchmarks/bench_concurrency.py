"""A service's cases at once (the default) against one at a time (``--faas-concurrency=1``).

Two subjects, whole `pytest --faas` processes as a user runs them, default and serial interleaved (ABAB...)
after one unmeasured run of each, medians of 3 (``--repeat N``):
- 40 cases of a function that waits 0.5 s, on a service of concurrency 10 (the platform's default): the kind of
  suite concurrency is for (functions that wait on a model, a download, a service). Goal: at most 0.3x serial.
- 600 cases of a function that returns at once: what submitting ahead costs when there is nothing to wait for.
  Goal: at most 1.05x serial.

Each run pays a fixed start-up first (Python, pytest, dtlpy, the platform, the push and the deploy: a few
seconds on a quiet machine, over ten on a busy one), which no concurrency shortens. So the cases' own time is
reported too: each run's wall less the median wall of a run of one case of the same function.

The CPU of each run's process tree is reported beside the walls (see bench_scaleout.py).

Run: ``python benchmarks/run.py concurrency``, or ``python benchmarks/bench_concurrency.py [wait] [quick]
[--repeat N]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaleout import _rounded, compare, generated_package  # noqa: E402

REPEAT = 3
VARIANTS = {"serial": ("--faas-concurrency=1",), "default": ()}
SUBJECTS = {  # name -> (cases, wait of each, goal)
    "wait": (40, 0.5, "<= 0.3x serial"),
    "quick": (600, 0.0, "<= 1.05x serial"),
}


def measure(report, which=tuple(SUBJECTS), repeat: int = REPEAT) -> None:
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    for name in which:
        cases, wait_s, goal = SUBJECTS[name]
        root = Path(tempfile.mkdtemp(prefix="faas-bench-concurrency-"))
        figures = compare(generated_package(root, cases, wait_s), root, VARIANTS, repeat)
        serial, default = figures["serial"], figures["default"]
        subject = f"{cases} cases of {int(wait_s * 1000)} ms"
        report(f"{subject}: pytest --faas (concurrency 10), wall", default["walls"], goal=goal,
               baseline="--faas-concurrency=1", baseline_samples=serial["walls"],
               note=f"{default['tests']} tests; walls {_rounded(default['walls'])}, serial {_rounded(serial['walls'])}")
        # What the cases themselves take: each run less a run of one case (start-up, push, deploy; measured
        # next, in the same session), which no concurrency can shorten.
        one = statistics.median(compare(generated_package(root / "one", 1, wait_s), root, {"one": ()}, repeat)
                                ["one"]["walls"])
        report(f"{subject}: the cases' own time, default (wall less a 1-case run's)",
               [wall - one for wall in default["walls"]], goal=goal, baseline="--faas-concurrency=1",
               baseline_samples=[wall - one for wall in serial["walls"]], note=f"a 1-case run: {one:.2f} s")
        report(f"{subject}: CPU of the run, default", default["cpus"], baseline="--faas-concurrency=1",
               baseline_samples=serial["cpus"], note=f"process tree CPU s {_rounded(default['cpus'])}, "
                                                     f"serial {_rounded(serial['cpus'])}")
    print(f"load average after: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)


def run(report) -> None:
    measure(report)


def _main(argv: list[str]) -> None:
    from harness import Report  # noqa: PLC0415

    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else REPEAT
    which = tuple(name for name in argv if name in SUBJECTS) or tuple(SUBJECTS)
    report = Report()
    measure(report, which, repeat)
    print()
    print(report.markdown())


if __name__ == "__main__":
    os.environ.setdefault("DATALOOP_PATH", tempfile.mkdtemp(prefix="faas-bench-dtlpy-"))
    _main(sys.argv[1:])
