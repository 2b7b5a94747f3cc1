"""The platform handle: what every user of a running platform holds, and the one place the API prefix is known.

A handle is a `LocalPlatform` (the platform runs in this process), a `RemotePlatform` (a `faas serve`
elsewhere), or the `faas` command's session, which holds one of those. The generated cases' runner, the
fixtures and the CLI read the same five things of it, whichever it is: the API base ``url``, the gate
``base_url``, the ``token``, ``dl`` (the dtlpy module bound to that platform) and ``app`` (the platform's
WSGI app when it runs in this process, for calls without a socket; ``None`` otherwise).

The platform answers under ``/api/v1``: the server mounts its routes there, clients add it to the gate URL
(dtlpy is given both), agents strip it to bind their own dtlpy. All of them go through this module.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

API_PREFIX = "/api/v1"


def gate_url(url: str) -> str:
    """``http://host:port`` from a gate URL or an API base (with or without ``/api/v1`` and a slash)."""
    return url.rstrip("/").removesuffix(API_PREFIX).rstrip("/")


def api_url(url: str) -> str:
    """``http://host:port/api/v1`` from a gate URL or an API base: adding the prefix twice is impossible."""
    return gate_url(url) + API_PREFIX


@runtime_checkable
class Platform(Protocol):
    """A running platform, as its users see it."""

    @property
    def url(self) -> str:
        """The API base: ``http://host:port/api/v1``."""

    @property
    def base_url(self) -> str:
        """The gate URL: ``http://host:port``."""

    @property
    def token(self) -> str:
        """The bearer token the platform accepts."""

    @property
    def dl(self) -> Any:
        """The ``dtlpy`` module, bound to this platform with a private ``DATALOOP_PATH``."""

    @property
    def app(self) -> Callable | None:
        """The platform's WSGI app when it runs in this process; ``None`` when it runs elsewhere."""

    def close(self) -> None:
        """Release what the handle holds (and stop the platform, when the handle started it)."""
