"""Run the benchmarks: ``python benchmarks/run.py [name ...]``.

Each ``benchmarks/bench_<name>.py`` module has a ``run(report)`` function. Without names, all run. The
table of results is printed at the end as Markdown, ready for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Report  # noqa: E402


def main(argv: list[str]) -> int:
    # dtlpy must never touch the user's own login, even in a benchmark.
    os.environ.setdefault("DATALOOP_PATH", tempfile.mkdtemp(prefix="faas-bench-dtlpy-"))
    names = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    report = Report()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores", flush=True)
    for name in names:
        path = HERE / f"bench_{name}.py"
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        module.run(report)
    print()
    print(report.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
