"""Progress of long work, on a terminal only: `faas packages test` counts its cases and `faas items upload` its
files; captured output (CI logs, pipes, this test without TTY_COMPATIBLE) gets none of it."""

from __future__ import annotations

import re

import pytest

from faas_code import JSON_PACKAGE, write_package

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def shown(text: str) -> str:
    return ANSI.sub("", text)


@pytest.fixture
def terminal(monkeypatch):
    """stderr counts as a terminal (rich's own switches), as when a person runs the command."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")


def test_packages_test_counts_its_cases_on_a_terminal(faas, tmp_path, terminal):
    write_package(tmp_path, JSON_PACKAGE)
    result = faas("packages test")
    assert "2/2" in shown(result.stderr)
    assert "mock.json[1] default_module.run" in result.stdout  # the result table is still there


def test_packages_test_shows_no_progress_when_captured(faas, tmp_path):
    write_package(tmp_path, JSON_PACKAGE)
    result = faas("packages test")
    assert "2/2" not in result.stderr and "running mock.json" not in result.stderr and "\x1b[" not in result.stderr


def test_an_upload_of_many_files_counts_them_on_a_terminal(faas, project, tmp_path, terminal):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(25):
        (folder / f"f{n:02}.txt").write_text(str(n))
    (folder / "skip.png").write_text("not a .txt")
    result = faas("items upload many -r /bulk -f .txt --no-wait")
    assert "25/25" in shown(result.stderr)
    assert "Uploading to pictures:/bulk" in shown(result.stderr)


def test_an_upload_shows_no_progress_when_captured(faas, project, tmp_path):
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    result = faas("items upload a.txt b.txt --no-wait")
    assert "2/2" not in result.stderr and "\x1b[" not in result.stderr
