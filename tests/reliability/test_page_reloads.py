"""A page that reloads gives its events stream's place back at once: the platform notices the closed
connection while the stream is quiet, not at the next heartbeat.

Before, a closed stream kept its place until a heartbeat write failed (up to 15 s): eight quick reloads of the
page used every place, and the ninth load was a 429. Here the heartbeat is an hour away, so only noticing
the closed connection can free a place.
"""

from __future__ import annotations


import pytest
from reliability_data import holds_within
import requests

from pytest_faas.local import LocalPlatform


@pytest.fixture
def platform(tmp_path):
    with LocalPlatform(tmp_path / "data", placement="none", bind_sdk=False) as platform:
        platform.backend.feed.heartbeat_s = 3600.0
        yield platform


def _open(platform) -> requests.Response:
    return requests.get(f"{platform.url}/_faas/events", headers={"Authorization": f"Bearer {platform.token}"},
                        stream=True, timeout=30)


def test_reloading_the_page_twenty_times_keeps_one_place(platform):
    feed = platform.backend.feed
    page = _open(platform)
    for reload in range(20):  # more than the places there are (8)
        assert page.status_code == 200, (reload, page.text[:200])
        next(page.iter_lines())  # the hello: the stream is open on the server
        page.close()  # the reload closes the old stream...
        assert holds_within(lambda: feed.open_streams == 0), f"reload {reload}: the closed stream kept its place"
        page = _open(platform)  # ...and opens a new one
    assert page.status_code == 200
    page.close()
