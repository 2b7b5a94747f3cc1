"""The page's cost to the platform: trigger throughput with and without one page watching, side by side.

Three platform processes, alike (``platform_child.py memory``: data in memory, functions in threads of the
platform's process, as ``faas serve --placement thread``), each with the package and trigger of
``bench_throughput``. Rounds of ``FAAS_BENCH_ITEMS`` REST uploads (1,000 by default) go to each in turn,
so that the machine's noise lands on all three:

- no page: nothing watches; the platform never records a change for a page (the baseline);
- one event stream: a bare reader of ``/api/v1/_faas/events`` in this process, what a page costs the
  platform itself;
- one page in chromium: the real page, headless, on its Executions view, which updates a row per
  execution; chromium shares the machine's 2 cores with the platform, as a browser on a laptop would.

Each round's figure is from the first upload to the last execution's final status (``bench_throughput``'s
``_round``). The platform process's CPU per execution is read from ``/proc`` over each round.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench_throughput import ITEMS, _Child, _round, _setup, _upload_rest
from harness import Report

FIGURES = Path(__file__).resolve().parent / "page_results.md"  # this bench's own figures, rewritten each run

ROUNDS = int(os.environ.get("FAAS_BENCH_ROUNDS", "5"))


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of a process and all its descendants (chromium's browser, GPU and renderer processes)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])))
    tree, total, grew = {root}, 0, True
    while grew:
        grew = False
        for pid, (parent, _) in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = sum(parents[pid][1] for pid in tree if pid in parents)
    return total / os.sysconf("SC_CLK_TCK")


class _StreamReader:
    """One page's stream read by a thread of this process, message by message, until stopped."""

    def __init__(self, url: str, token: str):
        self.response = requests.get(f"{url}/api/v1/_faas/events", headers={"Authorization": f"Bearer {token}"},
                                     stream=True, timeout=30)
        self.response.raise_for_status()
        self.messages = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line.startswith(b"event: changes"):
                    self.messages += 1
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed under it

    def close(self) -> None:
        self.response.close()
        self._thread.join(timeout=5)


def _browser():
    """A headless chromium through Debian's chromedriver, or the reason there is none."""
    browser, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (browser and driver):
        return "no chromium and chromedriver on PATH"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def _open_page(driver, child: _Child) -> None:
    address = child.platform.url
    driver.get(f"{address}/?token={child.platform.token}")
    deadline = time.monotonic() + 30
    while driver.find_element("id", "live").text != "live":
        if time.monotonic() > deadline:
            raise RuntimeError("the page never went live")
        time.sleep(0.1)


def run(report) -> None:
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="faas-bench-page-"))
    driver = _browser()
    modes = ["none", "stream"] + (["browser"] if not isinstance(driver, str) else [])
    if isinstance(driver, str):
        print(f"bench_page: the chromium row is left out: {driver}", flush=True)
    children, setups = {}, {}
    walls = {m: [] for m in modes}
    cpus = {m: [] for m in modes}
    browser_cpus = []
    reader = None
    try:
        for mode in modes:
            children[mode] = child = _Child("memory")  # binds this process's dtlpy to it
            setups[mode] = _setup(child.platform, root / mode)
            _round(child.platform, *setups[mode], _upload_rest, f"{mode}-warm")  # imports, caches, first agent
            child.binding.restore()  # dtlpy is bound to one platform at a time: each round binds its own
        reader = _StreamReader(children["stream"].platform.url, children["stream"].platform.token)
        if "browser" in modes:
            _open_page(driver, children["browser"])
        for number in range(ROUNDS):
            for mode in modes:
                child = children[mode]
                child.binding.activate()
                try:
                    before = _cpu_s(child.process.pid)
                    chromium = _tree_cpu_s(driver.service.process.pid) if mode == "browser" else 0.0
                    wall, _, _ = _round(child.platform, *setups[mode], _upload_rest, f"{mode}-{number}")
                    cpus[mode].append(_cpu_s(child.process.pid) - before)
                    if mode == "browser":
                        browser_cpus.append(_tree_cpu_s(driver.service.process.pid) - chromium)
                    walls[mode].append(wall)
                finally:
                    child.binding.restore()
    finally:
        if reader is not None:
            reader.close()
        if not isinstance(driver, str):
            driver.quit()
        for child in children.values():
            child.close()
        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()[0]
    base_rate = ITEMS / statistics.median(walls["none"])
    words = {"none": "no page watching", "stream": "one event stream open (a bare reader)",
             "browser": "one page open in headless chromium (Executions view)"}
    mine = Report()
    for mode in modes:
        rate = ITEMS / statistics.median(walls[mode])
        cpu_ms = statistics.median(cpus[mode]) / ITEMS * 1000
        note = (f"{rate:.0f} executions/s ({rate / base_rate:.2f}x no page); platform process CPU "
                f"{cpu_ms:.2f} ms an execution (uploads and waits included)")
        if mode == "browser":
            note += f"; chromium's own CPU {statistics.median(browser_cpus) / ITEMS * 1000:.2f} ms an execution"
        if mode == "stream" and reader is not None:
            note += f"; {reader.messages} messages over all rounds"
        baseline = {} if mode == "none" else {"baseline": words["none"], "baseline_samples": walls["none"]}
        mine.results.append(report(f"page: {ITEMS:,} triggered executions, {words[mode]}", walls[mode], note=note,
                                   **baseline))
    FIGURES.write_text(
        f"# The page's cost to the platform\n\n`python benchmarks/run.py page`, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{ROUNDS} rounds of {ITEMS:,} items per row, interleaved; load average {load_before:.1f} at the start and "
        f"{load_after:.1f} at the end on {os.cpu_count()} cores.\n\n{mine.markdown()}\n")
