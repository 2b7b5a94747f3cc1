"""Persistence of platform entities and blobs: SQLite for documents, plain files for bytes.

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

MEMORY_BLOB_BYTES = 256 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""


class Store:
    """Entities by kind and id, with a parent index, backed by SQLite; blobs as files.

    Args:
        data_dir: folder for ``platform.sqlite3`` and ``blobs/``. ``None`` makes a temporary folder that is
            removed by :meth:`close`.
        durable: when False, documents live in an in-memory SQLite database, and so do blobs of up to
            ``MEMORY_BLOB_BYTES`` (larger ones still go to files).
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, durable: bool = True):
        self._owns_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="faas-platform-") if data_dir is None else data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir = self.data_dir / "blobs"
        self.blob_dir.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        # Creating a file costs 0.05 to 0.8 ms on this kind of disk, more than the rest of an upload; a
        # store that forgets everything on close has no reason to pay it for small blobs.
        self._memory_blobs: dict[str, bytes] | None = None if durable else {}
        database = str(self.data_dir / "platform.sqlite3") if durable else ":memory:"
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        # WAL with synchronous=NORMAL survives a process crash (not a power cut) at a fraction of the cost.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
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
        """Write a blob atomically (temp file then rename) and return its size in bytes."""
        target = self.blob_path(key)
        if isinstance(chunks, (bytes, bytearray)):
            chunks = [bytes(chunks)]
        chunks = iter(chunks)
        head: list[bytes] = []
        if self._memory_blobs is not None:
            size = 0
            for chunk in chunks:
                head.append(chunk)
                size += len(chunk)
                if size > MEMORY_BLOB_BYTES:
                    break
            else:
                target.unlink(missing_ok=True)  # a smaller overwrite of a blob that was a file
                self._memory_blobs[key] = b"".join(head)
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
        if self._memory_blobs is not None:
            self._memory_blobs.pop(key, None)
        return size

    def read_blob(self, key: str) -> bytes:
        target = self.blob_path(key)
        if self._memory_blobs is not None and key in self._memory_blobs:
            return self._memory_blobs[key]
        return target.read_bytes()

    def open_blob(self, key: str) -> BinaryIO:
        """The blob as a binary file object, for readers that want only its start (an image's header)."""
        target = self.blob_path(key)
        if self._memory_blobs is not None and key in self._memory_blobs:
            return io.BytesIO(self._memory_blobs[key])
        return target.open("rb")

    def delete_blob(self, key: str) -> None:
        self.blob_path(key).unlink(missing_ok=True)
        if self._memory_blobs is not None:
            self._memory_blobs.pop(key, None)

    # -- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
