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
