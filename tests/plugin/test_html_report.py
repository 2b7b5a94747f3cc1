"""`pytest --faas --faas-html=report.html`: the real plugin runs real packages on the local platform, and the
page it writes is opened from a file:// URL in a headless chromium and read through its DOM."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from faas_code import JSON_PACKAGE

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "images"  # the docs' pictures, remade with FAAS_UPDATE_SCREENSHOTS=1
INJECTION = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
FAILING = {
    "package.json": {"name": "fails", "modules": [{"name": "default_module", "functions": [
        {"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]},
    "main.py": (
        "import dtlpy as dl\n\n\n"
        "def parse(config):\n"
        "    return config['threshold'] * 2\n\n\n"
        "class ServiceRunner(dl.BaseServiceRunner):\n"
        "    def run(self, config, progress, verbose=False):\n"
        "        progress.update(status='inProgress', progress=40, message='parsing')\n"
        f"        print({INJECTION!r})\n"
        "        return parse(config)\n"),
    "mock.json": {"inputs": [[{"name": "config", "value": {"threshold": 2, "note": "<b>not bold</b>"}}],
                             [{"name": "config", "value": {}}]],
                  "cases": [{"expect": {"output": 4}}, {}]},
}
FAILING_CASE = "fails/package.json::default_module::run[mock.json:1]"


def blob(path: Path) -> dict:
    """The run's data as the page holds it."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="faas-data">(.*?)</script>', text, re.S)
    assert found, "the report holds no data blob"
    return json.loads(found.group(1))


