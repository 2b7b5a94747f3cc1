"""The WSGI application: routing table in, platform-shaped JSON out.

Handlers are plain functions ``handler(request, **path_args)`` that return a JSON-able value or a
werkzeug ``Response``, and raise :class:`pytest_faas.errors.PlatformError` kinds for refusals. This module
turns those into responses the way the platform answers (``{"message": ...}`` with a status dtlpy maps to
its own exceptions), checks the bearer token, and never answers 502/503, which dtlpy retries for a minute.
"""

from __future__ import annotations

import hmac
import json
import logging
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..errors import BadRequest, PlatformError
from ..handle import API_PREFIX

log = logging.getLogger(__name__)

JWT_QUERY_PATHS = ("/stream", "/thumbnail")
_JSON_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


@dataclass(frozen=True)
class Route:
    """One row of a routing table: a werkzeug rule string (relative to /api/v1), methods, handler."""

    path: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]


def json_response(value: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(value, separators=(",", ":")), status=status, headers=headers,
                    mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    return json_response({"message": message, "status": status}, status=status)


def read_json(request: Request, *, expect: type | tuple[type, ...] | None = None) -> Any:
    """The request body as JSON, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        if expect is None or expect is dict:
            return {}
        raise BadRequest("request body is empty; expected JSON")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from None
    if expect is not None and not isinstance(value, expect):
        wanted = " or ".join(_JSON_NAMES[t] for t in (expect if isinstance(expect, tuple) else (expect,)))
        raise BadRequest(f"request body must be a JSON {wanted}, found a JSON {_JSON_NAMES.get(type(value), 'value')}")
    return value


class PlatformApp:
    """Dispatch requests under ``/api/v1`` to handlers, with bearer-token auth.

    Args:
        token: the one bearer token this platform accepts.
        routes: the routing table; later tables may add to it through :meth:`add_routes`.
    """

    def __init__(self, token: str, routes: list[Route] = ()):  # type: ignore[assignment]
        self._token = f"Bearer {token}".encode()
        self._map = Map(strict_slashes=False)
        # Rules match on path and method only (no host rules; no slash redirects), so one adapter, bound
        # once, serves every request: binding one per request cost about 0.04 ms a call.
        self._adapter = self._map.bind("localhost")
        self.crashes: list[str] = []  # handler tracebacks, kept for tests to re-raise
        self.add_routes(routes)

    def add_routes(self, routes) -> None:
        for route in routes:
            self._map.add(Rule(API_PREFIX + route.path, methods=list(route.methods), endpoint=route.handler))

    def _authorized(self, request: Request) -> bool:
        sent = request.headers.get("Authorization", "").encode()
        # Byte routes also take the token as `?jwt=` (video players and <img> tags cannot send headers).
        if not sent and request.method == "GET" and request.path.endswith(JWT_QUERY_PATHS):
            sent = b"Bearer " + request.args.get("jwt", "").encode()
        return hmac.compare_digest(sent, self._token)

    def dispatch(self, request: Request) -> Response:
        # The token comes first: without it, not even which paths exist is told.
        if not self._authorized(request):
            return error_response(401, "missing or wrong bearer token for this local platform")
        try:
            handler, args = self._adapter.match(request.path, request.method)
        except RouteNotFound:
            return error_response(404, f"no such endpoint: {request.method} {request.path}")
        except MethodNotAllowed as exc:
            return error_response(405, f"{request.method} is not allowed on {request.path} ({exc.valid_methods})")
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return exc.get_response(request.environ)
        try:
            result = handler(request, **args)
        except PlatformError as exc:
            return error_response(exc.status, exc.message)
        except Exception as exc:  # a bug of ours: answer 500 (never retried by dtlpy) and keep the trace
            trace = traceback.format_exc()
            self.crashes.append(trace)
            log.error("handler %s crashed:\n%s", getattr(handler, "__name__", handler), trace)
            return error_response(500, f"local platform error: {type(exc).__name__}: {exc}")
        if isinstance(result, Response):
            return result
        return json_response(result)

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)
