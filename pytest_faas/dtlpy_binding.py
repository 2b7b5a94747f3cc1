"""Point the real dtlpy SDK at a local platform, with a private ``DATALOOP_PATH``, and put it back after.

This is the only module that knows dtlpy's configuration knobs. dtlpy keeps its login in
``$DATALOOP_PATH/cookie.json`` (default ``~/.dataloop``) and reads that path at import time, so binding
either sets the variable before dtlpy is first imported, or, when the user imported dtlpy already, swaps
the client's cookie file for a private one. Either way the user's own login is never read or written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading

from . import tokens
from .handle import api_url, gate_url
from .tokens import DEFAULT_LIFETIME_S, LOCAL_USER

log = logging.getLogger(__name__)

ALIAS = "faas-local"
_ENV = ("DATALOOP_PATH", "DEFAULT_CACHE_PATH")  # set while bound, put back by restore
# The client attributes that cache what the cookie says; reset so that the new cookie is read.
_CACHED = ("_environments", "_environment", "_token", "_verbose", "_cache_state", "_attributes_mode",
           "_sdk_cache", "_fetch_entities", "_ApiClient__gate_url_for_requests")


class HarnessChatter(logging.Filter):
    """Drops what dtlpy logs about the harness's own calls (a push without sanity check is deliberate, the
    token is set after dtlpy warns it is missing, the cookie is private); everything else passes, so what
    the user's code makes dtlpy say is kept."""

    PREFIXES = ("Pushing a package without sanity check", "verify attribute has been deprecated",
                "Token expired, Please login.", "Platform environment:", "Alias exists. Overwriting.",
                "COOKIE.", "Key not in platform cookie file", "clean_dataloop_cache_thread")

    def __init__(self):
        super().__init__()
        self._local = threading.local()

    @contextlib.contextmanager
    def harness_call(self):
        """While the block runs, this thread's dtlpy INFO lines are the harness's (a push's "Uploading 1
        items.."), not the user's: dropped. Warnings and errors still pass."""
        before = getattr(self._local, "harness", False)
        self._local.harness = True
        try:
            yield
        finally:
            self._local.harness = before

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.INFO and getattr(self._local, "harness", False):
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, never ours
            return True
        return not message.startswith(self.PREFIXES) and "has been added to project name" not in message


CHATTER = HarnessChatter()


def _put_back(saved_env: dict[str, str | None]) -> None:
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def keep_dataloop_private():
    """Point dtlpy at a private folder until the returned undo is called, for the imports that come before
    any binding: a test module that imports the package's ``main.py`` at collection imports dtlpy, which then
    reads ``~/.dataloop/cookie.json`` (the user's login) and, in dtlpy 1.110 to 1.124, starts a thread that
    posts the SDK version to whatever environment and token that cookie holds (docs/dtlpy-versions.md)."""
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    saved = {name: os.environ.get(name) for name in _ENV}
    folder = tempfile.mkdtemp(prefix="faas-dtlpy-imports-")
    for name in _ENV:
        os.environ[name] = folder

    def undo() -> None:
        _put_back(saved)
        shutil.rmtree(folder, ignore_errors=True)

    return undo


def make_token(email: str = LOCAL_USER, secret: str | None = None, lifetime_s: int = DEFAULT_LIFETIME_S) -> str:
    """A platform token for ``email`` (see :mod:`pytest_faas.tokens`)."""
    return tokens.make_token(LOCAL_USER if email is None else email, secret, lifetime_s)


EVENT_LOOP_START_S = 5.0  # bound on waiting for dtlpy's event loop thread to run


def _start_event_loop(client) -> None:
    """dtlpy makes its upload event loop on first use (a package push, an item upload) and then sleeps one
    whole second for its thread to start. Started here and waited for only until it runs (a millisecond),
    that second is spared in every process that pushes or uploads; dtlpy finds its loop running and keeps it."""
    if getattr(client, "_event_loop", None) is not None:
        return
    import asyncio  # noqa: PLC0415

    from dtlpy.services.async_utils import AsyncThreadEventLoop  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    running = threading.Event()
    loop.call_soon(running.set)  # the first callback the loop runs
    thread = AsyncThreadEventLoop(loop=loop, n=client._num_processes)
    thread.daemon = True
    thread.start()
    if not running.wait(EVENT_LOOP_START_S):
        loop.call_soon_threadsafe(loop.stop)  # dtlpy will make its own, as it would have
        return
    check_fork = getattr(client, "_check_fork", None)  # from 1.122: what dtlpy does first on each use
    if check_fork is not None:
        check_fork()  # a forked child makes its own loop
    with client.lock:
        if client._event_loop is None:
            client._event_loop = thread
            return
    loop.call_soon_threadsafe(loop.stop)  # another thread made one meanwhile


