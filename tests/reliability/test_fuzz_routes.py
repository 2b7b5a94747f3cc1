"""Every route, fuzzed over HTTP: bodies, query strings and path parameters that hypothesis makes up.

Every answer is a 2xx, or a 4xx or 501 (a route the local platform does not reproduce) with a message;
a refusal leaves the store exactly as it was. The routes are
read from the live platform's own routing table, so a new route is fuzzed without being listed here.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

EXAMPLES = 12  # per route and per kind of input, over every route (about 145)

# The keys the handlers read, so that made-up objects reach past "missing field" into the checks of values.
KEYS = sorted({
    "name", "projects", "projectId", "datasetId", "packageId", "serviceId", "spec", "filter", "resource", "page",
    "pageSize", "context", "metadata", "dir", "description", "runtime", "concurrency", "numReplicas", "modules",
    "functions", "input", "output", "status", "wait", "max", "seconds", "entries", "lines", "message", "attempt",
    "query", "type", "active", "cron", "executionMode", "actions", "operation", "startAt", "endAt", "join",
    "percentComplete", "annotations", "itemsQuery", "annotationsQuery", "checkpoint", "size", "follow", "text",
    "replica", "pid", "host", "id", "path", "contentBase64", "label", "coordinates", "system", "version",
    "codebase", "initParams", "packageRevision", "scope", "global", "batch", "functionName", "executionId",
    "sort", "$and", "$or", "$in", "$eq", "$ne", "$gt", "entryPoint", "className", "user", "ref", "end",
    "start", "logLevel", "replicaId", "systemSpace", "itemId", "annotationId", "duration", "timeout",
})
ARGUMENTS = {"project_id": "project", "dataset_id": "dataset", "item_id": "item", "annotation_id": "annotation",
             "package_id": "package", "service_id": "service", "trigger_id": "trigger",
             "execution_id": "execution", "agent_id": "agent", "command_id": "command"}

scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.sampled_from(["", "..", "/../x", "\x00", "\ud800x", "²", "1e999", "Item", "Cron", "items",
                              "* * * * *", "annotations", "function"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
                      max_leaves=20)
objects = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
bodies = objects | values  # mostly objects, sometimes anything at all


def encoded(value) -> bytes:
    # Python's json writes NaN and Infinity, as a careless client would; lone surrogates pass as \ud800.
    return json.dumps(value).encode()


def _rule_names():
    """The routes, read once from a platform's table (a throwaway app; no server needed)."""
    from pytest_faas.backend import Backend

    backend = Backend("collect-only", durable=False)
    try:
        return sorted((method, rule.rule) for rule in backend.app._map.iter_rules()
                      for method in rule.methods - {"HEAD", "OPTIONS"})
    finally:
        backend.close()


ROUTES = _rule_names()
_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def fill(live, rule: str, draw_text: str | None, method: str) -> str:
    """The rule's path with its arguments: the seeded entity's id, or a made-up string when given one."""
    def one(match):
        converter, options, name = match.groups()
        if converter == "any":
            return options.split(",")[0].strip()
        if draw_text is not None or name not in ARGUMENTS or method == "DELETE":
            text = draw_text if draw_text is not None else "000000000000000000000000"
            return requests_quote(text or "x", safe="" if converter != "path" else "/")
        return live.ids[ARGUMENTS[name]]
    return _ARG.sub(one, rule).removeprefix("/api/v1")


def requests_quote(text: str, safe: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def judge(live, method: str, path: str, before, response) -> None:
    status = response.status_code
    assert status < 500 or status == 501, f"{method} {path}: {status} {response.text[:500]}"
    assert 200 <= status < 300 or 400 <= status < 500 or status == 501, (method, path, status)
    if status >= 400:
        message = response.json().get("message")
        assert isinstance(message, str) and message, (method, path, response.text[:300])
        assert live.version() == before, f"{method} {path} answered {status} but changed the store"


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


IDS = [f"{m} {r.removeprefix('/api/v1')}" for m, r in ROUTES]
WITH_ARGUMENTS = [route for route in ROUTES if "<" in route[1]]


@pytest.mark.parametrize("method, rule", ROUTES, ids=IDS)
@SETTINGS
@given(body=bodies, query=st.dictionaries(st.sampled_from(KEYS + ["mode", "system"]), st.text(max_size=8), max_size=3))
def test_bodies_and_queries(live, method, rule, body, query):
    path = fill(live, rule, None, method)
    before = live.version()
    response = live.call(method, path, data=encoded(body), params=query,
                         headers={"Content-Type": "application/json"})
    judge(live, method, path, before, response)


@pytest.mark.parametrize("method, rule", WITH_ARGUMENTS,
                         ids=[f"{m} {r.removeprefix('/api/v1')}" for m, r in WITH_ARGUMENTS])
@SETTINGS
@given(argument=st.text(min_size=1, max_size=30) | st.sampled_from(["..", ".", "%2e%2e", "a/b", " ", "\x00"]),
       body=objects)
def test_path_arguments(live, method, rule, argument, body):
    path = fill(live, rule, argument, method)
    before = live.version()
    response = live.call(method, path, data=encoded(body), headers={"Content-Type": "application/json"})
    judge(live, method, path, before, response)
