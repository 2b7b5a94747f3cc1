"""The two platform handles (see :mod:`pytest_faas.handle`), shared by the pytest plugin, the fixtures and
the `faas` command.

`LocalPlatform` is the composition root: it starts a :class:`~pytest_faas.backend.Backend` on loopback,
optionally binds the in-process dtlpy to it (private ``DATALOOP_PATH``, a fake token), attaches the runtime
placements, and undoes all of that on close. `RemotePlatform` is a platform running elsewhere (`faas
serve`), with this process's dtlpy bound to it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from .backend import Backend
from .handle import api_url, gate_url
from .dtlpy_binding import DtlpyBinding, make_token

log = logging.getLogger(__name__)

TOKEN_FILE = "token"


def _load_or_make_token(data_dir: Path | None) -> str:
    """A data dir keeps its token, so a restarted `faas serve` accepts the clients it accepted before."""
    if data_dir is None:
        return make_token()
    path = data_dir / TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    token = make_token()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created 0600 in one call (never readable by others, not even between a write and a chmod).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token)
    return token


class LocalPlatform:
    """A running local platform, usable as a context manager.

    Args:
        data_dir: keep the platform's data here (it survives restarts); ``None`` for a temporary folder.
        host: address to listen on; loopback unless told otherwise.
        port: TCP port; 0 picks a free one.
        bind_sdk: point this process's dtlpy at the platform while it runs. Functions in the ``thread``
            placement use this process's dtlpy, so that placement binds it whatever this says.
        durable: with ``data_dir=None``, False keeps documents in memory only (faster).
        placement: where functions run: ``thread`` (in this process), ``subprocess`` (a process per
            replica), or ``"none"`` for no runners (executions wait for agents started elsewhere). By
            default ``thread``, or ``subprocess`` with ``bind_sdk=False``: then this process's dtlpy is
            left alone, and something else may bind it while functions run.
            ``docker`` runs each replica in a container (needs a Docker engine: `faas docker setup`).
        container_network: for ``docker``: ``none`` (the default: containers reach only the platform, through
            its Unix socket) or ``host``.
        keep_containers: for ``docker``: leave the containers in place on close, for inspection.
        service_env: environment variables every service's code runs with (an env file's; a service's own,
            set with ``PUT /_faas/services/{id}/env``, override them).
        **engine_options: for the FaaS engine (``clock``, ``lease_s``, ``get_grace_s``).

    Example:
        >>> with LocalPlatform() as platform:          # doctest: +SKIP
        ...     project = platform.dl.projects.create("demo")
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 bind_sdk: bool = True, durable: bool = True, placement: str | None = None,
                 container_network: str = "none", keep_containers: bool = False,
                 service_env: dict[str, str] | None = None, **engine_options):
        self.data_dir = Path(data_dir) if data_dir is not None else None
        if placement is None:
            placement = "thread" if bind_sdk else "subprocess"
        self.placement = None if placement == "none" else placement
        self.engine_options = engine_options
        self.service_env = dict(service_env or {})
        self.container_network = container_network
        self.keep_containers = keep_containers
        self.supervisor = None
        self._runtime_dir: str | None = None
        self.host = host
        self.port = port
        self.bind_sdk = bind_sdk
        self.durable = durable
        self.token = _load_or_make_token(self.data_dir)
        self.backend: Backend | None = None
        self.dl = None
        self._binding: DtlpyBinding | None = None
        self._dataloop_path: str | None = None
        self._server = None

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> "LocalPlatform":
        if self.backend is not None:
            return self
        self.backend = Backend(self.token, self.data_dir, durable=self.durable or self.data_dir is not None,
                               service_env=self.service_env, **self.engine_options)
        try:
            self._server = self.backend.serve(self.host, self.port)
            if self.bind_sdk or self.placement == "thread":
                self._dataloop_path = tempfile.mkdtemp(prefix="faas-dtlpy-")
                # The process's dtlpy is the one a thread-placement function uses: it gets the function's token,
                # which reaches the Dataloop API and not the harness's own routes (seed, cron, waits).
                self._binding = DtlpyBinding(self.base_url, self.backend.function_token, self._dataloop_path)
                self.dl = self._binding.activate()
            if self.placement is not None:
                self._start_placements()
        except BaseException:
            self.close()
            raise
        log.info("local platform at %s (data in %s)", self.url, self.backend.data_dir)
        return self

    def _start_placements(self) -> None:
        """Connect the engine to the runtime placement; it reports dead replicas back to the engine."""
        from .placements import NAMES  # noqa: PLC0415
        from .placements.scratch import make_runtime_dir  # noqa: PLC0415

        if self.placement not in NAMES:
            raise ValueError(f"unknown placement {self.placement!r}; choose one of {', '.join(NAMES)}")
        self._runtime_dir = str(make_runtime_dir())  # and sweeps those of platforms killed before closing
        # Agents get the agent token: the agents' protocol and the Dataloop API, not the harness's routes.
        died, work_dir = self.backend.engine.replica_died, Path(self._runtime_dir)
        if self.placement == "docker":
            self.supervisor = self._docker_placement()
        elif self.placement == "thread":
            from .backend.web.inprocess import InProcessAdapter  # noqa: PLC0415
            from .placements.thread import ThreadPlacement  # noqa: PLC0415

            # Agents in this process speak the same protocol to the same app, without a socket.
            self.supervisor = ThreadPlacement(self.url, self.backend.agent_token, died, work_dir,
                                              transport=InProcessAdapter(self.backend.app))
        else:
            from .placements.process import SubprocessPlacement  # noqa: PLC0415

            self.supervisor = SubprocessPlacement(self.url, self.backend.agent_token, died, work_dir,
                                                  data_dir=self.backend.data_dir)
        self.backend.engine.attach(self.supervisor)

    def _docker_placement(self):
        """Containers reach the platform through a Unix socket in a folder of their own, bind-mounted into
        each of them: with no network of their own, that socket is all they can reach."""
        from .ids import new_id  # noqa: PLC0415
        from .placements.docker.containers import DockerPlacement  # noqa: PLC0415 (the docker SDK, only when asked)

        socket_dir = Path(self._runtime_dir) / "run"
        socket_dir.mkdir()
        self.backend.serve(f"unix://{socket_dir / 'platform.sock'}")
        return DockerPlacement(self.url, self.backend.agent_token, self.backend.engine.replica_died,
                               self.backend.engine.service_failed, Path(self._runtime_dir), socket_dir=socket_dir,
                               platform_id=new_id()[-12:], network=self.container_network, keep=self.keep_containers)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.engine.detach()  # agents stop claiming; nothing restarts from here on
        if self.supervisor is not None:
            self.supervisor.close()
            self.supervisor = None
        if self._runtime_dir is not None:
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
            self._runtime_dir = None
        if self._binding is not None:
            self._binding.restore()
            self._binding = None
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        if self._dataloop_path is not None:
            shutil.rmtree(self._dataloop_path, ignore_errors=True)
            self._dataloop_path = None
        self.dl = None

    def __enter__(self) -> "LocalPlatform":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- addresses ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port``: the gate URL."""
        if self._server is None:
            raise RuntimeError("the platform is not running; call start() or use it in a with block")
        return self._server.url

    @property
    def url(self) -> str:
        """The API base dtlpy uses: ``http://host:port/api/v1``."""
        return api_url(self.base_url)

    @property
    def app(self):
        """The platform's WSGI app, for clients in this process that call it without a socket."""
        return self.backend.app if self.backend is not None else None

    def client_lines(self, token_expression: str | None = None) -> list[str]:
        """The exact Python lines that point dtlpy (and so `dlp`, which keeps the same DATALOOP_PATH) at this
        platform; the token as ``token_expression`` when given (``open(...).read()``), else written out."""
        token = token_expression or repr(self.token)
        return [
            f'dl.add_environment("{self.url}", alias="faas-local", gate_url="{self.base_url}", '
            f'url="{self.base_url}/")',
            'dl.setenv("faas-local")',
            f"dl.login_token({token})",
        ]


class RemotePlatform:
    """A platform running elsewhere (`faas serve`), with this process's dtlpy bound to it until :meth:`close`.

    Args:
        url: the server's gate URL or API base (``/api/v1`` may be given or not).
        token: the token the server accepts (`faas serve` prints it and keeps it in ``<data-dir>/token``).
        folder_prefix: names the private ``DATALOOP_PATH`` folder, so that one left behind says who made it.
    """

    app = None  # never in this process: every call goes over HTTP

    def __init__(self, url: str, token: str, *, folder_prefix: str = "faas-dtlpy-"):
        self.base_url = gate_url(url)
        self.url = api_url(url)
        self.token = token
        self._dataloop_path = tempfile.mkdtemp(prefix=folder_prefix)
        self._binding: DtlpyBinding | None = DtlpyBinding(self.base_url, token, self._dataloop_path)
        try:
            self.dl = self._binding.activate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._binding is not None:
            self._binding.restore()
            self._binding = None
        shutil.rmtree(self._dataloop_path, ignore_errors=True)
        self.dl = None
