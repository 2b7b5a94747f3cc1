"""Each replica's code runs in a working folder of its own, a copy of its codebase, as the platform's runner
gives it: from the module's import on, through ``__init__``, to every execution, in every placement.

Before, in the thread placement the code ran in the folder pytest was started from (the author's repo), so
a function that wrote its crops with relative paths left them there; subprocess agents ran their import and
``__init__`` in the runtime folder and only moved to the shared (in docker read-only) code cache afterwards.
"""

from __future__ import annotations

import os

import pytest

from faas_code import Deployed, package_json, write_package

MAIN = '''
import os
import pathlib
import subprocess
import threading

import dtlpy as dl

with open("settings.txt") as settings:  # relative, at import: the codebase's own file
    SETTING = settings.read().strip()


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self):
        os.makedirs("made_by_init", exist_ok=True)
        pathlib.Path("made_by_init/note.txt").write_text("init")

    def write(self):
        with open("crop.txt", "w") as crop:
            crop.write("a crop")
        os.makedirs("crops/small", exist_ok=True)
        pathlib.Path("crops/small/1.txt").write_bytes(b"1")
        from PIL import Image
        Image.new("RGB", (4, 4)).save("crops/thumb.png")
        helper = threading.Thread(target=lambda: open("from_thread.txt", "w").close())
        helper.start()
        helper.join()
        child = subprocess.run(["pwd"], capture_output=True, text=True).stdout.strip()
        return {"cwd": os.getcwd(), "child_cwd": child, "setting": SETTING,
                "files": sorted(str(p) for p in pathlib.Path(".").rglob("*") if p.is_file())}

    def move(self):
        os.makedirs("moved", exist_ok=True)
        os.chdir("moved")
        with open("moved.txt", "w"):
            pass
        seen = {"cwd": os.getcwd(), "listing": sorted(os.listdir())}
        os.chdir("..")  # a process of its own keeps its folder: leave it as the other cases expect
        return seen
'''


@pytest.fixture(scope="module", params=["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def deployed(request, tmp_path_factory):
    from pytest_faas.local import LocalPlatform

    folder = write_package(tmp_path_factory.mktemp("workdir") / "workdir", {
        "package.json": package_json("workdir", [("write", []), ("move", [])]),
        "main.py": MAIN, "settings.txt": "from the codebase\n"})
    with LocalPlatform(placement=request.param) as platform:
        yield Deployed(platform, folder)


@pytest.fixture
def author_folder(tmp_path, monkeypatch):
    """The folder pytest runs in: the author's repo, which the function's files must never reach."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_relative_files_land_in_the_replicas_own_copy_of_its_codebase(deployed, author_folder):
    record = deployed.run("write")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    output = record["output"]
    assert output["setting"] == "from the codebase"  # the import read its file relative to the folder
    assert output["child_cwd"] == output["cwd"]
    for made in ("crop.txt", "crops/small/1.txt", "crops/thumb.png", "from_thread.txt", "made_by_init/note.txt",
                 "main.py", "settings.txt"):
        assert made in output["files"]
    assert list(author_folder.iterdir()) == []
    assert os.getcwd() == str(author_folder)  # the test process never moved


def test_chdir_moves_the_function_within_its_folder_and_the_process_stays(deployed, author_folder):
    record = deployed.run("move")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    assert record["output"]["cwd"].endswith("/moved")
    assert "moved.txt" in record["output"]["listing"]
    assert list(author_folder.iterdir()) == []