class DtlpyBinding:
    """dtlpy pointed at one platform until :meth:`restore`.

    Args:
        url: the platform's gate URL, e.g. ``http://127.0.0.1:8123`` (``/api/v1`` is added; an API base is
            taken as its gate URL).
        token: the bearer token the platform accepts.
        dataloop_path: a private folder for dtlpy's cookie, logs and default download paths.
    """

    def __init__(self, url: str, token: str, dataloop_path: str):
        self.url = gate_url(url)
        self.api_url = api_url(url)
        self.token = token
        self.dataloop_path = str(dataloop_path)
        self._saved: dict | None = None
        self._filtered = False

    def activate(self):
        """Bind dtlpy and return the ``dtlpy`` module."""
        os.makedirs(self.dataloop_path, exist_ok=True)
        dtlpy_logger = logging.getLogger("dtlpy")
        self._filtered = CHATTER not in dtlpy_logger.filters  # before the import: it reads its cookie then
        if self._filtered:
            dtlpy_logger.addFilter(CHATTER)
        saved_env = {name: os.environ.get(name) for name in _ENV}
        os.environ["DATALOOP_PATH"] = self.dataloop_path
        import dtlpy as dl  # noqa: PLC0415 (heavy; only when a platform is actually used)
        from dtlpy.services import cookie, service_defaults  # noqa: PLC0415

        client = dl.client_api
        self._saved = {
            "env": saved_env,
            "cookie_io": client.cookie_io,
            "attrs": {name: getattr(client, name, None) for name in _CACHED},
            "refresh_token_active": client.refresh_token_active,
            "defaults_path": service_defaults.DATALOOP_PATH,
            "cookie_path": cookie.DATALOOP_PATH,
            "logger_level": dtlpy_logger.level,
            # dtlpy packs a pushed codebase in ./.dataloop (its own choice of folder, not configurable) and
            # leaves the folder behind; one that was not there before the binding is removed when empty.
            "work_dotdir": None if os.path.isdir(".dataloop") else os.path.abspath(".dataloop"),
        }
        # dtlpy logs every request at DEBUG to a file; in a test run that is disk I/O per call and pages of
        # noise in pytest's captured-log section of every failure. INFO keeps what a person would read.
        dtlpy_logger.setLevel(logging.INFO)
        service_defaults.DATALOOP_PATH = cookie.DATALOOP_PATH = self.dataloop_path
        client.cookie_io = cookie.CookieIO(os.path.join(self.dataloop_path, "cookie.json"))
        for name in _CACHED:
            setattr(client, name, None)
        self._private_caches(client)
        self._forget_lookups(dl)
        self._add_environment(client)
        client.setenv(ALIAS)
        client.token = self.token
        # Progress bars would print into the user's captured output; they persist in the private cookie.
        verbose_type = type(dl.verbose)
        for name in dir(verbose_type):  # one switch per kind of bar: uploads, downloads, pages, commands...
            switch = getattr(verbose_type, name)
            if name.startswith("disable_progress_bar") and isinstance(switch, property) and switch.fset:
                setattr(dl.verbose, name, True)
        dl.verbose.logging_level = "warning"
        _start_event_loop(client)
        return dl

    def _add_environment(self, client) -> None:
        # From 1.117 dtlpy drops an environment whose alias a new one takes; before, both stayed (in a dict that
        # outlives the cookie), and setenv then refused the alias. So the alias's earlier platforms go here.
        environments = client.environments
        stale = [url for url, entry in environments.items() if entry.get("alias") == ALIAS and url != self.api_url]
        if stale:
            for url in stale:
                environments.pop(url)
            client.environments = environments
        client.add_environment(self.api_url, alias=ALIAS, gate_url=self.url, url=self.url + "/")

    @staticmethod
    def _forget_lookups(dl) -> None:
        # The module-level repositories live as long as the process: dl.packages' empty project keeps the
        # Binaries dataset its codebases found (docs/platform.md#no-project-given). Another platform has
        # other ids, so a binding starts them afresh.
        for repository in (getattr(dl, "packages", None), getattr(dl, "services", None)):
            # vars(): before 1.122 ``project`` is a property that fetches the checked-out project, or raises.
            project = vars(repository).get("project", vars(repository).get("_project")) if repository else None
            if project is not None and getattr(project, "_repositories_cache", None) is not None:
                project._repositories_cache = None

    def _private_caches(self, client) -> None:
        # dtlpy's caches default to ~/.dataloop whatever DATALOOP_PATH says: item.download() with no path
        # writes under <cache_path_bin>/items/..., and its entity caches under DEFAULT_CACHE_PATH.
        cache = client.sdk_cache  # made afresh from the private cookie
        cache._cache_path = os.path.join(self.dataloop_path, "obj_cache")  # no public setter
        cache._cache_path_bin = self.dataloop_path
        cache.to_cookie()
        os.environ["DEFAULT_CACHE_PATH"] = self.dataloop_path

    def restore(self) -> None:
        """Put dtlpy back as it was before :meth:`activate`."""
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        import dtlpy as dl  # noqa: PLC0415
        from dtlpy.services import cookie, service_defaults  # noqa: PLC0415

        client = dl.client_api
        client.cookie_io = saved["cookie_io"]
        for name, value in saved["attrs"].items():
            setattr(client, name, value)
        client.refresh_token_active = saved["refresh_token_active"]
        logging.getLogger("dtlpy").setLevel(saved["logger_level"])
        if self._filtered:
            logging.getLogger("dtlpy").removeFilter(CHATTER)
        service_defaults.DATALOOP_PATH = saved["defaults_path"]
        cookie.DATALOOP_PATH = saved["cookie_path"]
        if saved["work_dotdir"] is not None:
            try:
                os.rmdir(saved["work_dotdir"])  # only when empty: a concurrent push's zip keeps it
            except OSError:
                pass
        _put_back(saved["env"])

    def environment(self) -> dict[str, str]:
        """Environment variables that point a *child process's* dtlpy at this platform."""
        return {"DATALOOP_PATH": self.dataloop_path, "DEFAULT_CACHE_PATH": self.dataloop_path}
