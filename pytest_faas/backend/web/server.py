"""Serving the platform over real HTTP: werkzeug's threaded server on loopback, and on a Unix socket.

Real HTTP, not an in-process adapter, because dtlpy uploads with aiohttp (chunked multipart) and the
agents in other processes and containers are HTTP clients too (docs/platform.md#transport). The Unix socket is
how containers without a network of their own reach the platform.

Connections are kept alive (:mod:`.keepalive`): werkzeug's own request loop closes each one after its
answer, and a new connection with its own server thread for every call cost more than the platform's work
for most calls.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable

from werkzeug.serving import ThreadedWSGIServer

from ...errors import PlatformError
from .keepalive import KeepAliveHandler

log = logging.getLogger(__name__)

# Connections served at once (each holds a thread). Past it, a new connection takes the place of the one that
# has waited longest for a request (an idle keep-alive, a client that connected and said nothing); when
# every connection is in a request, it is answered 503 at once, with no thread. Agents hold about two each.
MAX_CONNECTIONS = 384
_FULL = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
         b"Retry-After: 1\r\nContent-Length: 75\r\n\r\n"
         b'{"message":"the platform serves its most connections at once","status":503}')


class _Waiting:
    """The connections that wait for a request (its line or its headers), oldest first: those a full server
    may end."""

    def __init__(self):
        self._since: dict[socket.socket, float] = {}
        self._lock = threading.Lock()

    def arrived(self, connection: socket.socket) -> None:
        with self._lock:
            self._since[connection] = time.monotonic()

    def busy(self, connection: socket.socket) -> None:
        with self._lock:
            self._since.pop(connection, None)

    def oldest(self) -> socket.socket | None:
        """The connection that has waited longest, no longer counted as waiting; None when none waits."""
        with self._lock:
            if not self._since:
                return None
            connection = min(self._since, key=self._since.__getitem__)
            del self._since[connection]
            return connection


class _CappedServer(ThreadedWSGIServer):
    """werkzeug's threaded server, with at most ``max_connections`` connections (and threads) at once."""

    max_connections = MAX_CONNECTIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = _Waiting()
        self.live = 0
        self._live_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self._live_lock:
            full = self.live >= self.max_connections
            victim = self.waiting.oldest() if full else None
            admitted = not full or victim is not None
            self.live += admitted
        if victim is not None:  # its thread reads an end of stream and finishes
            try:
                victim.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if not admitted:
            try:
                request.sendall(_FULL)
            except OSError:
                pass
            super().shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        self.waiting.busy(request)
        with self._live_lock:
            self.live -= 1
        super().shutdown_request(request)


class _QuietHandler(KeepAliveHandler):
    """Request logs go to ``logging`` at debug level, never to stderr of the test run."""

    def log_request(self, code="-", size="-"):
        # A request line that failed to parse leaves no command or path behind.
        log.debug("%s %s -> %s", getattr(self, "command", None), getattr(self, "path", ""), code)

    def log(self, type, message, *args):  # noqa: A002 (werkzeug's signature)
        log.debug(message, *args)


class _TcpHandler(_QuietHandler):
    # Small request/response pairs on a kept-alive connection stall ~40 ms under Nagle + delayed ACK.
    disable_nagle_algorithm = True


class ServerThread:
    """One werkzeug server serving ``app`` from a daemon thread.

    Args:
        app: the WSGI application.
        gate: ``gate(environ) -> (refusal or None, body limit)``, asked on the headers before any body byte
            is read (:meth:`~pytest_faas.backend.web.wsgi.PlatformApp.screen`); ``None`` admits everything.
        host: ``127.0.0.1`` by default; ``unix:///path/to/socket`` for a Unix socket.
        port: 0 picks a free port; read the real one from :attr:`port`.
    """

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, gate: Callable | None = None):
        handler = _QuietHandler if host.startswith("unix://") else _TcpHandler
        try:
            self._server = _CappedServer(host, port, app, handler=handler)
        except SystemExit:  # werkzeug prints the OS error and exits; turn that into an error we can show
            raise PlatformError(f"cannot listen on {host}:{port}: the address is in use or not available; "
                                "choose another --port or --host") from None
        self._server.daemon_threads = True
        self._server.gate = gate  # read by KeepAliveHandler before the body
        self.host = host
        self.port = self._server.server_port if not host.startswith("unix://") else 0
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"faas-server-{host}:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        # Kept-alive connections outlive the listening socket: end them, so that no client goes on talking
        # to a stopped platform (a new one may take the same port and data dir at once).
        for connection in KeepAliveHandler.open_connections(self._server):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
        if self.host.startswith("unix://"):
            try:
                os.unlink(self.host[len("unix://"):])
            except FileNotFoundError:
                pass
