"""Shared helpers of the data-plane reliability tests (races, crash): a raw REST client and a start line.

Imported explicitly by the test modules (no conftest), so that other reliability suites keep their own.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

ANNOTATION = {"type": "class", "label": "cat", "coordinates": None, "metadata": {}}


class Rest:
    """One client of the REST surface, as dtlpy speaks it: bearer token, JSON, multipart uploads."""

    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")  # the platform URL includes /api/v1
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, timeout: float = 30, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=timeout, **kwargs)

    def project(self, name: str) -> dict:
        response = self.call("POST", "/projects", json={"name": name})
        assert response.status_code == 200, response.text
        return response.json()

    def dataset(self, project_id: str, name: str = "dataset") -> dict:
        response = self.call("POST", "/datasets", json={"name": name, "projects": [project_id]})
        assert response.status_code == 200, response.text
        return response.json()

    def upload(self, dataset_id: str, path: str, data: bytes, mode: str = "skip") -> requests.Response:
        folder, name = path.rsplit("/", 1)
        return self.call("POST", f"/datasets/{dataset_id}/items", params={"mode": mode},
                         files={"file": (name, data, "application/octet-stream")},
                         data={"path": path, "metadata": json.dumps({})})

    def close(self) -> None:
        self.session.close()


def together(calls: list, workers: int | None = None) -> list:
    """Run the calls in threads released at one instant; return their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=workers or len(calls)) as pool:
        return list(pool.map(run, calls))


def holds_within(check, bound_s: float = 30.0) -> bool:
    """Whether ``check()`` holds within ``bound_s``: a bounded wait for an event, polled (never a timing check)."""
    pause = threading.Event()
    for _ in range(int(bound_s / 0.05)):
        if check():
            return True
        pause.wait(0.05)
    return check()
