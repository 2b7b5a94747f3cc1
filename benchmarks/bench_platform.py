"""Data-plane speed: `items.get` through dtlpy, and a filtered page of 100 from a 10,000-item dataset.

Baselines, measured in the same run and interleaved with the subject:
- the same dtlpy call against a stub that answers one constant item, served by the same werkzeug server
  setup (so the ratio is the cost of our routing, auth, store and JSON);
- a bare `requests` GET of the stub, the floor of any HTTP round trip here.
"""

from __future__ import annotations

import json

import requests
from werkzeug.wrappers import Response

from harness import interleaved, sample
from pytest_faas.backend.web.server import ServerThread
from pytest_faas.local import LocalPlatform

ITEMS = 10_000


def _stub(constant: dict):
    body = json.dumps(constant)

    def app(environ, start_response):
        return Response(body, mimetype="application/json")(environ, start_response)

    return ServerThread(app).start()


def run(report) -> None:
    with LocalPlatform(durable=False) as platform:
        dl = platform.dl
        backend = platform.backend
        project = dl.projects.create("bench")
        dataset = project.datasets.create("big")
        # Seed through the backend's Python API: the benchmark is about reading, not uploading.
        for i in range(ITEMS):
            folder = "/train" if i % 2 == 0 else "/val"
            backend.items.upload(dataset.id, f"{folder}/img{i:05d}.jpg", b"x" * 16)
        item = dataset.items.get(filepath="/train/img00000.jpg")
        stub = _stub(backend.items.get(item.id))
        stub_url = f"{stub.url}/api/v1/items/{item.id}"
        try:
            items_repo = dl.items

            def ours():
                items_repo.get(item_id=item.id)

            def against_stub():
                # The same dtlpy code path, pointed at the stub for this one call.
                client = dl.client_api
                saved = client._ApiClient__gate_url_for_requests
                client._ApiClient__gate_url_for_requests = f"{stub.url}/api/v1"
                try:
                    items_repo.get(item_id=item.id)
                finally:
                    client._ApiClient__gate_url_for_requests = saved

            subject, baseline = interleaved(ours, against_stub, repeat=400)
            report("items.get via dtlpy", subject, goal="<= 2 ms median, <= 1.3x stub",
                   baseline="same call vs constant stub", baseline_samples=baseline)
            session = requests.Session()
            report("bare requests GET of the stub", sample(lambda: session.get(stub_url), 400),
                   note="floor of an HTTP round trip")

            filters = dl.Filters(field="dir", values="/train")

            def page():
                result = dataset.items.list(filters=filters, page_size=100)
                assert len(result.items) == 100 and result.items_count == ITEMS // 2

            query = filters.prepare()
            query.update(page=0, pageSize=100)

            def server_only():
                response = session.post(f"{platform.url}/datasets/{dataset.id}/query", json=query,
                                        headers={"Authorization": f"Bearer {platform.token}"})
                assert len(response.json()["items"]) == 100

            subject, baseline = interleaved(page, server_only, repeat=40)
            report("page of 100 of 10,000 items, filtered, via dtlpy", subject, goal="<= 50 ms median",
                   baseline="same query as raw HTTP", baseline_samples=baseline)
        finally:
            stub.stop()
