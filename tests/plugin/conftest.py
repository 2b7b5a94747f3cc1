import pytest


@pytest.fixture
def faas_pytester(pytester, tmp_path_factory, monkeypatch):
    """A pytester whose runs never see the developer's Dataloop login."""
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    return pytester


import json
import shutil
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_package"


class Packages:
    """Writes FaaS packages into a pytester folder: copies of the samples, or packages made on the spot."""

    def __init__(self, root: Path):
        self.root = root

    def copy_sample(self, name: str = "hello_world") -> Path:
        target = self.root / name
        shutil.copytree(SAMPLE / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target

    def write(self, name: str, files: dict) -> Path:
        folder = self.root / name
        for relative, content in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
        return folder


@pytest.fixture
def packages(faas_pytester):
    return Packages(faas_pytester.path)
