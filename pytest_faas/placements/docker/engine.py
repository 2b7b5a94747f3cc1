"""A thin wrapper over the docker SDK: the only module of pytest-faas that imports it.

What it offers:
- `DockerEngine.connect()`: a client, or `DockerUnavailable` saying how to start an engine.
- Labels: every container we start carries ``pytest-faas=1`` plus its platform, service and replica, so
  `DockerEngine.sweep` can remove ours, and only ours, after a crash.
- `DockerEngine.start_replica`: a warm container for one service replica. No network of its own by
  default (``network_mode=none``); the host folder holding the platform's Unix socket is bind-mounted at
  ``/faas/run``, and the image's entry script starts `pytest_faas.placements.docker.forwarder` so that
  ``http://127.0.0.1:8799`` inside the container reaches the platform. Never privileged; runs as the
  image's non-root user ``faas`` with every capability dropped; CPU and memory from the service's podType.
- `Replica` (in `replica`): run a command in it, read its logs, see whether it exited or was OOM-killed.
- `DockerEngine.build_step`: run a script in a throw-away container and commit the result; the image
  builds of `pytest_faas.placements.docker.images` are made of these.

The SDK is imported lazily, so importing this module costs nothing when Docker is not used.

With `replica`, the only modules that import docker; the labels and in-container paths are in `labels`.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from pytest_faas.errors import PlatformError
from pytest_faas.placements.docker.pods import resources_for

from .labels import (FORWARD_PORT, LABEL, LABEL_KEEP, LABEL_OWNER, LABEL_PLATFORM, LABEL_SERVICE, RUN_DIR, RUNNER_USER,
                     container_name, labels, owner_gone)
from .replica import ExecResult, Replica, ReplicaSpec, ignore_conflict, ignore_not_found

if TYPE_CHECKING:  # pragma: no cover
    import docker

log = logging.getLogger(__name__)

START_ENGINE_HINT = "start one with `faas docker setup` (scripts/docker-engine.sh in a checkout)"

class DockerUnavailable(PlatformError):
    """No Docker engine answers (not installed, not running, or no permission on its socket)."""

    status = 503


class BuildStepFailed(PlatformError):
    """A build step's script exited non-zero; `output` is everything it printed."""

    def __init__(self, message: str, exit_code: int, output: str):
        super().__init__(message)
        self.exit_code = exit_code
        self.output = output



def _open_socket_dir(socket_dir: Path) -> None:
    """Let the container's non-root user reach the socket: traverse the folder, connect to the socket.

    A Unix socket needs write permission to connect to; a folder made by `tempfile.mkdtemp` is 0700. The
    platform still checks its bearer token on every request.
    """
    try:
        mode = socket_dir.stat().st_mode
        if mode & 0o011 != 0o011:
            socket_dir.chmod(stat.S_IMODE(mode) | 0o011)
        for entry in socket_dir.iterdir():
            st = entry.stat()
            if stat.S_ISSOCK(st.st_mode) and st.st_mode & 0o006 != 0o006:
                entry.chmod(stat.S_IMODE(st.st_mode) | 0o006)
    except OSError as exc:  # not ours to change: the container may still manage (same uid)
        log.debug("could not open up %s for the runner user: %s", socket_dir, exc)


# ---- the engine -----------------------------------------------------------------------------------------

