"""The platform's REST API without a socket: a `requests` transport that calls its WSGI app in this thread.

The anchors' plan for ``routes.py``: one routing table, used by the HTTP server and by an in-process
dispatcher. Clients in the platform's own process (the thread placement's agents, the generated cases'
runner) mount :class:`InProcessAdapter` on their ``requests`` session for the platform's URL: the same
requests, routes, token check and JSON answers, without a loopback connection, a server thread and
werkzeug's per-connection close, which cost about a millisecond a call here. dtlpy is never given it: it
speaks real HTTP, as it does against the cloud, and so do agents in other processes and containers.
"""

from __future__ import annotations

import io
from typing import Callable
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

# Framing headers describe the bytes on a wire; the environ builder derives its own from the body.
_FRAMING = {"content-length", "transfer-encoding", "connection"}


class InProcessAdapter(BaseAdapter):
    """Answers requests by calling ``app`` (a WSGI callable) in the calling thread.

    Args:
        app: the platform's WSGI application (``Backend.app``).
    """

    def __init__(self, app: Callable):
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):  # a generator or a file
            body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        builder = EnvironBuilder(
            path=url.path, query_string=url.query, method=request.method, base_url=f"{url.scheme}://{url.netloc}",
            headers=[(k, v) for k, v in request.headers.items() if k.lower() not in _FRAMING],
            data=body.encode() if isinstance(body, str) else body)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            content = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code, response.reason = int(code), reason
        response.headers = CaseInsensitiveDict(headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(content)
        response.url, response.request, response.connection = request.url, request, self
        return response

    def close(self) -> None:
        """Nothing to release: there is no connection."""
