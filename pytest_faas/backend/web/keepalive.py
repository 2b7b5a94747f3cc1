"""A werkzeug request handler that keeps HTTP/1.1 connections open between requests.

werkzeug's own handler answers every request with ``Connection: close``: it cannot know whether the app
read the whole request body, and unread body bytes left on a kept-alive stream would be parsed as the next
request. This handler reads each body whole before the app runs (in memory, spooled to disk past
``SPOOL_BYTES``), so the stream is always at the first byte of the next request, and the connection stays
open for the client's next call. The environ is werkzeug's (``make_environ``); the app sees a body with a
known length, chunked uploads (dtlpy's aiohttp) included.

Nothing of the body is read before the app's gate (``server.gate``, :meth:`PlatformApp.screen`) has seen
the headers: a request without the token, or announcing more than the body limit, is answered from its
headers alone and its connection closed, and ``100 Continue`` is sent only to a request the gate admitted.
Chunked bodies are read here, chunk by chunk, and stop at the same limit.

Measured here: a small JSON call costs the server about half the CPU it did with a connection (and a new
server thread) per request.
"""

from __future__ import annotations

import io
import logging
import socket
import tempfile
import threading
import weakref

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import WSGIRequestHandler

from .wsgi import error_response

log = logging.getLogger(__name__)

SPOOL_BYTES = 8 * 1024 * 1024
_MAX_LINE = 4096  # a chunk-size or trailer line
_MAX_CHUNK_DIGITS = 16  # hex digits of a chunk size (2**64)
_MAX_TRAILERS = 32
_HEX = b"0123456789abcdefABCDEF"
IDLE_S = 300.0
# A request line and its headers arrive within this of each other, and a new connection's first request line
# within this of its opening: a client that connects and says nothing gives its thread back soon (3,000 such
# connections held 3,008 threads for minutes). Bodies and kept-alive waits between requests keep IDLE_S.
HEADERS_S = 10.0
_READ_BYTES = 64 * 1024
_NO_BODY = {204, 304}

# The connections each server has open, so that stopping it can end them (they outlive its socket).
_OPEN: "weakref.WeakKeyDictionary[object, set[socket.socket]]" = weakref.WeakKeyDictionary()
_OPEN_LOCK = threading.Lock()


