"""One runner container, as the docker SDK gives it: run a command in it, read its logs, see whether it
exited or was OOM-killed, stop it, remove it; and what `DockerEngine.start_replica` needs to start one.

With `engine`, the only modules that touch the docker SDK (imported lazily: importing costs nothing when
Docker is not used).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ...errors import PlatformError
from .labels import DEFAULT_SOCKET_NAME, FORWARDER_READY, LABEL_REPLICA, LABEL_SERVICE

if TYPE_CHECKING:  # pragma: no cover
    from docker.models.containers import Container

log = logging.getLogger(__name__)


@dataclass
class ReplicaSpec:
    """What `DockerEngine.start_replica` needs to know.

    Attributes:
        image: the runner image (from `pytest_faas.placements.docker.images`).
        platform_id, service_id, replica: identity, written into the labels and the name (a ready
            container of the docker placement has no service yet: None).
        command: the main process (exec'd by the entry script). None keeps the container idle
            (``sleep infinity``) so commands can be run in it with `Replica.exec`.
        socket_dir: host folder that holds the platform's Unix socket; mounted at /faas/run.
        socket_name: the socket's file name in that folder.
        mounts: more host folders, mounted read-only: {host path: path inside}.
        network: "none" (default: no network; the platform is reached through the socket) or "host"
            (the host's network; the agent then uses the platform's TCP URL and no forwarder is started).
        pod_type: the service's runtime.podType, mapped through `pytest_faas.placements.docker.pods`.
        memory, cpus: override the pod type's limits (e.g. "64m" to provoke an OOM kill in a test).
        environment: extra environment variables.
        keep: kept on purpose after its platform closes (the orphan sweep leaves it alone).
        owner: ``host:pid`` of the owning process; this one by default.
    """

    image: str
    platform_id: str
    service_id: str | None
    replica: int | None = 0
    command: Sequence[str] | None = None
    socket_dir: str | os.PathLike | None = None
    socket_name: str = DEFAULT_SOCKET_NAME
    mounts: Mapping[str | os.PathLike, str] = field(default_factory=dict)
    network: str = "none"
    pod_type: str | None = None
    memory: str | None = None
    cpus: float | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    keep: bool = False
    owner: str | None = None


@dataclass(frozen=True)
class ContainerState:
    """A container's state as the engine reports it."""

    status: str  # created | running | exited | dead | ...
    running: bool
    exit_code: int | None
    oom_killed: bool
    error: str

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> "ContainerState":
        s = attrs.get("State") or {}
        running = bool(s.get("Running"))
        return cls(
            status=s.get("Status", "unknown"),
            running=running,
            exit_code=None if running else s.get("ExitCode"),
            oom_killed=bool(s.get("OOMKilled")),
            error=s.get("Error") or "",
        )

    def describe(self) -> str:
        if self.running:
            return "running"
        text = f"{self.status}, exit code {self.exit_code}"
        if self.oom_killed:
            text += " (OOM-killed: the function used more memory than its podType allows)"
        if self.error:
            text += f": {self.error}"
        return text


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


class Replica:
    """A running (or exited) replica container."""

    def __init__(self, container: "Container"):
        self.container = container

    @property
    def id(self) -> str:
        return self.container.id

    @property
    def name(self) -> str:
        return self.container.name

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.container.labels)

    def exec(
        self,
        command: Sequence[str] | str,
        *,
        user: str = "",
        environment: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> ExecResult:
        """Run a command in the container and wait for it (stdout and stderr merged)."""
        import docker.errors

        try:
            code, out = self.container.exec_run(
                list(command) if not isinstance(command, str) else command,
                user=user,
                environment=dict(environment or {}),
                workdir=workdir,
            )
        except docker.errors.APIError as exc:  # 409: the container is not running
            raise PlatformError(f"cannot run a command in {self.name}: {exc.explanation or exc}") from exc
        return ExecResult(code, (out or b"").decode("utf-8", "replace"))

    def logs(self, tail: int | str = "all", since: float | None = None) -> str:
        kwargs: dict[str, Any] = {"tail": tail}
        if since is not None:
            kwargs["since"] = since
        return self.container.logs(stdout=True, stderr=True, **kwargs).decode("utf-8", "replace")

    def state(self) -> ContainerState:
        """Fresh state from the engine (exited? OOM-killed?)."""
        self.container.reload()
        return ContainerState.from_attrs(self.container.attrs)

    def wait(self, timeout: float | None = None) -> ContainerState:
        """Wait until the container stops; raises TimeoutError if it still runs after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            st = self.state()
            if not st.running:
                return st
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"container {self.name} still running after {timeout}s")
            time.sleep(0.05)

    def wait_forwarder(self, timeout: float = 10.0) -> None:
        """Wait until the entry script's forwarder listens (for commands run with `exec`; a main command
        is only started once it does). Raises PlatformError, with the logs, if the container exits."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if not st.running:
                raise PlatformError(f"container {self.name} {st.describe()}:\n{self.logs(tail=30)}")
            if self.exec(["test", "-e", FORWARDER_READY]).exit_code == 0:
                return
            if time.monotonic() >= deadline:
                raise PlatformError(f"the forwarder in {self.name} did not start within {timeout}s:\n"
                                    f"{self.logs(tail=30)}")
            time.sleep(0.02)

    def stop(self, timeout: int = 5) -> None:
        """SIGTERM, then SIGKILL after `timeout` s."""
        ignore_not_found(lambda: self.container.stop(timeout=timeout))

    def kill(self, signal: str = "SIGKILL") -> None:
        ignore_conflict(lambda: ignore_not_found(lambda: self.container.kill(signal=signal)))

    def remove(self) -> None:
        """Remove it, running or not."""
        ignore_conflict(lambda: ignore_not_found(lambda: self.container.remove(force=True)))

    def __repr__(self) -> str:
        return f"<Replica {self.name} {self.labels.get(LABEL_SERVICE)}#{self.labels.get(LABEL_REPLICA)}>"


def ignore_not_found(call) -> None:
    import docker.errors

    try:
        call()
    except docker.errors.NotFound:
        pass


def ignore_conflict(call) -> None:
    import docker.errors

    try:
        call()
    except docker.errors.APIError as exc:
        # "removal already in progress" / "is not running": the goal is already reached.
        if exc.status_code != 409:
            raise
