"""Persistence of platform entities and blobs: SQLite for documents and small blobs, plain files for big ones.

The store knows nothing of HTTP, dtlpy or scheduling. It keeps every document of every kind in memory
(the working set of a test platform is small) and writes each change through to SQLite, so reads cost a
dict lookup and a restarted platform on the same data dir finds everything it had.

Documents are JSON-shaped dicts with an ``id``. Each belongs to a ``parent`` (a dataset for items, an
item for annotations, a service for executions, ...) so that scoped scans do not walk every document.
Callers must treat returned documents as read-only and hand a changed copy to :meth:`Store.put`.

**One write discipline.** Every change runs inside :meth:`Store.transaction`: one lock for the whole
store, one SQLite transaction, and an undo log for the in-memory copy. A read-merge-write (a PATCH, a
counter, "does this name exist? then create") done inside one transaction can lose nothing to a
concurrent writer, and a change that fails half-way leaves neither SQLite nor memory changed.

**Bytes and record together.** A blob's bytes are staged first, outside the lock (:meth:`stage_blob`),
then committed with the record that describes them (:meth:`commit_blob` inside the same transaction).
Small blobs are rows of the ``blobs`` table, so they commit with the record. A big blob is a file with a
fresh name, and its row points at it; the row changes in the transaction, and the file it replaced is
removed only after the commit. Whenever the process dies, the record and the bytes it names agree, and
a file no row names (a write cut short) is removed when the store opens.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import BadRequest, NotFound
from ..ids import is_object_id

log = logging.getLogger(__name__)

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
    data BLOB NOT NULL,
    file TEXT
);
"""
_STAGING = ".part-"  # a big blob being written; never named by a row


