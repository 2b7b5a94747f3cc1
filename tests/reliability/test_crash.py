"""`kill -9` of `faas serve` under upload, overwrite and execution load loses nothing it acknowledged.

One data dir, one `faas serve` process after another, each killed with SIGKILL at a random moment while
clients upload new items, overwrite their own (the bytes switching between SQLite rows and files) and
start executions. After each restart:

- every item whose upload was answered 2xx is there, and its bytes are those of its last acknowledged
  write or of the one write still unanswered when the process died; whichever, its ``size`` is their length;
- the dataset's ``itemsCount`` equals a recount;
- every acknowledged execution is there and ends: none stays ``in-progress``.
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

from faas_code import simple_package
from reliability_data import Rest

from pytest_faas.backend.store import SMALL_BLOB_BYTES, Store
from pytest_faas.local import LocalPlatform
from pytest_faas.protocol import TERMINAL

KILLS = 8
WRITERS = 3
EXECUTIONS_PER_ROUND = 12
FAAS = [sys.executable, "-c", "import sys; from pytest_faas.cli import main; sys.exit(main())"]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _payload(rng: random.Random) -> bytes:
    # Half small (a SQLite row), half big (a file), so that overwrites switch between the two.
    size = rng.randrange(10, 4000) if rng.random() < 0.5 else rng.randrange(SMALL_BLOB_BYTES + 1, 2 * SMALL_BLOB_BYTES)
    return (rng.randbytes(32) * (size // 32 + 1))[:size]


class Serve:
    """One `faas serve` process on the data dir, in the thread placement (no runner processes to orphan)."""

    def __init__(self, data_dir, cwd):
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAAS_")}
        self.process = subprocess.Popen(FAAS + ["serve", "--port", "0", "--data-dir", str(data_dir),
                                                "--placement", "thread"],
                                        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "faas serve exited:\n" + "".join(seen)
                continue
            seen.append(line)
            if found := re.search(r"local platform at (http://\S+)", line):
                self.url = found.group(1)
                return
        self.kill()
        raise AssertionError("faas serve did not start within 60 s:\n" + "".join(seen))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


class Ledger:
    """Per item path (each owned by one writer): the acknowledged bytes, and the write left unanswered."""

    def __init__(self):
        self.acked: dict[str, tuple[str, str]] = {}  # path -> (item id, digest)
        self.pending: dict[str, str] = {}  # path -> digest of a write sent but not answered
        self.executions: set[str] = set()  # acknowledged and not yet seen ending
        self.errors: list[str] = []
        self.lock = threading.Lock()


def _writer(rest: Rest, dataset_id: str, ledger: Ledger, number: int, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    mine: list[str] = [p for p in ledger.acked if p.startswith(f"/w{number}/")]
    while not stop.is_set():
        path = rng.choice(mine) if mine and rng.random() < 0.8 else f"/w{number}/f{len(mine)}-{rng.randrange(1 << 30)}.bin"
        data = _payload(rng)
        with ledger.lock:
            ledger.pending[path] = _digest(data)
        try:
            answer = rest.upload(dataset_id, path, data, mode="overwrite")
        except requests.RequestException:
            return  # the server died with this write unanswered: it stays pending
        if answer.status_code != 200:
            ledger.errors.append(f"upload {path}: {answer.status_code} {answer.text[:200]}")
            return
        record = answer.json()
        with ledger.lock:
            ledger.pending.pop(path)
            ledger.acked[path] = (record["id"], _digest(data))
        if record["metadata"]["system"]["size"] != len(data):
            ledger.errors.append(f"upload {path}: answered size {record['metadata']['system']['size']} != {len(data)}")
        if path not in mine:
            mine.append(path)


def _executor(rest: Rest, service_id: str, ledger: Ledger, stop: threading.Event) -> None:
    # A bounded number a round: each kill's check waits for every acknowledged execution to end, so an
    # unbounded stream of them made the whole test wait minutes for work that proves nothing more.
    for _ in range(EXECUTIONS_PER_ROUND):
        if stop.is_set():
            return
        try:
            answer = rest.call("POST", f"/executions/{service_id}",
                               json={"functionName": "run", "input": {"config": {"s": 0.1}}})
        except requests.RequestException:
            return
        if answer.status_code != 200:
            ledger.errors.append(f"execution: {answer.status_code} {answer.text[:200]}")
            return
        with ledger.lock:
            ledger.executions.add(answer.json()["id"])
        stop.wait(0.1)  # spread over the round, so that some are running when the kill comes


def _check(rest: Rest, dataset_id: str, ledger: Ledger, kill: int) -> None:
    """After a restart: every acknowledged write is there and consistent; settle the unanswered ones."""
    by_path, number = {}, 0
    while True:
        # Files only, as dtlpy's default filter asks: the folders the uploads made are items too.
        page = rest.call("POST", f"/datasets/{dataset_id}/query",
                         json={"filter": {"type": "file"}, "pageSize": 1000, "page": number}).json()
        by_path.update((record["filename"], record) for record in page["items"])
        if not page["hasNextPage"]:
            break
        number += 1
    for path in set(ledger.acked) | set(ledger.pending):
        record = by_path.get(path)
        allowed = {d for d in (ledger.acked.get(path, (None, None))[1], ledger.pending.get(path)) if d}
        if path in ledger.acked:
            assert record is not None, f"kill {kill}: acknowledged item {path} is gone"
            assert record["id"] == ledger.acked[path][0]
        if record is None:
            ledger.pending.pop(path, None)
            continue
        data = rest.call("GET", f"/items/{record['id']}/stream").content
        assert _digest(data) in allowed, f"kill {kill}: {path} holds bytes nobody sent last"
        assert record["metadata"]["system"]["size"] == len(data), (
            f"kill {kill}: {path} has {len(data)} bytes but its record says {record['metadata']['system']['size']}")
        ledger.acked[path] = (record["id"], _digest(data))
        ledger.pending.pop(path, None)
    assert rest.call("GET", f"/datasets/{dataset_id}").json()["itemsCount"] == page["totalItemsCount"]

    deadline = time.monotonic() + 60
    while ledger.executions and time.monotonic() < deadline:
        for execution_id in list(ledger.executions):
            answer = rest.call("GET", f"/executions/{execution_id}")
            assert answer.status_code == 200, f"kill {kill}: acknowledged execution {execution_id} is gone"
            if answer.json()["latestStatus"]["status"] in TERMINAL:
                ledger.executions.discard(execution_id)
        time.sleep(0.1)
    assert not ledger.executions, f"kill {kill}: {len(ledger.executions)} executions never ended"


@pytest.mark.slow
def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "store"
    with LocalPlatform(data_dir, placement="none") as setup:  # the project and service, made once
        project = setup.dl.projects.create("crash")
        dataset_id = project.datasets.create(dataset_name="load").id
        folder = simple_package(tmp_path / "pkg", "sleeper", "def run(self, config):\n"
                                "    import time\n    time.sleep(config['s'])\n    return config\n",
                                [("run", [("config", "Json")])])
        service_id = project.packages.push(src_path=str(folder)).deploy(
            service_name="sleeper", runtime={"concurrency": 4}).id
    token = (data_dir / "token").read_text().strip()
    ledger, rng = Ledger(), random.Random(os.getpid())
    started = time.monotonic()
    for kill in range(KILLS):
        server = Serve(data_dir, tmp_path)
        try:
            rest = [Rest(server.url, token) for _ in range(WRITERS + 1)]
            if kill:
                _check(rest[0], dataset_id, ledger, kill)
            stop = threading.Event()
            workers = [threading.Thread(target=_writer, args=(rest[n], dataset_id, ledger, n, stop, rng.random()))
                       for n in range(WRITERS)]
            workers.append(threading.Thread(target=_executor, args=(rest[WRITERS], service_id, ledger, stop)))
            for worker in workers:
                worker.start()
            time.sleep(rng.uniform(0.3, 2.0))
        finally:
            server.kill()
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        for client in rest:
            client.close()
        assert not ledger.errors, ledger.errors
    server = Serve(data_dir, tmp_path)
    try:
        _check(Rest(server.url, token), dataset_id, ledger, KILLS)
    finally:
        assert server.stop() == 0
    assert len(ledger.acked) > KILLS  # the load really ran
    # What a crash left half-written is swept at start: every blob file is one a row names.
    with sqlite3.connect(data_dir / "platform.sqlite3") as db:
        named = {f for (f,) in db.execute("SELECT file FROM blobs WHERE file IS NOT NULL")}
    assert {p.name for p in (data_dir / "blobs").iterdir()} == named
    print(f"{KILLS} kills, {len(ledger.acked)} items in {time.monotonic() - started:.1f} s")


# A process that dies at the one worst moment of an overwrite: its new bytes are in, its record not yet.
KILLED_AT_THE_RECORD = '''
import os, signal, sys
from pytest_faas.backend.events import EventBus
from pytest_faas.backend.data.items import Items
from pytest_faas.backend.data.projects import Projects
from pytest_faas.backend.store import Store

data_dir, phase, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(data_dir)
projects = Projects(store, EventBus())
items = Items(store, EventBus(), projects)
if phase == "setup":
    project = projects.create_project("p")
    dataset = projects.create_dataset(project["id"], "d")
    record, _ = items.upload(dataset["id"], "/f.bin", b"o" * size, mode="overwrite")
    print(dataset["id"], record["id"])
    store.close()
else:
    real_put = Store.put

    def put(self, kind, doc, parent=""):
        if kind == "items":
            os.kill(os.getpid(), signal.SIGKILL)
        return real_put(self, kind, doc, parent)

    Store.put = put
    items.upload(sys.argv[4], "/f.bin", b"n" * size, mode="overwrite")
'''


@pytest.mark.parametrize("old, new", [(10, 20), (10, 2 * SMALL_BLOB_BYTES), (2 * SMALL_BLOB_BYTES, 10),
                                      (2 * SMALL_BLOB_BYTES, 3 * SMALL_BLOB_BYTES)],
                         ids=["row-row", "row-file", "file-row", "file-file"])
def test_a_kill_between_the_bytes_and_the_record_keeps_the_old_item_whole(tmp_path, old, new):
    def child(*args):
        return subprocess.run([sys.executable, "-c", KILLED_AT_THE_RECORD, str(tmp_path / "d"), *map(str, args)],
                              capture_output=True, text=True, timeout=60)

    setup = child("setup", old)
    assert setup.returncode == 0, setup.stderr
    dataset_id, item_id = setup.stdout.split()
    crashed = child("crash", new, dataset_id)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    store = Store(tmp_path / "d")
    try:
        record = store.get("items", item_id)
        with store.open_blob(item_id) as blob:
            assert blob.read() == b"o" * old
        assert record["metadata"]["system"]["size"] == old
        assert {p.name for p in store.blob_dir.iterdir()} <= {
            f for (f,) in store._db.execute("SELECT file FROM blobs WHERE file IS NOT NULL")}
    finally:
        store.close()
