"""The platform's REST API without a socket: its WSGI app called in this thread.

One routing table (``routes.py``), used by the HTTP server and by an in-process
dispatcher. Clients in the platform's own process use :class:`InProcessAdapter`: the thread placement's
agents call it directly (:meth:`InProcessAdapter.call`), and the generated cases' runner mounts it on its
``requests`` session for the platform's URL. Same requests, routes, token check and JSON answers, without
a socket, HTTP parsing or a server thread. dtlpy is never given it: it speaks real HTTP, as it does
against the cloud, and so do agents in other processes and containers.
"""

from __future__ import annotations

import io
import sys
from http import HTTPStatus
from typing import Callable, Mapping
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

# Framing headers describe the bytes on a wire; here the body is whole and its length known.
_FRAMING = {"content-length", "transfer-encoding", "connection"}
_KNOWN = {status.value for status in HTTPStatus}


class InProcessAdapter(BaseAdapter):
    """Answers requests by calling ``app`` (a WSGI callable) in the calling thread.

    Mounted on a ``requests`` session it is a transport adapter (:meth:`send`); :meth:`call` is the same
    exchange without ``requests``, for the agent's client, whose calls are the hot path of every execution.

    Args:
        app: the platform's WSGI application (``Backend.app``).
    """

    def __init__(self, app: Callable):
        super().__init__()
        self.app = app

    def call(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
             ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request; returns ``(status code, response headers, body)``."""
        answer: list = []

        def start_response(status, response_headers, exc_info=None):
            answer[:] = [status, response_headers]

        app_iter = self.app(_environ(method, url, headers, body or b""), start_response)
        try:
            content = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        status, response_headers = answer
        return int(status.partition(" ")[0]), response_headers, content

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):  # a generator or a file
            body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        code, headers, content = self.call(request.method, request.url, request.headers,
                                           body.encode() if isinstance(body, str) else body)
        response = requests.Response()
        response.status_code, response.reason = code, HTTPStatus(code).phrase if code in _KNOWN else ""
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(content)
        response.url, response.request, response.connection = request.url, request, self
        return response

    def close(self) -> None:
        """Nothing to release: there is no connection."""


def _environ(method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict:
    """The PEP 3333 environ a WSGI server would build for this request."""
    parts = urlsplit(url)
    host, _, port = parts.netloc.partition(":")
    environ = {
        "REQUEST_METHOD": method.upper(), "SCRIPT_NAME": "", "QUERY_STRING": parts.query,
        # As servers do: the path percent-decoded, its bytes carried in a latin-1 str.
        "PATH_INFO": unquote_to_bytes(parts.path).decode("latin-1"),
        "SERVER_NAME": host, "SERVER_PORT": port or ("443" if parts.scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": parts.scheme, "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _FRAMING:
            continue
        key = lowered.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ

