"""The agent's HTTP client of the platform: one kept-alive ``requests`` session, JSON in and out.

The agent talks to the platform only through this (and through dtlpy, inside the user's code), in every
placement. Connection errors are retried briefly, because a platform that is restarting comes back on the
same address; a platform that stays away ends the agent (:class:`PlatformGone`).
"""

from __future__ import annotations

import logging
import time

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)


class PlatformGone(Exception):
    """The platform cannot be reached, or no longer knows this agent: the agent must exit."""


class RequestFailed(Exception):
    """The platform refused a request; ``status`` and ``message`` are what it answered."""

    def __init__(self, method: str, path: str, status: int, message: str):
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.message = message


class PlatformClient:
    """JSON calls to ``<url>/<path>`` with the bearer token.

    Args:
        url: the API base, ``http://host:port/api/v1``.
        token: the platform's bearer token.
        pool: connections to keep (one per concurrent execution, plus the agent's own long-polls).
        retry_s: how long to keep retrying a connection error before giving up.
        transport: a ``requests`` transport adapter to use for the platform's URL instead of HTTP.
    """

    def __init__(self, url: str, token: str, pool: int = 16, retry_s: float = 5.0, transport=None):
        self.url = url.rstrip("/")
        self.transport = transport
        self.retry_s = retry_s
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "X-Faas-Agent": "1"})
        self.session.trust_env = False  # loopback only; a proxy from the environment would only get in the way
        self.resize(pool)

    def resize(self, pool: int) -> None:
        """Keep up to ``pool`` connections (one per concurrent execution, plus the agent's long-polls)."""
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if self.transport is not None:  # the longest matching prefix wins: the platform's URL goes here
            self.session.mount(self.url, self.transport)

    def call(self, method: str, path: str, body=None, timeout: float = 60.0):
        """One call; returns the decoded JSON answer (None for an empty body)."""
        deadline = time.monotonic() + self.retry_s
        pause = 0.05
        while True:
            try:
                response = self.session.request(method, self.url + path, json=body, timeout=timeout)
                break
            except requests.ConnectionError as exc:
                if time.monotonic() >= deadline:
                    raise PlatformGone(f"the platform at {self.url} cannot be reached: {exc}") from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
        if response.status_code == 410:
            raise PlatformGone(response.json().get("message", "this agent is no longer registered"))
        if not response.ok:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise RequestFailed(method, path, response.status_code, message)
        return response.json() if response.content else None

    def post(self, path: str, body=None, timeout: float = 60.0):
        return self.call("POST", path, body if body is not None else {}, timeout)

    def get(self, path: str, timeout: float = 60.0):
        return self.call("GET", path, None, timeout)

    def delete(self, path: str, timeout: float = 10.0):
        return self.call("DELETE", path, None, timeout)

    def close(self) -> None:
        self.session.close()
