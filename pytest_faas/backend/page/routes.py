"""The page `faas serve` shows at its root: its entry, which trades the token for a cookie, and its files.

The token comes once, in the address `faas serve` prints (``/?token=...``). The gate (:mod:`.http`)
admits that request on it; the entry answers with the page's cookie (HttpOnly, SameSite=Strict, named
after the server's port) and a redirect to ``/``, so the token leaves the address bar. From then on the
cookie stands for the platform's token, on the page and on the REST API the page reads. Without the
token or the cookie, every path here is a one-line 401: not a byte of the page.

The files are plain HTML, CSS and JavaScript shipped in the package (``pytest_faas/page/``): no build
step, nothing fetched from elsewhere, and a Content-Security-Policy that lets the page reach this server
only.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path

from werkzeug.wrappers import Request, Response

from ...errors import NotFound
from ..web.wsgi import PAGE_ENTRY, Route, page_cookie_name, page_cookie_value


PAGE_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# Everything the page loads comes from this server; nothing may frame it, nothing inline runs.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}


@functools.cache
def _files() -> dict[str, tuple[bytes, str]]:
    """The page's files by name, read once: ``{name: (bytes, content type)}``."""
    found = {}
    for path in sorted(PAGE_DIR.iterdir()):
        if path.is_file() and path.suffix in _TYPES:
            found[path.name] = (path.read_bytes(), _TYPES[path.suffix] or mimetypes.guess_type(path.name)[0])
    return found


def _file(name: str) -> Response:
    if name not in _files():
        raise NotFound(f"the page has no file {name!r}")
    data, mimetype = _files()[name]
    return Response(data, mimetype=mimetype, headers=_HEADERS)


def page_routes(token: str) -> list[Route]:
    """The page's routes, at the server's root (not under ``/api/v1``); they need the platform's token."""

    def entry(request: Request):
        if "token" not in request.args:
            return _file("index.html")
        # Admitted on the token (the gate checked it): keep it in a cookie and drop it from the address.
        response = Response("", status=303, headers={**_HEADERS, "Location": PAGE_ENTRY})
        response.set_cookie(page_cookie_name(request.environ), page_cookie_value(token), path="/",
                            httponly=True, samesite="Strict")
        return response

    def asset(request: Request, name: str):
        if name == "index.html":
            raise NotFound("the page is at /")
        return _file(name)

    return [Route(PAGE_ENTRY, ("GET",), entry), Route("/page/<name>", ("GET",), asset)]
