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
    from pytest_faas.runtime.docker import DockerEngine
    from pytest_faas.runtime.images import BASE_IMAGE

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
