"""Repositories of several apps: a ``.dataloop.cfg`` at the repository root lists their manifests.

Real app repositories keep one ``dataloop.json`` per app in a sub-folder and list them at the root::

    .dataloop.cfg            {"manifests": ["nodes/hello/dataloop.json", "nodes/tiler/dataloop.json"]}
    utils/__init__.py        shared by both apps
    nodes/hello/dataloop.json, nodes/hello/main.py
    nodes/tiler/dataloop.json, nodes/tiler/split.py

The platform publishes each listed manifest with the whole repository as its codebase (a git codebase is
the repository checked out), so each module's ``entryPoint`` is relative to the repository root
(``nodes/hello/main.py``) and the code may import what the root holds. An app that no ``.dataloop.cfg``
lists is its own root: its entry points are relative to its folder, as before.

`layout_of` finds the config by walking up from the manifest's folder, no higher than a given folder (the
rootdir): the nearest ``.dataloop.cfg`` decides. What is wrong in it is a located `ManifestError` of each
manifest beneath it; the manifest then stands alone, as if no config were there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import ManifestError, ManifestErrors
from .jsondoc import Shown, is_file, read_document

CONFIG_FILE = ".dataloop.cfg"
_FIX = 'the root\'s .dataloop.cfg is JSON: {"manifests": ["<folder>/dataloop.json", ...]}'


@dataclass(frozen=True)
class RepoLayout:
    """Where an app's codebase starts, and the config that says so.

    Attributes:
        root: the codebase root: the folder that is packed and that entry points are relative to.
        config: the ``.dataloop.cfg`` that lists the manifest; None for an app that is its own root.
        problems: what is wrong in the nearest ``.dataloop.cfg`` (located), whether it lists the manifest or not.
    """

    root: Path  # resolved
    config: Path | None = None
    problems: list[ManifestError] = field(default_factory=list)

    def entry_base(self, manifest_dir: Path, entry_point: str) -> Path:
        """The folder an entry point resolves from: the codebase root, or, when the file is not there but is
        beside the manifest (an entry point written relative to the manifest), the manifest's folder."""
        manifest_dir = manifest_dir.resolve()  # the root is resolved (layout_of), a caller's folder may not be
        if self.root != manifest_dir and not is_file(self.root / entry_point) and is_file(manifest_dir / entry_point):
            return manifest_dir
        return self.root

    def codebase_entry(self, manifest_dir: Path, entry_point: str) -> str:
        """The entry point as a path inside the packed codebase (the root), whichever form the manifest used."""
        base = self.entry_base(manifest_dir, entry_point)
        if base == self.root:
            return entry_point
        return (PurePosixPath(base.relative_to(self.root).as_posix()) / entry_point).as_posix()


def layout_of(manifest: Path, stop: Path | None = None) -> RepoLayout:
    """The layout of the app whose manifest is ``manifest``: the nearest ``.dataloop.cfg`` at or above its
    folder, no higher than ``stop`` (the manifest's own folder when None), decides its root."""
    manifest = manifest.resolve()
    folder = manifest.parent
    ceiling = (stop or folder).resolve()
    for candidate in [folder, *folder.parents]:
        config = candidate / CONFIG_FILE
        if is_file(config):
            listed, problems = _read(config)
            if manifest in listed:
                return RepoLayout(candidate, config, problems)
            return RepoLayout(folder, None, problems)
        if candidate == ceiling or not folder.is_relative_to(ceiling):
            break
    return RepoLayout(folder)


def _read(config: Path) -> tuple[list[Path], list[ManifestError]]:
    """The manifests a config lists (resolved), and what is wrong in it, each at its JSON path."""
    try:
        document = read_document(config)
    except ManifestErrors as exc:
        return [], list(exc.errors)
    except ManifestError as exc:
        exc.hint = exc.hint or _FIX
        return [], [ManifestError(exc.file, exc.json_path, exc.expected, exc.found, exc.hint)]
    entries = document.get("manifests")
    if not isinstance(entries, list):
        return [], [ManifestError(str(config), "manifests", "a list of manifest paths relative to this file",
                                  Shown(repr(entries)[:80]), _FIX)]
    listed: list[Path] = []
    problems: list[ManifestError] = []
    for i, entry in enumerate(entries):
        where = f"manifests[{i}]"
        if not isinstance(entry, str) or not entry.strip():
            problems.append(ManifestError(str(config), where, "a manifest path such as 'nodes/hello/dataloop.json'",
                                          Shown(repr(entry)[:80])))
            continue
        relative = PurePosixPath(entry.replace("\\", "/"))
        if relative.is_absolute() or ".." in relative.parts:
            problems.append(ManifestError(str(config), where, "a path inside the repository (relative, no '..')",
                                          entry, "list the manifest by its path from the folder of .dataloop.cfg"))
            continue
        path = (config.parent / relative).resolve()
        if not is_file(path):
            problems.append(ManifestError(str(config), where, "the path of an existing dataloop.json", entry,
                                          "fix the path, or remove the entry"))
            continue
        listed.append(path)
    return listed, problems


__all__ = ["CONFIG_FILE", "RepoLayout", "layout_of"]
