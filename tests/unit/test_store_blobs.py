"""Blobs: in memory for a store that forgets on close (small ones), files otherwise; every path reads back."""

from __future__ import annotations

import pytest

from pytest_faas.backend.store import MEMORY_BLOB_BYTES, Store

SMALL = b"s" * 10
LARGE = b"L" * (MEMORY_BLOB_BYTES + 1)


def _files(store: Store) -> set[str]:
    return {p.name for p in store.blob_dir.iterdir() if not p.name.startswith(".")}


@pytest.fixture
def memory_store():
    store = Store(None, durable=False)
    yield store
    store.close()


def test_small_blobs_of_a_memory_store_make_no_file(memory_store):
    assert memory_store.write_blob("a", [b"s" * 5, b"s" * 5]) == 10
    assert _files(memory_store) == set()
    assert memory_store.read_blob("a") == SMALL
    with memory_store.open_blob("a") as blob:
        assert blob.read(3) == b"sss"


def test_large_blobs_go_to_files_and_overwrites_leave_one_copy(memory_store):
    assert memory_store.write_blob("a", [LARGE[:100], LARGE[100:]]) == len(LARGE)
    assert _files(memory_store) == {"a"} and memory_store.read_blob("a") == LARGE
    memory_store.write_blob("a", SMALL)  # smaller now: back in memory, the file gone
    assert _files(memory_store) == set() and memory_store.read_blob("a") == SMALL
    memory_store.write_blob("a", LARGE)  # larger again: a file, the memory copy gone
    assert memory_store.read_blob("a") == LARGE and memory_store._memory_blobs == {}
    memory_store.delete_blob("a")
    with pytest.raises(FileNotFoundError):
        memory_store.read_blob("a")


def test_a_durable_store_keeps_every_blob_in_a_file(tmp_path):
    store = Store(tmp_path / "data")
    try:
        store.write_blob("a", SMALL)
        assert _files(store) == {"a"}
    finally:
        store.close()
    reopened = Store(tmp_path / "data")
    try:
        assert reopened.read_blob("a") == SMALL
    finally:
        reopened.close()


def test_a_failed_write_leaves_the_old_blob(memory_store):
    memory_store.write_blob("a", SMALL)

    def broken():
        yield LARGE
        raise OSError("the client went away")

    with pytest.raises(OSError):
        memory_store.write_blob("a", broken())
    assert memory_store.read_blob("a") == SMALL and _files(memory_store) == set()
