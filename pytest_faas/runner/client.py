"""The one REST client of the platform's own calls: one kept-alive ``requests`` session (or the in-process
transport), JSON in and out.

The runner agent talks to the platform only through this (and through dtlpy, inside the user's code), in
every placement; the generated cases' runner (`cases.CaseRunner`) uses it for its per-case calls. Connection
errors are retried briefly, because a platform that is restarting comes back on the same address; a
platform that stays away raises :class:`PlatformGone` (it ends an agent). Both errors are
`errors.PlatformError`s, the type the platform itself raises for a refused request.
"""

from __future__ import annotations

import json
import logging
import time

import requests
from requests.adapters import HTTPAdapter

from ..errors import PlatformError

log = logging.getLogger(__name__)


class PlatformGone(PlatformError):
    """The platform cannot be reached, or no longer knows this agent: the agent must exit."""

    status = 410


class RequestFailed(PlatformError):
    """The platform refused a request; ``status`` and ``message`` are what it answered."""

    def __init__(self, method: str, path: str, status: int, message: str):
        super().__init__(message, status)
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.status} {self.message}"


class PlatformClient:
    """JSON calls to ``<url>/<path>`` with the bearer token.

    Args:
        url: the API base, ``http://host:port/api/v1`` (see :func:`pytest_faas.handle.api_url`).
        token: the platform's bearer token.
        pool: connections to keep (one per concurrent execution, plus the agent's own long-polls).
        retry_s: how long to keep retrying a connection error before giving up.
        transport: calls the platform without HTTP: ``transport.call(method, url, headers, body)`` returns
            ``(status, headers, content)`` (the in-process transport of the thread placement).
    """

    def __init__(self, url: str, token: str, pool: int = 16, retry_s: float = 5.0, transport=None):
        self.url = url.rstrip("/")
        self.transport = transport
        self.retry_s = retry_s
        self.headers = {"Authorization": f"Bearer {token}", "X-Faas-Agent": "1"}
        self.session = requests.Session()
        self.session.headers.update(self.headers)
        self.session.trust_env = False  # loopback only; a proxy from the environment would only get in the way
        self.resize(pool)

    def resize(self, pool: int) -> None:
        """Keep up to ``pool`` connections (one per concurrent execution, plus the agent's long-polls)."""
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def call(self, method: str, path: str, body=None, timeout: float = 60.0):
        """One call; returns the decoded JSON answer (None for an empty body)."""
        content = self._request(method, path, body, timeout)
        return json.loads(content) if content else None

    def fetch(self, path: str, timeout: float = 120.0) -> bytes:
        """A GET whose answer is bytes, not JSON (a codebase's stream)."""
        return self._request("GET", path, None, timeout)

    def _request(self, method: str, path: str, body, timeout: float) -> bytes:
        if self.transport is not None:
            # Straight to the app: ``requests``' own preparation of a call costs more than the platform's
            # answer to it, and the agent makes two or three calls an execution.
            data = None if body is None else json.dumps(body).encode()
            headers = self.headers if data is None else {**self.headers, "Content-Type": "application/json"}
            status, _, content = self.transport.call(method, self.url + path, headers, data)
        else:
            status, content = self._over_http(method, path, body, timeout)
        if status == 410:
            raise PlatformGone(_message(content) or "this agent is no longer registered")
        if not 200 <= status < 400:
            raise RequestFailed(method, path, status, _message(content))
        return content

    def _over_http(self, method: str, path: str, body, timeout: float) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.retry_s
        pause = 0.05
        while True:
            try:
                response = self.session.request(method, self.url + path, json=body, timeout=timeout)
                return response.status_code, response.content
            except requests.ConnectionError as exc:
                if time.monotonic() >= deadline:
                    raise PlatformGone(f"the platform at {self.url} cannot be reached: {exc}") from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    def post(self, path: str, body=None, timeout: float = 60.0):
        return self.call("POST", path, body if body is not None else {}, timeout)

    def get(self, path: str, timeout: float = 60.0):
        return self.call("GET", path, None, timeout)

    def delete(self, path: str, timeout: float = 10.0):
        return self.call("DELETE", path, None, timeout)

    def close(self) -> None:
        self.session.close()


def _message(content: bytes) -> str:
    """The platform's ``message`` from an error answer, or the answer's text."""
    try:
        return json.loads(content).get("message") or content.decode(errors="replace")
    except (ValueError, AttributeError):
        return content.decode(errors="replace")
