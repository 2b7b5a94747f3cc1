"""The page of a real `faas serve`, driven in headless chromium: an upload through dtlpy fires a trigger,
and its execution appears on the page and turns green without a reload; its logs, inputs and status
history open; items show as thumbnails, services with their triggers, a pipeline execution as a graph.

Screenshots: each test writes its own into a temporary folder on every run; with ``FAAS_SCREENSHOTS=1``
they are written into ``docs/img/`` instead, which is how the ones docs/page.md shows were made.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MAIN = '''
import logging
import time

import dtlpy as dl

logger = logging.getLogger("watcher")


class ServiceRunner(dl.BaseServiceRunner):
    def on_item(self, item, progress):
        logger.info("looking at %s", item.name)
        progress.update(progress=50, message="half way through " + item.name)
        time.sleep(1.5)  # long enough for the page to show it running first
        print("done with", item.name)
        return {"name": item.name, "width": item.width}

    def classify(self, item, progress):
        progress.update(action="keep")
        return item

    def keep(self, item):
        return item
'''
PACKAGE = {"name": "watcher", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                           "className": "ServiceRunner", "functions": [
    {"name": "on_item", "input": [{"name": "item", "type": "Item"}], "output": []},
    {"name": "classify", "input": [{"name": "item", "type": "Item"}],
     "output": [{"name": "item", "type": "Item", "actions": ["keep", "drop"]}]},
    {"name": "keep", "input": [{"name": "item", "type": "Item"}], "output": [{"name": "item", "type": "Item"}]},
]}]}


def picture(shade: int) -> io.BytesIO:
    from PIL import Image

    image = Image.new("RGB", (48, 32), (shade, 120, 255 - shade))
    for x in range(0, 48, 8):
        for y in range(0, 32, 8):
            if (x + y) % 16 == 0:
                image.putpixel((x + 3, y + 3), (255, 255, 255))
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    return data


class Scene:
    """`faas serve` in its own process, this process's dtlpy pointed at it, a package deployed with an
    Item Created trigger, and the address `faas serve` printed for its page."""

    def __init__(self, root: Path):
        from pytest_faas.local import RemotePlatform

        self.data_dir = root / "data"
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from pytest_faas.cli import main; main()", "--data-dir", str(self.data_dir),
             "serve", "--port", "0", "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=root)
        self.page_address = None
        for line in self.process.stdout:
            if line.startswith("page:"):
                self.page_address = line.split()[1]
                break
        assert self.page_address, "faas serve printed no page address"
        self.base = self.page_address.split("/?")[0]
        self.token = (self.data_dir / "token").read_text().strip()
        self.remote = RemotePlatform(self.base, self.token, folder_prefix="faas-page-test-")
        dl = self.dl = self.remote.dl
        self.project = dl.projects.create("page-demo")
        self.dataset = self.project.datasets.create(dataset_name="pictures")
        folder = root / "watcher"
        folder.mkdir()
        (folder / "package.json").write_text(json.dumps(PACKAGE))
        (folder / "main.py").write_text(MAIN)
        package = self.project.packages.push(package_name="watcher", src_path=str(folder),
                                             modules=[dl.PackageModule.from_json(PACKAGE["modules"][0])])
        self.service = package.deploy(service_name="watcher", runtime={"concurrency": 4})
        self.trigger = self.service.triggers.create(
            name="on-upload", function_name="on_item", resource=dl.TriggerResource.ITEM,
            actions=dl.TriggerAction.CREATED, filters=dl.Filters(field="dir", values="/incoming"))

    def upload(self, name: str, shade: int):
        return self.dataset.items.upload(local_path=picture(shade), remote_path="/incoming", remote_name=name)

    def close(self) -> None:
        self.remote.close()
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    made = Scene(tmp_path_factory.mktemp("page"))
    yield made
    made.close()


@pytest.fixture
def page(browser, scene):
    """The browser on the page, signed in through the printed address."""
    browser.delete_all_cookies()
    browser.get(scene.page_address)
    wait_for(browser, lambda: browser.find_element("id", "live").text == "live", "the page never went live")
    return browser


def wait_for(browser, check, what: str, within: float = 60.0):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + within
    while True:
        try:
            found = check()
        except (NoSuchElementException, StaleElementReferenceException):
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} (within {within}s); page: {browser.current_url}"
        time.sleep(0.1)


def screenshot(browser, name: str, tmp_path: Path) -> Path:
    """Write the page as PNG: into docs/img with FAAS_SCREENSHOTS=1, else into the test's folder. The
    picture is reduced to a palette, which keeps the committed files small."""
    from PIL import Image

    target = (DOCS_IMG if os.environ.get("FAAS_SCREENSHOTS") == "1" else tmp_path) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    image.quantize(colors=64).save(target, optimize=True)
    assert target.stat().st_size > 5_000
    return target


def test_an_upload_appears_and_turns_green_without_a_reload_and_its_logs_open(page, scene, tmp_path):
    from selenium.webdriver.common.by import By

    assert page.current_url == scene.base + "/"  # the token left the address at once
    cookies = page.get_cookies()
    assert [c["name"] for c in cookies] == [f"faas-page-{scene.base.rsplit(':', 1)[1]}"]
    assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
    assert page.execute_script("return document.cookie") == ""  # scripts cannot read it
    page.execute_script("window.faasStillTheSamePage = true")
    rows_before = {row.get_attribute("id") for row in page.find_elements(By.CSS_SELECTOR, "#executions tbody tr")}

    item = scene.upload("first.png", 40)
    row = wait_for(page, lambda: next((r for r in page.find_elements(By.CSS_SELECTOR, "#executions tbody tr")
                                       if r.get_attribute("id") not in rows_before), None),
                   "the triggered execution never appeared")
    execution_id = row.get_attribute("id").removeprefix("exec-")
    execution = scene.dl.executions.get(execution_id=execution_id)
    assert execution.trigger_id == scene.trigger.id and execution.input["item"]["item_id"] == item.id
    seen, deadline = [], time.monotonic() + 60
    while "success" not in seen:  # the row changes in place as the execution runs, then turns green
        assert time.monotonic() < deadline, f"the row never turned green: {seen}"
        status = page.find_element(By.ID, f"exec-{execution_id}").get_attribute("data-status")
        if not seen or seen[-1] != status:
            seen.append(status)
        assert status not in ("failed", "system-failure"), seen
        time.sleep(0.05)
        assert len(seen) < 10
    assert seen[0] != "success", seen  # it was shown before it ended
    colour = page.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor", f"#exec-{execution_id} .dot")
    assert colour == "rgb(30, 142, 62)"  # green
    assert page.execute_script("return window.faasStillTheSamePage") is True  # no reload happened

    for n, shade in enumerate((90, 160, 220)):  # company for the screenshot
        scene.upload(f"more-{n}.png", shade)
    row.click()
    logs = wait_for(page, lambda: "[Done] Executing function." in page.find_element(By.ID, "logs").text
                    and page.find_element(By.ID, "logs").text, "the execution's logs never opened")
    assert "looking at first.png" in logs and "done with first.png" in logs
    assert json.loads(page.find_element(By.ID, "execution-input").text) == execution.input
    assert json.loads(page.find_element(By.ID, "execution-output").text) == {"name": "first.png", "width": 48}
    history = [r.get_attribute("data-status") for r in page.find_elements(By.CSS_SELECTOR, "#status-history tbody tr")]
    assert history[0] == "created" and history[-1] == "success" and "in-progress" in history
    assert "half way through first.png" in page.find_element(By.ID, "status-history").text
    wait_for(page, lambda: len(page.find_elements(By.CSS_SELECTOR, "#executions tbody tr[data-status=success]")) >= 4,
             "the other uploads' executions never all succeeded")
    screenshot(page, "serve-page.png", tmp_path)


def test_filters_by_service_status_and_trigger(page, scene):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def ended(**fields) -> set[str]:
        """Ids of the project's ended executions with these fields, as the platform lists them."""
        found = scene.dl.executions.list(filters=scene.dl.Filters(
            resource=scene.dl.FiltersResource.EXECUTION, field="projectId", values=scene.project.id)).all()
        return {e.id for e in found if e.latest_status["status"] in ("success", "failed")
                and all(getattr(e, k) == v for k, v in fields.items())}

    def shown() -> set[str]:
        return {r.get_attribute("id").removeprefix("exec-")
                for r in page.find_elements(By.CSS_SELECTOR, "#executions tbody tr")}

    scene.upload("filtered.png", 10).id
    wait_for(page, lambda: len(ended(trigger_id=scene.trigger.id)) == 5, "the five uploads' executions never ended")
    Select(page.find_element(By.ID, "filter-status")).select_by_value("failed")
    wait_for(page, lambda: page.find_element(By.ID, "executions-count").text == "0 shown", "failed filter")
    Select(page.find_element(By.ID, "filter-status")).select_by_value("success")
    Select(page.find_element(By.ID, "filter-trigger")).select_by_value(scene.trigger.id)
    Select(page.find_element(By.ID, "filter-service")).select_by_value(scene.service.id)
    wait_for(page, lambda: shown() == ended(trigger_id=scene.trigger.id), "filters")
    # A run that is not the trigger's stays hidden, live; the upload's own triggered run shows.
    direct = scene.service.execute(function_name="on_item", project_id=scene.project.id,
                                   execution_input={"item": scene.upload("direct.png", 0).id})
    direct.wait()
    wait_for(page, lambda: len(shown()) == 6 and shown() == ended(trigger_id=scene.trigger.id), "the live filter")
    assert direct.id not in shown()
    Select(page.find_element(By.ID, "filter-trigger")).select_by_value("")
    wait_for(page, lambda: direct.id in shown(), "the direct run once the trigger filter is off")


