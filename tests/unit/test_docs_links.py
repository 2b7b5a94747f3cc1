"""Nothing in the repository points at a document that is not in it.

Code, tests, benchmarks and docs cite the project's own pages (``docs/platform.md#execution-statuses``),
never notes kept elsewhere. Every ``*.md`` path they name must exist, every ``#anchor`` after it must be
a heading of that page, and every relative Markdown link must reach a file. docs/platform.md says how each
behaviour was checked: the tests it names must exist, and so must the dtlpy modules.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["pytest_faas", "tests", "benchmarks", "docs", "README.md", "pyproject.toml"]
TEXT = {".py", ".md", ".toml", ".txt", ".cfg", ".json", ".sh", ".rst", ".yml", ".yaml", ".ini"}

# Citations of documents that were never part of the project (the reference notes, the design draft, the
# tutorial's source file). Built from pieces so that this file does not cite them itself.
OUTSIDE = [re.compile(p, re.I) for p in (
    r"\breference\s+sections?\s+\d",
    r"\breference\s+\d+(\.\d+)+",
    r"\(reference\)",
    "§" + r"\s*\d",
    r"\bDESIGN\.md\b",
    r"dtlpy-faas\.md",
    r"faas-tutorial\.rst",
    r"plugin-anchors",
    "/work/" + "shared",
)]
# A path to a Markdown file, optionally with an anchor; not the tail of a URL or of a longer path.
MD_PATH = re.compile(r"(?<![\w./:-])(?P<path>\w[\w./-]*\.md)(?!\w)(?:#(?P<anchor>[\w-]+))?")
MD_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def scanned_files() -> list[Path]:
    files = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in TEXT
                      and "__pycache__" not in p.parts]
    return files


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower()).replace("_", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (outside code fences), with GitHub's -1, -2 for repeats."""
    found: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)):
            base = anchor = slug(match.group(1))
            n = 0
            while anchor in found:
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return found


def resolve(cited: str, by: Path) -> Path | None:
    """A cited path, relative to the citing file's folder or to the repository root."""
    for base in (by.parent, ROOT):
        candidate = (base / cited).resolve()
        if candidate.is_file():
            return candidate
    return None


def lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        yield f"{path.relative_to(ROOT)}:{number}", line


FILES = scanned_files()
PLATFORM = ROOT / "docs/platform.md"
OWN = Path(__file__).resolve()


def test_the_scan_sees_the_code_docs_and_tests():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "docs/platform.md", "pytest_faas/backend/faas/executions.py", "pyproject.toml"} <= names


def test_nothing_cites_a_document_outside_the_repository():
    found = [f"{at}: {line.strip()}" for path in FILES if path.resolve() != OWN
             for at, line in lines(path) if any(p.search(line) for p in OUTSIDE)]
    assert not found, "cite docs/platform.md#<heading> instead:\n" + "\n".join(found)


def test_every_cited_markdown_page_and_anchor_exists():
    broken = []
    for path in FILES:
        for at, line in lines(path):
            for match in MD_PATH.finditer(line):
                page = resolve(match["path"], path)
                if page is None:
                    broken.append(f"{at}: {match['path']} does not exist")
                elif match["anchor"] and match["anchor"] not in anchors(page):
                    broken.append(f"{at}: {match['path']} has no heading #{match['anchor']}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"], ids=lambda p: p.name)
def test_every_relative_link_of_a_page_reaches_a_file_and_heading(page):
    broken = []
    for at, line in lines(page):
        for match in MD_LINK.finditer(line):
            target = match["target"]
            if re.match(r"[a-z][a-z+.-]*:", target):  # http:, https:, mailto:
                continue
            cited, _, anchor = target.partition("#")
            found = page if not cited else resolve(cited, page)
            if found is None:
                broken.append(f"{at}: {cited} does not exist")
            elif anchor and found.suffix == ".md" and anchor not in anchors(found):
                broken.append(f"{at}: {target} names no heading of {found.name}")
    assert not broken, "\n".join(broken)


def test_the_checks_named_by_the_platform_page_exist():
    """Each 'Checked' line names tests of this repository and dtlpy modules; all must be real."""
    text = PLATFORM.read_text(encoding="utf-8")
    dtlpy_root = Path(importlib.util.find_spec("dtlpy").origin).parent
    missing = []
    tests = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    modules = re.findall(r"`dtlpy/([\w/]+\.py)`", text)
    assert len(tests) >= 20 and len(modules) >= 20, "the page names fewer checks than it should"
    for file, name in tests:
        source = ROOT / file
        if not source.is_file():
            missing.append(file)
        elif name and not re.search(rf"^\s*(async\s+)?def {name}\(", source.read_text(encoding="utf-8"), re.M):
            missing.append(f"{file}::{name}")
    missing += [f"dtlpy/{m}" for m in modules if not (dtlpy_root / m).is_file()]
    assert not missing, "docs/platform.md names checks that do not exist:\n" + "\n".join(missing)


def test_every_section_of_the_platform_page_says_how_it_was_checked():
    text = PLATFORM.read_text(encoding="utf-8")
    sections = re.split(r"^#{2,3} ", text, flags=re.M)[1:]
    introductions = {"How each fact was checked", "Entity records"}  # a legend, and a parent of ### sections
    unchecked = [s.splitlines()[0] for s in sections
                 if "**Checked:**" not in s and s.splitlines()[0] not in introductions]
    assert not unchecked, f"sections without a **Checked:** line: {unchecked}"
