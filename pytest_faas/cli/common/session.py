"""One command's connection to a platform, and the lookups every noun group shares.

Embedded mode (the default) opens `LocalPlatform` on the data dir for the length of the command; URL mode
binds dtlpy to a running `faas serve` through a `RemotePlatform`. Either way the session is a platform
handle (:class:`pytest_faas.handle.Platform`) and the commands see one thing: ``session.dl``, the real
dtlpy module pointed at the platform with a private ``DATALOOP_PATH``. dtlpy is imported only when a
command first needs it, so ``faas --help`` and ``faas packages generate`` stay fast.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urlsplit

import click

from ...handle import Platform, gate_url
from .datadir import DataDir

log = logging.getLogger(__name__)

TERMINAL = {"success", "failed", "terminated", "aborted", "canceled", "system-failure"}
_ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass
class Options:
    data_dir: str
    url: str | None = None
    token: str | None = None
    project: str | None = None
    as_json: bool = False
    verbose: bool = False


def is_id(text: str | None) -> bool:
    return bool(text and _ID.match(text))


def by_id_or_name(session, repository, kind: str, name_or_id: str):
    """``repository.get`` by id when ``name_or_id`` looks like one and names an entity, else by name
    (a name may look like an id): ``by_id_or_name(session, project.datasets, "dataset", "cats")``."""
    if is_id(name_or_id):
        try:
            return repository.get(**{f"{kind}_id": name_or_id})
        except session.dl.exceptions.NotFound:
            pass
    return repository.get(**{f"{kind}_name": name_or_id})


class Session:
    """A command's platform handle: opened on first use of ``dl`` (or of the other handle attributes)."""

    def __init__(self, options: Options):
        self.options = options
        self.data_dir = DataDir(options.data_dir)
        self.platform: Platform | None = None  # a LocalPlatform (embedded) or a RemotePlatform (URL mode)
        self._quiet = None
        self.started = time.time()

    # -- connection -------------------------------------------------------------------------------------

    @property
    def embedded(self) -> bool:
        """The platform runs in this command's process (and its functions only while the command does)."""
        return self.platform is not None and self.platform.app is not None

    def _opened(self) -> Platform:
        if self.platform is None:
            self._open()
        return self.platform

    @property
    def dl(self):
        return self._opened().dl

    @property
    def url(self) -> str:
        """The API base, ``http://host:port/api/v1``."""
        return self._opened().url

    @property
    def base_url(self) -> str:
        return self._opened().base_url

    @property
    def token(self) -> str:
        return self._opened().token

    @property
    def app(self):
        return self._opened().app

    def _open(self) -> None:
        self._quiet = quiet_dtlpy(self.options.verbose)
        self._quiet.__enter__()
        url = self.options.url
        if url is None and not self.data_dir.acquire():
            url = self.data_dir.running_server()
            if url is None:
                raise click.ClickException(
                    f"the data dir {self.data_dir.path} is in use by another faas command; wait for it to "
                    "finish, or start `faas serve` on it and let every command share that server")
        if url is not None:
            self._connect(url)
        else:
            self._start_embedded()
        if not self.options.verbose:
            logging.getLogger("dtlpy").setLevel(logging.CRITICAL)  # binding dtlpy may have reset it

    def _start_embedded(self) -> None:
        from ...local import LocalPlatform  # noqa: PLC0415 (heavy: werkzeug, dtlpy)

        # Functions run in this process (the thread placement) for as long as the command does.
        self.platform = LocalPlatform(data_dir=self.data_dir.path, placement="thread").start()

    def _connect(self, url: str) -> None:
        from ...local import RemotePlatform  # noqa: PLC0415 (heavy: dtlpy)

        url = gate_url(url)
        token = self.options.token or self.data_dir.token()
        if not token:
            raise click.ClickException(
                f"no token for {url}: pass --token (or FAAS_TOKEN) as `faas serve` printed it, or "
                "--data-dir of that server so that the token is read from its token file")
        _reachable(url)
        self.platform = RemotePlatform(url, token, folder_prefix="faas-cli-dtlpy-")

    def close(self) -> None:
        if self.platform is not None:
            self.platform.close()
            self.platform = None
        self.data_dir.release()
        if self._quiet is not None:
            self._quiet.__exit__(None, None, None)
            self._quiet = None

    # -- current entities -------------------------------------------------------------------------------

    def project(self, name_or_id: str | None = None):
        """The project named on the command line (or ``--project``), else the checked-out one."""
        wanted = name_or_id or self.options.project
        if wanted:
            return self.find_project(wanted)
        current = self.data_dir.current("project")
        if current is None:
            raise click.ClickException("no checked-out project: run `faas projects create NAME` or "
                                       "`faas projects checkout NAME`, or pass --project")
        try:
            return self.dl.projects.get(project_id=current["id"])
        except self.dl.exceptions.NotFound:
            raise click.ClickException(
                f"the checked-out project {current['name']!r} ({current['id']}) is not on this platform; "
                "run `faas projects checkout NAME` or pass --project") from None

    def find_project(self, name_or_id: str):
        return by_id_or_name(self, self.dl.projects, "project", name_or_id)

    def package(self, project, name: str | None = None):
        name = name or (self.data_dir.current("package") or {}).get("name")
        if name is None:
            raise click.ClickException("no package given: pass --package-name, or run `faas packages push` first")
        return project.packages.get(package_name=name)

    def service(self, project, name: str | None = None):
        name = name or (self.data_dir.current("service") or {}).get("name")
        if name is None:
            raise click.ClickException("no service given: pass --service-name, or run `faas packages deploy` "
                                       "first (the last deployed service is the default)")
        return project.services.get(service_name=name)

    def dataset(self, project, name_or_id: str | None = None):
        if name_or_id:
            return by_id_or_name(self, project.datasets, "dataset", name_or_id)
        datasets = list(project.datasets.list())
        if len(datasets) == 1:
            return datasets[0]
        if not datasets:
            raise click.ClickException(f"project {project.name!r} has no dataset: run "
                                       "`faas datasets create NAME`")
        names = ", ".join(d.name for d in datasets)
        raise click.ClickException(f"project {project.name!r} has several datasets ({names}): pass --dataset NAME")

    # -- executions -------------------------------------------------------------------------------------

    def executions_since(self, project, since: float) -> list:
        """Executions of ``project`` created after ``since`` (epoch seconds): what this command caused."""
        dl = self.dl
        filters = dl.Filters(resource=dl.FiltersResource.EXECUTION)
        filters.add(field="createdAt", values=_iso(since), operator=dl.FiltersOperations.GREATER_THAN_OR_EQUAL)
        return list(project.executions.list(filters=filters).all())

    def poll(self, execution_ids: list[str], timeout: float, interval: float = 0.2) -> Iterator[list]:
        """Yield the executions' current records until all are terminal or ``timeout`` passes.

        Polls faster than ``execution.wait()`` (2 s, 4 s, ... backoff): a local run often ends in
        milliseconds. The caller sees every snapshot, and the last one is returned again at the end.
        """
        deadline = time.monotonic() + timeout
        while True:
            records = [self.dl.executions.get(execution_id=eid) for eid in execution_ids]
            yield records
            if all(status_of(e) in TERMINAL for e in records) or time.monotonic() >= deadline:
                return
            time.sleep(interval)


@contextlib.contextmanager
def quiet_dtlpy(verbose: bool = False):
    """dtlpy logs what it raises (and warns about what the CLI does on purpose); the CLI says it once."""
    dtlpy_log = logging.getLogger("dtlpy")
    saved = dtlpy_log.level
    if not verbose:
        dtlpy_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        dtlpy_log.setLevel(saved)


def _reachable(url: str, timeout_s: float = 3.0) -> None:
    """Fail fast on a server that is not there (dtlpy would retry a refused connection for ~30 s)."""
    parsed = urlsplit(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 80), timeout=timeout_s).close()
    except OSError as exc:
        raise click.ClickException(f"cannot reach the platform at {url}: is `faas serve` running there? "
                                   f"({exc.strerror or exc})") from None


def status_of(execution) -> str:
    latest = getattr(execution, "latest_status", None) or {}
    return str(latest.get("status") or "created")


def _iso(epoch: float) -> str:
    import datetime as dt  # noqa: PLC0415

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
