"""The docker placement: one warm container per service replica, running the same agent as every placement.

On ``start(service)`` a background thread (``prepare``) unpacks the service's codebase on the host (the same
zip the other placements unpack, once per revision) and has :mod:`pytest_faas.placements.docker.images` build or
reuse the image of its requirements (runner image + requirements.txt; the code is never in an image).
Each replica then takes a ready container of that image (:mod:`pytest_faas.placements.docker.ready`), already
started with its agent's imports done, and is told which service to run. The host's code folder is
bind-mounted read-only into every container at the same path as on the host, so the agent finds the code
unpacked, nothing is downloaded twice, and tracebacks name the same files in every placement. The
container has no network of its own by default: the agent reaches the platform at
``http://127.0.0.1:8799`` through the in-container forwarder and the platform's Unix socket, bind-mounted
at ``/faas/run``.

Timeouts and terminations kill the replica's container (the only way to really stop the work); the
lifecycle (report, restart with backoff, retire) is the :class:`~pytest_faas.placements.supervisor.Supervisor`'s.
A service whose image cannot be built, or whose container cannot start, fails its executions with the
build's own message instead of leaving them queued.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from ...protocol import RUNNER_NOTE
from ...runner import loader
from ...runner.client import PlatformClient
from .engine import DockerEngine
from .labels import FORWARD_PORT
from .replica import Replica, ReplicaSpec
from .images import VENV, ImageBuilder
from ..supervisor import Died, Exit, Failed, Run, Supervisor, TAIL_LINES
from .ready import ASSIGN_DIR, ReadyPool, Slot

log = logging.getLogger(__name__)


@dataclass
class _Container:
    replica: Replica
    name: str
    host: str | None  # the hostname its agent registers with (None when it shares the host's network)


class DockerPlacement(Supervisor):
    """Agents in containers, one per service replica, kept warm across executions.

    Args:
        url: the platform's API base as this process reaches it (TCP, loopback).
        token: the agents' bearer token (``Backend.agent_token``).
        on_died: the engine's ``replica_died``.
        on_failed: the engine's ``service_failed``: the service cannot run (image build or start failed).
        work_dir: host folder for unpacked codebases and assignments.
        socket_dir: host folder holding the platform's Unix socket (mounted into every container).
        platform_id: names and labels this platform's containers, for the sweep.
        network: ``none`` (reach the platform only through the socket) or ``host``.
        keep: leave the service containers in place on close, for inspection.
        engine, builder: an already connected engine and image builder (tests, benchmarks).
    """

    name = "docker"
    starts_in_background = True

    def __init__(self, url: str, token: str, on_died: Died, on_failed: Failed, work_dir: Path, *,
                 socket_dir: Path, platform_id: str, network: str = "none", keep: bool = False,
                 engine: DockerEngine | None = None, builder: ImageBuilder | None = None):
        if network not in ("none", "host"):
            raise ValueError(f"container network must be 'none' or 'host', not {network!r}")
        super().__init__(on_died, on_failed)
        self.url, self.token = url, token
        self.code_root = Path(work_dir) / "code"
        self.code_root.mkdir(parents=True, exist_ok=True)
        self.code_root.chmod(0o755)  # the containers' non-root user reads it
        self.socket_dir = Path(socket_dir)
        self.platform_id = platform_id
        self.network = network
        self.keep = keep
        self.engine = engine or DockerEngine.connect()
        self.builder = builder or ImageBuilder(self.engine)
        self.engine.sweep_orphans()  # containers of earlier runs that died before they could remove them
        self.client = PlatformClient(url, token)
        self.images: dict[str, str] = {}  # service id -> the image its replicas run (for tests and reports)
        self.ready = ReadyPool(self._start_container, Path(work_dir) / "assign", f"faas-{platform_id}")

    # -- the supervisor's hooks ---------------------------------------------------------------------------

    def prepare(self, service: dict) -> Slot:
        """The code unpacked on the host, and the image of its requirements (built if missing)."""
        code_dir, package_name = self._codebase(service)
        runtime = service.get("runtime") or {}
        image = self.builder.package_image(code_dir, runtime.get("runnerImage"), name=package_name)
        for warning in image.warnings:
            log.warning("service %s: %s", service["name"], warning)
        self.images[service["id"]] = image.ref
        return Slot(image.ref, runtime.get("podType"), "\n".join(image.warnings))

    def launch(self, run: Run) -> _Container:
        ready = self.ready.take(run.context)
        self.ready.assign(ready, run.service_id, run.replica)
        # The agent registers with its hostname: the container's short id, unless it shares the host's.
        return _Container(ready.replica, ready.name, None if self.network == "host" else ready.replica.id[:12])

    def wait(self, run: Run) -> Exit:
        handle: Replica = run.handle.replica
        try:
            handle.container.wait()  # one blocking call until the container exits
            state = handle.state()
        except Exception:  # removed under us (close): nothing is left to report
            return Exit(None, "was removed")
        try:
            output = handle.logs(tail=TAIL_LINES)
        except Exception:  # removed meanwhile
            output = ""
        return Exit(state.exit_code, _describe(state), output)

    def terminate(self, run: Run, grace: float) -> None:
        """SIGTERM (the agent drains), then SIGKILL after ``grace`` seconds; removal follows in ``discard``."""
        if grace > 0:
            threading.Thread(target=run.handle.replica.stop, kwargs={"timeout": int(grace)}, daemon=True).start()
        else:
            run.handle.replica.kill()

    def kill(self, run: Run) -> None:
        run.handle.replica.kill()

    def discard(self, run: Run) -> None:
        self.ready.forget(run.handle.name)
        if not self.keep:
            run.handle.replica.remove()

    def describe(self, run: Run) -> str:
        return f"runner container {run.handle.name}"

    def identity(self, run: Run) -> dict:
        return {"host": run.handle.host}

    def close(self) -> None:
        super().close()
        self.ready.close()
        if not self.keep:
            self.engine.sweep(self.platform_id)
        self.client.close()

    # -- code and containers --------------------------------------------------------------------------------

    def _codebase(self, service: dict) -> tuple[Path, str]:
        """The revision's code, unpacked on the host where the agents find it; and the package's name."""
        package = self.client.get(f"/packages/{service['packageId']}")
        wanted = service.get("packageRevision")
        if wanted not in (None, "", "latest", package.get("version")):
            revisions = self.client.get(f"/packages/{service['packageId']}/revisions") or []
            package = next((r for r in revisions if r.get("version") == wanted), package)
        codebase = package.get("codebase") or {}
        if codebase.get("type") != "item":
            raise loader.LoadError(f"codebase type {codebase.get('type')!r} cannot run in a container; push "
                                   "the code with project.packages.push(src_path=...)")
        return loader.codebase(self.client, codebase["itemId"], self.code_root), package.get("name") or service["name"]

    def _agent_url(self) -> str:
        if self.network == "host":
            return self.url  # the host's loopback is the container's
        return f"http://127.0.0.1:{FORWARD_PORT}/api/v1"

    def _start_container(self, slot: Slot, name: str, assignment: str) -> Replica:
        """A container of ``slot`` whose agent gets ready, then waits for ``assignment`` (see ready.py)."""
        command = [f"{VENV}/bin/python", "-m", "pytest_faas.runner.launch", "--url", self._agent_url(),
                   "--assignment", assignment]
        spec = ReplicaSpec(image=slot.image, platform_id=self.platform_id, service_id=None, replica=None,
                           command=command, socket_dir=self.socket_dir, network=self.network,
                           pod_type=slot.pod_type, name=name, keep=self.keep,
                           # The same path inside as outside: tracebacks name the host's files.
                           mounts={self.code_root: str(self.code_root), self.ready.assign_dir: ASSIGN_DIR},
                           environment={"FAAS_CODE_CACHE": str(self.code_root), "DATALOOP_PATH": "/tmp/faas-dtlpy",
                                        "PYTHONDONTWRITEBYTECODE": "1",  # the code folder is read-only
                                        # The token in the environment, not the command line: the agent
                                        # removes it when it starts.
                                        "FAAS_AGENT_TOKEN": self.token,
                                        # A runnerImage replaced by our base: every failure says so.
                                        **({RUNNER_NOTE: slot.note} if slot.note else {})})
        return self.engine.start_replica(spec)


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
