"""The docker placement: one warm container per service replica, running the same agent as every placement.

On ``start(service)`` a background thread fetches the service's codebase from the platform (the same zip
the other placements unpack), has :mod:`pytest_faas.runtime.images` build or reuse the package's image
(runner image + requirements.txt + code, tagged by content hash), and starts one labelled container per
replica whose main process is ``python -m pytest_faas.runtime.agent``. The container has no network of its
own by default: the agent reaches the platform at ``http://127.0.0.1:8799`` through the in-container
forwarder and the platform's Unix socket, bind-mounted at ``/faas/run``.

Timeouts and terminations kill the replica's container (the only way to really stop the work), and a
container that exits for any reason (killed, OOM, the user's code ending the process) is reported to the
engine with what the engine saw of it and is started again. A service whose image cannot be built, or
whose container cannot start, fails its executions with the build's own message instead of leaving them
queued.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import FaasError
from ..protocol import EXIT_STARTUP_FAILED
from . import loader
from .client import PlatformClient
from .docker import FORWARD_PORT, DockerEngine, Replica, ReplicaSpec
from .images import VENV, ImageBuilder
from .placements import restart_backoff

log = logging.getLogger(__name__)

STOP_GRACE_S = 10  # a replaced replica drains this long before docker kills it
Died = Callable[..., int]
Failed = Callable[[str, str], None]  # (service_id, message)


@dataclass
class _Container:
    service_id: str
    replica: int
    handle: Replica
    host: str | None
    started: float
    generation: int
    restarts: int = 0
    retired: bool = False
    killed_for: str | None = None


class DockerPlacement:
    """Agents in containers, one per service replica, kept warm across executions.

    Args:
        url: the platform's API base as this process reaches it (TCP, loopback).
        token: the agents' bearer token (``Backend.agent_token``).
        on_died: the engine's ``replica_died``.
        on_failed: the engine's ``service_failed``: the service cannot run (image build or start failed).
        work_dir: host folder for unpacked codebases.
        socket_dir: host folder holding the platform's Unix socket (mounted into every container).
        platform_id: names and labels this platform's containers, for the sweep.
        network: ``none`` (reach the platform only through the socket) or ``host``.
        keep: leave containers in place on close, for inspection.
        engine, builder: an already connected engine and image builder (tests, benchmarks).
    """

    name = "docker"

    def __init__(self, url: str, token: str, on_died: Died, on_failed: Failed, work_dir: Path, *,
                 socket_dir: Path, platform_id: str, network: str = "none", keep: bool = False,
                 engine: DockerEngine | None = None, builder: ImageBuilder | None = None):
        if network not in ("none", "host"):
            raise ValueError(f"container network must be 'none' or 'host', not {network!r}")
        self.url, self.token = url, token
        self.on_died, self.on_failed = on_died, on_failed
        self.code_root = Path(work_dir) / "code"
        self.socket_dir = Path(socket_dir)
        self.platform_id = platform_id
        self.network = network
        self.keep = keep
        self.engine = engine or DockerEngine.connect()
        self.builder = builder or ImageBuilder(self.engine)
        self.engine.sweep_orphans()  # containers of earlier runs that died before they could remove them
        self.client = PlatformClient(url, token)
        self.images: dict[str, str] = {}  # service id -> the image its replicas run (for tests and reports)
        self._containers: dict[str, list[_Container]] = {}
        self._generation: dict[str, int] = {}  # a newer start of a service cancels an older one still building
        self._lock = threading.Lock()
        self._closed = False

    # -- the engine's Runners interface -----------------------------------------------------------------

    def start(self, service: dict) -> None:
        """Build (or reuse) the service's image and start its replicas, in the background."""
        self._retire(service["id"], STOP_GRACE_S)
        with self._lock:
            if self._closed:
                return
            generation = self._generation.get(service["id"], 0) + 1
            self._generation[service["id"]] = generation
        threading.Thread(target=self._deploy, args=(service, generation), daemon=True,
                         name=f"faas-docker-deploy-{service['id']}").start()

    def stop(self, service_id: str) -> None:
        with self._lock:
            self._generation[service_id] = self._generation.get(service_id, 0) + 1
        self._retire(service_id, STOP_GRACE_S)

    def stops_on_reset(self, service_id: str) -> bool:
        return True

    def reset(self, service_id, replica, execution_ids, reason, pid=None, host=None) -> None:
        """Kill the replica's container: the work really stops; the watcher reports it and starts another."""
        with self._lock:
            targets = [c for c in self._containers.get(service_id, [])
                       if c.replica == replica and (host is None or c.host is None or c.host == host)]
        for container in targets:
            container.killed_for = reason
            container.handle.kill()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            service_ids = list(self._containers)
        for service_id in service_ids:
            self._retire(service_id, 0)
        if not self.keep:
            self.engine.sweep(self.platform_id)
        self.client.close()

    # -- building and starting --------------------------------------------------------------------------

    def _current(self, service_id: str, generation: int) -> bool:
        with self._lock:
            return not self._closed and self._generation.get(service_id) == generation

    def _deploy(self, service: dict, generation: int) -> None:
        try:
            code_dir, package_name = self._codebase(service)
            runtime = service.get("runtime") or {}
            image = self.builder.package_image(code_dir, runtime.get("runnerImage"), name=package_name)
            for warning in image.warnings:
                log.warning("service %s: %s", service["name"], warning)
            self.images[service["id"]] = image.ref
            replicas = max(1, int(runtime.get("numReplicas") or 1))
            for replica in range(replicas):
                if not self._current(service["id"], generation):
                    return
                self._launch(service, replica, image.ref, generation)
        except (FaasError, OSError, loader.LoadError) as exc:
            if self._current(service["id"], generation):
                log.error("service %s cannot run in docker: %s", service["name"], exc)
                self.on_failed(service["id"], f"docker placement: {exc}")
        except Exception as exc:  # a bug of ours must still fail the executions, not strand them
            log.exception("deploying service %s in docker failed", service["name"])
            if self._current(service["id"], generation):
                self.on_failed(service["id"], f"docker placement: {exc!r}")

    def _codebase(self, service: dict) -> tuple[Path, str]:
        """The revision's code, unpacked on the host (the image build hashes and copies it)."""
        package = self.client.get(f"/packages/{service['packageId']}")
        wanted = service.get("packageRevision")
        if wanted not in (None, "", "latest", package.get("version")):
            revisions = self.client.get(f"/packages/{service['packageId']}/revisions") or []
            package = next((r for r in revisions if r.get("version") == wanted), package)
        codebase = package.get("codebase") or {}
        if codebase.get("type") != "item":
            raise loader.LoadError(f"codebase type {codebase.get('type')!r} cannot be built into an image; push "
                                   "the code with project.packages.push(src_path=...)")
        item_id = codebase["itemId"]
        name = package.get("name") or service["name"]
        # Named after the package: build errors quote this folder ("<name>-<version>-<id>/requirements.txt").
        key = f"{name}-{package.get('version')}-{item_id[-8:]}"
        return loader.download(self.client, item_id, self.code_root, key), name

    def _agent_url(self) -> str:
        if self.network == "host":
            return self.url  # the host's loopback is the container's
        return f"http://127.0.0.1:{FORWARD_PORT}/api/v1"

    def _launch(self, service: dict, replica: int, image: str, generation: int, restarts: int = 0) -> None:
        command = [f"{VENV}/bin/python", "-m", "pytest_faas.runtime.agent", "--url", self._agent_url(),
                   "--service", service["id"], "--replica", str(replica)]
        spec = ReplicaSpec(image=image, platform_id=self.platform_id, service_id=service["id"], replica=replica,
                           command=command, socket_dir=self.socket_dir, network=self.network,
                           pod_type=(service.get("runtime") or {}).get("podType"),
                           # The token in the environment, not the command line; the agent removes it on start.
                           environment={"FAAS_CODE_CACHE": "/tmp/faas-code", "DATALOOP_PATH": "/tmp/faas-dtlpy",
                                        "FAAS_AGENT_TOKEN": self.token},
                           keep=self.keep)
        handle = self.engine.start_replica(spec)
        # The agent registers with its hostname: the container's short id, unless it shares the host's.
        host = None if self.network == "host" else handle.id[:12]
        container = _Container(service["id"], replica, handle, host, time.monotonic(), generation, restarts)
        with self._lock:
            # A stop or a newer deploy while this container started: it belongs to nobody, remove it.
            if self._closed or self._generation.get(service["id"]) != generation:
                handle.remove()
                return
            containers = self._containers.setdefault(service["id"], [])
            containers[:] = [c for c in containers if c.replica != replica] + [container]
        threading.Thread(target=self._watch, args=(service, container, image), daemon=True,
                         name=f"faas-docker-watch-{handle.name}").start()

    # -- stopping and watching ----------------------------------------------------------------------------

    def _retire(self, service_id: str, grace: int) -> None:
        """SIGTERM (the agent drains), then SIGKILL after ``grace`` seconds; removal follows in the watcher."""
        with self._lock:
            old = self._containers.pop(service_id, [])
        for container in old:
            container.retired = True
            if grace > 0:
                threading.Thread(target=container.handle.stop, kwargs={"timeout": grace}, daemon=True).start()
            else:
                container.handle.kill()
                if not self.keep:
                    container.handle.remove()

    def _watch(self, service: dict, container: _Container, image: str) -> None:
        try:
            container.handle.container.wait()  # one blocking call until the container exits
            state = container.handle.state()
        except Exception:  # removed under us (close): nothing is left to report
            state = None
        code = state.exit_code if state is not None else None
        if container.retired and code in (0, None):
            self._remove(container)
            return
        if code == EXIT_STARTUP_FAILED:
            self._remove(container)  # the agent told the engine why itself
            return
        if container.killed_for:
            cause = f"the platform killed it ({container.killed_for})"
        elif state is not None:
            cause = _describe(state) + _tail(container.handle)
        else:
            cause = "was removed"
        reason = f"runner container {container.handle.name} {cause}"
        try:
            self.on_died(container.service_id, container.replica, reason, host=container.host,
                         requested=bool(container.killed_for))
        except Exception:  # the platform may be closing; the restart decision below still stands
            log.exception("reporting the death of %s failed", container.handle.name)
        self._remove(container)
        with self._lock:
            current = container in self._containers.get(container.service_id, [])
            if container.retired or self._closed or not current:
                return
        restarts, delay = restart_backoff(container.started, container.restarts, bool(container.killed_for))
        if delay:
            time.sleep(delay)
        with self._lock:
            if self._closed or container not in self._containers.get(container.service_id, []):
                return
        try:
            self._launch(service, container.replica, image, container.generation, restarts)
        except FaasError as exc:
            self.on_failed(container.service_id, f"docker placement: restarting replica {container.replica}: {exc}")

    def _remove(self, container: _Container) -> None:
        if not self.keep:
            container.handle.remove()


def _describe(state) -> str:
    """The engine's words for an exit, plus the signal behind a 128+N exit code (tini passes it on)."""
    text = state.describe()
    code = state.exit_code or 0
    if 128 < code < 160 and not state.oom_killed:
        try:
            text += f" (killed by signal {signal.Signals(code - 128).name})"
        except ValueError:
            pass
    return text


def _tail(handle: Replica, lines: int = 12) -> str:
    try:
        text = handle.logs(tail=lines).rstrip()
    except Exception:  # the container is gone already
        return ""
    return f"; its last output:\n{text}" if text else ""