class DockerEngine:
    """A connected Docker engine."""

    def __init__(self, client: "docker.DockerClient"):
        self.client = client
        self._cpus: int | None = None

    @classmethod
    def connect(cls, timeout: int = 120) -> "DockerEngine":
        """Connect as the docker CLI would (DOCKER_HOST, or the default socket).

        Raises:
            DockerUnavailable: no engine answers; the message says how to start one.
        """
        try:
            import docker
        except ImportError as exc:  # pragma: no cover - docker is a dependency
            raise DockerUnavailable(f"the docker Python package is missing ({exc}); pip install docker") from exc
        try:
            client = docker.from_env(timeout=timeout)
            client.ping()
        except Exception as exc:  # DockerException, ConnectionError, PermissionError, ...
            where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
            raise DockerUnavailable(
                f"Docker engine not running: {START_ENGINE_HINT} (no answer on {where}: {_short(exc)})"
            ) from exc
        return cls(client)

    @staticmethod
    def unavailable_reason() -> str | None:
        """None when an engine answers, else the reason (for a test's skip message)."""
        try:
            DockerEngine.connect(timeout=5).close()
        except DockerUnavailable as exc:
            return str(exc)
        return None

    def close(self) -> None:
        self.client.close()

    @property
    def cpus(self) -> int:
        if self._cpus is None:
            self._cpus = int(self.client.info().get("NCPU") or os.cpu_count() or 1)
        return self._cpus

    # ---- images -----------------------------------------------------------------------------------------

    def image_attrs(self, ref: str) -> dict | None:
        """The image's inspect data, or None when it is not present locally (never pulls)."""
        import docker.errors

        try:
            return self.client.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            if exc.status_code in (400, 404):  # 400: not a valid reference, so not here either
                log.debug("no image %r: %s", ref, exc.explanation)
                return None
            raise

    def image_id(self, ref: str) -> str | None:
        attrs = self.image_attrs(ref)
        return attrs["Id"] if attrs else None

    def images_labelled(self, label: str) -> list[tuple[str, list[str]]]:
        """(id, tags) of the local images carrying `label` ("key=value")."""
        return [(image.id, list(image.tags)) for image in self.client.images.list(filters={"label": label})]

    def remove_image(self, ref: str) -> bool:
        """Remove a tag/image; False when the engine refuses (in use by a container, or has children)."""
        import docker.errors

        try:
            self.client.images.remove(ref)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as exc:
            log.debug("kept image %s: %s", ref, exc.explanation)
            return False
        return True

    def build_step(
        self,
        from_image: str,
        script: str,
        *,
        repository: str,
        tag: str,
        changes: Sequence[str] = (),
        mounts: Mapping[str | os.PathLike, str] | None = None,
        name: str | None = None,
        on_line=None,
    ) -> str:
        """Run `script` (sh, as root, no network) in a container of `from_image`, commit it as repository:tag.

        The host folders in `mounts` are bind-mounted read-only and are not part of the result, so a
        wheelhouse can be installed from without being copied into a layer. `changes` are Dockerfile
        instructions for the committed image (ENTRYPOINT, CMD, USER, ENV, WORKDIR, LABEL).

        Returns the new image's id. Raises `BuildStepFailed` with the script's output when it exits non-zero.
        """
        import docker.errors
        from docker.types import Mount

        name = name or container_name("pytest-faas-build", repository, tag)
        self._remove_by_name(name)
        container = self.client.containers.create(
            from_image,
            command=[script],
            entrypoint=["/bin/sh", "-c"],
            user="0",
            working_dir="/",
            network_mode="none",
            # Mounts, not volumes=: volumes= would also write VOLUME entries into the committed image.
            mounts=[Mount(target=inside, source=str(host), type="bind", read_only=True)
                    for host, inside in (mounts or {}).items()],
            name=name,
        )
        try:
            try:
                container.start()
            except docker.errors.APIError as exc:
                raise BuildStepFailed(f"cannot run a build step in {from_image}", -1,
                                      str(exc.explanation or exc)) from exc
            output = _follow(container, on_line)
            code = container.wait().get("StatusCode", -1)
            if code != 0:
                raise BuildStepFailed(f"build step for {repository}:{tag} exited {code}", code, output)
            image = container.commit(repository=repository, tag=tag, changes=list(changes))
            return image.id
        finally:
            ignore_conflict(lambda: ignore_not_found(lambda: container.remove(force=True)))

    def run_once(self, image: str, command: Sequence[str], *, user: str = "") -> ExecResult:
        """`docker run --rm --network none image command`: (exit code, output)."""
        import docker.errors

        container = self.client.containers.create(
            image, command=list(command), entrypoint=[], user=user, network_mode="none"
        )
        try:
            container.start()
            code = container.wait().get("StatusCode", -1)
            out = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
            return ExecResult(code, out)
        except docker.errors.APIError as exc:  # e.g. the command does not exist in the image
            return ExecResult(-1, str(exc.explanation or exc))
        finally:
            ignore_conflict(lambda: ignore_not_found(lambda: container.remove(force=True)))

    # ---- replicas -----------------------------------------------------------------------------------------

    def start_replica(self, spec: ReplicaSpec) -> Replica:
        """Start a warm container for one service replica (see `ReplicaSpec`)."""
        if spec.network not in ("none", "host"):
            raise ValueError(f"network must be 'none' or 'host', not {spec.network!r}")
        res = resources_for(spec.pod_type, self.cpus)
        memory = spec.memory or res.memory
        cpus = min(spec.cpus or res.cpus, float(self.cpus))
        env = {"HOME": f"/home/{RUNNER_USER}", "PYTHONUNBUFFERED": "1"}
        volumes = {}
        if spec.socket_dir is not None:
            socket_dir = Path(spec.socket_dir).resolve()
            _open_socket_dir(socket_dir)
            volumes[str(socket_dir)] = {"bind": RUN_DIR, "mode": "rw"}
            env["FAAS_SOCKET"] = f"{RUN_DIR}/{spec.socket_name}"
        for host, inside in spec.mounts.items():
            volumes[str(Path(host).resolve())] = {"bind": inside, "mode": "ro"}
        # The entry script starts the forwarder only when it has a socket and an address to serve;
        # with the host's network the agent talks to the platform's TCP port directly.
        env["FAAS_FORWARD_LISTEN"] = f"127.0.0.1:{FORWARD_PORT}" if spec.network == "none" else ""
        env.update(spec.environment)
        name = spec.name or container_name("faas", spec.platform_id, spec.service_id, spec.replica)
        self._remove_by_name(name, only_ours=True)
        import docker.errors

        try:
            container = self._run_replica(spec, name, env, volumes, memory, cpus)
        except docker.errors.APIError as exc:
            self._remove_by_name(name, only_ours=True)  # created but not started: leave nothing behind
            raise PlatformError(
                f"could not start a container for service {spec.service_id} from {spec.image}: "
                f"{exc.explanation or exc}") from exc
        log.debug("started %s from %s (%s cpu, %s, network %s)", name, spec.image, cpus, memory, spec.network)
        return Replica(container)

    def _run_replica(self, spec: ReplicaSpec, name: str, env: dict, volumes: dict, memory: str, cpus: float):
        tags = labels(spec.platform_id, spec.service_id, spec.replica)
        if spec.owner:
            tags[LABEL_OWNER] = spec.owner
        if spec.keep:
            tags[LABEL_KEEP] = "1"
        return self.client.containers.run(
            spec.image,
            command=list(spec.command) if spec.command else ["sleep", "infinity"],
            name=name,
            detach=True,
            labels=tags,
            environment=env,
            volumes=volumes,
            network_mode=spec.network,
            user=RUNNER_USER,
            mem_limit=memory,
            memswap_limit=memory,  # no swap: over the limit means OOM-killed, as in a pod
            nano_cpus=int(cpus * 1e9),
            pids_limit=4096,
            privileged=False,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            init=True,  # tini as PID 1: reaps zombies, forwards SIGTERM
        )

    def replicas(self, platform_id: str | None = None, service_id: str | None = None) -> list[Replica]:
        """Our containers (running or not), optionally of one platform / service."""
        filters = [f"{LABEL}=1"]
        if platform_id is not None:
            filters.append(f"{LABEL_PLATFORM}={platform_id}")
        if service_id is not None:
            filters.append(f"{LABEL_SERVICE}={service_id}")
        # ignore_removed: a container removed between the listing and its inspection (a replica's watcher
        # removes it as it exits) is simply not ours any more, not an error.
        listed = self.client.containers.list(all=True, filters={"label": filters}, ignore_removed=True)
        return [Replica(c) for c in listed]

    def sweep(self, platform_id: str | None = None) -> list[str]:
        """Remove every container labelled ``pytest-faas=1`` (of one platform, if given); their names."""
        removed = []
        for replica in self.replicas(platform_id):
            replica.remove()
            removed.append(replica.name)
        if removed:
            log.info("removed %d pytest-faas container(s): %s", len(removed), ", ".join(removed))
        return removed

    def sweep_orphans(self) -> list[str]:
        """Remove our containers whose owning process on this host is gone (a crashed or killed run), except
        those kept on purpose; their names."""
        removed = []
        for replica in self.replicas():
            if replica.labels.get(LABEL_KEEP) != "1" and owner_gone(replica.labels.get(LABEL_OWNER)):
                replica.remove()
                removed.append(replica.name)
        if removed:
            log.info("removed %d container(s) left by runs that are gone: %s", len(removed), ", ".join(removed))
        return removed

    def _remove_by_name(self, name: str, only_ours: bool = False) -> None:
        import docker.errors

        try:
            old = self.client.containers.get(name)
        except docker.errors.NotFound:
            return
        if only_ours and old.labels.get(LABEL) != "1":
            raise PlatformError(f"a container named {name!r} exists and is not pytest-faas's; remove or rename it")
        log.debug("removing stale container %s", name)
        ignore_conflict(lambda: ignore_not_found(lambda: old.remove(force=True)))


def _follow(container, on_line) -> str:
    """A running container's output until it exits, each complete line also handed to ``on_line``."""
    lines: list[str] = []
    buffer = ""
    for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
        buffer += chunk.decode("utf-8", "replace")
        *complete, buffer = buffer.split("\n")
        for line in complete:
            lines.append(line)
            if on_line:
                on_line(line)
    if buffer:
        lines.append(buffer)
    return "\n".join(lines)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__

