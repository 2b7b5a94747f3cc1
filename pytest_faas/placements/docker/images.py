"""Runner images: resolved from a service's ``runtime.runnerImage``, built offline, tagged by content hash.

Three layers, each an image tagged by a hash of what went into it, so an unchanged input is never built
twice (the tag is looked up first; a hit costs one ``docker image inspect``):

1. runner deps ``pytest-faas/runner-deps:<key>``: FROM the base (our ``pytest-faas/python:bookworm``, or
   the service's ``runnerImage`` when it is present locally), plus the user ``faas``, and a venv at
   /opt/faas/venv holding dtlpy and pytest-faas's other dependencies. key = (base image id, pytest-faas's
   requirement list, target Python).
2. runner base ``pytest-faas/runner:<key>``: FROM (1), plus the pytest_faas wheel built from this source
   tree and the entry script (start the forwarder, then exec the command). key = (base image id, hash
   of the pytest_faas source). Editing pytest-faas re-does only this small step.
3. requirements ``pytest-faas/requirements:<key>``: FROM (2), plus what a package's requirements.txt
   installs. key = (runner image id, the text of requirements.txt). A package without one runs on (2).

The package's code is never part of an image: the docker placement bind-mounts the host's unpacked copy
into its containers, so editing the code never builds anything, and packages with the same
requirements.txt share one image.

No registry is needed, nor any network inside a build: every wheel is fetched or built on the host with
pip (``pip wheel``, into a wheelhouse under the cache dir) and installed in the container with
``pip install --no-index --find-links`` from a read-only bind mount. A build step is a throw-away
container whose result is committed (`DockerEngine.build_step`), so the wheels never land in a layer.
Builds run under a file lock per image and per wheelhouse (`pytest_faas.placements.docker.buildlock`): parallel test
workers wait for one build instead of doing two, and a wheelhouse is filled in a scratch folder of its own.

The cache dir is ``$FAAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/pytest-faas``, else ``~/.cache/pytest-faas``
(shared with docker-engine.sh beside this file, which builds the base image).

The wheels come from `wheelhouse`; pytest_faas's own source, hashed and staged, from `source`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_faas.placements.docker import buildlock
from pytest_faas.placements.docker.engine import BuildStepFailed, DockerEngine
from pytest_faas.placements.docker.labels import FORWARDER_READY, RUN_DIR, RUNNER_USER
from pytest_faas.placements.docker.source import FaasSource, digest
from pytest_faas.placements.docker.wheelhouse import ImageBuildError, Wheelhouse, pip, requires_dist, tail
from pytest_faas.protocol import runner_image_fallback

log = logging.getLogger(__name__)

# Built by docker-engine.sh beside this file (`faas docker setup`), which honours the same variable.
BASE_IMAGE = os.environ.get("FAAS_BASE_IMAGE") or "pytest-faas/python:bookworm"
SETUP_SCRIPT = Path(__file__).with_name("docker-engine.sh")  # what `faas docker setup` runs
DEPS_REPO = "pytest-faas/runner-deps"
RUNNER_REPO = "pytest-faas/runner"
REQUIREMENTS_REPO = "pytest-faas/requirements"
VENV = "/opt/faas/venv"
WORK_DIR = f"/home/{RUNNER_USER}"  # the agent's start-up folder; it moves into the code's folder once loaded
ENTRY = "/faas/entry.sh"
RECIPE = "5"  # bump when the build steps below change in a way the hashed inputs do not show
DEPS_RECIPE = "4"  # the same, for the slow dependency layer alone

# Not part of pytest_faas's content: never hashed, never copied into the runner image.

ENTRY_SCRIPT = f"""#!/bin/sh
# pytest-faas runner entry: start the TCP->Unix-socket forwarder to the platform, then run the command.
if [ -n "${{FAAS_FORWARD_LISTEN:-}}" ] && [ -n "${{FAAS_SOCKET:-}}" ]; then
    ready={FORWARDER_READY}
    rm -f "$ready"
    python -m pytest_faas.placements.docker.forwarder --listen "$FAAS_FORWARD_LISTEN" --socket "$FAAS_SOCKET" \\
        --ready-file "$ready" &
    i=0
    while [ ! -e "$ready" ] && [ "$i" -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
fi
exec "$@"
"""

# Runs as root in the base image, no network; wheels at /mnt/faas-wheels, inputs at /mnt/faas-build.
_DEPS_SCRIPT = f"""set -eu
echo "[faas] user {RUNNER_USER}, folders"
if ! id {RUNNER_USER} >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then useradd --create-home --shell /bin/sh {RUNNER_USER}
    elif command -v adduser >/dev/null 2>&1; then adduser -D -s /bin/sh {RUNNER_USER}
    else echo "{RUNNER_USER}:x:1000:1000::/home/{RUNNER_USER}:/bin/sh" >>/etc/passwd
         echo "{RUNNER_USER}:x:1000:" >>/etc/group; mkdir -p /home/{RUNNER_USER}; chown 1000:1000 /home/{RUNNER_USER}
    fi
fi
mkdir -p {RUN_DIR} /opt/faas
PY=$(command -v python3 || command -v python) || {{ echo "the image has no python3 on PATH" >&2; exit 3; }}
echo "[faas] venv {VENV} with $($PY --version 2>&1)"
"$PY" -m venv --without-pip --system-site-packages {VENV}
PIP_WHEEL=$(ls /mnt/faas-wheels/pip-*.whl | head -n 1)
{VENV}/bin/python "$PIP_WHEEL/pip" install --quiet --no-index --no-cache-dir "$PIP_WHEEL"
echo "[faas] pip install dtlpy and pytest-faas's dependencies"
{VENV}/bin/pip install --no-index --no-cache-dir --disable-pip-version-check --progress-bar off \\
    --find-links /mnt/faas-wheels -r /mnt/faas-build/requirements.txt
"""

_RUNNER_SCRIPT = f"""set -eu
echo "[faas] pip install pytest-faas"
{VENV}/bin/pip install --no-index --no-cache-dir --disable-pip-version-check --no-deps --force-reinstall \\
    /mnt/faas-build/pytest_faas-*.whl
install -m 0755 /mnt/faas-build/entry.sh {ENTRY}
{VENV}/bin/python -c "import pytest_faas.placements.docker.forwarder, importlib.util as u; assert u.find_spec('dtlpy')"
"""

# The package folder is mounted read-only for requirements that name its own files (``./libs/x.whl``).
_REQUIREMENTS_SCRIPT = f"""set -eu
echo "[faas] pip install -r requirements.txt"
cd /mnt/faas-package
{VENV}/bin/pip install --no-index --no-cache-dir --disable-pip-version-check --progress-bar off \\
    --find-links /mnt/faas-wheels -r /mnt/faas-build/requirements.txt
"""


@dataclass(frozen=True)
class RunnerImage:
    """A resolved runner image.

    Attributes:
        ref: what to run, ``repository:tag``.
        image_id: the engine's id for it.
        built: False when it was already there (the common, fast case).
        base: the image it was built FROM (ours, or the service's runnerImage).
        warnings: things the user should know, e.g. a runnerImage that could not be pulled offline.
        seconds: how long resolving (and building) took.
        runner: for a package's image, the runner base image it is (or is built) on.
    """

    ref: str
    image_id: str
    built: bool
    base: str
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    runner: str | None = None


def cache_dir() -> Path:
    """Where wheelhouses, locks and the debootstrap tarball live."""
    if os.environ.get("FAAS_CACHE_DIR"):
        return Path(os.environ["FAAS_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pytest-faas"


class ImageBuilder:
    """Resolves and builds runner images on one engine.

    Args:
        engine: a connected `DockerEngine`.
        cache: the cache dir (default: `cache_dir()`).
        base_image: our own base, used when a service names no runnerImage or one we cannot get.

    The pytest_faas source is hashed once per builder: one test session runs one runner base, even if
    the checkout is edited meanwhile (the next session picks the edit up).
    """

    def __init__(self, engine: DockerEngine, cache: Path | None = None, base_image: str = BASE_IMAGE):
        self.engine = engine
        self.cache = Path(cache) if cache else cache_dir()
        self.base_image = base_image
        self._source: FaasSource | None = None
        self.wheels = Wheelhouse(self.cache)

    # ---- public ------------------------------------------------------------------------------------------

    def resolve_base(self, runner_image: str | None = None) -> tuple[str, str, tuple[str, ...]]:
        """(base ref, base image id, warnings) for a service's runtime.runnerImage."""
        warnings: tuple[str, ...] = ()
        if runner_image:
            image_id = self.engine.image_id(runner_image)
            if image_id:
                return runner_image, image_id, warnings
            warnings = (f"runnerImage {runner_image!r} is not present locally and nothing is pulled: this service "
                        f"runs on {self.base_image}. " + runner_image_fallback(runner_image, self.base_image),)
            log.warning(warnings[0])
        image_id = self.engine.image_id(self.base_image)
        if not image_id:
            raise ImageBuildError(
                f"base image {self.base_image} is not present: build it with `faas docker setup`"
            )
        return self.base_image, image_id, warnings

    def runner_ref(self, runner_image: str | None = None) -> str:
        """The tag of the runner base for a runnerImage and this pytest_faas, built or not."""
        _, base_id, _ = self.resolve_base(runner_image)
        return self._runner_key(base_id)[0]

    def _runner_key(self, base_id: str) -> tuple[str, str]:
        """(tag, content key) of the runner base on the base image ``base_id``."""
        if self._source is None:
            self._source = FaasSource.locate()
            self._source.digest()
        key = digest("runner", RECIPE, base_id, self._source.digest())
        return f"{RUNNER_REPO}:{key[:16]}", key

    def runner_base(self, runner_image: str | None = None) -> RunnerImage:
        """The runner base image (dtlpy + pytest_faas) for a runnerImage; built if missing."""
        started = time.monotonic()
        base, base_id, warnings = self.resolve_base(runner_image)
        ref, key = self._runner_key(base_id)
        source = self._source
        image_id, built = self._built_once(ref, lambda: self._build_runner(base, base_id, source, key, ref))
        return RunnerImage(ref, image_id, built, base, warnings, time.monotonic() - started)

    def _built_once(self, ref: str, build) -> tuple[str, bool]:
        """``ref``'s image id, and whether ``build()`` made it now: under the image's lock, so that parallel
        workers wait for one build instead of doing two."""
        image_id = self.engine.image_id(ref)
        if image_id:
            return image_id, False
        with buildlock.held(self.cache, ref):
            image_id = self.engine.image_id(ref)
            return (image_id, False) if image_id else (build(), True)

    def package_image(self, package_dir: str | os.PathLike, runner_image: str | None = None,
                      name: str | None = None) -> RunnerImage:
        """The image a package runs on: the runner base plus what its requirements.txt installs.

        ``name`` (the package's) is what error messages call the folder (``<name>/requirements.txt line 2``).

        Only requirements.txt is read: the code itself reaches the container another way (a bind mount),
        so two packages with the same requirements share an image and a code edit never builds one.
        """
        started = time.monotonic()
        runner = self.runner_base(runner_image)
        package_dir = Path(package_dir).resolve()
        requirements = package_dir / "requirements.txt"
        req_text = requirements.read_text() if requirements.is_file() else ""
        if not req_text.strip():
            return RunnerImage(runner.ref, runner.image_id, runner.built, runner.base, runner.warnings,
                               time.monotonic() - started, runner.ref)
        key = digest("requirements", RECIPE, runner.image_id, req_text)
        ref = f"{REQUIREMENTS_REPO}:{key[:16]}"
        image_id, built = self._built_once(ref, lambda: self._build_requirements(
            runner, package_dir, req_text, key, ref, name or package_dir.name))
        return RunnerImage(ref, image_id, built, runner.base, runner.warnings, time.monotonic() - started, runner.ref)

    def prune(self, keep: tuple[str, ...] = (), kinds: tuple[str, ...] = ("package", "runner", "runner-deps")
              ) -> list[str]:
        """Remove our images of these kinds (never the base), except `keep` and those in use.

        Content-hash tags pile up as pytest-faas or requirements change; this is the clean-up (``package``
        is the kind of the requirements images). An image that a
        container (running or not) or a kept image is built on stays. ``runner-deps`` layers change only
        with dtlpy's requirement set and are the slow ones to build: leave them out of `kinds` to keep them.
        """
        kept_ids: set[str] = set()
        for ref in keep:  # a kept image and the images it is built on
            image_id = self.engine.image_id(ref)
            while image_id and image_id not in kept_ids:
                kept_ids.add(image_id)
                image_id = (self.engine.image_attrs(image_id) or {}).get("Parent") or None
        removed = []
        for kind in (k for k in ("package", "runner", "runner-deps") if k in kinds):  # children first
            for image_id, tags in self.engine.images_labelled(f"pytest-faas.image={kind}"):
                if image_id not in kept_ids:
                    removed += [tag for tag in tags if self.engine.remove_image(tag)]
        return removed

    # ---- builds ------------------------------------------------------------------------------------------

    def _build_runner(self, base: str, base_id: str, source: FaasSource, key: str, ref: str) -> str:
        started = time.monotonic()
        target = self._target(base, base_id)
        log.info("building runner base image %s FROM %s (python %s)", ref, base, target["version"])
        wheel = self.wheels.faas_wheel(source)
        requires = requires_dist(wheel)
        deps_key = digest("deps", DEPS_RECIPE, base_id, json.dumps(target, sort_keys=True), *requires)
        deps_ref = f"{DEPS_REPO}:{deps_key[:16]}"
        wheelhouse = self.cache / "wheelhouse" / f"deps-{deps_key[:16]}"
        if not self.engine.image_id(deps_ref):
            with buildlock.held(self.cache, deps_ref):
                if not self.engine.image_id(deps_ref):
                    self.wheels.fetch(wheelhouse, ["pip", *requires], target, "dtlpy and pytest-faas's dependencies")
                    with tempfile.TemporaryDirectory(prefix="faas-build-") as tmp:
                        Path(tmp, "requirements.txt").write_text("\n".join(requires) + "\n")
                        mounts = {wheelhouse: "/mnt/faas-wheels", tmp: "/mnt/faas-build"}
                        changes = self._changes(base, "runner-deps", deps_key)
                        self._step(base, _DEPS_SCRIPT, deps_ref, mounts, changes,
                                   "1/2 venv with dtlpy and dependencies", wheelhouse)
        with tempfile.TemporaryDirectory(prefix="faas-build-") as tmp:
            shutil.copy2(wheel, tmp)
            Path(tmp, "entry.sh").write_text(ENTRY_SCRIPT)
            changes = self._changes(base, "runner", key, {"pytest-faas.wheelhouse": wheelhouse.name})
            image_id = self._step(deps_ref, _RUNNER_SCRIPT, ref, {tmp: "/mnt/faas-build"}, changes,
                                  "2/2 pytest-faas and the entry script")
        log.info("runner base image %s built in %.1fs", ref, time.monotonic() - started)
        return image_id

    def _build_requirements(self, runner: RunnerImage, package_dir: Path, req_text: str, key: str, ref: str,
                            name: str) -> str:
        started = time.monotonic()
        log.info("building requirements image %s for %s", ref, package_dir / "requirements.txt")
        runner_labels = ((self.engine.image_attrs(runner.ref) or {}).get("Config") or {}).get("Labels") or {}
        deps_wheels = self.cache / "wheelhouse" / runner_labels.get("pytest-faas.wheelhouse", "none")
        target = self._target(runner.ref, runner.image_id)
        wheels = self.cache / "wheelhouse" / f"req-{digest('req', req_text, json.dumps(target))[:16]}"
        self.wheels.fetch(wheels, ["-r", str(package_dir / "requirements.txt")], target,
                           f"{name}/requirements.txt", find_links=deps_wheels, cwd=package_dir)
        with tempfile.TemporaryDirectory(prefix="faas-build-") as tmp:
            Path(tmp, "requirements.txt").write_text(req_text)  # the text the key was made of
            mounts = {tmp: "/mnt/faas-build", package_dir: "/mnt/faas-package", wheels: "/mnt/faas-wheels"}
            image_id = self._step(runner.ref, _REQUIREMENTS_SCRIPT, ref, mounts,
                                  self._changes(runner.base, "package", key), "requirements", wheels)
        log.info("requirements image %s built in %.1fs", ref, time.monotonic() - started)
        return image_id

    def _step(self, from_image: str, script: str, ref: str, mounts: dict, changes: list[str], what: str,
              wheelhouse: Path | None = None) -> str:
        """One build step. When pip in the image misses a distribution that the host's pip did not fetch
        (environment markers such as ``python_full_version < "3.11.3"`` differ between the host's Python
        and the image's), fetch it on the host into `wheelhouse` and run the step again."""
        repository, tag = ref.rsplit(":", 1)
        fetched: set[str] = set()
        while True:
            log.info("  %s: %s", ref, what)
            try:
                return self.engine.build_step(from_image, script, repository=repository, tag=tag, changes=changes,
                                              mounts=mounts, on_line=lambda line: log.debug("    %s", line))
            except BuildStepFailed as exc:
                missing = re.search(r"No matching distribution found for ([^\s(;]+)", exc.output)
                if wheelhouse is None or not missing or missing.group(1) in fetched or len(fetched) >= 20:
                    raise ImageBuildError(f"building {ref} ({what}) failed, exit code {exc.exit_code}:\n"
                                          + tail(exc.output)) from exc
                spec = missing.group(1)
                fetched.add(spec)
                log.info("  the image's Python also needs %s (its environment markers differ from the host's): "
                         "pip wheel on the host", spec)
                with buildlock.held(self.cache, f"wheelhouse-{wheelhouse.name}"):  # shared: one writer at a time
                    pip(["wheel", "--wheel-dir", str(wheelhouse), "--find-links", str(wheelhouse), spec], spec)

    def _changes(self, base: str, kind: str, key: str, labels: dict | None = None) -> list[str]:
        """Dockerfile instructions for a committed image: PATH to the venv, user faas, entry script."""
        env = ((self.engine.image_attrs(base) or {}).get("Config") or {}).get("Env") or []
        path = next((e.split("=", 1)[1] for e in env if e.startswith("PATH=")),
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        all_labels = {"pytest-faas.image": kind, "pytest-faas.key": key, **(labels or {})}
        return [
            f"ENV PATH={VENV}/bin:{path}",
            f"ENV VIRTUAL_ENV={VENV}",
            "ENV PYTHONUNBUFFERED=1",
            f"WORKDIR {WORK_DIR}",
            f"USER {RUNNER_USER}",
            # runner-deps has no entry script yet; /usr/bin/env undoes the build step's ["/bin/sh", "-c"].
            f'ENTRYPOINT ["{ENTRY}"]' if kind != "runner-deps" else 'ENTRYPOINT ["/usr/bin/env"]',
            'CMD ["sleep", "infinity"]',
            "LABEL " + " ".join(f'{k}="{v}"' for k, v in all_labels.items()),
        ]

    # ---- host side: wheels -------------------------------------------------------------------------------

    def _target(self, image: str, image_id: str) -> dict:
        """The image's Python (version, machine, libc), probed once per image id and cached."""
        probes = self.cache / "probes.json"
        known = json.loads(probes.read_text()) if probes.is_file() else {}
        if image_id in known:
            return known[image_id]
        script = ('PY=$(command -v python3 || command -v python) && "$PY" -c '
                  '"import sys, platform; print(*sys.version_info[:2], platform.machine(), *platform.libc_ver())"')
        result = self.engine.run_once(image, ["/bin/sh", "-c", script], user="0")
        parts = result.output.split()
        if result.exit_code != 0 or len(parts) < 3:
            raise ImageBuildError(f"{image} has no usable python3 (needed to run the agent): {result.output.strip()}")
        target = {"version": f"{parts[0]}.{parts[1]}", "machine": parts[2],
                  "libc": " ".join(parts[3:5]) if len(parts) >= 5 else ""}
        known[image_id] = target
        self.cache.mkdir(parents=True, exist_ok=True)
        partial = probes.with_name(f"probes.{os.getpid()}.tmp")
        partial.write_text(json.dumps(known, indent=1))
        partial.replace(probes)  # atomic: a parallel worker never reads half a file
        return target
