"""Persistence of platform entities and blobs: SQLite for documents and small blobs, plain files for big ones.

The store knows nothing of HTTP, dtlpy or scheduling. It keeps every document of every kind in memory
(the working set of a test platform is small) and writes each change through to SQLite, so reads cost a
dict lookup and a restarted platform on the same data dir finds everything it had.

Documents are JSON-shaped dicts with an ``id``. Each belongs to a ``parent`` (a dataset for items, an
item for annotations, a service for executions, ...) so that scoped scans do not walk every document.
Callers must treat returned documents as read-only and hand a changed copy to :meth:`Store.put`.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import NotFound

# Blobs up to this size are rows of the database. Creating a file cost 0.05 to 0.8 ms on this kind of disk,
# more than the rest of an upload, against about 0.02 ms for a row; bigger blobs stream to files.
SMALL_BLOB_BYTES = 256 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS blobs (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
"""


class Store:
    """Entities by kind and id, with a parent index, backed by SQLite; blobs as rows or files by size.

    Args:
        data_dir: folder for ``platform.sqlite3`` and ``blobs/``. ``None`` makes a temporary folder that is
            removed by :meth:`close`.
        durable: when False, the SQLite database (documents and small blobs) is in memory; blobs larger than
            ``SMALL_BLOB_BYTES`` still go to files.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, durable: bool = True):
        self._owns_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="faas-platform-") if data_dir is None else data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new data dir is the user's alone
        self.blob_dir = self.data_dir / "blobs"
        self.blob_dir.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        database = str(self.data_dir / "platform.sqlite3") if durable else ":memory:"
        if durable:  # created 0600 before SQLite opens it (its -wal and -shm files take the same mode)
            os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        # WAL with synchronous=NORMAL survives a process crash (not a power cut) at a fraction of the cost.
        # A temporary folder, removed on close, has nothing to keep across a crash: no fsync at all there.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'OFF' if self._owns_dir else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        self._docs: dict[str, dict[str, dict]] = defaultdict(dict)
        self._children: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
        self._parent_of: dict[tuple[str, str], str] = {}
        self._load()

    def _load(self) -> None:
        # Ids sort by creation time, so loading in id order rebuilds insertion-ordered indexes.
        for kind, doc_id, parent, body in self._db.execute(
            "SELECT kind, id, parent, body FROM documents ORDER BY id"
        ):
            doc = json.loads(body)
            self._docs[kind][doc_id] = doc
            self._children[(kind, parent)][doc_id] = doc
            self._parent_of[(kind, doc_id)] = parent

    # -- documents ------------------------------------------------------------------------------------

    def put(self, kind: str, doc: dict, parent: str = "") -> dict:
        """Insert or replace a document; returns it. The parent of an existing document never changes."""
        doc_id = doc["id"]
        body = json.dumps(doc, separators=(",", ":"))
        with self._lock:
            parent = self._parent_of.get((kind, doc_id), parent)
            self._db.execute(
                "INSERT OR REPLACE INTO documents (kind, id, parent, body) VALUES (?, ?, ?, ?)",
                (kind, doc_id, parent, body),
            )
            self._docs[kind][doc_id] = doc
            self._children[(kind, parent)][doc_id] = doc
            self._parent_of[(kind, doc_id)] = parent
        return doc

    def find(self, kind: str, doc_id: str) -> dict | None:
        """The document, or None."""
        return self._docs[kind].get(doc_id)

    def get(self, kind: str, doc_id: str, label: str | None = None) -> dict:
        """The document, or :class:`NotFound` naming what was asked for."""
        doc = self._docs[kind].get(doc_id)
        if doc is None:
            raise NotFound(f"{label or kind.rstrip('s').capitalize()} not found: {doc_id!r}")
        return doc

    def delete(self, kind: str, doc_id: str) -> dict | None:
        """Remove a document (and nothing else); returns what was removed."""
        with self._lock:
            doc = self._docs[kind].pop(doc_id, None)
            if doc is None:
                return None
            parent = self._parent_of.pop((kind, doc_id), "")
            self._children[(kind, parent)].pop(doc_id, None)
            self._db.execute("DELETE FROM documents WHERE kind = ? AND id = ?", (kind, doc_id))
        return doc

    def parent(self, kind: str, doc_id: str) -> str:
        return self._parent_of.get((kind, doc_id), "")

    def children(self, kind: str, parent: str) -> list[dict]:
        """Documents of ``kind`` under ``parent``, oldest first (a snapshot list)."""
        with self._lock:
            return list(self._children[(kind, parent)].values())

    def all(self, kind: str) -> list[dict]:
        """Every document of ``kind``, oldest first (a snapshot list)."""
        with self._lock:
            return list(self._docs[kind].values())

    def count(self, kind: str) -> int:
        return len(self._docs[kind])

    # -- blobs ----------------------------------------------------------------------------------------

    def blob_path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"invalid blob key {key!r}")
        return self.blob_dir / key

    def write_blob(self, key: str, chunks: Iterator[bytes] | bytes) -> int:
        """Store a blob; returns its size in bytes.

        A small one is a row; a big one is written to a temp file then renamed, so a failed write never
        leaves half a blob.
        """
        target = self.blob_path(key)
        chunks = iter([bytes(chunks)] if isinstance(chunks, (bytes, bytearray)) else chunks)
        head: list[bytes] = []
        size = 0
        for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            if size > SMALL_BLOB_BYTES:
                break
        else:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)", (key, b"".join(head)))
            target.unlink(missing_ok=True)  # a smaller overwrite of a blob that was a file
            return size
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=".part-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in itertools.chain(head, chunks):
                    out.write(chunk)
                    size += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._db.execute("DELETE FROM blobs WHERE key = ?", (key,))
        return size

    def _small_blob(self, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def read_blob(self, key: str) -> bytes:
        target = self.blob_path(key)
        data = self._small_blob(key)
        return target.read_bytes() if data is None else data

    def open_blob(self, key: str) -> BinaryIO:
        """The blob as a binary file object, for readers that want only its start (an image's header)."""
        target = self.blob_path(key)
        data = self._small_blob(key)
        return target.open("rb") if data is None else io.BytesIO(data)

    def delete_blob(self, key: str) -> None:
        self.blob_path(key).unlink(missing_ok=True)
        with self._lock:
            self._db.execute("DELETE FROM blobs WHERE key = ?", (key,))

    # -- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
