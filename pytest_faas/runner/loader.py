"""Load a service's code: fetch its codebase, unpack it once, import its entry point in a package of its own.

The entry point (``main.py`` by default, or the module's ``entryPoint``) is imported as a submodule of a
synthetic package whose ``__path__`` is the unpacked codebase, named after the agent that loads it. So:

- the tutorial's package-relative ``from .models_loader import ModelLoader`` works;
- two packages that both have a ``main.py`` never collide, even in one process (the thread placement),
  and neither do two replicas of one package;
- plain ``import helpers`` of a sibling file works too, because the codebase folder is also put on
  ``sys.path`` as the platform does. (Two packages with *sibling* modules of the same name in one process
  share the first one loaded; the subprocess and docker placements have a process per replica.)
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import io
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from . import sourcenames
from ..protocol import entry_point_ok


# A codebase is unpacked before a line of it runs, so a zip bomb would fill the disk first: its sizes are
# read from the zip's directory and refused before anything is written. zipfile never writes more than a
# member's declared size (a member that holds more fails its CRC check), so the declared sizes are the bound.
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB, model weights included
MAX_FILES = 20_000
MAX_RATIO = 100  # unpacked/packed, for members over RATIO_FLOOR_BYTES; source code packs 3-10x, zeros 1000x
RATIO_FLOOR_BYTES = 1 << 20


class LoadError(Exception):
    """The code cannot be loaded; the message says which file, class or setting is wrong."""


def check_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse a codebase that unpacks to too much, to too many files, or from a member packed too tightly."""
    members = archive.infolist()
    if len(members) > MAX_FILES:
        raise LoadError(f"the codebase zip has {len(members)} entries, more than the {MAX_FILES} a codebase may "
                        "have; leave data and environments (venv, node_modules) out of the package folder")
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise LoadError(f"the codebase zip unpacks to {total / 2**20:.0f} MiB, more than the "
                        f"{MAX_UNPACKED_BYTES / 2**20:.0f} MiB a codebase may unpack to; keep big data in a dataset")
    for member in members:
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise LoadError(f"the codebase zip member {member.filename!r} unpacks {member.file_size / 2**20:.0f} "
                            f"MiB from {member.compress_size} bytes, more than {MAX_RATIO} times its packed size: "
                            "refused as a zip bomb")


def codebase(client, item_id: str, cache_root: Path) -> Path:
    """The item codebase ``item_id`` unpacked under ``cache_root``, in a folder named after the item and its
    content (``<item id>-<md5>``: reports map paths of that shape back to the package's own files)."""
    system = client.get(f"/items/{item_id}")["metadata"]["system"]
    return download(client, item_id, cache_root, f"{item_id}-{system.get('md5') or system.get('size')}")


def download(client, item_id: str, cache_root: Path, key: str) -> Path:
    """The item codebase ``item_id`` unpacked under ``cache_root`` as ``key``, fetched only when not there yet.

    ``client`` is a :class:`~pytest_faas.runner.client.PlatformClient`.
    """
    target = _folder(cache_root, key)
    if target.is_dir():
        return target
    return unpack(client.fetch(f"/items/{item_id}/stream"), cache_root, key)


def _folder(cache_root: Path, key: str) -> Path:
    return cache_root / re.sub(r"[^A-Za-z0-9_.-]", "_", key)


def unpack(data: bytes, cache_root: Path, key: str) -> Path:
    """Unpack a codebase zip into ``cache_root/key`` once; concurrent unpackers leave one copy."""
    target = _folder(cache_root, key)
    if target.is_dir():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=cache_root, prefix=".unpack-"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_sizes(archive)
            for name in archive.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith("/") or ".." in parts:
                    raise LoadError(f"the codebase zip has an unsafe path {name!r}")
            archive.extractall(scratch)
        scratch.chmod(0o755)  # mkdtemp's 0700 would hide it from a container's user (docker mounts it)
        try:
            os.rename(scratch, target)
        except OSError:  # another agent unpacked the same codebase first; use its copy
            shutil.rmtree(scratch, ignore_errors=True)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise LoadError(f"the codebase is not a valid zip file: {exc}") from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target


def _module_path(entry_point: str) -> list[str]:
    if not entry_point_ok(entry_point):  # the rule the platform's routes and the manifests apply
        raise LoadError(f"entryPoint {entry_point!r} must be a relative path to a .py file inside the codebase")
    path = PurePosixPath(entry_point.replace("\\", "/"))
    parts = list(path.with_suffix("").parts)
    bad = [p for p in parts if not p.isidentifier()]
    if bad:
        raise LoadError(f"entryPoint {entry_point!r} cannot be imported: {bad[0]!r} is not a Python identifier")
    return parts


def load_class(code_dir: Path, entry_point: str, class_name: str, package_name: str,
               declared_at: str = "className in package.json") -> type:
    """Import ``entry_point`` from ``code_dir`` as ``<package_name>.<module>`` and return ``class_name``;
    ``declared_at`` says where the manifest names the class, for the message when it is not there."""
    parts = _module_path(entry_point or "main.py")
    file = code_dir.joinpath(*parts[:-1], parts[-1] + ".py")
    if not file.is_file():
        found = sorted(str(p.relative_to(code_dir)) for p in code_dir.rglob("*.py"))[:20]
        raise LoadError(f"entryPoint {entry_point!r} is not in the codebase; its Python files are: "
                        f"{', '.join(found) or 'none'}")
    if package_name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(package_name, None, is_package=True)
        spec.submodule_search_locations = [str(code_dir)]
        package = importlib.util.module_from_spec(spec)
        package.__path__ = [str(code_dir)]
        sys.modules[package_name] = package
    if str(code_dir) not in sys.path:
        sys.path.append(str(code_dir))
    sourcenames.map_folder(code_dir, entry_point)  # coverage and tracebacks see the package's own files
    module = importlib.import_module(".".join([package_name, *parts]))
    cls = getattr(module, class_name or "ServiceRunner", None)
    if not inspect.isclass(cls):
        classes = [n for n, v in vars(module).items() if inspect.isclass(v) and v.__module__ == module.__name__]
        raise LoadError(f"{entry_point} has no class {class_name!r} ({declared_at}); classes defined "
                        f"there: {', '.join(classes) or 'none'}")
    return cls


def unload(package_name: str) -> None:
    """Forget the modules of a synthetic package (when its agent stops), so its memory can be freed."""
    for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
        del sys.modules[name]
