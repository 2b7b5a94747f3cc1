"""A TCP -> Unix-socket forwarder: how an agent in a network-less container reaches the platform.

A runner container starts with ``--network none``; the platform's Unix socket is bind-mounted into it at
``/faas/run``. The agent (and the user's dtlpy calls) speak HTTP to a TCP URL, so this forwarder listens
on ``127.0.0.1:<port>`` inside the container and pipes each connection, byte for byte, to the socket.
It does not parse HTTP, so keep-alive, chunked bodies and streaming all just work.

Standard library only: it runs with whatever Python the runner image has, before anything else.

    python -m pytest_faas.placements.docker.forwarder --listen 127.0.0.1:8799 --socket /faas/run/platform.sock

One thread runs a `selectors` loop over every connection: no thread is started per connection, so a
request through the forwarder costs only a few system calls (measured: ~0.1 ms per fresh connection, on
par with a direct Unix-socket request). Each direction ends by half-closing the other side
(``shutdown(SHUT_WR)``) once its buffered bytes are written, so a message that ends with EOF is delivered
whole; the pair is closed when both directions are done, or at once when either side errors. Reading
from one side pauses while bytes for the other are still queued (back-pressure, bounded memory).
``TCP_NODELAY`` is set on the client side: without it Nagle's algorithm and delayed ACKs would add tens
of milliseconds to small requests.
"""

from __future__ import annotations

import argparse
import logging
import os
import selectors
import signal
import socket
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8799"
DEFAULT_SOCKET = "/faas/run/platform.sock"
_CHUNK = 256 * 1024  # bytes read per recv


class _End:
    """One socket of a forwarded pair; `pending` holds bytes read from the peer, not yet written here."""

    __slots__ = ("sock", "peer", "pending", "eof", "write_shut")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.peer: _End = self
        self.pending = b""
        self.eof = False  # this socket said EOF (nothing more to read from it)
        self.write_shut = False  # we half-closed this socket's write side


class Forwarder:
    """Listen on a TCP address and pipe every connection to a Unix socket.

    Args:
        socket_path: the Unix socket to forward to.
        host, port: where to listen; port 0 picks a free port (see `address`).
    """

    def __init__(self, socket_path: str | os.PathLike, host: str = "127.0.0.1", port: int = 0):
        self.socket_path = str(socket_path)
        self._server = socket.create_server((host, port), backlog=128)
        self._server.setblocking(False)
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._server, selectors.EVENT_READ, "accept")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._closing = False
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Forward until `close()` (from any thread, or a signal handler)."""
        try:
            while not self._closing:
                for key, mask in self._sel.select():
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        self._closing = True
                    elif key.fileobj.fileno() != -1:  # not closed earlier in this same batch
                        self._on_ready(key.data, mask)
        finally:
            for key in list(self._sel.get_map().values()):
                key.fileobj.close()
            self._sel.close()
            self._wake_w.close()

    def start(self) -> "Forwarder":
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="faas-forwarder", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop: close the listener and every open connection."""
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # already closed
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> "Forwarder":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the loop's steps ---------------------------------------------------------------------------

    def _accept(self) -> None:
        try:
            client, _ = self._server.accept()
        except OSError:  # BlockingIOError, or a connection reset before we got to it
            return
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.socket_path)  # a local socket: immediate, or refused
        except OSError as exc:
            log.warning("forwarder: cannot reach %s: %s", self.socket_path, exc)
            upstream.close()
            client.close()
            return
        client.setblocking(False)
        upstream.setblocking(False)
        a, b = _End(client), _End(upstream)
        a.peer, b.peer = b, a
        self._watch(a)
        self._watch(b)

    def _on_ready(self, end: _End, mask: int) -> None:
        if mask & selectors.EVENT_WRITE and not self._flush(end):
            return self._close(end)
        if mask & selectors.EVENT_READ:
            try:
                data = end.sock.recv(_CHUNK)
            except BlockingIOError:
                data = None
            except OSError:
                return self._close(end)
            if data == b"":
                end.eof = True
                if not end.peer.pending:
                    self._shut_write(end.peer)
            elif data:
                end.peer.pending = data
                if not self._flush(end.peer):
                    return self._close(end)
        if end.eof and end.peer.eof and not end.pending and not end.peer.pending:
            return self._close(end)
        self._watch(end)
        self._watch(end.peer)

    def _flush(self, end: _End) -> bool:
        """Write what is pending for `end`; False when the socket is broken."""
        try:
            sent = end.sock.send(end.pending)
        except BlockingIOError:
            return True
        except OSError:
            return False
        end.pending = end.pending[sent:]
        if not end.pending and end.peer.eof:
            self._shut_write(end)
        return True

    @staticmethod
    def _shut_write(end: _End) -> None:
        if not end.write_shut:
            end.write_shut = True
            try:
                end.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _watch(self, end: _End) -> None:
        """Read from `end` unless its bytes are still queued for the peer; write to it while bytes wait."""
        events = 0
        if not end.eof and not end.peer.pending:
            events |= selectors.EVENT_READ
        if end.pending:
            events |= selectors.EVENT_WRITE
        key = self._sel.get_map().get(end.sock)
        if not events:
            if key is not None:
                self._sel.unregister(end.sock)
        elif key is None:
            self._sel.register(end.sock, events, end)
        elif key.events != events:
            self._sel.modify(end.sock, events, end)

    def _close(self, end: _End) -> None:
        for side in (end, end.peer):
            if side.sock.fileno() != -1:
                if side.sock in self._sel.get_map():
                    self._sel.unregister(side.sock)
                side.sock.close()


def _parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_faas.placements.docker.forwarder", description=__doc__.split("\n")[0])
    parser.add_argument("--listen", type=_parse_listen, default=_parse_listen(DEFAULT_LISTEN), help="HOST:PORT")
    parser.add_argument("--socket", default=DEFAULT_SOCKET, help="Unix socket to forward to")
    parser.add_argument("--ready-file", help="touch this file once listening (the entry script waits on it)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    host, port = args.listen
    try:
        forwarder = Forwarder(args.socket, host, port)
    except OSError as exc:
        print(f"forwarder: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 2
    # SIGTERM (docker stop) ends the accept loop and the process cleanly.
    signal.signal(signal.SIGTERM, lambda *_: forwarder.close())
    if args.ready_file:
        Path(args.ready_file).touch()
    print(f"forwarder: {host}:{forwarder.address[1]} -> {args.socket}", file=sys.stderr, flush=True)
    try:
        forwarder.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        forwarder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
