"""Shared test setup: dtlpy never sees the developer's own login, whatever a test does; ``docker``-marked
tests skip, saying why, where no Docker engine or base image can be had."""

import os
import tempfile

# Before anything imports dtlpy: its cookie and logs go to a private folder for the whole run.
os.environ["DATALOOP_PATH"] = tempfile.mkdtemp(prefix="faas-tests-dtlpy-")


import pytest

_DOCKER_MISSING: list = []  # the reason docker tests skip, looked up once per run ("" when they can run)


def _docker_missing() -> str:
    if not _DOCKER_MISSING:
        from pytest_faas.runtime.docker import DockerEngine
        from pytest_faas.runtime.images import BASE_IMAGE

        reason = DockerEngine.unavailable_reason() or ""
        if not reason:
            engine = DockerEngine.connect()
            if not engine.image_id(BASE_IMAGE):
                reason = f"base image {BASE_IMAGE} is missing: build it with `faas docker setup`"
            engine.close()
        _DOCKER_MISSING.append(reason)
    return _DOCKER_MISSING[0]


def pytest_runtest_setup(item):
    if item.get_closest_marker("docker") is not None and (reason := _docker_missing()):
        pytest.skip(reason)
