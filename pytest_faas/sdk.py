"""Point the real dtlpy SDK at a local platform, with a private ``DATALOOP_PATH``, and put it back after.

This is the only module that knows dtlpy's configuration knobs. dtlpy keeps its login in
``$DATALOOP_PATH/cookie.json`` (default ``~/.dataloop``) and reads that path at import time, so binding
either sets the variable before dtlpy is first imported, or, when the user imported dtlpy already, swaps
the client's cookie file for a private one. Either way the user's own login is never read or written.
"""

from __future__ import annotations

import logging
import os

from . import tokens
from .backend.records import LOCAL_USER
from .tokens import DEFAULT_LIFETIME_S

log = logging.getLogger(__name__)

ALIAS = "faas-local"
# The client attributes that cache what the cookie says; reset so that the new cookie is read.
_CACHED = ("_environments", "_environment", "_token", "_verbose", "_cache_state", "_attributes_mode",
           "_sdk_cache", "_fetch_entities", "_ApiClient__gate_url_for_requests")


def make_token(email: str = LOCAL_USER, secret: str | None = None, lifetime_s: int = DEFAULT_LIFETIME_S) -> str:
    """A platform token for ``email`` (see :mod:`pytest_faas.tokens`)."""
    return tokens.make_token(LOCAL_USER if email is None else email, secret, lifetime_s)


class DtlpyBinding:
    """dtlpy pointed at one platform until :meth:`restore`.

    Args:
        url: the platform's base URL, e.g. ``http://127.0.0.1:8123`` (``/api/v1`` is added).
        token: the bearer token the platform accepts.
        dataloop_path: a private folder for dtlpy's cookie, logs and default download paths.
    """

    def __init__(self, url: str, token: str, dataloop_path: str):
        self.url = url.rstrip("/")
        self.api_url = f"{self.url}/api/v1"
        self.token = token
        self.dataloop_path = str(dataloop_path)
        self._saved: dict | None = None

    def activate(self):
        """Bind dtlpy and return the ``dtlpy`` module."""
        os.makedirs(self.dataloop_path, exist_ok=True)
        saved_env = os.environ.get("DATALOOP_PATH")
        os.environ["DATALOOP_PATH"] = self.dataloop_path
        import dtlpy as dl  # noqa: PLC0415 (heavy; only when a platform is actually used)
        from dtlpy.services import cookie, service_defaults  # noqa: PLC0415

        client = dl.client_api
        dtlpy_logger = logging.getLogger("dtlpy")
        self._saved = {
            "env": saved_env,
            "cookie_io": client.cookie_io,
            "attrs": {name: getattr(client, name, None) for name in _CACHED},
            "refresh_token_active": client.refresh_token_active,
            "defaults_path": service_defaults.DATALOOP_PATH,
            "cookie_path": cookie.DATALOOP_PATH,
            "logger_level": dtlpy_logger.level,
        }
        # dtlpy logs every request at DEBUG to a file; in a test run that is disk I/O per call and pages of
        # noise in pytest's captured-log section of every failure. INFO keeps what a person would read.
        dtlpy_logger.setLevel(logging.INFO)
        service_defaults.DATALOOP_PATH = cookie.DATALOOP_PATH = self.dataloop_path
        client.cookie_io = cookie.CookieIO(os.path.join(self.dataloop_path, "cookie.json"))
        for name in _CACHED:
            setattr(client, name, None)
        client.add_environment(self.api_url, alias=ALIAS, gate_url=self.url, url=self.url + "/")
        client.setenv(ALIAS)
        client.token = self.token
        # Progress bars would print into the user's captured output; they persist in the private cookie.
        verbose_type = type(dl.verbose)
        for name in dir(verbose_type):  # one switch per kind of bar: uploads, downloads, pages, commands...
            switch = getattr(verbose_type, name)
            if name.startswith("disable_progress_bar") and isinstance(switch, property) and switch.fset:
                setattr(dl.verbose, name, True)
        dl.verbose.logging_level = "warning"
        return dl

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
        service_defaults.DATALOOP_PATH = saved["defaults_path"]
        cookie.DATALOOP_PATH = saved["cookie_path"]
        if saved["env"] is None:
            os.environ.pop("DATALOOP_PATH", None)
        else:
            os.environ["DATALOOP_PATH"] = saved["env"]

    def environment(self) -> dict[str, str]:
        """Environment variables that point a *child process's* dtlpy at this platform."""
        return {"DATALOOP_PATH": self.dataloop_path}
