"""The package folder's files as the CLI writes and reads them: templates out, option values and mock.json in.

service.json, package.json and mock.json are validated by the library's models (`servicefile`, `manifest`,
`mockfile`); this module adds only what the CLI needs on top (the templates, JSON given as an option, an
early refusal of the template's empty item id), with errors that name the file (or option), the JSON path,
what was expected and what was found (`ManifestError`).
"""

from __future__ import annotations

import ast
import json
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import ManifestError
from ...manifests.jsondoc import format_path, read_document
from ...manifests.mock import load_mock

# Template file -> the name it is written as. `.gitignore` is stored without its dot so that packaging
# tools never mistake it for the project's own ignore file.
TEMPLATES = {"package.json": "package.json", "main.py": "main.py", "mock.json": "mock.json",
             "service.json": "service.json", "gitignore": ".gitignore", "conftest.py": "conftest.py",
             "tests/test_main.py": "tests/test_main.py"}
EXECUTION_MODES = ("Once", "Always")
_ID_KEYS = ("item_id", "dataset_id", "annotation_id")


def generate(dest: Path, package_name: str, service_name: str) -> tuple[list[Path], list[Path]]:
    """Write the template files into ``dest``; returns (written, skipped). Existing files are never touched."""
    dest.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    folder = resources.files("pytest_faas") / "templates" / "package"
    for source, target in TEMPLATES.items():
        path = dest / target
        path.parent.mkdir(exist_ok=True)
        if path.exists():
            skipped.append(path)
            continue
        text = (folder / source).read_text(encoding="utf-8")
        text = text.replace("{{package_name}}", package_name).replace("{{service_name}}", service_name)
        with open(path, "x", encoding="utf-8") as handle:  # "x": a file that appeared meanwhile is not lost
            handle.write(text)
        written.append(path)
    return written, skipped


def parse_json_option(text: str, option: str, expect: type = dict) -> Any:
    """A JSON (or Python-literal, as the tutorial writes `False`) command-line value."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # what literal_eval raises
            raise ManifestError(option, "", f"a JSON {_kind(expect)}", text,
                                hint="quote it for the shell, e.g. '{\"dir\": \"/train\"}'") from None
    if not isinstance(value, expect):
        raise ManifestError(option, "", f"a JSON {_kind(expect)}", value)
    return value


def parse_input_option(text: str, option: str) -> dict:
    """``--input '{...}'``, or ``--input @event.json``: the inputs read from that file."""
    if not text.startswith("@"):
        return parse_json_option(text, option)
    path = Path(text[1:]).expanduser()
    if not path.is_file():
        raise ManifestError(option, "", "@FILE naming a JSON file", text, hint=f"there is no file {path}")
    return read_document(path)  # not JSON, or not an object: the file, line and fix


def _kind(expect: type) -> str:
    return {dict: "object", list: "array", str: "string"}.get(expect, expect.__name__)


def normalise(value: Any, choices: tuple[str, ...], label: str, path: str) -> Any:
    """The platform's spelling of a case-insensitive choice ("item" -> "Item")."""
    if value is None:
        return None
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise ManifestError(label, path, f"one of {', '.join(choices)}", value)


# -- mock.json --------------------------------------------------------------------------------------------

def check_mock_file(path: Path, hint: str):
    """The mock file (validated by `mockfile.load_mock`), refused early when an entity input still holds
    the template's empty id, which would otherwise fail later as a bare 404 on ``GET /items/``."""
    mock = load_mock(path)
    for n, group in enumerate(mock.input_sets):
        for j, entry in enumerate(group):
            value = entry.value
            ids = {k: v for k, v in value.items() if k in _ID_KEYS} if isinstance(value, dict) else {}
            if ids and all(v in ("", None) for v in ids.values()):
                key = next(iter(ids))
                at = (n, j) if mock.threaded else (j,)
                entity = key[:-3]
                raise ManifestError(str(path), format_path(("inputs",) + at + ("value", key)),
                                    f"the id of {'an' if entity[0] in 'aeiou' else 'a'} {entity}", ids[key],
                                    hint=hint)
    return mock
