"""The WSGI application: routing table in, platform-shaped JSON out.

Handlers are plain functions ``handler(request, **path_args)`` that return a JSON-able value or a
werkzeug ``Response``, and raise :class:`pytest_faas.errors.PlatformError` kinds for refusals. This module
turns those into responses the way the platform answers (``{"message": ...}`` with a status dtlpy maps to
its own exceptions), checks the bearer token, and never answers 502/503, which dtlpy retries for a minute.

The request policy, applied in this order and before any handler runs:

1. the token, on the headers alone (:meth:`PlatformApp.screen`, which the HTTP server calls before it
   reads a byte of the body): a missing or unknown token is a 401, a token that does not reach the route
   (:data:`REACH`) a 403. The token comes as ``Authorization: Bearer``; as ``?jwt=`` on an item's bytes;
   as ``?token=`` on the page's entry ``GET /``; or as the page's cookie, which that entry sets and which
   grants what the platform's token grants (a cookie-borne request other than GET must also carry the
   page's ``X-Faas-Page`` header, which a form or image of another site cannot send);
2. the body's size: at most :data:`UPLOAD_BYTES` for an item upload, :data:`JSON_BYTES` for the rest
   (413 past it, from ``Content-Length`` before the body is read, or as a chunked body crosses it);
3. the body's shape: JSON without ``NaN``/``Infinity`` and at most :data:`MAX_DEPTH` levels deep, then
   the route's pydantic model (:mod:`.bodies`): a 400 that says which field and why.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs

import pydantic
import pydantic_core
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.http import parse_cookie
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ...errors import BadRequest, PlatformError
from ...protocol import AGENT_ROUTES
from ...tokens import AGENT, FUNCTION, PLATFORM
from ...handle import API_PREFIX

log = logging.getLogger(__name__)

JWT_QUERY_PATHS = ("/stream", "/thumbnail")
_JSON_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}

JSON_BYTES = 64 * 1024 * 1024  # any body but an upload: an execution's output alone may be 4 MB
UPLOAD_BYTES = 2 * 1024 * 1024 * 1024  # one item upload's multipart body
MAX_DEPTH = 64  # levels of JSON nesting; deeper bodies are refused before any handler walks them

# Which routes each kind of token reaches. "api" is the Dataloop API (data plane and FaaS), which is what a
# function may call on the real platform; "agent" the runner agents' protocol; "harness" this platform's
# own test controls (seeding, the cron clock, waits) and "page" the page `faas serve` shows at its root,
# which only the platform's own token reaches.
REACH = {PLATFORM: frozenset({"api", "agent", "harness", "page"}), AGENT: frozenset({"api", "agent"}),
         FUNCTION: frozenset({"api"})}

PAGE_ENTRY = "/"  # the page's address: the only one that takes the token as `?token=`
PAGE_HEADER = "X-Faas-Page"  # sent by the page's own scripts with every request that is not a GET


def page_cookie_name(environ: Mapping) -> str:
    """The page's cookie, named after the server's port: browsers share a host's cookies across its ports,
    so two platforms on one host would otherwise overwrite each other's."""
    return f"faas-page-{environ.get('SERVER_PORT', '')}"


def page_cookie_value(token: str) -> str:
    """What the page's cookie holds for a platform token: derived from it, so the token itself is never
    stored by the browser, and unguessable without it."""
    return hmac.new(token.encode(), b"faas-page-cookie", hashlib.sha256).hexdigest()


def reach_of(path: str) -> str:
    """The reach a route needs, from its path (relative to /api/v1)."""
    if path == AGENT_ROUTES or path.startswith(AGENT_ROUTES + "/"):
        return "agent"
    return "harness" if path.startswith("/_faas/") else "api"


@dataclass(frozen=True)
class Route:
    """One row of a routing table: a werkzeug rule string (relative to /api/v1), methods, handler."""

    path: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]
    body_bytes: int = JSON_BYTES  # the largest body this route reads


def json_response(value: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(value, separators=(",", ":")), status=status, headers=headers,
                    mimetype="application/json")


# dtlpy's session retries a 501 five times with a back-off that adds up to 30 s before it raises; a
# Retry-After of one second (the least urllib3 honours) makes that 5 s. The repeats are harmless: a 501
# is answered before anything is changed.
NOT_SUPPORTED_RETRY_AFTER = "1"


def error_response(status: int, message: str) -> Response:
    headers = {"Retry-After": NOT_SUPPORTED_RETRY_AFTER} if status == 501 else None
    return json_response({"message": message, "status": status}, status=status, headers=headers)


