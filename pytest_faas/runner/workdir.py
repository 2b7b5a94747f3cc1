"""The working folder of a replica's code: a copy of its codebase, as the platform gives every runner.

The platform's runner unpacks the codebase for each replica and runs the user's code from that folder: the
entry point is imported there, and a file a function writes with a relative path lands there, in the
replica's own copy. `make` builds that copy; the agent enters it before the code is imported.

- A subprocess or container agent is the whole process: it changes directory (`os.chdir`) for good.
- A thread agent shares the test process, whose current directory is one for every thread and stays the
  one pytest started in. There `enter` sets the folder for the calling thread only, and while thread agents
  run, the Python file functions resolve a relative path against the calling thread's folder: ``open`` (so
  ``io.open``, ``pathlib``, PIL, numpy, pandas), the ``os`` functions that take a path (so ``os.path``,
  ``shutil``, ``glob``), ``os.getcwd``, ``os.chdir`` (which moves that thread only) and the ``cwd`` of a
  ``subprocess`` it starts. Threads the code starts inherit the folder (``inherit.py``). A library that
  opens files in C with a relative path (OpenCV's ``imwrite``, ``sqlite3.connect``) resolves it against
  the test process's folder; give it ``os.path.join(os.getcwd(), name)``, or use another placement.
"""

from __future__ import annotations

import builtins
import functools
import io
import os
import shutil
import subprocess
import threading
from pathlib import Path

from . import inherit

_lock = threading.Lock()
_users = 0
# os functions whose first argument is a path, resolved against the thread's folder (unless dir_fd is given).
_ONE_PATH = ("stat", "lstat", "mkdir", "rmdir", "remove", "unlink", "chmod", "utime", "access", "readlink",
             "listdir", "scandir", "truncate", "open")
_TWO_PATHS = ("rename", "replace", "link")
_ORIGINAL = {name: getattr(os, name) for name in (*_ONE_PATH, *_TWO_PATHS, "getcwd", "getcwdb", "chdir")}
_ORIGINAL_OPEN = builtins.open
_ORIGINAL_POPEN_INIT = subprocess.Popen.__init__


def make(code_dir: Path, root: Path, name: str) -> Path:
    """A fresh copy of the unpacked codebase ``code_dir`` at ``root/name``, writable by the replica."""
    folder = Path(root) / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(code_dir, folder, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def enter(folder: Path | None) -> None:
    """The calling thread (and the threads it starts) works in ``folder``; None: in the process's folder."""
    inherit.put("folder", None if folder is None else str(folder))


def _resolve(path):
    folder = inherit.get("folder")
    if folder is None or isinstance(path, int):
        return path
    try:
        raw = os.fspath(path)
    except TypeError:
        return path  # the original function says what is wrong with it
    if isinstance(raw, bytes):
        return raw if raw.startswith(b"/") else os.path.join(os.fsencode(folder), raw)
    return raw if raw.startswith("/") else os.path.join(folder, raw)


def _one_path(name: str):
    original = _ORIGINAL[name]

    @functools.wraps(original)
    def resolved(path=".", *args, **kwargs):
        if kwargs.get("dir_fd") is None:
            path = _resolve(path)
        return original(path, *args, **kwargs)
    return resolved


def _two_paths(name: str):
    original = _ORIGINAL[name]

    @functools.wraps(original)
    def resolved(src, dst, *args, **kwargs):
        if kwargs.get("src_dir_fd") is None:
            src = _resolve(src)
        if kwargs.get("dst_dir_fd") is None:
            dst = _resolve(dst)
        return original(src, dst, *args, **kwargs)
    return resolved


@functools.wraps(_ORIGINAL_OPEN)
def _open(file, *args, **kwargs):
    return _ORIGINAL_OPEN(_resolve(file), *args, **kwargs)


def _getcwd():
    folder = inherit.get("folder")
    return folder if folder is not None else _ORIGINAL["getcwd"]()


def _getcwdb():
    folder = inherit.get("folder")
    return os.fsencode(folder) if folder is not None else _ORIGINAL["getcwdb"]()


def _chdir(path):
    if inherit.get("folder") is None:
        return _ORIGINAL["chdir"](path)
    target = _resolve(path)
    if not os.path.isdir(target):
        raise FileNotFoundError(2, "No such file or directory", os.fsdecode(target))
    inherit.put("folder", os.path.normpath(os.fsdecode(target)))  # this thread only: the process stays put
    return None


def _popen_init(self, args, *rest, **kwargs):
    folder = inherit.get("folder")
    if folder is not None:
        kwargs["cwd"] = _resolve(kwargs["cwd"]) if kwargs.get("cwd") is not None else folder
    return _ORIGINAL_POPEN_INIT(self, args, *rest, **kwargs)


def _patches() -> dict:
    patched = {name: _one_path(name) for name in _ONE_PATH}
    patched.update({name: _two_paths(name) for name in _TWO_PATHS})
    patched.update(getcwd=_getcwd, getcwdb=_getcwdb, chdir=_chdir)
    return patched


def acquire() -> None:
    """A thread agent starts: relative paths follow each thread's folder while any runs (counted)."""
    global _users
    with _lock:
        if _users == 0:
            for name, function in _patches().items():
                setattr(os, name, function)
            builtins.open = io.open = _open
            subprocess.Popen.__init__ = _popen_init
        _users += 1
    inherit.acquire()


def release() -> None:
    global _users
    inherit.release()
    with _lock:
        _users -= 1
        if _users == 0:
            for name, function in _ORIGINAL.items():
                setattr(os, name, function)
            builtins.open = io.open = _ORIGINAL_OPEN
            subprocess.Popen.__init__ = _ORIGINAL_POPEN_INIT
