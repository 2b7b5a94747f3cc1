"""Blobs: small ones are rows of the database, big ones files; every path reads back, and survives a reopen."""

from __future__ import annotations

import pytest

from pytest_faas.backend.store import SMALL_BLOB_BYTES, Store

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
    assert store.write_blob("a", [b"s" * 5, b"s" * 5]) == 10
    assert (_files(store), _rows(store)) == (set(), {"a"})
    assert store.read_blob("a") == SMALL
    with store.open_blob("a") as blob:
        assert blob.read(3) == b"sss"


def test_big_blobs_go_to_files_and_overwrites_leave_one_copy(store):
    assert store.write_blob("a", [LARGE[:100], LARGE[100:]]) == len(LARGE)
    assert (_files(store), _rows(store)) == ({"a"}, set()) and store.read_blob("a") == LARGE
    store.write_blob("a", SMALL)  # smaller now: a row, the file gone
    assert (_files(store), _rows(store)) == (set(), {"a"}) and store.read_blob("a") == SMALL
    store.write_blob("a", LARGE)  # bigger again: a file, the row gone
    assert (_files(store), _rows(store)) == ({"a"}, set()) and store.read_blob("a") == LARGE
    store.delete_blob("a")
    with pytest.raises(FileNotFoundError):
        store.read_blob("a")


def test_a_failed_write_leaves_the_old_blob(store):
    store.write_blob("a", SMALL)

    def broken():
        yield LARGE
        raise OSError("the client went away")

    with pytest.raises(OSError):
        store.write_blob("a", broken())
    assert store.read_blob("a") == SMALL and _files(store) == set()


def test_a_durable_store_keeps_its_blobs_across_a_reopen(tmp_path):
    first = Store(tmp_path / "data")
    first.write_blob("small", SMALL)
    first.write_blob("big", LARGE)
    first.close()
    again = Store(tmp_path / "data")
    try:
        assert (again.read_blob("small"), again.read_blob("big")) == (SMALL, LARGE)
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
        assert (store.read_blob("small"), store.read_blob("big")) == (SMALL, LARGE)
        store.write_blob("big", SMALL)  # an overwrite removes the old file once committed
        assert store.read_blob("big") == SMALL and _files(store) == set()
    finally:
        store.close()


def test_a_failed_transaction_changes_neither_the_database_nor_memory(store):
    store.put("items", {"id": "a", "v": 1}, parent="d")
    store.write_blob("a", SMALL)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("items", {"id": "a", "v": 2})
            store.put("items", {"id": "b", "v": 1}, parent="d")
            store.write_blob("a", LARGE)
            raise RuntimeError("half-way")
    assert store.get("items", "a") == {"id": "a", "v": 1} and store.find("items", "b") is None
    assert [d["id"] for d in store.children("items", "d")] == ["a"]
    assert store.read_blob("a") == SMALL and _files(store) == set()
    assert [row[0] for row in store._db.execute("SELECT id FROM documents")] == ["a"]
