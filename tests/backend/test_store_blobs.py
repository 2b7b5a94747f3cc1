"""Blobs: small ones are rows of the database, big ones files; every path reads back, and survives a reopen."""

from __future__ import annotations

import pytest

from pytest_faas.backend.store import SMALL_BLOB_BYTES, Store


def write_blob(store: Store, key: str, chunks) -> int:
    """Stage and commit a blob in one transaction, as the platform's uploads do; its size in bytes."""
    staged = store.stage_blob(chunks)
    try:
        with store.transaction():
            return store.commit_blob(key, staged)
    finally:
        staged.discard()


def read_blob(store: Store, key: str) -> bytes:
    with store.open_blob(key) as blob:
        return blob.read()

SMALL = b"s" * 10
LARGE = b"L" * (SMALL_BLOB_BYTES + 1)


def _files(store: Store) -> set[str]:
    # A big blob's file is named after its key plus a suffix that changes with each write.
    return {p.name.split("~")[0] for p in store.blob_dir.iterdir() if not p.name.startswith(".")}


def _rows(store: Store) -> set[str]:
    return {key for (key,) in store._db.execute("SELECT key FROM blobs WHERE file IS NULL")}  # bytes inline


@pytest.fixture(params=[False, True], ids=["memory", "durable"])
def store(request, tmp_path):
    opened = Store(tmp_path / "data" if request.param else None, durable=request.param)
    yield opened
    opened.close()


def test_small_blobs_make_no_file(store):
    assert write_blob(store, "a", [b"s" * 5, b"s" * 5]) == 10
    assert (_files(store), _rows(store)) == (set(), {"a"})
    assert read_blob(store, "a") == SMALL
    with store.open_blob("a") as blob:
        assert blob.read(3) == b"sss"


def test_big_blobs_go_to_files_and_overwrites_leave_one_copy(store):
    assert write_blob(store, "a", [LARGE[:100], LARGE[100:]]) == len(LARGE)
    assert (_files(store), _rows(store)) == ({"a"}, set()) and read_blob(store, "a") == LARGE
    write_blob(store, "a", SMALL)  # smaller now: a row, the file gone
    assert (_files(store), _rows(store)) == (set(), {"a"}) and read_blob(store, "a") == SMALL
    write_blob(store, "a", LARGE)  # bigger again: a file, the row gone
    assert (_files(store), _rows(store)) == ({"a"}, set()) and read_blob(store, "a") == LARGE
    store.delete_blob("a")
    with pytest.raises(FileNotFoundError):
        read_blob(store, "a")


def test_a_failed_write_leaves_the_old_blob(store):
    write_blob(store, "a", SMALL)

    def broken():
        yield LARGE
        raise OSError("the client went away")

    with pytest.raises(OSError):
        write_blob(store, "a", broken())
    assert read_blob(store, "a") == SMALL and _files(store) == set()


def test_a_durable_store_keeps_its_blobs_across_a_reopen(tmp_path):
    first = Store(tmp_path / "data")
    write_blob(first, "small", SMALL)
    write_blob(first, "big", LARGE)
    first.close()
    again = Store(tmp_path / "data")
    try:
        assert (read_blob(again, "small"), read_blob(again, "big")) == (SMALL, LARGE)
    finally:
        again.close()


def test_a_data_dir_of_the_earlier_layout_is_read(tmp_path):
    # Before blob rows named their files, a big blob was a file named by its key, with no row.
    import sqlite3

    data = tmp_path / "data"
    (data / "blobs").mkdir(parents=True)
    with sqlite3.connect(data / "platform.sqlite3") as db:
        db.executescript("CREATE TABLE blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);"
                         "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL,"
                         " body TEXT NOT NULL, PRIMARY KEY (kind, id));")
        db.execute("INSERT INTO blobs VALUES ('small', ?)", (SMALL,))
    (data / "blobs" / "big").write_bytes(LARGE)
    store = Store(data)
    try:
        assert (read_blob(store, "small"), read_blob(store, "big")) == (SMALL, LARGE)
        write_blob(store, "big", SMALL)  # an overwrite removes the old file once committed
        assert read_blob(store, "big") == SMALL and _files(store) == set()
    finally:
        store.close()


def test_a_failed_transaction_changes_neither_the_database_nor_memory(store):
    store.put("items", {"id": "a", "v": 1}, parent="d")
    write_blob(store, "a", SMALL)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("items", {"id": "a", "v": 2})
            store.put("items", {"id": "b", "v": 1}, parent="d")
            write_blob(store, "a", LARGE)
            raise RuntimeError("half-way")
    assert store.get("items", "a") == {"id": "a", "v": 1} and store.find("items", "b") is None
    assert [d["id"] for d in store.children("items", "d")] == ["a"]
    assert read_blob(store, "a") == SMALL and _files(store) == set()
    assert [row[0] for row in store._db.execute("SELECT id FROM documents")] == ["a"]
