"""The bad requests of the hardening report, one by one: each is a 4xx with a message, and the store is
exactly as it was before it."""

from __future__ import annotations

import json

import pytest

NAN, INF = float("nan"), float("inf")


def deep(levels: int) -> bytes:
    return b'{"filter": ' + b'{"$and": [' * levels + b"{}" + b"]}" * levels + b"}"


def body_cases(ids):
    """(method, path, raw body or JSON value) of every case; a str path is filled with the seeded ids."""
    p, d, i, s, a = ids["project"], ids["dataset"], ids["item"], ids["service"], ids["agent"]
    return {
        "deep nesting (stack overflow in the parser)": ("POST", f"/datasets/{d}/query", b"[" * 100_000 + b"]" * 100_000),
        "deep nesting (below the parser's limit)": ("POST", f"/datasets/{d}/query", deep(150)),
        "a list body": ("POST", "/projects", [1]),
        "a string body": ("POST", "/datasets", "x"),
        "a null body": ("POST", "/projects", None),
        "a null body to a create": ("POST", "/packages", None),
        "a project named by an object": ("POST", "/projects", {"name": {"a": 1}}),
        "a project named by a list": ("POST", "/projects", {"name": ["a"]}),
        "a project named NaN": ("POST", "/projects", {"name": NAN}),
        "a dataset named Infinity": ("POST", "/datasets", {"name": INF, "projects": [p]}),
        "a dataset named by an object": ("POST", "/datasets", {"name": {"x": 1}, "projects": [p]}),
        "unhashable project ids": ("POST", "/datasets", {"name": "d2", "projects": [[p]]}),
        "an object as a project id": ("POST", "/datasets", {"name": "d3", "projects": [{"id": p}]}),
        "a context that is a string": ("POST", "/datasets/query", {"context": "x"}),
        "a context with unhashable projects": ("POST", "/datasets/query", {"context": {"projects": [{}]}}),
        "a context that is a list": ("POST", "/datasets/query", {"context": [p]}),
        "claim max Infinity": ("POST", f"/_faas/agents/{a}/claim", {"max": INF}),
        "claim wait 1e9": ("POST", f"/_faas/agents/{a}/claim", {"wait": 1e9}),
        "signals wait Infinity": ("POST", f"/_faas/agents/{a}/signals", {"wait": INF}),
        "signals wait NaN": ("POST", f"/_faas/agents/{a}/signals", {"wait": NAN}),
        "concurrency NaN on create": ("POST", "/services", {"name": "svc-nan", "projectId": p,
                                                            "packageId": ids["package"],
                                                            "runtime": {"concurrency": NAN}}),
        "concurrency NaN on update": ("PATCH", f"/services/{s}", {"runtime": {"concurrency": NAN}}),
        "an item renamed to an object": ("PATCH", f"/items/{i}", {"name": {"a": 1}}),
        "an item moved to a dir with ..": ("PATCH", f"/items/{i}", {"dir": "/a/../../etc"}),
        "an item named ..": ("PATCH", f"/items/{i}", {"name": ".."}),
        "a number too large for a float": ("PATCH", f"/items/{i}", b'{"metadata": {"user": {"x": 1e999}}}'),
        "the cron clock 1e12 s forward": ("POST", "/_faas/cron/advance", {"seconds": 1e12}),
        "progress NaN": ("POST", f"/executions/{ids['execution']}/progress", {"percentComplete": NAN}),
        "logs entries that are not objects": ("POST", f"/_faas/agents/{a}/logs", {"entries": [1, "x"]}),
    }


@pytest.fixture(scope="module")
def cases(live):
    return body_cases(live.ids)


@pytest.mark.parametrize("case", list(body_cases({k: "0" * 24 for k in (
    "project", "dataset", "item", "service", "agent", "package", "execution")})))
def test_bad_body_is_a_4xx_and_changes_nothing(live, cases, case):
    method, path, body = cases[case]
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    before = live.snapshot()
    response = live.call(method, path, data=data, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text[:300])
    assert response.json()["message"]
    assert live.snapshot() == before


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/mixed; boundary=xyz",
                                          "multipart/form-data; boundary="])
def test_an_upload_without_a_usable_boundary(live, content_type):
    before = live.snapshot()
    body = b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nhi\r\n--xyz--\r\n"
    response = live.call("POST", f"/datasets/{live.ids['dataset']}/items", data=body,
                         headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert "boundary" in response.json()["message"]
    assert live.snapshot() == before


def test_a_good_patch_still_applies(live):
    """The models refuse what is wrong, not what dtlpy sends."""
    item = live.ok("PATCH", f"/items/{live.ids['item']}", json={"description": "kept", "metadata": {"user": {"k": 1}}})
    assert item["description"] == "kept" and item["metadata"]["user"] == {"k": 1}
