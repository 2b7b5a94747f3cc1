"""The files of a package or app folder that a push uploads, and what in the folder no push could upload.

``packages.push`` and ``dpks.publish`` zip the folder as dtlpy does (``.gitignore`` honoured, ``.git`` and
``.dataloop`` left out, symlinked folders not entered) and refuse a zip of more than 100 MB. dtlpy opens
every name it meets and reads it to the end: a link to ``/dev/zero`` never ends, a FIFO blocks forever, a
socket cannot be opened. The walk here looks at each entry with ``lstat`` and never opens one that is not a
regular file inside the folder, so the content hash and the push read only what the platform would get;
everything else is a finding that names the file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .checks import Finding

# dtlpy's own bound (miscellaneous/zipping.py: MAX_ZIP_FILE), on the uncompressed sizes of the zipped files.
MAX_CODEBASE_BYTES = 100 * 1024 * 1024
# Entries looked at before giving up: bounds the walk of a folder that holds a whole disk.
MAX_CODEBASE_ENTRIES = 100_000
_ALWAYS_LEFT_OUT = [".git", ".dataloop"]
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))
_FIX = "remove it, or list it in .gitignore so the push leaves it out"


@dataclass
class Codebase:
    """What the push of ``folder`` would carry (``files``: relative POSIX name -> path) and why it cannot."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    size: int = 0


def _ignored(folder: Path) -> pathspec.PathSpec:
    gitignore = folder / ".gitignore"
    lines = list(_ALWAYS_LEFT_OUT)
    if stat.S_ISREG(_lstat_mode(gitignore)):
        lines += gitignore.read_text(encoding="utf-8", errors="replace")[:1_000_000].splitlines()
    return pathspec.PathSpec.from_lines("gitignore", lines)


def _lstat_mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except (OSError, ValueError):
        return 0


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _entry_problem(folder: Path, path: Path) -> str | None:
    """Why the push must not open ``path`` (None: a regular file, itself or through a link inside the folder)."""
    mode = _lstat_mode(path)
    if stat.S_ISREG(mode):
        return None
    if not stat.S_ISLNK(mode):
        return f"{_kind(mode)}, which no codebase can carry"
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a symlink to nothing (broken, or a loop)"
    if not target.is_relative_to(folder.resolve()):
        return f"a symlink out of the package folder (to {target}), which would upload a file that is not the package's"
    target_mode = _lstat_mode(target)
    return None if stat.S_ISREG(target_mode) else f"a symlink to {_kind(target_mode)}, which no codebase can carry"


def read_codebase(folder: Path | str) -> Codebase:
    """Walk ``folder`` as dtlpy's zip does, without opening anything; findings for what it could not upload."""
    folder = Path(folder)
    codebase, ignored, seen = Codebase(folder), _ignored(folder), 0
    for root, dirs, names in os.walk(folder):
        relative_root = Path(root).relative_to(folder)
        dirs[:] = sorted(d for d in dirs if not ignored.match_file((relative_root / d).as_posix() + "/"))
        for name in sorted(names):
            relative = (relative_root / name).as_posix()
            seen += 1
            if seen > MAX_CODEBASE_ENTRIES:
                codebase.findings.append(Finding(str(folder), None, f"more than {MAX_CODEBASE_ENTRIES} files to pack; "
                                                 "list what is not code in .gitignore"))
                return codebase
            if ignored.match_file(relative):
                continue
            path = Path(root, name)
            problem = _entry_problem(folder, path)
            if problem is not None:
                codebase.findings.append(Finding(str(path), None, f"{problem}: {_FIX}"))
                continue
            codebase.files[relative] = path
            codebase.size += path.stat().st_size
    if codebase.size > MAX_CODEBASE_BYTES:
        largest = sorted(codebase.files.items(), key=lambda kv: -kv[1].stat().st_size)[:3]
        codebase.findings.append(Finding(
            str(folder), None, f"the files to pack hold {codebase.size} bytes, more than the {MAX_CODEBASE_BYTES} "
            f"a codebase may (the largest: {', '.join(name for name, _ in largest)}); list what is not code in "
            ".gitignore"))
    return codebase
