"""pyproject.toml's dtlpy range, the table of docs/dtlpy-versions.md and the matrix script name the same lines."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _matrix():
    spec = importlib.util.spec_from_file_location("dtlpy_matrix", ROOT / "scripts" / "dtlpy_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _declared() -> Requirement:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(Requirement(line) for line in dependencies if Requirement(line).name == "dtlpy")


def test_the_declared_range_is_exactly_the_tested_lines():
    releases = [Version(release) for release in _matrix().documented_releases()]
    bounds = {spec.operator: Version(spec.version) for spec in _declared().specifier}

    assert releases == sorted(releases) and len(releases) >= 2
    assert set(bounds) == {">=", "<"}, "the range is a lower and an upper bound"
    assert bounds[">="] == releases[0], "the lowest line allowed is the lowest tested"
    newest = releases[-1]
    assert bounds["<"] == Version(f"{newest.major}.{newest.minor + 1}"), "the newest tested line is the last allowed"
    assert all(release in _declared().specifier for release in releases)


def test_each_row_names_its_own_line_once():
    section = (ROOT / "docs/dtlpy-versions.md").read_text().split("## Lines", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (1\.\d+) \| (1\.\d+\.\d+) \|", section, re.M)
    assert [line for line, _ in rows] == [release.rsplit(".", 1)[0] for _, release in rows]
    assert len({line for line, _ in rows}) == len(rows)


def test_the_readme_and_the_platform_page_point_at_the_table():
    table = ROOT / "docs/dtlpy-versions.md"
    assert f"`docs/{table.name}`" in (ROOT / "README.md").read_text()
    assert f"[{table.name}]({table.name})" in (ROOT / "docs/platform.md").read_text()


def test_every_test_the_matrix_runs_on_each_line_exists():
    # A moved or renamed test would make each line's subset run stop at "not found".
    missing = []
    for entry in _matrix().SUBSET:
        file, _, name = entry.partition("::")
        source = ROOT / file
        if not source.is_file() or (name and not re.search(rf"^def {name}\(", source.read_text(), re.M)):
            missing.append(entry)
    assert not missing, f"scripts/dtlpy_matrix.py's SUBSET names tests that do not exist: {missing}"
