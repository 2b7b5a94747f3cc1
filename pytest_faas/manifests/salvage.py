"""What can still be checked in a package.json (or dataloop.json) that fails its schema: the document minus
its bad values.

A package.json with one mistyped input type used to report only that; its missing entry point, missing
function and mismatched parameters came one fix later. Here the bad values are set aside (a bad input or
output ``type`` becomes ``Json``, which keeps the parameter's name for the signature checks; any other bad
value is removed, then its parent if that is not enough) until the rest validates, so that the checks of
the code run on it and every finding comes in one report. Findings located under a value set aside are
dropped: they would describe our stand-in, not the user's file. When only input or output types were set
aside, the package keeps its mock cases: they run, and the platform answers the file as written.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ManifestError, ManifestErrors
from .app import AppManifest
from .jsondoc import errors_from_validation, read_document
from .package import PackageManifest

_MAX_ROUNDS = 8
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_IO_TYPE = re.compile(r"^(components\.)?modules\[\d+\]\.(functions\[\d+\]\.(input|output)|initInputs)\[\d+\]\.type$")


def _parts(json_path: str) -> list[str | int]:
    return [int(index) if index else name for index, name in _PART.findall(json_path)]


def _set_aside(document: Any, parts: list[str | int], io_type: bool) -> bool:
    """Replace or remove the value at ``parts``; False when there is none there (nothing changed)."""
    parent = document
    for part in parts[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    leaf = parts[-1]
    if isinstance(parent, dict) and leaf in parent:
        if io_type:
            parent[leaf] = "Json"
        else:
            del parent[leaf]
        return True
    if isinstance(parent, list) and isinstance(leaf, int) and leaf < len(parent):
        del parent[leaf]
        return True
    return False


def _errors(exc: ManifestError | ManifestErrors) -> list[ManifestError]:
    return exc.errors if isinstance(exc, ManifestErrors) else [exc]


def salvage_package(path: Path, failure: ManifestError | ManifestErrors) -> tuple[PackageManifest, list[str]] | None:
    """The manifest with its bad values set aside, and the JSON paths set aside; None when nothing is left
    to check (the file is not a JSON object, or the problem is the whole document)."""
    return _salvage(path, failure, PackageManifest)


def salvage_app(path: Path, failure: ManifestError | ManifestErrors, layout=None) -> tuple[Any, list[str]] | None:
    """`salvage_package` for a dataloop.json; the app keeps the document as written (what is published) and
    its layout (`repo.RepoLayout`)."""
    salvaged = _salvage(path, failure, AppManifest)
    if salvaged is not None:
        salvaged[0]._document = read_document(path)
        salvaged[0]._layout = layout
    return salvaged


def _salvage(path: Path, failure: ManifestError | ManifestErrors, model: type) -> tuple[Any, list[str]] | None:
    try:
        document = copy.deepcopy(read_document(path))
    except (ManifestError, ManifestErrors):
        return None
    errors = _errors(failure)
    aside: list[str] = []
    for _ in range(_MAX_ROUNDS):
        paths = sorted({e.json_path for e in errors}, key=lambda p: [(isinstance(x, int), x) for x in _parts(p)],
                       reverse=True)  # later list entries first, so that removals do not shift the others
        if not paths or "" in paths:
            return None
        for json_path in paths:
            parts = _parts(json_path)
            # A value already set aside and still wrong: set its parent aside instead.
            while json_path in aside and len(parts) > 1:
                parts = parts[:-1]
                json_path = _render(parts)
            io_type = bool(_IO_TYPE.match(json_path)) and json_path not in aside
            if not _set_aside(document, parts, io_type):
                return None
            aside.append(json_path)
        try:
            manifest = model.model_validate(document)
        except ValidationError as exc:
            errors = errors_from_validation(str(path), exc, model)
            continue
        except Exception:  # noqa: BLE001 - a salvage that fails must never hide the schema errors
            return None
        manifest._source = Path(path)
        return manifest, aside
    return None


def _render(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def only_types(aside: list[str]) -> bool:
    """Whether every value set aside was an input or output ``type`` (read as ``Json``): the manifest then
    runs as written but for that type, so its cases may run; any other value set aside leaves none."""
    return bool(aside) and all(_IO_TYPE.match(json_path) for json_path in aside)


def outside(json_path: str | None, aside: list[str]) -> bool:
    """Whether a finding's location is clear of every value set aside (so it speaks of the user's file)."""
    if not json_path:
        return True
    return not any(json_path == a or json_path.startswith((a + ".", a + "[")) for a in aside)
