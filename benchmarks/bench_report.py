"""The HTML report of 1,000 cases: its size and its write time, through the real entries and writer.

The cases are synthetic but shaped as a run makes them: an execution record with its status history and
progress, a log (20 lines for a passing case; 300 lines and a traceback for one case in ten, which fails),
and one manifest item per 20 cases. Baseline, measured alongside: ``json.dump`` of the same raw records
with their whole logs, the cost of keeping everything as it comes. A second run gives every case a log of
10,000 lines, to show the per-case bound. When chromium is there, the time the page takes to draw itself.

Figures go to ``benchmarks/results_report.md`` (and to the run's table).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness import interleaved, sample
from pytest_faas.report import records, writer

CASES = 1_000
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_report.md"
TRACEBACK = ["Traceback (most recent call last):",
             '  File "/work/packages/detector/main.py", line 42, in run',
             "    boxes = self.model.predict(item.download(save_locally=False))",
             '  File "/work/packages/detector/model.py", line 17, in predict',
             "    return self.net(batch)[\"boxes\"]",
             "KeyError: 'boxes'"]


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def raw_cases(log_lines: int | None = None) -> list[dict]:
    """What the plugin holds for each test at the end of a run, before the report bounds anything."""
    start = 1_790_000_000_000
    cases = []
    for n in range(CASES):
        failed = n % 10 == 7
        t0 = start + n * 40
        history = [("created", t0, 0, None), ("in-progress", t0 + 3, 0, None),
                   ("inProgress", t0 + 10, 50, "predicting"), ("failed" if failed else "success", t0 + 31, 100, None)]
        execution = {"id": f"{n:024x}", "functionName": "run", "duration": 0.028, "attempts": 1,
                     "output": None if failed else {"boxes": [[n, n + 1, 30, 40]], "label": "cat", "score": 0.93},
                     "statusLog": [{"status": s, "percentComplete": p, "message": m, "timestamp": _iso(t)}
                                   for s, t, p, m in history],
                     "latestStatus": {"status": history[-1][0], "timestamp": _iso(history[-1][1]),
                                      "message": "\n".join(TRACEBACK) if failed else None}}
        count = log_lines or (300 if failed else 20)
        logs = [f"INFO detector: item {n} batch {k}: {k * 3} boxes above 0.5" for k in range(count)]
        logs += TRACEBACK if failed else []
        logs.append("[Done] Executing function.")
        cases.append({"nodeid": f"detector/package.json::default_module::run[mocks/case_{n // 50}.json:{n % 50}]",
                      "failed": failed, "start": t0 / 1000, "stop": (t0 + 35) / 1000, "execution": execution,
                      "logs": logs, "inputs": {"item": {"item_id": f"{n:024x}"}, "config": {"threshold": 0.5}},
                      "failure": "\n".join(["detector/default_module.run: expected status success, got failed",
                                            *TRACEBACK]) if failed else ""})
    return cases


def entries(cases: list[dict]) -> list[dict]:
    """The report's entries, merged from phases as the plugin does on the controller."""
    built = []
    for n, case in enumerate(cases):
        entry = records.MergedEntry(case["nodeid"], case["nodeid"].split("::")[-1], "case")
        entry.add_phase("setup", "passed", "", case["start"], case["start"] + 0.001, 0.001)
        entry.add_phase("call", "failed" if case["failed"] else "passed", case["failure"], case["start"] + 0.001,
                        case["stop"] - 0.001, 0.033)
        entry.add_phase("teardown", "passed", "", case["stop"] - 0.001, case["stop"], 0.001)
        entry.worker = f"gw{n % 2}"
        entry.extra.update(records.case_entry(
            package="detector", module="default_module", function="run", mock=f"mocks/case_{n // 50}.json",
            index=n % 50, inputs=case["inputs"], expect={"status": "success"}, executions=[case["execution"]],
            logs=case["logs"], user_s=0.028, wall_s=0.035))
        built.append(entry.to_json())
        if n % 20 == 0:
            manifest = records.MergedEntry(f"detector{n}/package.json::manifest", f"detector{n}: manifest", "manifest")
            manifest.add_phase("call", "passed", "", case["start"], case["start"] + 0.001, 0.001)
            manifest.extra["findings"] = [{"severity": "warning", "text": "main.py:9: warning: ServiceRunner.run() "
                                           "parameter 'verbose' is not declared in modules[0].functions[0].input"}]
            built.append(manifest.to_json())
    return built


def _browser():
    import shutil

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def draw_times(path: Path, repeat: int = 5) -> list[float]:
    """Seconds from navigation start until the page's script has drawn it (as the page itself measures)."""
    driver = _browser()
    if driver is None:
        return []
    try:
        times = []
        for _ in range(repeat):
            driver.get(path.as_uri())
            times.append(float(driver.execute_script("return document.body.dataset.drawnMs")) / 1000)
        return times
    finally:
        driver.quit()


def run(report) -> None:
    folder = Path(tempfile.mkdtemp(prefix="faas-bench-report-"))
    cases = raw_cases()
    run_info = {"title": "bench", "started": 0, "wall_s": 40.0, "workers": 2, "placement": "thread"}
    page, dump = folder / "report.html", folder / "raw.json"

    def write_report():
        writer.write(page, run_info, entries(cases))

    def dump_raw():
        with open(dump, "w", encoding="utf-8") as out:
            json.dump(cases, out)

    subject, baseline = interleaved(write_report, dump_raw, repeat=15, warmup=2)
    size, raw_size = page.stat().st_size, dump.stat().st_size
    report(f"HTML report of {CASES:,} cases: entries + write", subject, baseline="json.dump of the raw records",
           baseline_samples=baseline, note=f"{size / 1024:,.0f} KiB ({size / CASES:,.0f} B a case); raw dump "
                                            f"{raw_size / 1024:,.0f} KiB")

    noisy = raw_cases(log_lines=10_000)
    heavy = folder / "heavy.html"
    heavy_times = sample(lambda: writer.write(heavy, run_info, entries(noisy)), repeat=5, warmup=1)
    heavy_size = heavy.stat().st_size
    raw_heavy = sum(len(line) + 1 for case in noisy for line in case["logs"])
    report(f"HTML report of {CASES:,} cases logging 10,000 lines each", heavy_times,
           note=f"{heavy_size / 1024 / 1024:,.1f} MiB, of {raw_heavy / 1024 / 1024:,.0f} MiB of logs")

    drawn = draw_times(page)
    if drawn:
        report(f"chromium draws the {CASES:,}-case report (file:// to ready)", drawn)
    lines = [f"# The HTML report's figures (benchmarks/bench_report.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
             "", f"{os.cpu_count()} cores, shared; medians.", "",
             f"- {CASES:,} cases (one in ten failing with a 300-line log), entries built and page written: "
             f"{statistics.median(subject) * 1000:.0f} ms over {len(subject)}; baseline json.dump of the raw "
             f"records {statistics.median(baseline) * 1000:.0f} ms.",
             f"- size: {size / 1024:,.0f} KiB ({size / CASES:,.0f} bytes a case); the raw records dumped: "
             f"{raw_size / 1024:,.0f} KiB.",
             f"- every case logging 10,000 lines ({raw_heavy / 1024 / 1024:,.0f} MiB of logs): "
             f"{heavy_size / 1024 / 1024:,.1f} MiB, written in {statistics.median(heavy_times):.2f} s.",
             f"- chromium draws the {CASES:,}-case page in {statistics.median(drawn) * 1000:.0f} ms (median of "
             f"{len(drawn)})." if drawn else "- chromium: not found, the drawing time was not measured."]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"figures written to {RESULTS}")
