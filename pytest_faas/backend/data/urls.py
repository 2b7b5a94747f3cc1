"""Absolute item URLs: ``stream``, ``url`` and ``thumbnail`` on the host and port the client called.

The platform answers these as full URLs (``https://<gate>/api/v1/items/<id>/stream``), and code hands them
to other readers as they are (``cv2.VideoCapture(f"{item.stream}?jwt={dl.token()}")``). Records are stored
with paths only, because the same data dir may be served on another port, or on a Unix socket to a
container; each answer gets the address its request came to, so the URL reaches this platform from where
the caller stands.
"""

from __future__ import annotations

import dataclasses

import json
from typing import TYPE_CHECKING, Any, Iterable

from werkzeug.wrappers import Request, Response

from ...handle import API_PREFIX
from ..web.wsgi import Route

if TYPE_CHECKING:
    from .items import Items

_ITEM_URL_KEYS = ("stream", "url", "thumbnail")
# Routes whose answers hold item records: one item, a page of them, or an upload's answer.
_ITEM_ROUTES = ("/items", "/datasets/<dataset_id>/query", "/datasets/<dataset_id>/items")
# An item's own bytes are never rewritten, whatever their type (an export is a JSON file of item records).
_BYTE_ROUTES = ("/stream", "/thumbnail")


def absolute(record: dict, base: str) -> dict:
    """A copy of an item record with its URL keys made absolute under ``base`` (``http://host:port/api/v1``)."""
    if not isinstance(record.get("stream"), str) or not record["stream"].startswith("/items/"):
        return record
    copy = dict(record)
    for key in _ITEM_URL_KEYS:
        if isinstance(copy.get(key), str) and copy[key].startswith("/"):
            copy[key] = base + copy[key]
    return copy


def _render(value: Any, base: str) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("items"), list):  # a page of a query
            return {**value, "items": [absolute(v, base) if isinstance(v, dict) else v for v in value["items"]]}
        return absolute(value, base)
    if isinstance(value, list):
        return [absolute(v, base) if isinstance(v, dict) else v for v in value]
    return value


def base_url(request: Request) -> str:
    return request.host_url.rstrip("/") + API_PREFIX


def _with_absolute_urls(handler):
    def handle(request: Request, **args):
        result = handler(request, **args)
        if isinstance(result, Response):
            if result.mimetype != "application/json" or result.direct_passthrough:
                return result
            body = _render(json.loads(result.get_data()), base_url(request))
            result.set_data(json.dumps(body, separators=(",", ":")))
            return result
        return _render(result, base_url(request))

    handle.__name__ = getattr(handler, "__name__", "handler")
    return handle


def item_urls_absolute(routes: Iterable[Route]) -> list[Route]:
    """The routing table with every route that answers item records giving absolute item URLs."""
    return [dataclasses.replace(r, handler=_with_absolute_urls(r.handler))
            if r.path.startswith(_ITEM_ROUTES) and not r.path.endswith(_BYTE_ROUTES) else r for r in routes]


def thumbnail_routes(items: "Items") -> list[Route]:
    """``thumbnail`` must lead somewhere: here it serves the item's own bytes (no thumbnails are made)."""

    def thumbnail(request: Request, item_id: str):
        record = items.get(item_id)
        data = items.read(item_id)
        response = Response(data, mimetype=record["metadata"]["system"].get("mimetype"))
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))

    return [Route("/items/<item_id>/thumbnail", ("GET",), thumbnail)]
