"""`pytest --faas --faas-placement=docker` shows an image build's steps on the terminal while the case that
triggered it waits (a first build takes about a minute); captured output gets none of them."""

from __future__ import annotations

import uuid

import pytest

from faas_code import JSON_PACKAGE

from pytest_faas.placements.docker.images import cache_dir

pytestmark = pytest.mark.docker
HOST_CACHE = cache_dir()  # read at import, before pytester points HOME at a temporary folder


@pytest.fixture
def engine():
    from pytest_faas.placements.docker.engine import DockerEngine

    engine = DockerEngine.connect()
    yield engine
    engine.close()


def _package(packages, name: str) -> tuple:
    # A requirements.txt of this test only: its image is built now, whatever was built before.
    requirements = f"six\n# {name} of a build-progress test: {uuid.uuid4().hex}\n"
    return packages.write(name, {**JSON_PACKAGE, "requirements.txt": requirements})


def _remove_images(engine, folders) -> None:
    from pytest_faas.placements.docker.images import ImageBuilder

    builder = ImageBuilder(engine)
    for folder in folders:
        engine.remove_image(builder.package_image(folder).ref)  # built already: this only names it


def test_build_steps_show_on_a_terminal_and_never_in_captured_output(faas_pytester, packages, engine, monkeypatch):
    monkeypatch.setenv("FAAS_CACHE_DIR", str(HOST_CACHE))  # the machine's wheelhouse, not one in pytester's HOME
    quiet, shown = _package(packages, "quiet"), None
    try:
        captured = faas_pytester.runpytest_subprocess("--faas", "--faas-placement=docker", "-p", "no:cacheprovider",
                                                      "quiet")
        captured.assert_outcomes(passed=3)
        assert "faas docker image:" not in captured.stdout.str()

        shown = _package(packages, "shown")
        monkeypatch.setenv("PY_COLORS", "1")  # what a terminal gets (pytest's markup on)
        result = faas_pytester.runpytest_subprocess("--faas", "--faas-placement=docker", "-p", "no:cacheprovider",
                                                    "shown")
        result.assert_outcomes(passed=3)
        result.stdout.fnmatch_lines(["faas docker image: building requirements image * for */requirements.txt",
                                     "faas docker image: requirements image * built in *s"])
    finally:
        _remove_images(engine, [f for f in (quiet, shown) if f is not None])
