"""Shared test setup: dtlpy never sees the developer's own login, whatever a test does; ``docker``-marked
tests skip, saying why, where no Docker engine or base image can be had."""

import os
import tempfile

# Before anything imports dtlpy: its cookie and logs go to a private folder for the whole run.
os.environ["DATALOOP_PATH"] = tempfile.mkdtemp(prefix="faas-tests-dtlpy-")


import functools

import pytest
# Loaded once for the whole run, before any in-process pytester run: pytester takes its snapshot of
# sys.modules after this, so it never unloads requests' cookie module and leaves two CookieJar classes.
import requests  # noqa: F401


@functools.cache
def _docker_missing() -> str:
    """Why docker tests skip, looked up once per run ("" when they can run)."""
    from pytest_faas.placements.docker.engine import DockerEngine
    from pytest_faas.placements.docker.images import BASE_IMAGE

    reason = DockerEngine.unavailable_reason()
    if reason:
        return reason
    engine = DockerEngine.connect()
    try:
        if engine.image_id(BASE_IMAGE):
            return ""
        return f"base image {BASE_IMAGE} is missing: build it with `faas docker setup`"
    finally:
        engine.close()


def pytest_runtest_setup(item):
    if item.get_closest_marker("docker") is not None and (reason := _docker_missing()):
        pytest.skip(reason)


@functools.cache
def _chromium() -> tuple[str, str] | str:
    """Debian's chromium and its matching driver, or why browser tests skip (looked up once per run)."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        return "no chromium and chromedriver on PATH: install Debian's `chromium chromium-driver` (.ci/run does)"
    return browser, driver


@pytest.fixture(scope="session")
def browser():
    """A headless chromium driven through selenium and Debian's own chromedriver (the versions match by
    construction, and nothing is downloaded). One per worker; tests open their own pages."""
    found = _chromium()
    if isinstance(found, str):
        pytest.skip(found)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
