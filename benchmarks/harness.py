"""Measure medians side by side, in one run, and print ratios against a baseline measured alongside.

Each benchmark module ``benchmarks/bench_*.py`` defines ``run(report)``; it measures its subject and its
baseline with :func:`sample` and hands both to ``report``. Samples interleave subject and baseline where
they can, so that noise from a shared machine lands on both.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


def sample(fn: Callable[[], object], repeat: int, warmup: int = 5) -> list[float]:
    """Call ``fn`` ``warmup`` times unmeasured, then ``repeat`` times; return each duration in seconds."""
    for _ in range(warmup):
        fn()
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - start)
    return durations


def interleaved(subject: Callable[[], object], baseline: Callable[[], object], repeat: int,
                warmup: int = 5) -> tuple[list[float], list[float]]:
    """Sample subject and baseline alternately (ABAB...), so that both see the same machine load."""
    for _ in range(warmup):
        subject()
        baseline()
    a, b = [], []
    for _ in range(repeat):
        a.extend(sample(subject, 1, 0))
        b.extend(sample(baseline, 1, 0))
    return a, b


@dataclass
class Result:
    name: str
    median_s: float
    samples: int
    goal: str = ""
    baseline: str = ""
    baseline_median_s: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_median_s:
            return None
        return self.median_s / self.baseline_median_s


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def __call__(self, name: str, samples: list[float], *, goal: str = "", baseline: str = "",
                 baseline_samples: list[float] | None = None, note: str = "") -> Result:
        result = Result(name, statistics.median(samples), len(samples), goal, baseline,
                        statistics.median(baseline_samples) if baseline_samples else None, note)
        self.results.append(result)
        print(self.line(result), flush=True)
        return result

    @staticmethod
    def line(r: Result) -> str:
        text = f"{r.name}: median {r.median_s * 1000:.3f} ms over {r.samples}"
        if r.baseline_median_s is not None:
            text += f"; {r.baseline}: {r.baseline_median_s * 1000:.3f} ms; ratio {r.ratio:.2f}"
        if r.goal:
            text += f" (goal: {r.goal})"
        if r.note:
            text += f" [{r.note}]"
        return text

    def markdown(self) -> str:
        rows = ["| benchmark | median | samples | baseline | baseline median | ratio | goal | note |",
                "|---|---|---|---|---|---|---|---|"]
        for r in self.results:
            base = f"{r.baseline_median_s * 1000:.3f} ms" if r.baseline_median_s is not None else ""
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
            rows.append(f"| {r.name} | {r.median_s * 1000:.3f} ms | {r.samples} | {r.baseline} | {base} | "
                        f"{ratio} | {r.goal} | {r.note} |")
        return "\n".join(rows)