class KeepAliveHandler(WSGIRequestHandler):
    """Serves requests one after another on a connection until the client closes it or goes idle."""

    protocol_version = "HTTP/1.1"  # also what makes chunked request bodies readable
    timeout = IDLE_S  # an idle connection ends after this, and its thread with it

    @staticmethod
    def open_connections(server) -> list[socket.socket]:
        """The connections ``server`` has open, forgotten by it from now on."""
        with _OPEN_LOCK:
            return list(_OPEN.pop(server, ()))

    def setup(self) -> None:
        super().setup()
        with _OPEN_LOCK:
            _OPEN.setdefault(self.server, set()).add(self.connection)

    def finish(self) -> None:
        with _OPEN_LOCK:
            _OPEN.get(self.server, set()).discard(self.connection)
        super().finish()

    def handle_one_request(self) -> None:
        fresh = not getattr(self, "_answered", False)
        self.connection.settimeout(HEADERS_S if fresh else IDLE_S)
        waiting = getattr(self.server, "waiting", None)
        if waiting is not None:  # evictable (by a server at its connection cap) until its headers are read
            waiting.arrived(self.connection)
        try:
            super().handle_one_request()
        finally:
            self._answered = True

    def handle_expect_100(self) -> bool:
        # http.server answers "100 Continue" while parsing the headers; here it is sent only once the gate
        # admitted the request (in _read_body), so an unauthenticated client is never invited to send.
        return True

    def parse_request(self) -> bool:
        self.connection.settimeout(HEADERS_S)  # the headers follow the request line at once, or never
        if not self._parse_request():
            return False
        waiting = getattr(self.server, "waiting", None)
        if waiting is not None:  # in a request now: no longer one a full server may end
            waiting.busy(self.connection)
        self.connection.settimeout(IDLE_S)  # a body may take its time (an upload), within the idle bound
        return True

    def _parse_request(self) -> bool:
        # An HTTP/0.9 request line ("GET /") has no headers; http.server would wait for them until the idle
        # timeout. Answer at once (in 0.9's form: the body alone) and close.
        if len(self.raw_requestline.split()) == 2:
            self.command, self.path, self.request_version = None, "", "HTTP/0.9"
            self.close_connection = True
            self.send_error(400, "HTTP/0.9 is not served here; send an HTTP/1.1 request")
            return False
        return super().parse_request()

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        gate = getattr(self.server, "gate", None)
        refusal, limit = gate(environ) if gate is not None else (None, None)
        if refusal is None:
            try:
                body, length = _read_body(self, environ, limit)
            except BodyTooLarge as exc:
                refusal = exc.response
            except ValueError as exc:
                self.close_connection = True
                self.send_error(400, str(exc))
                return
            except (OSError, ConnectionError):  # the client went away or sent broken chunks: nothing to answer
                self.close_connection = True
                return
        if refusal is not None:
            # Answered from the headers alone: the unread body (if any) makes the stream unusable after.
            self.close_connection = True
            environ.update({"wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})
            try:
                _Exchange(self, environ).run(refusal)
            except (ConnectionError, socket.timeout):
                pass
            return
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        environ.update({"wsgi.input": body, "CONTENT_LENGTH": str(length)})
        try:
            _Exchange(self, environ).run(self.server.app)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        finally:
            body.close()


class BodyTooLarge(Exception):
    """A chunked body went past the limit while it was read; ``response`` is the answer to send."""

    def __init__(self, response):
        super().__init__("request body too large")
        self.response = response


def _read_body(handler: KeepAliveHandler, environ: dict, limit: int | None
               ) -> tuple[tempfile.SpooledTemporaryFile, int]:
    """The whole request body and its length; chunked bodies are read to their last chunk.

    ``limit`` (from the gate) caps a chunked body; a declared ``Content-Length`` was checked by the gate.
    """
    chunked = bool(environ.get("wsgi.input_terminated"))
    if chunked:
        remaining = None
    else:
        try:
            remaining = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ValueError(f"Content-Length {environ.get('CONTENT_LENGTH')!r} is not a number") from None
        if remaining < 0:
            raise ValueError(f"Content-Length {remaining} is negative")
    if handler.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
        handler.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        if chunked:
            total = _read_chunks(handler.rfile, spool, limit, environ)
        else:
            total = _copy(handler.rfile, spool, remaining)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, total


def _copy(source, spool, count: int) -> int:
    """Copy exactly ``count`` bytes; the client closing before that is a ``ConnectionError``."""
    left = count
    while left > 0:
        chunk = source.read(min(_READ_BYTES, left))
        if not chunk:
            raise ConnectionError("the client closed the connection in the middle of the body")
        spool.write(chunk)
        left -= len(chunk)
    return count


def _read_chunks(source, spool, limit: int | None, environ: dict) -> int:
    """A ``Transfer-Encoding: chunked`` body (RFC 9112 section 7.1), refused past ``limit`` bytes."""
    total = 0
    while True:
        size_text = _line(source).split(b";", 1)[0].strip()
        if not size_text or len(size_text) > _MAX_CHUNK_DIGITS or size_text.strip(_HEX):
            raise ValueError(f"bad chunk size {size_text[:40]!r} in a chunked body")
        size = int(size_text, 16)
        if size == 0:
            break
        if limit is not None and total + size > limit:
            raise BodyTooLarge(_too_large(environ, limit))
        total += _copy(source, spool, size)
        if _line(source).strip():
            raise ValueError("a chunk of a chunked body does not end where its size says")
    for _ in range(_MAX_TRAILERS):  # trailer fields, ignored, up to the empty line
        if not _line(source).strip():
            return total
    raise ValueError("too many trailer lines after a chunked body")


def _line(source) -> bytes:
    line = source.readline(_MAX_LINE)
    if not line.endswith(b"\n"):
        if not line:
            raise ConnectionError("the client closed the connection in the middle of a chunked body")
        raise ValueError("a line of a chunked body is too long")
    return line


def _too_large(environ: dict, limit: int):
    return error_response(413, f"request body too large: {environ.get('REQUEST_METHOD')} "
                               f"{environ.get('PATH_INFO')} takes at most {limit} bytes")


class _Exchange:
    """One WSGI call and its response on the handler's stream (PEP 3333's ``start_response``/``write``)."""

    def __init__(self, handler: KeepAliveHandler, environ: dict):
        self.handler = handler
        self.environ = environ
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self.chunked = False

    def run(self, app) -> None:
        try:
            app_iter = app(self.environ, self.start_response)
            try:
                for data in app_iter:
                    self.write(data)
                if not self.sent:
                    self.write(b"")
                if self.chunked:
                    self.handler.wfile.write(b"0\r\n\r\n")
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except (ConnectionError, socket.timeout):
            raise
        except Exception:
            log.exception("error on %s %s", self.environ.get("REQUEST_METHOD"), self.environ.get("PATH_INFO"))
            self.handler.close_connection = True  # a half-sent answer cannot be followed by another
            if not self.sent:
                self.status, self.headers = None, []
                self.write(b"".join(InternalServerError().get_response(self.environ)(self.environ,
                                                                                     self.start_response)))

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, headers
        return self.write

    def write(self, data: bytes) -> None:
        if not self.sent:
            data = self._head() + (self._frame(data) if data else b"")
        elif data:
            data = self._frame(data)
        if data:
            self.handler.wfile.write(data)

    def _frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def _head(self) -> bytes:
        """The status line and headers, sent with the first bytes of the body in one write."""
        handler = self.handler
        self.sent = True
        code = int(self.status.split(None, 1)[0])
        names = {name.lower() for name, _ in self.headers}
        bodyless = self.environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in _NO_BODY
        if "content-length" not in names and not bodyless:
            if handler.request_version >= "HTTP/1.1":
                self.chunked = True
            else:
                handler.close_connection = True  # an HTTP/1.0 client reads to the end of the stream
        lines = [f"{handler.protocol_version} {self.status}", *(f"{k}: {v}" for k, v in self.headers),
                 f"Date: {handler.date_time_string()}"]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        if handler.close_connection:
            lines.append("Connection: close")
        elif handler.request_version < "HTTP/1.1":
            lines.append("Connection: keep-alive")
        handler.log_request(code)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