def open_report(browser, path: Path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.body.dataset.ready") == "1")
    # Nothing was fetched: the page is one file (its CSP also forbids any fetch).
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    return browser


def texts(browser, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [node.get_attribute("textContent") for node in browser.find_elements(By.CSS_SELECTOR, selector)]


@pytest.mark.browser
def test_the_sample_packages_report_shows_every_case_on_the_timeline(faas_pytester, packages, browser):
    from selenium.webdriver.common.by import By

    packages.copy_sample("hello_world")
    packages.copy_sample("auto_ml")
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-html=out/report.html")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 5 and not outcomes.get("failed"), result.stdout.str()
    result.stdout.fnmatch_lines(["faas: HTML report of * tests in */out/report.html (* KiB, written in *s)"])
    report = faas_pytester.path / "out" / "report.html"
    data = blob(report)
    cases = [t for t in data["tests"] if t["kind"] == "case"]
    assert len(data["tests"]) == outcomes["passed"] and len(cases) >= 4

    open_report(browser, report)
    assert texts(browser, "#failures .empty") == ["Nothing failed."]
    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline .row")
    assert sorted(row.get_attribute("data-nodeid") for row in rows) == sorted(t["id"] for t in data["tests"])
    for case in cases:  # each case's execution drawn as its queued and running phases
        row = next(r for r in rows if r.get_attribute("data-nodeid") == case["id"])
        assert row.find_elements(By.CSS_SELECTOR, "[data-phase=running].end-passed"), case["id"]
        assert row.find_elements(By.CSS_SELECTOR, "[data-phase=queued]"), case["id"]
    slowest = browser.find_elements(By.CSS_SELECTOR, "#slowest li")
    spans = sorted(((t["stop"] - t["start"], t["id"]) for t in data["tests"]), reverse=True)
    assert len(slowest) == min(10, len(data["tests"])) and slowest[0].get_attribute("data-nodeid") == spans[0][1]
    summary = texts(browser, "#summary [data-figure=executions]")[0]
    assert summary == f"executions: {len(cases)} ({len(cases)} success)"


@pytest.mark.browser
def test_a_failing_packages_report_puts_the_failure_first_with_its_traceback_and_log(
        faas_pytester, packages, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    packages.write("fails", FAILING)
    packages.write("echo", JSON_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-html=report.html")
    result.assert_outcomes(passed=5, failed=1, warnings=1)
    report = faas_pytester.path / "report.html"
    assert report.read_text().count("<script") == 2, "user text never opens a script element"

    open_report(browser, report)
    failing = browser.find_elements(By.CSS_SELECTOR, "#failures details.test")
    assert [card.get_attribute("data-nodeid") for card in failing] == [FAILING_CASE]
    every = browser.find_elements(By.CSS_SELECTOR, "#tests details.test")
    assert every[0].get_attribute("data-nodeid") == FAILING_CASE, "failures first"
    assert [card.get_attribute("data-outcome") for card in every[1:]] == ["passed"] * 5

    card = failing[0]
    failure = card.find_element(By.CSS_SELECTOR, "pre.failure").get_attribute("textContent")
    assert "expected status success, got failed" in failure and "KeyError: 'threshold'" in failure
    assert 'fails/main.py", line 5, in parse' in failure
    log = card.find_element(By.CSS_SELECTOR, "pre.log").get_attribute("textContent")
    assert INJECTION in log, "the log is shown as the text it is"
    assert 'fails/main.py", line 5, in parse' in log and "/code/" not in log, "paths in the package's own folder"
    assert browser.execute_script("return window.__pwned") is None
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 2 and not browser.find_elements(By.TAG_NAME, "img")
    progress = card.find_element(By.CSS_SELECTOR, "pre.progress").get_attribute("textContent")
    assert "inProgress 40%  parsing" in progress
    assert json.loads(card.find_element(By.CSS_SELECTOR, "pre.inputs").get_attribute("textContent")) == {"config": {}}
    ended = card.find_element(By.CSS_SELECTOR, "table.execs").get_attribute("textContent")
    assert "failed" in ended

    # A passing case of the same package: its inputs as text, its output, its log.
    passing = browser.find_element(By.CSS_SELECTOR, '#tests details[data-nodeid$="run[mock.json:0]"]'
                                                    '[data-nodeid^="fails/"]')
    passing.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(browser, 5).until(lambda _: passing.find_elements(By.CSS_SELECTOR, "pre.inputs"))  # drawn on toggle
    assert json.loads(passing.find_element(By.CSS_SELECTOR, "pre.inputs").get_attribute("textContent")) == \
        {"config": {"threshold": 2, "note": "<b>not bold</b>"}}
    assert passing.find_element(By.CSS_SELECTOR, "pre.output").get_attribute("textContent") == "4"
    assert passing.find_element(By.CSS_SELECTOR, "pre.expect").get_attribute("textContent").replace(" ", "") == \
        '{\n"status":"success",\n"output":4\n}'
    assert not browser.find_elements(By.CSS_SELECTOR, "main b"), "user text is never markup"

    findings = texts(browser, "#findings li.finding-warning")
    assert len(findings) == 1 and findings[0].startswith("fails/main.py:9: warning:") and "'verbose' is not declared" in findings[0]
    row = browser.find_element(By.CSS_SELECTOR, f'#timeline .row[data-nodeid="{FAILING_CASE}"]')
    assert row.find_elements(By.CSS_SELECTOR, "[data-phase=running].end-failed")

    # The docs' pictures: the page with the failure folded, then the failure's card alone.
    folder = SCREENSHOTS if os.environ.get("FAAS_UPDATE_SCREENSHOTS") else tmp_path
    size = browser.get_window_size()
    browser.set_window_size(1280, 1000)
    try:
        browser.execute_script("for (const d of document.querySelectorAll('details')) d.open = false;"
                               "window.scrollTo(0, 0)")
        assert browser.save_screenshot(str(folder / "html-report.png"))
        browser.set_window_size(1280, 1700)  # an element's picture is cut at the window's edge
        card.find_element(By.TAG_NAME, "summary").click()
        WebDriverWait(browser, 5).until(lambda _: card.get_attribute("open") is not None)
        assert card.screenshot(str(folder / "html-report-failure.png"))
    finally:
        browser.set_window_size(size["width"], size["height"])
    for name in ("html-report.png", "html-report-failure.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

def test_under_xdist_the_controller_writes_every_case_once(faas_pytester, packages):
    packages.copy_sample("hello_world")
    packages.write("echo", JSON_PACKAGE)
    packages.write("fails", FAILING)
    result = faas_pytester.runpytest_subprocess("--faas", "-n", "2", "-p", "no:cacheprovider",
                                                "--faas-html=report.html")
    result.assert_outcomes(passed=9, failed=1, warnings=1)
    collected = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--collect-only", "-q")
    expected = sorted(line for line in collected.stdout.lines if "::" in line)
    data = blob(faas_pytester.path / "report.html")
    ids = [t["id"] for t in data["tests"]]
    assert sorted(ids) == expected and len(ids) == len(set(ids)) == 10
    assert {t["worker"] for t in data["tests"]} <= {"gw0", "gw1"} and data["run"]["workers"] in (1, 2)
    assert data["tests"][0]["id"] == FAILING_CASE and data["tests"][0]["outcome"] == "failed"
    assert "KeyError: 'threshold'" in data["tests"][0]["failure"]
    for case in (t for t in data["tests"] if t["kind"] == "case"):  # each worker's records reached the controller
        assert len(case["executions"]) == 1 and case["executions"][0]["phases"], case["id"]
        assert case["logs"]["total"] >= 1, case["id"]
    assert not list(faas_pytester.path.glob(".report.html.*")), "no partial file is left behind"


def test_without_the_option_no_report_and_no_extra_log_reads(faas_pytester, packages):
    packages.write("echo", JSON_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert "HTML report" not in result.stdout.str() and not list(faas_pytester.path.glob("*.html"))


def test_a_folder_as_the_report_is_a_usage_error_before_anything_runs(faas_pytester, packages):
    packages.write("echo", JSON_PACKAGE)
    (faas_pytester.path / "out").mkdir()
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-html=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is a folder; name the report's file" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_the_environment_names_the_report_too(faas_pytester, packages, monkeypatch):
    packages.write("echo", JSON_PACKAGE)
    monkeypatch.setenv("FAAS_HTML", "ci/faas.html")
    faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider").assert_outcomes(passed=3)
    assert [t["outcome"] for t in blob(faas_pytester.path / "ci" / "faas.html")["tests"]] == ["passed"] * 3


def test_a_pipeline_templates_case_lists_the_executions_of_its_nodes(faas_pytester, packages):
    from test_pipeline_cases import CLASSIFY_MOCK, TEMPLATE_MOCK, node_package, pipeline_template

    node_package(packages, CLASSIFY_MOCK, {"sorter.pipeline.json": pipeline_template(),
                                           "sorter.pipeline.mock.json": TEMPLATE_MOCK})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-html=report.html")
    result.assert_outcomes(passed=6)
    pipelines = {t["id"].rsplit(":", 1)[-1]: t for t in blob(faas_pytester.path / "report.html")["tests"]
                 if t["kind"] == "pipeline"}
    assert sorted(pipelines) == ["0]", "1]", "2]"]
    routes = {key: [(e["name"], e["status"]) for e in t["executions"]] for key, t in pipelines.items()}
    assert routes == {"0]": [("classify", "success"), ("tag", "success")],
                      "1]": [("classify", "success"), ("tag", "success")],
                      "2]": [("classify", "success"), ("boom", "failed")]}
    assert all(e["phases"] and e["ended"] for t in pipelines.values() for e in t["executions"])
    assert "no luck with bad.png" in pipelines["2]"]["executions"][1]["message"]


RESULTS_CONFTEST = '''
import json, time
import pytest

def pytest_faas_platform_options(config, options):
    with open("platform-started.json", "w") as f:  # the moment this run's platform starts
        json.dump(time.time(), f)

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "run[mock.json:2]":
            item.add_marker(pytest.mark.xfail(reason="the author knows"))
'''


@pytest.mark.browser
def test_the_timeline_colours_each_case_by_its_result_and_the_start_up_is_nobodys(faas_pytester, packages, browser):
    from selenium.webdriver.common.by import By

    package = dict(JSON_PACKAGE)  # a right output, a wrong one, and a failure expected by an xfail mark
    package["mock.json"] = {"inputs": [[{"name": "config", "value": {"n": 1}}], [{"name": "config", "value": {"n": 2}}],
                                       [{"name": "config", "value": {"n": 3}}]],
                            "cases": [{"expect": {"output": {"n": 1}}}, {"expect": {"output": {"n": 9}}},
                                      {"expect": {"output": {"n": 9}}}]}
    packages.write("echo", package)
    faas_pytester.makeconftest(RESULTS_CONFTEST)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--faas-html=report.html")
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
    report = faas_pytester.path / "report.html"
    data = blob(report)
    outcomes = {t["id"].rsplit("::", 1)[-1]: t["outcome"] for t in data["tests"] if t["kind"] == "case"}
    assert outcomes == {"run[mock.json:0]": "passed", "run[mock.json:1]": "failed", "run[mock.json:2]": "xfailed"}
    started = json.loads((faas_pytester.path / "platform-started.json").read_text()) * 1000
    first = min(t["start"] for t in data["tests"] if t["kind"] == "case")
    assert started < first, "the platform started before the first case, not inside it"

    open_report(browser, report)
    colour = "return getComputedStyle(arguments[0]).backgroundColor"
    bars = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#timeline .row"):
        running = row.find_elements(By.CSS_SELECTOR, "[data-phase=running]")
        if running:
            bars[row.get_attribute("data-nodeid").rsplit("::", 1)[-1]] = browser.execute_script(colour, running[0])
    badges = {card.get_attribute("data-nodeid").rsplit("::", 1)[-1]: browser.execute_script(
        colour, card.find_element(By.CSS_SELECTOR, "summary .badge"))
        for card in browser.find_elements(By.CSS_SELECTOR, "#tests details.test")}
    green, red, amber = "rgb(46, 158, 91)", "rgb(208, 69, 58)", "rgb(201, 138, 0)"
    wanted = {"run[mock.json:0]": green, "run[mock.json:1]": red, "run[mock.json:2]": amber}
    assert bars == wanted, "the wrong output is red although its execution succeeded; the xfail is not red"
    assert {k: v for k, v in badges.items() if k in wanted} == wanted
