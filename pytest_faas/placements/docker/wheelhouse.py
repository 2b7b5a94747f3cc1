"""Wheelhouses: every wheel a runner image installs, fetched or built on the host with pip.

No network is used inside a build: `Wheelhouse` fills a folder under the cache dir (``pip wheel``, or ``pip
download`` of ready-made wheels when the image's Python is not the host's) and the build step installs from
it with ``pip install --no-index``. A wheelhouse is keyed by its inputs, filled once under a file lock in a
scratch folder of its own (`buildlock`), and shared by every image that needs it.
"""

from __future__ import annotations

import email.parser
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ...errors import PlatformError
from . import buildlock
from .source import FaasSource

# A child of the image builder's logger: whoever shows build steps (the terminal, `faas serve`) sees these too.
log = logging.getLogger("pytest_faas.placements.docker.images").getChild("wheelhouse")


class ImageBuildError(PlatformError):
    """A runner image could not be built; the message says which input is at fault and why."""


class Wheelhouse:
    """The wheelhouses under one cache dir."""

    def __init__(self, cache: Path):
        self.cache = cache

    def faas_wheel(self, source: FaasSource) -> Path:
        """A wheel of this pytest_faas source tree, built once per source hash."""
        out = self.cache / "wheelhouse" / f"pytest-faas-{source.digest()[:16]}"
        with buildlock.held(self.cache, out.name):
            found = sorted(out.glob("pytest_faas-*.whl"))
            if found:
                return found[0]
            log.info("  pip wheel: pytest-faas from %s", source.root)
            partial = buildlock.scratch_for(out)
            try:
                with tempfile.TemporaryDirectory(prefix="faas-src-") as tmp:
                    tree = source.stage(Path(tmp))
                    pip(["wheel", "--no-deps", "--wheel-dir", str(partial), str(tree)], "pytest-faas")
                shutil.rmtree(out, ignore_errors=True)
                partial.rename(out)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
            return sorted(out.glob("pytest_faas-*.whl"))[0]

    def fetch(self, dest: Path, args: list[str], target: dict, what: str,
                      find_links: Path | None = None, cwd: Path | None = None) -> None:
        """Fill `dest` with wheels for `args` (requirements), for the image's Python. Cached by the caller's key;
        one process fills it while the others wait (wheelhouses are shared by every package that needs them)."""
        if dest.is_dir():
            return
        with buildlock.held(self.cache, f"wheelhouse-{dest.name}"):
            if dest.is_dir():
                return  # another process filled it while we waited
            partial = buildlock.scratch_for(dest)
            try:
                self._fill(partial, args, target, what, find_links, cwd)
                partial.rename(dest)
            finally:
                shutil.rmtree(partial, ignore_errors=True)

    def _fill(self, partial: Path, args: list[str], target: dict, what: str, find_links: Path | None,
              cwd: Path | None) -> None:
        host = {"version": f"{sys.version_info[0]}.{sys.version_info[1]}", "machine": machine()}
        links = ["--find-links", str(find_links)] if find_links and find_links.is_dir() else []
        if host["version"] == target["version"] and host["machine"] == target["machine"]:
            log.info("  pip wheel: %s (into %s)", what, partial)
            cmd = ["wheel", "--wheel-dir", str(partial), *links, *args]
        else:
            # Another Python in the image: only ready-made wheels for it will do.
            log.info("  pip download: %s for python %s/%s (into %s)", what, target["version"], target["machine"],
                     partial)
            nodot = target["version"].replace(".", "")
            platforms = [f"manylinux_2_{m}_{target['machine']}" for m in range(17, glibc_minor(target) + 1)]
            platforms += [f"manylinux2014_{target['machine']}", f"linux_{target['machine']}"]
            cmd = ["download", "--dest", str(partial), "--only-binary=:all:", "--python-version", target["version"],
                   "--implementation", "cp", "--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none",
                   *[a for p in platforms for a in ("--platform", p)], *links, *args]
        try:
            pip(cmd, what, cwd=cwd)
        except ImageBuildError as exc:
            if args[:1] == ["-r"]:
                raise ImageBuildError(_explain_requirement_failure(Path(args[1]), what,
                                                                   str(exc.__cause__ or exc))) from None
            raise


class _PipFailed(Exception):
    pass


def pip(args: list[str], what: str, cwd: Path | None = None) -> str:
    cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--progress-bar", "off"]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=3600)
    output = proc.stdout + proc.stderr
    for line in output.splitlines():
        log.debug("    pip: %s", line)
    if proc.returncode != 0:
        raise ImageBuildError(f"pip failed on {what}:\n{tail(output)}") from _PipFailed(output)
    return output


def _explain_requirement_failure(requirements: Path, label: str, pip_output: str) -> str:
    """Name the requirements.txt line pip could not satisfy, with pip's last lines."""
    last = tail(pip_output)
    match = re.search(r"(?:satisfies the requirement|No matching distribution found for) ([^\s(;]+)", pip_output)
    if match:
        wanted = _canonical(match.group(1))
        for number, line in enumerate(requirements.read_text().splitlines(), 1):
            if wanted and _canonical(line.split("#", 1)[0].strip()) == wanted:
                return f"{label} line {number} '{line.strip()}': pip could not find it:\n{last}"
        return f"{label}: pip could not find {match.group(1)!r} (required by a listed package):\n{last}"
    return f"{label}: pip could not fetch or build the requirements:\n{last}"


def _canonical(requirement: str) -> str:
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", name.group(1)).lower() if name else ""


def tail(text: str, lines: int = 12) -> str:
    # "Location ... is ignored" is pip talking about a local index it was configured with, not the problem.
    kept = [line for line in text.strip().splitlines()
            if line.strip() and not line.startswith("WARNING: Location ")][-lines:]
    return "\n".join("    " + line for line in kept)


def requires_dist(wheel: Path) -> list[str]:
    """The wheel's run-time requirements (no extras), sorted."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(name).decode())
    return sorted(r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r)


def machine() -> str:
    import platform

    return platform.machine()


def glibc_minor(target: dict) -> int:
    match = re.search(r"glibc (\d+)\.(\d+)", target.get("libc", ""))
    return int(match.group(2)) if match else 28
