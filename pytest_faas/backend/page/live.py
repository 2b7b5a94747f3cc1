"""The page's live view: what changed in the store, streamed to the page as server-sent events.

:class:`Feed` watches the store's commits (:meth:`Store.watch`) from the first stream on: until a page
opens one, the platform pays nothing. It keeps the last :data:`RING` changes, as ``(sequence, kind,
id)``, in a ring. Each stream sends, in one message per batch, the *current* state of what changed since
its cursor (an execution's status and progress, an item's dataset, a log batch's execution), each thing
once however often it changed, so a page watching a busy platform costs it a few messages a second and
never a message per change.

Bounded on every side: at most :data:`MAX_STREAMS` streams open at once (a 429 past it), a heartbeat
comment every :data:`HEARTBEAT_S`, a client that went away noticed within :data:`GONE_CHECK_S` (its place is
free for the reloaded page at once), a stream ends
after :data:`STREAM_S` (the browser's ``EventSource`` reconnects by itself with ``Last-Event-ID``, and
misses nothing still in the ring), at most :data:`BATCH` changes per message and one message per
:data:`BATCH_S`. A cursor older than the ring, or from another run of the platform, gets a ``hello`` with
``reset``: the page reloads what it shows through the REST API instead.
"""

from __future__ import annotations

import collections
import json
import os
import re
import select
import socket
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

from werkzeug.wrappers import Request, Response

from ...errors import PlatformError
from ..web.wsgi import Route

if TYPE_CHECKING:
    from ..store import Store

RING = 10_000  # changes kept for streams that reconnect
MAX_STREAMS = 8  # open at once, per platform; each holds a server thread
_SEQ = re.compile(r"[0-9]{1,18}")  # a Last-Event-ID's sequence
HEARTBEAT_S = 15.0
STREAM_S = 300.0
BATCH = 1_000  # changes per message
BATCH_S = 0.25  # between two messages of one stream
RETRY_MS = 1_000  # what the browser waits before it reconnects
# How often a quiet stream looks whether its client went away (a page reload closes the old stream): the
# place is free within this, not at the next heartbeat (eight quick reloads locked the page out for 15 s).
GONE_CHECK_S = 0.25
# What the page shows; other kinds (annotations, commands, agents' records...) are not streamed.
KINDS = frozenset({"projects", "datasets", "items", "packages", "services", "triggers", "executions", "logs",
                   "pipelines", "pipelineExecutions"})


def _too_many(message: str) -> PlatformError:
    return PlatformError(message, status=429)


class Feed:
    """The ring of recent changes and the streams that read it (one per platform)."""

    def __init__(self, store: "Store"):
        self.store = store
        self.epoch = os.urandom(4).hex()  # a cursor from another run of the platform means nothing here
        self.max_streams, self.heartbeat_s, self.stream_s, self.batch_s = MAX_STREAMS, HEARTBEAT_S, STREAM_S, BATCH_S
        # A plain lock: every commit of the platform takes it once a page has watched.
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0  # streams waiting for a change: a commit with none waiting notifies nobody
        self._ring: collections.deque = collections.deque(maxlen=RING)
        self._seq = 0
        self._watching = False
        self._open = 0
        self._closed = False
        self._stopping = threading.Event()  # set with _closed: a stream's pause between messages ends on it

    @property
    def open_streams(self) -> int:
        return self._open

    def _on_commit(self, keys) -> None:
        """The store's watcher (its lock held): note the kinds the page shows, wake the waiting streams."""
        with self._cond:
            seq = self._seq
            for kind, doc_id in keys:
                if kind in KINDS:
                    seq += 1
                    self._ring.append((seq, kind, doc_id))
            if seq != self._seq:
                self._seq = seq
                if self._waiting:
                    self._cond.notify_all()

    def close(self) -> None:
        """End every stream at once (the platform is stopping)."""
        with self._cond:
            self._closed = True
            self._stopping.set()
            self._cond.notify_all()

    # -- one stream -----------------------------------------------------------------------------------

    def open(self, last_event_id: str | None, gone: Callable[[], bool] = lambda: False) -> "Stream":
        with self._cond:
            if self._closed:
                raise _too_many("the platform is stopping")
            if self._open >= self.max_streams:
                raise _too_many(f"{self._open} pages are watching this platform already, the most it serves "
                                     "at once; close one (each open page holds one stream)")
            if not self._watching:
                self._watching = True
                self.store.watch(self._on_commit)
            stream = Stream(self, self._cursor(last_event_id), gone)  # before the count: nothing left to raise
            self._open += 1
            return stream

    def _cursor(self, last_event_id: str | None) -> int | None:
        """The sequence a reconnecting stream resumes after, or None when it must start afresh."""
        epoch, _, seq = (last_event_id or "").partition("-")
        # ASCII digits, bounded: str.isdigit() also takes '²', and int() refuses over 4,300 digits.
        if epoch != self.epoch or not _SEQ.fullmatch(seq) or int(seq) > self._seq:
            return None
        oldest = self._ring[0][0] if self._ring else self._seq + 1
        return int(seq) if int(seq) >= oldest - 1 else None

    def _release(self) -> None:
        with self._cond:
            self._open -= 1

    def _wait(self, cursor: int, timeout: float) -> tuple[list, bool]:
        """Changes after ``cursor`` (at most :data:`BATCH`), waiting up to ``timeout`` for one; and whether
        the cursor fell out of the ring meanwhile."""
        with self._cond:
            if self._seq == cursor and not self._closed:
                self._waiting += 1
                try:
                    self._cond.wait(timeout)
                finally:
                    self._waiting -= 1
            if self._seq == cursor:
                return [], False
            oldest = self._ring[0][0]
            if cursor < oldest - 1:
                return [], True
            start = cursor - oldest + 1
            return [self._ring[i] for i in range(start, min(len(self._ring), start + BATCH))], False

    def summary(self, kind: str, doc_id: str) -> dict:
        """What the page needs of a changed thing, as it is now (``deleted`` once it is gone)."""
        doc = self.store.find(kind, doc_id)
        if doc is None:
            return {"kind": kind, "id": doc_id, "deleted": True}
        if kind == "executions":
            latest = doc.get("latestStatus") or {}
            message = str(latest.get("message") or "").split("\n")[0][:200]
            return {"kind": kind, "id": doc_id, "status": latest.get("status"),
                    "percent": latest.get("percentComplete"), "message": message,
                    **{key: doc.get(key) for key in ("projectId", "serviceId", "serviceName", "functionName",
                                                     "triggerId", "createdAt", "updatedAt", "duration",
                                                     "pipeline")}}
        if kind == "logs":
            return {"kind": kind, "id": doc_id, "executionId": doc.get("executionId")}
        if kind == "items":
            return {"kind": kind, "id": doc_id, "datasetId": doc.get("datasetId"), "name": doc.get("name")}
        if kind == "pipelineExecutions":
            return {"kind": kind, "id": doc_id, "pipelineId": doc.get("pipelineId"), "status": doc.get("status"),
                    "projectId": doc.get("projectId")}
        project = doc.get("projectId") or (doc.get("projects") or [None])[0]
        return {"kind": kind, "id": doc_id, "projectId": project}