def text_response(status: int, message: str) -> Response:
    """A refusal outside the API (the page's paths): one line of text, nothing of the page."""
    return Response(message + "\n", status=status, mimetype="text/plain",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def read_json(request: Request, *, expect: type | tuple[type, ...] | None = None) -> Any:
    """The request body as JSON, or a 400 that says what is wrong with it.

    Strict where Python's ``json`` is not: ``NaN`` and ``Infinity`` are not JSON, and nesting deeper than
    :data:`MAX_DEPTH` is refused (it would overflow the stack of whatever walks it later).
    """
    raw = request.get_data(cache=True)
    if not raw:
        if expect is None or expect is dict:
            return {}
        raise BadRequest("request body is empty; expected JSON")
    value = parse_json(raw)
    if expect is not None and not isinstance(value, expect):
        wanted = " or ".join(_JSON_NAMES[t] for t in (expect if isinstance(expect, tuple) else (expect,)))
        raise BadRequest(f"request body must be a JSON {wanted}, found {_json_name(value)}")
    return value


def parse_json(raw: bytes | str, what: str = "JSON body") -> Any:
    """JSON text as the API reads it wherever it comes from (a body, a multipart field), or a 400: no NaN,
    no lone surrogate, no nesting past MAX_DEPTH, no number too large for a float."""
    if isinstance(raw, str):  # a lone surrogate stays one, for the parser to refuse
        raw = raw.encode("utf-8", "surrogatepass")
    try:
        value = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise BadRequest(f"malformed {what}: {exc}" if what == "JSON body" else f"{what} is not valid JSON: {exc}") from None
    if isinstance(value, (dict, list, float)) and (problem := _unusable(value)):
        raise BadRequest(problem.replace("JSON body", what))
    return value


def _json_name(value: Any) -> str:
    return "null" if value is None else f"a JSON {_JSON_NAMES.get(type(value), 'value')}"


def _unusable(value: Any) -> str | None:
    """What makes a parsed body unusable: nesting past MAX_DEPTH, or a number too large for a float (the
    parser reads ``1e999`` as infinity). Walked iteratively: no recursion to overflow."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                return "a number in the JSON body is too large (it would be infinite)"
            continue
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    return f"JSON body nested more than {MAX_DEPTH} levels deep"
                stack.append((child, depth + 1))
            elif isinstance(child, float):
                stack.append((child, depth))
    return None


def read_body(request: Request, model: type[pydantic.BaseModel]) -> dict:
    """The JSON object body, checked against ``model``; returns the body as sent (fields the model does
    not name pass through), or a 400 naming the first fields that are wrong."""
    body = read_json(request, expect=dict)
    check(model, body)
    return body


# Keys of a query body that ask for a change (dtlpy's Filters.prepare(operation=...)): only
# POST /datasets/{id}/query applies them (backend/data/bulk.py); a query route that only reads refuses them
# rather than answering a listing as if the change were made.
QUERY_CHANGES = ("delete", "update", "references")


def read_query(request: Request, route: str) -> dict:
    """A query body (a JSON object) for a route that only reads, or a 400 when it asks for a change."""
    body = read_json(request, expect=dict)
    asked = [key for key in QUERY_CHANGES if key in body]
    if asked or body.get("operation") not in (None, "query"):
        what = ", ".join(repr(k) for k in asked) or f"operation {body.get('operation')!r}"
        raise BadRequest(f"{route} only reads; it cannot apply {what}")
    return body


def check(model: type[pydantic.BaseModel], value: Any, what: str = "request body") -> pydantic.BaseModel:
    """``value`` validated by ``model``, or a :class:`BadRequest` that names each wrong field."""
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False)[:5]:
            where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
            where = where.lstrip(".") or what
            problems.append(f"{where}: {error['msg']}")
        raise BadRequest(f"invalid {what}: " + "; ".join(problems)) from None


class PlatformApp:
    """Dispatch requests under ``/api/v1`` to handlers, with bearer-token auth.

    Args:
        token: the platform's own bearer token (reaches every route).
        routes: the routing table; later tables may add to it through :meth:`add_routes`.
        tokens: more tokens and their roles (``{token: "agent" or "function"}``), see :data:`REACH`.
    """

    def __init__(self, token: str, routes: list[Route] = (), tokens: Mapping[str, str] | None = None
                 ):  # type: ignore[assignment]
        self._tokens = [(f"Bearer {token}".encode(), PLATFORM)]
        self._tokens += [(f"Bearer {other}".encode(), role) for other, role in (tokens or {}).items()]
        # The page's cookie stands for the platform's token only (the page needs that token to set it).
        self._cookies = [(page_cookie_value(token).encode(), PLATFORM)]
        # No slash merging or redirects: a redirect would name this adapter's host ("localhost", port 80).
        self._map = Map(strict_slashes=False, merge_slashes=False)
        # Rules match on path and method only (no host rules; no slash redirects), so one adapter, bound
        # once, serves every request: binding one per request cost about 0.04 ms a call.
        self._adapter = self._map.bind("localhost")
        self.crashes: list[str] = []  # handler tracebacks, kept for tests to re-raise
        self.add_routes(routes)

    def add_routes(self, routes, *, prefix: str = API_PREFIX, reach: str | None = None) -> None:
        """Add routes under ``prefix``; each needs ``reach``, or the reach its path implies (:func:`reach_of`)."""
        for route in routes:
            self._map.add(Rule(prefix + route.path, methods=list(route.methods),
                               endpoint=(route.handler, reach or reach_of(route.path), route.body_bytes)))

    def _role(self, environ: Mapping) -> tuple[str | None, str]:
        """The role of the credential the request carries, and how it came: header, query or cookie."""
        sent = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
        how = "header"
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if not sent and method == "GET":
            # Byte routes take the token as `?jwt=` (video players and <img> tags cannot send headers), the
            # page's entry as `?token=` (the address `faas serve` prints).
            name = "jwt" if path.endswith(JWT_QUERY_PATHS) else "token" if path == PAGE_ENTRY else None
            if name is not None:
                given = parse_qs(environ.get("QUERY_STRING", "")).get(name, [""])[0]
                sent, how = (f"Bearer {given}".encode("latin-1", "replace"), "query") if given else (b"", how)
        candidates = self._tokens
        if not sent and environ.get("HTTP_COOKIE"):
            cookie = parse_cookie(environ["HTTP_COOKIE"]).get(page_cookie_name(environ), "")
            sent, how, candidates = cookie.encode("latin-1", "replace"), "cookie", self._cookies
        role = None
        for token, name in candidates:  # every comparison made, so the time tells nothing
            if hmac.compare_digest(sent, token):
                role = name
        return (role if sent else None), how

    def screen(self, environ: dict) -> tuple[Response | None, int]:
        """Judge a request on its headers: ``(refusal, body limit)``; the refusal is None when admitted.

        The HTTP server calls this before it reads the body, and :meth:`dispatch` again for callers that
        did not. The route matched is kept in the environ for :meth:`dispatch`.
        """
        role, how = self._role(environ)
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        # Outside the API (the page) refusals are a line of text, as a browser shows them.
        refuse = error_response if path.startswith(API_PREFIX + "/") else text_response
        # The token comes first: without it, not even which paths exist is told.
        if role is None:
            return refuse(401, "missing or wrong bearer token for this local platform" if refuse is error_response
                          else "401: this page needs the platform's token; open the address `faas serve` "
                               "printed (http://host:port/?token=...)"), 0
        if how == "cookie" and method not in ("GET", "HEAD") and not environ.get("HTTP_X_FAAS_PAGE"):
            return refuse(403, f"{method} {path} came with the page's cookie but without its {PAGE_HEADER} header: "
                               "only the page's own scripts may send it"), 0
        try:
            (handler, reach, limit), args = self._adapter.match(path, method)
        except RouteNotFound:
            return refuse(404, f"no such endpoint: {method} {path}"), 0
        except MethodNotAllowed as exc:
            return refuse(405, f"{method} is not allowed on {path} ({exc.valid_methods})"), 0
        except HTTPException:  # routing asked for a redirect: a path this platform does not serve as sent
            return refuse(404, f"no such endpoint: {method} {path}"), 0
        if reach not in REACH[role]:
            return refuse(403, f"the {role} token does not reach {method} {path}: {_REACH_WORDS[reach]}"), 0
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > limit:
            return refuse(413, f"request body too large: {method} {path} takes at most {limit} bytes, "
                               f"the request declares {int(declared)}"), 0
        environ["faas.route"] = (handler, args)
        return None, limit

    def dispatch(self, request: Request) -> Response:
        environ = request.environ
        if "faas.route" not in environ:
            refusal, _ = self.screen(environ)
            if refusal is not None:
                return refusal
        handler, args = environ["faas.route"]
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


_REACH_WORDS = {"agent": "the runner agents' protocol needs an agent's token",
                "harness": "the harness's own routes (seeding, the cron clock, waits) need the platform's token",
                "page": "the page needs the platform's token"}
