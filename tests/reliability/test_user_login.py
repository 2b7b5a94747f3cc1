"""The user's ``~/.dataloop`` is never read or written, and no ``.dataloop/`` is left in the working folder.

A canary ``HOME`` holds a ``.dataloop`` with a login and a fixed modification time. With ``DATALOOP_PATH``
unset, as on a user's machine, `pytest --faas` (fixtures and every placement), and the `faas` commands run
functions that call ``item.download()`` with no folder, which dtlpy puts under ``~/.dataloop/items/`` by
default. Afterwards the canary is exactly as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from faas_code import write_package

FIXED_MTIME = 1_000_000_000  # 2001-09-09: anything that writes in the canary changes it
FAAS = [sys.executable, "-c", "import sys; from pytest_faas.cli import main; sys.exit(main())"]

DOWNLOADER = {
    "package.json": {"name": "downloader", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                        "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]}]}]},
    "main.py": "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
               "    def run(self, item):\n"
               "        path = item.download()  # no local_path: dtlpy's default folder\n"
               "        with open(path, 'rb') as f:\n"
               "            return {'path': path, 'size': len(f.read())}\n",
    "mock.json": {"inputs": [{"name": "item", "value": {"item_id": "canary-item"}}],
                  "items": [{"id": "canary-item", "name": "hello.txt"}]},
    "test_unit.py": "def test_download_of_a_fixture_item(faas_item):\n"
                    "    path = faas_item.download()\n"
                    "    assert open(path, 'rb').read()\n",
}


def _snapshot(home):
    """Every path under the canary's .dataloop with its bytes and mtime, and the folder's own mtime (an
    added or removed entry changes it). Not atime: listing the folder here would change it."""
    root = home / ".dataloop"
    found = {".": (os.stat(root).st_mtime, None)}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        found[str(path.relative_to(root))] = (stat.st_mtime, path.read_bytes() if path.is_file() else None)
    return found


@pytest.fixture
def canary(tmp_path):
    home = tmp_path / "home"
    login = home / ".dataloop"
    login.mkdir(parents=True)
    (login / "cookie.json").write_text(json.dumps({"login": "the user's own", "token": "secret"}))
    for path in (login / "cookie.json", login):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    before = _snapshot(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAAS_", "DATALOOP_PATH", "DEFAULT_CACHE_PATH"))}
    env["HOME"] = str(home)
    yield env
    assert _snapshot(home) == before, "the user's ~/.dataloop was touched"


@pytest.mark.slow
@pytest.mark.parametrize("placement", ["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def test_pytest_faas_fixtures_and_placements_leave_the_login_alone(canary, tmp_path, placement):
    if placement == "docker":  # (the docker marker skips it, with the reason, where no engine can be had)
        # The image cache stays where this machine keeps it (under the real home unless set), so the
        # canary home does not mean building every image again.
        from pytest_faas.placements.docker.images import cache_dir

        canary["FAAS_CACHE_DIR"] = str(cache_dir())
    work = write_package(tmp_path / "work", DOWNLOADER)
    result = subprocess.run([sys.executable, "-m", "pytest", "--faas", f"--faas-placement={placement}", "-q",
                             "-p", "no:cacheprovider", "-rA"], cwd=work, env=canary, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout  # the manifest, the case and the unit test with faas_item
    assert not (work / ".dataloop").exists(), "a .dataloop/ was left in the working folder"


@pytest.mark.slow
def test_faas_commands_leave_the_login_alone(canary, tmp_path):
    files = {k: v for k, v in DOWNLOADER.items() if k != "test_unit.py"}
    files["service.json"] = {"name": "downloader", "packageName": "downloader", "moduleName": "default_module"}
    work = write_package(tmp_path / "work", files)
    (work / "hello.txt").write_text("hello")

    def faas(*args: str) -> str:
        data_dir = ["--data-dir", str(tmp_path / "data")]  # outside the package, which push would upload
        done = subprocess.run(FAAS + data_dir + list(args), cwd=work, env=canary, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"faas {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        return done.stdout

    faas("packages", "test")
    faas("projects", "create", "canary")
    faas("datasets", "create", "pictures")
    faas("packages", "push")
    faas("packages", "deploy")
    [item] = json.loads(faas("--json", "items", "upload", "hello.txt"))
    invoked = json.loads(faas("--json", "services", "invoke", "--item-id", item["id"]))
    assert invoked["latestStatus"]["status"] == "success"
    assert invoked["output"]["size"] == len("hello")
    assert not invoked["output"]["path"].startswith(str(tmp_path / "home"))
    assert not (work / ".dataloop").exists(), "a .dataloop/ was left in the working folder"