class Stream:
    """One page's stream: an iterable of SSE messages that gives its slot back when closed, started or not."""

    def __init__(self, feed: Feed, cursor: int | None, gone: Callable[[], bool] = lambda: False):
        self.feed = feed
        self.cursor = cursor
        self.gone = gone  # whether the client closed its end (see client_gone)
        self._released = False

    def _hello(self, reset: bool) -> bytes:
        self.cursor = self.feed._seq
        data = json.dumps({"reset": reset})
        return f"retry: {RETRY_MS}\nid: {self.feed.epoch}-{self.cursor}\nevent: hello\ndata: {data}\n\n".encode()

    def __iter__(self) -> Iterator[bytes]:
        feed = self.feed
        ends = time.monotonic() + feed.stream_s
        if self.cursor is None:
            yield self._hello(reset=True)
        else:
            yield f"retry: {RETRY_MS}\n: resumed\n\n".encode()
        beat = time.monotonic() + feed.heartbeat_s
        while not feed._closed:
            now = time.monotonic()
            if now >= ends:
                return
            changes, gap = feed._wait(self.cursor, max(0.0, min(beat, ends, now + GONE_CHECK_S) - now))
            if not changes and not gap and self.gone():
                return  # the slot is given back by close(), which the server calls on the ended response
            if gap:
                yield self._hello(reset=True)
            elif changes:
                self.cursor = changes[-1][0]
                latest = {}
                for _, kind, doc_id in changes:  # each thing once, at its place of last change
                    latest.pop((kind, doc_id), None)
                    latest[(kind, doc_id)] = None
                data = json.dumps([feed.summary(kind, doc_id) for kind, doc_id in latest], separators=(",", ":"))
                yield f"id: {feed.epoch}-{self.cursor}\nevent: changes\ndata: {data}\n\n".encode()
                feed._stopping.wait(feed.batch_s)  # batch what comes next; close() ends the pause at once
            elif time.monotonic() >= beat:
                yield b": heartbeat\n\n"
            else:
                continue
            beat = time.monotonic() + feed.heartbeat_s

    def close(self) -> None:
        if not self._released:
            self._released = True
            self.feed._release()


def client_gone(connection: socket.socket | None) -> Callable[[], bool]:
    """Whether the client of ``connection`` has closed it: a page's EventSource sends nothing after its
    request, so a readable socket that gives no byte is one whose other end is gone."""
    def gone() -> bool:
        if connection is None:  # called in this process, with no socket: it goes when the caller closes
            return False
        try:
            readable, _, _ = select.select([connection], [], [], 0)
            return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):  # reset, or closed under us
            return True

    return gone


def live_routes(feed: Feed) -> list[Route]:
    """``GET /_faas/events``: the page's one stream of changes (the platform's token or the page's cookie)."""

    def events(request: Request):
        stream = feed.open(request.headers.get("Last-Event-ID") or request.args.get("lastEventId"),
                           client_gone(request.environ.get("werkzeug.socket")))
        return Response(stream, mimetype="text/event-stream", direct_passthrough=True,
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return [Route("/_faas/events", ("GET",), events)]
