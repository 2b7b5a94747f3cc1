"""Every Python snippet in README.md and docs/*.md runs as written, in a folder laid out as the docs say.

The folder is a package repo as `faas packages generate` leaves it (``main.py``, ``conftest.py``,
``tests/`` and friends), with the tutorial's ``hello_world`` package beside it and the ``assets/cat.jpg`` a
snippet reads. A snippet that defines tests is a file of that ``tests/`` folder and runs under plain pytest
from the package's folder (they must all pass), as a reader would put it; any other runs as a script (it
must exit 0). So a snippet that drifts from the code, or a layout in which it cannot import ``main``, fails
here, not in a reader's hands.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _snippets() -> list:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(pytest.param(match.group(1), id=f"{doc.name}:{line}"))
    return found


SNIPPETS = _snippets()


@pytest.fixture
def repo(pytester, tmp_path_factory, monkeypatch) -> Path:
    """A package repo made by `faas packages generate`, plus the tutorial package and an image asset."""
    from PIL import Image

    from pytest_faas.cli import cli

    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    monkeypatch.chdir(pytester.path)
    result = CliRunner().invoke(cli, ["packages", "generate", "--name", "docs-example"])
    assert result.exit_code == 0, result.output
    shutil.copytree(ROOT / "sample_package" / "hello_world", pytester.path / "hello_world",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (pytester.path / "assets").mkdir()
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(jpeg, "JPEG")
    (pytester.path / "assets" / "cat.jpg").write_bytes(jpeg.getvalue())
    return pytester.path


def test_the_docs_have_snippets():
    assert len(SNIPPETS) >= 5, [p.id for p in SNIPPETS]


@pytest.mark.parametrize("code", SNIPPETS)
def test_snippet_runs_as_written(code, repo, pytester):
    if re.search(r"^def test_", code, re.M):
        (repo / "tests" / "test_snippet.py").write_text(code)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests/test_snippet.py")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= 1 and not (outcomes.keys() & {"failed", "errors", "error"}), \
            "\n".join(result.outlines[-30:])
    else:
        script = repo / "snippet.py"
        script.write_text(code)
        result = pytester.run(sys.executable, str(script))
        assert result.ret == 0, "\n".join(result.errlines[-30:])
