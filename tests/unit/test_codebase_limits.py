"""Codebase zips: a bomb is refused from the zip's directory before a byte is unpacked; the runtime folders
of killed platforms are swept by owner pid."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile

import pytest

from pytest_faas.runner import loader
from pytest_faas.placements import scratch


def _zip(members: dict[str, int]) -> bytes:
    """A deflated zip whose members hold that many zero bytes each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in members.items():
            with archive.open(name, "w") as member:
                for start in range(0, size, 1 << 20):
                    member.write(b"\0" * min(1 << 20, size - start))
    return buffer.getvalue()


def test_a_member_packed_more_than_100_times_is_refused_unwritten(tmp_path):
    bomb = _zip({"main.py": 64 << 20})  # 64 MiB of zeros in about 64 KB
    assert len(bomb) < (64 << 20) / loader.MAX_RATIO
    with pytest.raises(loader.LoadError, match=r"'main.py' unpacks 64 MiB from \d+ bytes, more than 100 times"):
        loader.unpack(bomb, tmp_path / "cache", "bomb")
    assert not any((tmp_path / "cache").iterdir())  # nothing unpacked, no scratch folder left


def test_the_total_unpacked_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_UNPACKED_BYTES", 3 << 20)
    codebase = _zip({"a.bin": 2 << 20, "b.bin": 2 << 20})  # the total is checked before the ratio
    with pytest.raises(loader.LoadError, match="unpacks to 4 MiB, more than the 3 MiB a codebase may unpack to"):
        loader.unpack(codebase, tmp_path / "cache", "big")


def test_the_number_of_files_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_FILES", 10)
    with pytest.raises(loader.LoadError, match="has 11 entries, more than the 10"):
        loader.unpack(_zip({f"f{i}.py": 1 for i in range(11)}), tmp_path / "cache", "many")


def test_an_ordinary_codebase_unpacks(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.py", "class ServiceRunner:\n    pass\n" * 100)
        archive.writestr("weights.bin", os.urandom(2 << 20))  # big but incompressible: not a bomb
    folder = loader.unpack(buffer.getvalue(), tmp_path / "cache", "fine")
    assert (folder / "weights.bin").stat().st_size == 2 << 20


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_runtime_folders_of_dead_owners_are_swept(tmp_path):
    host = scratch.socket.gethostname()

    def folder(name: str, owner: str | None, age_s: float = 0) -> object:
        path = tmp_path / (scratch.PREFIX + name)
        (path / "code").mkdir(parents=True)
        if owner is not None:
            (path / scratch.OWNER_FILE).write_text(owner)
        if age_s:
            os.utime(path, (time.time() - age_s, time.time() - age_s))
        return path

    dead = folder("dead", f"{host} {_dead_pid()}")
    alive = folder("alive", f"{host} {os.getpid()}")
    elsewhere = folder("elsewhere", f"another-host {_dead_pid()}")
    unowned_new = folder("unowned-new", None)
    unowned_old = folder("unowned-old", None, age_s=scratch.UNOWNED_AGE_S + 60)
    assert sorted(scratch.sweep(tmp_path)) == sorted([dead, unowned_old])
    assert all(p.is_dir() for p in (alive, elsewhere, unowned_new))
    assert not dead.exists() and not unowned_old.exists()


def test_a_platform_names_its_runtime_folder_owner(tmp_path, monkeypatch):
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    made = scratch.make_runtime_dir()
    assert made.parent == tmp_path and made.name.startswith(scratch.PREFIX)
    assert (made / scratch.OWNER_FILE).read_text() == f"{scratch.socket.gethostname()} {os.getpid()}"
    assert scratch.sweep(tmp_path) == []  # its owner is alive
