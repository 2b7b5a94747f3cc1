"""`faas docker setup` and `faas docker prune`, against the real engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_faas.placements.docker.engine import DockerEngine
from pytest_faas.placements.docker.images import BASE_IMAGE, ImageBuilder

pytestmark = pytest.mark.docker
FAAS = str(Path(sys.executable).with_name("faas"))


def test_setup_is_idempotent_and_says_what_it_found():
    result = subprocess.run([FAAS, "docker", "setup"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "engine already running" in result.stdout
    assert f"image {BASE_IMAGE} already present" in result.stdout


def test_prune_removes_package_images_and_keeps_the_base_the_runner_and_its_dependencies(faas, tmp_path):
    engine = DockerEngine.connect()
    try:
        builder = ImageBuilder(engine)
        runner = builder.runner_base()
        folder = tmp_path / "prunable"
        folder.mkdir()
        # Requirements of its own (the image is keyed on them, not on the code): an image of its own.
        (folder / "requirements.txt").write_text(f"six\n# {tmp_path}\n")
        package = builder.package_image(folder, name="prunable")
        assert package.ref != runner.ref
        deps = (engine.image_attrs(runner.ref) or {}).get("Parent")

        result = faas("docker prune")

        assert package.ref in result.stdout
        assert engine.image_id(package.ref) is None
        assert engine.image_id(BASE_IMAGE) and engine.image_id(runner.ref)
        assert deps and engine.image_attrs(deps), "the dependency layer is kept without --all"
    finally:
        engine.close()
