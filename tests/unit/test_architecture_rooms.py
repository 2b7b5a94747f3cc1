"""docs/architecture.md's rooms table names every module of pytest_faas/, and only paths that exist.

A newcomer reads that table to find where a job is done: a module added without a row, or a row left behind
by a module that moved, makes the page lie. The table's first column holds paths relative to pytest_faas/,
in backticks; its layer picture must be test_layers.LAYERS.
"""

from __future__ import annotations

import re
from pathlib import Path

from test_layers import LAYERS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pytest_faas"
PAGE = ROOT / "docs/architecture.md"


def section(title: str) -> str:
    """The text of one ``## title`` section of the page."""
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/architecture.md has no '## {title}' section"
    return match.group(1)


def named_paths() -> set[str]:
    """Every backticked path in the first column of the rooms table."""
    names: set[str] = set()
    for line in section("Rooms").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            names.update(re.findall(r"`([^`]+)`", first))
    return names


def modules() -> set[str]:
    return {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def test_the_table_names_paths_at_all():
    assert len(named_paths()) >= 50


def test_every_module_has_a_row():
    missing = sorted(modules() - named_paths())
    assert not missing, f"modules without a row in the rooms table of docs/architecture.md: {missing}"


def test_every_row_names_a_path_that_exists():
    absent = sorted(name for name in named_paths() if not (PACKAGE / name).exists())
    assert not absent, f"the rooms table of docs/architecture.md names paths that do not exist: {absent}"


def test_the_layer_picture_is_the_checked_one():
    picture = re.search(r"```\n(.*?)```", section("Layers and the rules"), re.S)
    assert picture, "the layers section has no picture"
    drawn = []
    for line in picture.group(1).splitlines():
        words = line.split()[2:]  # "1 faces plugin/ cli/" -> the rooms
        drawn.append({w.rstrip("/") for w in words})
    assert drawn == LAYERS
