"""A live platform for the reliability suite: real HTTP, a durable data dir, a frozen clock (only requests
move time, so nothing changes the store between two requests but the requests), and one of each entity."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import requests

from pytest_faas.local import LocalPlatform

FROZEN = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


class Live:
    """The platform, a session holding its token, and the ids of the entities seeded in it."""

    def __init__(self, platform: LocalPlatform):
        self.platform = platform
        self.url = platform.url  # .../api/v1
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {platform.token}"
        self.ids: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=60, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def seed(self) -> None:
        ids = self.ids
        ids["project"] = self.ok("POST", "/projects", json={"name": "reliability"})["id"]
        ids["dataset"] = self.ok("POST", "/datasets", json={"name": "data", "projects": [ids["project"]]})["id"]
        ids["item"] = self.ok("POST", f"/datasets/{ids['dataset']}/items",
                              files={"file": ("a.txt", b"hello"), "path": (None, "/dir/a.txt")})["id"]
        ids["annotation"] = self.ok("POST", f"/items/{ids['item']}/annotations",
                                    json=[{"type": "class", "label": "cat", "coordinates": {}}])[0]["id"]
        ids["package"] = self.ok("POST", "/packages", json={
            "name": "pkg", "projectId": ids["project"],
            "modules": [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                         "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]}]}],
        })["id"]
        ids["service"] = self.ok("POST", "/services", json={
            "name": "svc", "projectId": ids["project"], "packageId": ids["package"],
            "runtime": {"concurrency": 1, "numReplicas": 1}})["id"]
        ids["trigger"] = self.ok("POST", "/triggers", json={
            "name": "trg", "projectId": ids["project"], "type": "Event",
            "spec": {"filter": {}, "resource": "Item", "executionMode": "Once", "actions": ["Created"],
                     "operation": {"type": "function", "serviceId": ids["service"], "functionName": "run"}}})["id"]
        ids["execution"] = self.ok("POST", f"/executions/{ids['service']}", json={
            "functionName": "run", "input": {"item": ids["item"]}})["id"]
        ids["agent"] = self.ok("POST", "/_faas/agents", json={"serviceId": ids["service"], "replica": 0})["agentId"]
        ids["command"] = self.ok("POST", f"/datasets/{ids['dataset']}/export", json={})["id"]

    def version(self) -> tuple:
        """A cheap stand-in for :meth:`snapshot`: SQLite's count of commits by other connections, and the
        blob files' sizes and times. Equal before and after a request: the request stored nothing."""
        if self._db is None:
            path = self.platform.backend.data_dir / "platform.sqlite3"
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False)
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        blobs = self.platform.backend.data_dir / "blobs"
        files = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in blobs.rglob("*") if p.is_file())
        return version, files

    def snapshot(self) -> tuple:
        """Everything the data dir holds: every row of every table of the database, every blob file."""
        data_dir = self.platform.backend.data_dir
        with sqlite3.connect(f"file:{data_dir / 'platform.sqlite3'}?mode=ro", uri=True) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            rows = {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in tables}
        db.close()
        blobs = data_dir / "blobs"
        files = {str(p.relative_to(blobs)): p.read_bytes() for p in sorted(blobs.rglob("*")) if p.is_file()}
        return rows, files


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A running platform (no agents: executions wait) with one of each entity."""
    platform = LocalPlatform(tmp_path_factory.mktemp("live"), placement="none", bind_sdk=False,
                             clock=lambda: FROZEN, lease_s=3600, get_grace_s=0)
    platform.start()
    # Long polls answer within a fraction of a second here: the fuzz sends many, and their bounds are
    # checked on their own (test_waits.py).
    platform.backend.engine.dispatch.max_wait_s = 0.05
    platform.backend.engine.dispatch.max_result_wait_s = 0.05
    platform.backend.feed.stream_s = 0.05  # the page's event stream ends at once too (tests/page checks it)
    live = Live(platform)
    try:
        live.seed()
        yield live
    finally:
        live.http.close()
        if live._db is not None:
            live._db.close()
        platform.close()