def test_items_show_as_thumbnails(page, scene, tmp_path):
    from selenium.webdriver.common.by import By

    scene.upload("thumbnail.png", 200)
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-view=data]").click()
    image = wait_for(page, lambda: next((i for i in page.find_elements(By.CSS_SELECTOR, "#items img")
                                         if i.get_attribute("alt") == "thumbnail.png"), None), "no thumbnail")
    wait_for(page, lambda: page.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 48,
             "the thumbnail never loaded")
    screenshot(page, "serve-data.png", tmp_path)


def test_services_show_their_triggers(page, scene):
    from selenium.webdriver.common.by import By

    page.find_element(By.CSS_SELECTOR, "#tabs button[data-view=services]").click()
    card = wait_for(page, lambda: page.find_element(By.CSS_SELECTOR, f"#services .card[data-id='{scene.service.id}']"),
                    "no card for the service")
    trigger = card.find_element(By.CSS_SELECTOR, f".trigger[data-id='{scene.trigger.id}']").text
    assert "on-upload" in trigger and "Item Created" in trigger and "on_item" in trigger and "/incoming" in trigger
    assert "package watcher" in card.text


def test_a_pipeline_execution_is_a_graph_of_its_nodes(page, scene, tmp_path):
    from selenium.webdriver.common.by import By

    dl = scene.dl
    pipeline = scene.project.pipelines.create(name="sorting")
    classify = dl.FunctionNode(name="classify", service=scene.service, function_name="classify", position=(1, 1))
    keep = dl.FunctionNode(name="keep", service=scene.service, function_name="keep", position=(3, 1))
    drop = dl.FunctionNode(name="drop", service=scene.service, function_name="keep", position=(3, 3))
    pipeline.nodes.add(classify)
    classify.connect(keep, action="keep")
    classify.connect(drop, action="drop")
    pipeline = pipeline.update()
    pipeline.install()
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-view=pipelines]").click()
    cycle = pipeline.execute(execution_input={"item": scene.upload("piped.png", 120).id})
    node_status = lambda name: page.find_element(  # noqa: E731
        By.CSS_SELECTOR, f"#graph .node[data-name='{name}']").get_attribute("data-status")
    wait_for(page, lambda: page.find_element(By.CSS_SELECTOR, f"#cycles li[data-id='{cycle.id}']")
             .get_attribute("data-status") == "success", "the pipeline execution never showed success")
    wait_for(page, lambda: [node_status(n) for n in ("classify", "keep", "drop")] == ["success", "success", "pending"],
             "the graph never showed the kept branch done and the other one not taken")
    assert len(page.find_elements(By.CSS_SELECTOR, "#graph path.edge")) == 2
    # The graph is redrawn as changes come: click until the node's panel lists its execution.
    wait_for(page, lambda: page.find_element(By.CSS_SELECTOR, "#graph .node[data-name='keep']").click()
             or page.find_elements(By.CSS_SELECTOR, "#node li"), "the node lists no execution")
    screenshot(page, "serve-pipeline.png", tmp_path)
    wait_for(page, lambda: page.find_element(By.CSS_SELECTOR, "#node li").click() or True, "the node's execution")
    wait_for(page, lambda: "[Done] Executing function." in page.find_element(By.ID, "logs").text,
             "the node's execution never opened")


@pytest.mark.parametrize("cookie", [None, "wrong"])
def test_without_the_token_the_browser_sees_one_line(browser, scene, cookie):
    browser.get(scene.base + "/page/style.css")  # a page of the server's origin, to set cookies on
    browser.delete_all_cookies()
    if cookie:
        browser.add_cookie({"name": f"faas-page-{scene.base.rsplit(':', 1)[1]}", "value": "0" * 64, "path": "/"})
    browser.get(scene.base + "/")
    text = browser.find_element("tag name", "body").text
    assert text.startswith("401: this page needs the platform's token")
    assert browser.find_elements("id", "executions") == [] and browser.find_elements("tag name", "script") == []