class StagedBlob:
    """Bytes received but not yet part of the store: in memory when small, else a file in the blob folder.

    Give it to :meth:`Store.commit_blob` inside a transaction, or :meth:`discard` it.
    """

    def __init__(self, size: int, data: bytes | None = None, path: Path | None = None):
        self.size, self.data, self.path = size, data, path

    def open(self) -> BinaryIO:
        """The staged bytes as a file object (an image's header is read from here before the commit)."""
        return io.BytesIO(self.data) if self.path is None else self.path.open("rb")

    def discard(self) -> None:
        """Drop a staged blob that was not committed; harmless after a commit."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class _Transaction:
    """The context manager of `Store.transaction` (a class, not a generator: it wraps every write)."""

    __slots__ = ("store",)

    def __init__(self, store: "Store"):
        self.store = store

    def __enter__(self) -> None:
        self.store._begin()

    def __exit__(self, kind, value, traceback) -> None:
        self.store._end(failed=kind is not None)


# Kinds whose lookups fail with 400 on an id of the wrong shape on the platform. Projects and datasets answer
# 404 to any unknown id (dtlpy's suite asks for 'some_id' of each).
OBJECT_ID_KINDS = frozenset({"items", "annotations", "packages", "services", "executions", "triggers",
                             "ontologies"})


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
        self._transaction = _Transaction(self)
        self._depth = 0  # transaction nesting; only the outermost one commits
        self._undo: dict[tuple[str, str], tuple[dict | None, str | None]] = {}
        self._new_files: list[Path] = []  # blob files this transaction made: removed if it rolls back
        self._dead_files: list[Path] = []  # blob files this transaction replaced: removed once it commits
        self._watchers: list = []  # called with each committed transaction's changed (kind, id) keys
        database = str(self.data_dir / "platform.sqlite3") if durable else ":memory:"
        if durable:  # created 0600 before SQLite opens it (its -wal and -shm files take the same mode)
            os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        # WAL with synchronous=NORMAL survives a process crash (not a power cut) at a fraction of the cost.
        # A temporary folder, removed on close, has nothing to keep across a crash: no fsync at all there.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'OFF' if self._owns_dir else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        self._upgrade()
        self._docs: dict[str, dict[str, dict]] = defaultdict(dict)
        self._children: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
        self._parent_of: dict[tuple[str, str], str] = {}
        self._load()
        if durable or self._owns_dir:  # an in-memory database names no file: keep what the folder holds
            self._sweep_blob_files()

    def _upgrade(self) -> None:
        # Data dirs written before blob rows named their files kept big blobs as files named by the key,
        # with no row: give each such file its row, so that every blob is found the same way.
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(blobs)")]
        if "file" in columns:
            return
        with self.transaction():
            self._db.execute("ALTER TABLE blobs ADD COLUMN file TEXT")
            for path in self.blob_dir.iterdir():
                if not path.name.startswith("."):
                    self._db.execute("INSERT OR IGNORE INTO blobs (key, data, file) VALUES (?, ?, ?)",
                                     (path.name, b"", path.name))

    def _load(self) -> None:
        # Ids sort by creation time, so loading in id order rebuilds insertion-ordered indexes.
        for kind, doc_id, parent, body in self._db.execute(
            "SELECT kind, id, parent, body FROM documents ORDER BY id"
        ):
            doc = json.loads(body)
            self._docs[kind][doc_id] = doc
            self._children[(kind, parent)][doc_id] = doc
            self._parent_of[(kind, doc_id)] = parent

    def _sweep_blob_files(self) -> None:
        """Remove blob files no row names: writes cut short by a crash, files a crash kept from removal."""
        named = {file for (file,) in self._db.execute("SELECT file FROM blobs WHERE file IS NOT NULL")}
        for path in self.blob_dir.iterdir():
            if path.name not in named:
                path.unlink(missing_ok=True)

    # -- transactions ---------------------------------------------------------------------------------

    def transaction(self) -> "_Transaction":
        """Hold the store's one lock and one SQLite transaction; all of the block's changes, or none.

        Use as ``with store.transaction():``. Nested blocks join the outermost one. Keep blocks short and
        free of other locks and of event publishing: every writer of the platform waits on this lock.
        """
        return self._transaction

    def _begin(self) -> None:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._db.execute("BEGIN")
            except BaseException:
                self._depth = 0
                self._lock.release()
                raise

    def _end(self, failed: bool) -> None:
        try:
            self._depth -= 1
            if self._depth:
                return
            try:
                if failed:
                    if self._db.in_transaction:  # SQLite may have rolled back already (disk full, ...)
                        self._db.execute("ROLLBACK")
                    self._roll_back_memory()
                    for path in self._new_files:
                        path.unlink(missing_ok=True)
                else:
                    self._db.execute("COMMIT")
                    for path in self._dead_files:
                        path.unlink(missing_ok=True)
                    for watcher in self._watchers:  # still under the lock: they see commits in commit order
                        try:
                            watcher(self._undo.keys())  # consumed at once, before the log is cleared
                        except Exception:  # the change is committed: a watcher's failure must not undo its 2xx
                            log.exception("store watcher %r failed", watcher)
            finally:
                self._undo.clear()
                self._new_files.clear()
                self._dead_files.clear()
        finally:
            self._lock.release()

    def watch(self, watcher) -> None:
        """Call ``watcher(keys)`` after each commit with the ``(kind, id)`` of every document it changed.

        It runs under the store's lock, in the committing thread: it must be quick and take no other lock
        than its own (the page's change feed, :mod:`.live`, appends to a ring and notifies).
        """
        with self._lock:
            self._watchers.append(watcher)

    def _remember(self, kind: str, doc_id: str) -> None:
        key = (kind, doc_id)
        if key not in self._undo:
            self._undo[key] = (self._docs[kind].get(doc_id), self._parent_of.get(key))

    def _roll_back_memory(self) -> None:
        for (kind, doc_id), (doc, parent) in self._undo.items():
            current_parent = self._parent_of.pop((kind, doc_id), None)
            if current_parent is not None:
                self._children[(kind, current_parent)].pop(doc_id, None)
            self._docs[kind].pop(doc_id, None)
            if doc is not None:
                self._docs[kind][doc_id] = doc
                self._children[(kind, parent or "")][doc_id] = doc
                self._parent_of[(kind, doc_id)] = parent or ""

    # -- documents ------------------------------------------------------------------------------------

    def put(self, kind: str, doc: dict, parent: str = "") -> dict:
        """Insert or replace a document; returns it. The parent of an existing document never changes."""
        doc_id = doc["id"]
        body = json.dumps(doc, separators=(",", ":"))
        with self.transaction():
            self._remember(kind, doc_id)
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
        """The document, or :class:`NotFound` naming what was asked for.

        For a kind whose ids are the platform's object ids, an unknown id that has not their shape is a
        :class:`BadRequest`, as on the platform (where it fails to parse). Entities seeded with ids of
        another shape (a mock file's ``cat-1``) are still found.
        """
        what = label or kind.rstrip('s').capitalize()
        if not isinstance(doc_id, str):  # a body's id of another JSON type (a list is not even hashable)
            raise BadRequest(f"{what} id must be a string, found {type(doc_id).__name__}")
        doc = self._docs[kind].get(doc_id)
        if doc is None:
            if kind in OBJECT_ID_KINDS and not is_object_id(doc_id):
                raise BadRequest(f"Invalid {what.lower()} id {doc_id!r}: ids are 24 hexadecimal digits")
            raise NotFound(f"{what} not found: {doc_id!r}")
        return doc

    def delete(self, kind: str, doc_id: str) -> dict | None:
        """Remove a document (and nothing else); returns what was removed."""
        with self.transaction():
            if doc_id not in self._docs[kind]:
                return None
            self._remember(kind, doc_id)
            doc = self._docs[kind].pop(doc_id)
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

    @staticmethod
    def _check_key(key: str) -> str:
        if not isinstance(key, str) or not key or "/" in key or key.startswith("."):
            raise ValueError(f"invalid blob key {key!r}")
        return key

    def stage_blob(self, chunks: Iterator[bytes] | bytes) -> StagedBlob:
        """Receive a blob's bytes without touching what the store holds; small ones stay in memory.

        A big one streams to a staging file in the blob folder, so the commit is a rename. Runs outside
        the store's lock: a slow upload never holds up other writers.
        """
        chunks = iter([bytes(chunks)] if isinstance(chunks, (bytes, bytearray)) else chunks)
        head: list[bytes] = []
        size = 0
        for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            if size > SMALL_BLOB_BYTES:
                break
        else:
            return StagedBlob(size, data=b"".join(head))
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=_STAGING)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in itertools.chain(head, chunks):
                    out.write(chunk)
                    size += len(chunk)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StagedBlob(size, path=Path(tmp))

    def commit_blob(self, key: str, staged: StagedBlob) -> int:
        """Make ``staged`` the blob ``key``, as part of the current transaction; returns its size."""
        self._check_key(key)
        with self.transaction():
            self._drop_blob(key)
            if staged.path is None:
                self._db.execute("INSERT INTO blobs (key, data, file) VALUES (?, ?, NULL)", (key, staged.data))
            else:
                target = self.blob_dir / f"{key}~{secrets.token_hex(6)}"
                os.rename(staged.path, target)
                staged.path = None
                self._new_files.append(target)
                self._db.execute("INSERT INTO blobs (key, data, file) VALUES (?, ?, ?)", (key, b"", target.name))
        return staged.size

    def _drop_blob(self, key: str) -> None:
        row = self._db.execute("SELECT file FROM blobs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return
        if row[0]:
            self._dead_files.append(self.blob_dir / row[0])
        self._db.execute("DELETE FROM blobs WHERE key = ?", (key,))

    def open_blob(self, key: str) -> BinaryIO:
        """The blob as a binary file object; raises FileNotFoundError when there is no such blob.

        The file is opened under the lock, so a concurrent overwrite that removes it afterwards cannot
        take the bytes away from this reader.
        """
        self._check_key(key)
        with self._lock:
            row = self._db.execute("SELECT data, file FROM blobs WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise FileNotFoundError(f"no blob {key!r}")
            if row[1]:
                return (self.blob_dir / row[1]).open("rb")
        return io.BytesIO(bytes(row[0]))

    def delete_blob(self, key: str) -> None:
        self._check_key(key)
        with self.transaction():
            self._drop_blob(key)

    # -- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
