"""No route accepts a change and ignores it (issue 17's rule).

Two walks:

- every route dtlpy 1.126 calls in the areas the local platform covers (read from the AST of its
  ``repositories/*.py``) is either served or answers 501 naming the route; never a 404 "no such endpoint"
  nor a 405;
- every write route of the router has a probe here: a request that changes what a later GET returns, and a
  body the route cannot apply (a wrong type, an unknown field or operation) that is refused with a 4xx or
  501 while nothing stored changes. A route added without a probe fails the walk.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from faas_code import simple_package, wait
from pytest_faas.backend.web.unsupported import UNSUPPORTED, route_name

NO_ID = "0" * 24
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


# -- the routes dtlpy calls ----------------------------------------------------------------------------

# Repositories (and entities that call the API themselves) of the areas the local platform reproduces.
AREAS = ("projects", "datasets", "items", "annotations", "recipes", "ontologies", "commands", "schema",
         "packages", "services", "executions", "triggers")
ENTITIES = ("item", "ontology")


def _render(node, assigns, depth=0) -> list[str]:
    """The strings a path expression can take, with every placeholder as ``{}``."""
    if depth > 5:
        return ["{}"]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = _render(node.left, assigns, depth + 1)
        if isinstance(node.op, ast.Mod):
            return [re.sub(r"%s", "{}", text) for text in left]
        return [a + b for a in left for b in _render(node.right, assigns, depth + 1)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _render(node.func.value, assigns, depth + 1)
    if isinstance(node, ast.Name):
        return [text for value in assigns.get(node.id, []) for text in _render(value, assigns, depth + 1)]
    return []


def dtlpy_routes() -> set[tuple[str, str]]:
    """``(METHOD, /path/{}/with/placeholders)`` for each ``gen_request`` of the areas' modules."""
    import dtlpy  # noqa: PLC0415

    root = Path(dtlpy.__file__).parent
    files = [root / "repositories" / f"{a}.py" for a in AREAS] + [root / "entities" / f"{e}.py" for e in ENTITIES]
    found = set()
    for path in files:
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            assigns: dict[str, list] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigns.setdefault(target.id, []).append(node.value)
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "gen_request"):
                    continue
                keywords = {k.arg: k.value for k in node.keywords}
                method = getattr(keywords.get("req_type"), "value", None)
                for text in _render(keywords.get("path"), assigns) if "path" in keywords else []:
                    text = re.sub(r"\{[^}]*\}", "{}", text.split("?")[0])
                    if isinstance(method, str) and text.startswith("/") and text != "/":
                        found.add((method.upper(), text))
    return found


def test_the_dtlpy_route_reader_finds_known_routes():
    routes = dtlpy_routes()
    for known in [("DELETE", "/datasets/{}"), ("POST", "/datasets/{}/items"), ("GET", "/services/{}/revisions"),
                  ("PATCH", "/ontologies/{}/labels"), ("POST", "/items/{}/revisions")]:
        assert known in routes
    assert len(routes) > 80


def test_every_route_dtlpy_calls_is_served_or_answers_501_naming_it(api):
    unsupported = {(m, route_name(rule).replace("{", "<").replace("}", ">")) for rule, methods, _ in UNSUPPORTED
                   for m in methods}
    problems = []
    for method, template in sorted(dtlpy_routes()):
        path = template.replace("{}", NO_ID)
        response = getattr(api, method.lower())(path, json={})
        message = response.json().get("message", "") if response.headers.get("content-type", "").startswith(
            "application/json") and isinstance(response.json(), dict) else ""
        if response.status_code == 501:
            if not re.search(re.escape(method) + r" /\S+ is not supported", message):
                problems.append(f"{method} {template}: a 501 that does not name the route: {message!r}")
        elif response.status_code == 405 or message.startswith("no such endpoint"):
            problems.append(f"{method} {template}: {response.status_code} {message!r}")
    assert not problems, "\n".join(problems)
    assert unsupported  # the table is not empty


@pytest.mark.parametrize("rule, methods, what", UNSUPPORTED)
def test_each_unsupported_route_answers_501_with_the_route_named(api, rule, methods, what):
    path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", NO_ID, rule)
    for method in methods:
        response = getattr(api, method.lower())(path, json={"anything": 1})
        assert response.status_code == 501
        assert response.json()["message"].startswith(f"{method} {route_name(rule)} is not supported")
        assert response.headers["Retry-After"] == "1"


def test_dtlpy_raises_on_a_501_with_the_route_named(faas_dl, faas_dataset):
    # dtlpy has no class for 501 and raises its UnknownException, after its session retried (Retry-After: 1 s).
    with pytest.raises(faas_dl.exceptions.UnknownException, match=r"POST /datasets/\{dataset_id\}/sync"):
        faas_dl.datasets.sync(dataset_id=faas_dataset.id)


# -- every write route of the router -------------------------------------------------------------------

@dataclass
class World:
    project: Any
    dataset: Any
    other: Any
    item: Any
    annotation: Any
    package: Any
    service: Any
    trigger: Any
    execution: Any
    recipe_id: str
    ontology_id: str
    spare_project: Any


@pytest.fixture
def world(faas_platform, faas_dl, faas_project, tmp_path, monkeypatch) -> World:
    monkeypatch.chdir(tmp_path)
    dataset = faas_project.datasets.create(dataset_name="walk")
    other = faas_project.datasets.create(dataset_name="walk-other")
    item = dataset.items.upload(local_path=io.BytesIO(b"data"), remote_path="/in", remote_name="x.txt")
    annotation = faas_dl.Annotation.new(item=item, annotation_definition=faas_dl.Classification(label="a")).upload()
    simple_package(tmp_path / "pkg", "walk", "def run(self):\n    return 1\n", [("run", [])])
    package = faas_project.packages.push(src_path=str(tmp_path / "pkg"))
    service = package.deploy(service_name="walk")
    trigger = service.triggers.create(name="walk", function_name="run",
                                      filters=faas_dl.Filters(field="dir", values="/never"))
    execution = service.execute(function_name="run")
    wait(faas_platform, execution.id)
    recipe_id = dataset.metadata["system"]["recipes"][0]
    ontology_id = faas_platform.backend.recipes.get(recipe_id)["ontologyIds"][0]
    spare = faas_dl.projects.create(project_name=f"walk-spare-{tmp_path.name}"[:60])
    return World(faas_project, dataset, other, item, annotation, package, service, trigger, execution, recipe_id,
                 ontology_id, spare)


@dataclass
class Probe:
    """How to walk one write route: its path, a change it applies (``good``), a body it refuses (``bad``),
    and the later read that shows the change. ``good=None``: the route changes nothing that is stored (its
    effect is elsewhere, or nothing to change), said in ``why``; ``bad=None``: it takes no body."""

    path: Callable[[World], str]
    read: Callable[[World, Any], Any]
    good: Any = None
    bad: Any = None
    form: bool = False  # bodies sent form-encoded
    why: str = ""


def get(path: Callable[[World], str]):
    return lambda w, api: (lambda r: (r.status_code, r.json()))(api.get(path(w)))


def query(path: Callable[[World], str], body: Callable[[World], dict]):
    return lambda w, api: api.post(path(w), json=body(w)).json()


def faas_names(resource: str):
    return lambda w, api: sorted(x["name"] for x in api.post("/query/faas", json={"resource": resource,
                                                                                "filter": {}}).json()["items"])


def items_of(dataset: Callable[[World], Any]):
    return query(lambda w: f"/datasets/{dataset(w).id}/query", lambda w: {"filter": {}})


def executions_of(w, api):
    return api.post("/query/faas", json={"resource": "executions", "filter": {"serviceId": w.service.id}}).json()


def unchanged(w, api):
    return None


READ_ONLY = "reads only: a body asking for a change is refused"
MODULE = [{"name": "default_module", "functions": [{"name": "run"}]}]

PROBES: dict[tuple[str, str], Probe] = {
    # data plane
    ("POST", "/sdk/check"): Probe(lambda w: "/sdk/check", unchanged, good={"version": "1.110.3", "email": "a@b.c"},
                                  bad={"version": "", "email": "a@b.c"}, form=True,
                                  why="answers dtlpy's import-time version check; nothing is stored"),
    ("POST", "/projects"): Probe(lambda w: "/projects", lambda w, api: len(api.get("/projects").json()),
                                 good={"name": "walk-made"}, bad={"name": {"not": "a string"}}),
    ("PATCH", "/projects/<project_id>"): Probe(lambda w: f"/projects/{w.spare_project.id}",
                                               get(lambda w: f"/projects/{w.spare_project.id}"),
                                               good={"name": "walk-renamed"}, bad={"colour": "red"}),
    ("DELETE", "/projects/<project_id>"): Probe(lambda w: f"/projects/{w.spare_project.id}",
                                                get(lambda w: f"/projects/{w.spare_project.id}")),
    ("POST", "/datasets"): Probe(lambda w: "/datasets",
                                 query(lambda w: "/datasets/query",
                                       lambda w: {"filter": {}, "context": {"projects": [w.project.id]}}),
                                 good=lambda w: {"name": "walk-new", "projects": [w.project.id]},
                                 bad=lambda w: {"name": "walk-bad", "projects": []}),
    ("POST", "/datasets/query"): Probe(lambda w: "/datasets/query", unchanged, bad={"filter": {}, "delete": True},
                                       why=READ_ONLY),
    ("PATCH", "/datasets/<dataset_id>"): Probe(lambda w: f"/datasets/{w.dataset.id}",
                                               get(lambda w: f"/datasets/{w.dataset.id}"),
                                               good={"name": "walk-renamed"}, bad={"projects": [NO_ID]}),
    ("DELETE", "/datasets/<dataset_id>"): Probe(lambda w: f"/datasets/{w.dataset.id}",
                                                get(lambda w: f"/datasets/{w.dataset.id}")),
    ("POST", "/datasets/<dataset_id>/query"): Probe(
        lambda w: f"/datasets/{w.dataset.id}/query", get(lambda w: f"/items/{w.item.id}"),
        good={"filter": {}, "update": {"metadata": {"user": {"walked": True}}}},
        bad={"filter": {}, "update": {"name": "same-for-all"}}),
    ("POST", "/datasets/<dataset_id>/items"): Probe(
        lambda w: f"/datasets/{w.dataset.id}/items", items_of(lambda w: w.dataset),
        good={"type": "dir", "path": "/made"}, bad={"type": "dir", "path": "/made", "colour": "red"}, form=True),
    ("POST", "/datasets/<dataset_id>/export"): Probe(
        lambda w: f"/datasets/{w.dataset.id}/export",
        lambda w, api: api.post("/datasets/query", json={"filter": {"name": "Binaries"}, "systemSpace": True,
                                                         "context": {"projects": [w.project.id]}}).json()
        ["items"][0]["itemsCount"],
        good={}, bad={"itemsQuery": {"filter": {"dir": {"$nope": 1}}}}),
    ("POST", "/datasets/<dataset_id>/clone"): Probe(
        lambda w: f"/datasets/{w.dataset.id}/clone",
        query(lambda w: "/datasets/query", lambda w: {"filter": {}, "context": {"projects": [w.project.id]}}),
        good={"name": "walk-clone"}, bad={"name": "walk-clone", "cloneDatasetParams": {"withMetadata": "yes"}}),
    ("PATCH", "/items/<item_id>"): Probe(lambda w: f"/items/{w.item.id}", get(lambda w: f"/items/{w.item.id}"),
                                         good={"metadata": {"user": {"k": 1}}}, bad={"name": "a/b"}),
    ("DELETE", "/items/<item_id>"): Probe(lambda w: f"/items/{w.item.id}", get(lambda w: f"/items/{w.item.id}")),
    ("POST", "/items/<item_id>/clone"): Probe(
        lambda w: f"/items/{w.item.id}/clone", items_of(lambda w: w.other),
        good=lambda w: {"targetDatasetId": w.other.id}, bad=lambda w: {"targetDatasetId": w.other.id,
                                                                        "remoteFileName": 5}),
    ("POST", "/items/<item_id>/annotations"): Probe(
        lambda w: f"/items/{w.item.id}/annotations", get(lambda w: f"/items/{w.item.id}/annotations"),
        good=[{"type": "class", "label": "b"}], bad=[{"label": "no type"}]),
    ("PUT", "/annotations/<annotation_id>"): Probe(
        lambda w: f"/annotations/{w.annotation.id}", get(lambda w: f"/annotations/{w.annotation.id}"),
        good={"label": "renamed"}, bad={"label": ["not", "a", "string"]}),
    ("DELETE", "/annotations/<annotation_id>"): Probe(lambda w: f"/annotations/{w.annotation.id}",
                                                      get(lambda w: f"/annotations/{w.annotation.id}")),
    ("POST", "/recipes"): Probe(lambda w: "/recipes", lambda w, api: api.get(f"/recipes?projects={w.project.id}")
                                .json()["totalItemsCount"],
                                good=lambda w: {"projectIds": [w.project.id], "ontologyIds": [w.ontology_id]},
                                bad=lambda w: {"projectIds": w.project.id, "ontologyIds": [w.ontology_id]}),
    ("PATCH", "/recipes/<recipe_id>"): Probe(lambda w: f"/recipes/{w.recipe_id}", get(lambda w: f"/recipes/{w.recipe_id}"),
                                             good={"title": "walked"}, bad={"title": 5}),
    ("DELETE", "/recipes/<recipe_id>"): Probe(lambda w: f"/recipes/{w.recipe_id}",
                                              get(lambda w: f"/recipes/{w.recipe_id}")),
    ("POST", "/recipes/<recipe_id>/clone"): Probe(
        lambda w: f"/recipes/{w.recipe_id}/clone", lambda w, api: api.get("/recipes").json()["totalItemsCount"],
        good={"shallow": True}, bad={"shallow": "yes"}),
    ("POST", "/datasets/<dataset_id>/schema/items"): Probe(
        lambda w: f"/datasets/{w.dataset.id}/schema/items", get(lambda w: f"/datasets/{w.dataset.id}/schema"),
        good={"unsearchablePaths": {"add": ["metadata.walked"]}}, bad={"unsearchablePaths": {"add": [1]}}),
    ("POST", "/ontologies"): Probe(lambda w: "/ontologies",
                                   lambda w, api: api.get(f"/ontologies?projects={w.project.id}").json()
                                   ["totalItemsCount"],
                                   good=lambda w: {"projectIds": [w.project.id], "roots": [], "attributes": []},
                                   bad=lambda w: {"projectIds": [w.project.id], "roots": "none"}),
    ("PUT", "/ontologies/<ontology_id>"): Probe(lambda w: f"/ontologies/{w.ontology_id}",
                                                get(lambda w: f"/ontologies/{w.ontology_id}"),
                                                good={"title": "walked"}, bad={"roots": 5}),
    ("DELETE", "/ontologies/<ontology_id>"): Probe(lambda w: f"/ontologies/{w.ontology_id}",
                                                   get(lambda w: f"/ontologies/{w.ontology_id}")),
    ("PATCH", "/ontologies/<ontology_id>/labels"): Probe(
        lambda w: f"/ontologies/{w.ontology_id}/labels", get(lambda w: f"/ontologies/{w.ontology_id}"),
        good={"labelsNode": [{"tag": "walked"}], "upsert": True}, bad={"labelsNode": 5}),
    ("PATCH", "/ontologies/<ontology_id>/attributes"): Probe(
        lambda w: f"/ontologies/{w.ontology_id}/attributes", get(lambda w: f"/ontologies/{w.ontology_id}"),
        good={"items": [{"key": "1", "title": "walked", "type": "boolean"}], "upsert": True},
        bad={"items": [{"key": "1", "title": "walked", "type": "options", "values": [1]}]}),
    ("DELETE", "/ontologies/<ontology_id>/attributes"): Probe(
        lambda w: f"/ontologies/{w.ontology_id}/attributes", get(lambda w: f"/ontologies/{w.ontology_id}"),
        good={"keys": ["1"]}, bad={"keys": {"1": True}}),
    # FaaS
    ("POST", "/query/faas"): Probe(lambda w: "/query/faas", unchanged, good={"resource": "services", "filter": {}},
                                   bad={"resource": "services", "filter": {}, "update": {"active": False}},
                                   why=READ_ONLY),
    ("POST", "/executions/resource/query"): Probe(
        lambda w: "/executions/resource/query", unchanged, good={"resource": "resourceExecution", "filter": {}},
        bad={"resource": "resourceExecution", "filter": {}, "update": {"status": "x"}}, why=READ_ONLY),
    ("POST", "/packages"): Probe(lambda w: "/packages", faas_names("packages"),
                                 good=lambda w: {"name": "walk-two", "projectId": w.project.id, "modules": MODULE},
                                 bad=lambda w: {"name": "walk-three", "projectId": w.project.id, "modules": "x"}),
    ("PATCH", "/packages/<package_id>"): Probe(lambda w: f"/packages/{w.package.id}",
                                               get(lambda w: f"/packages/{w.package.id}"),
                                               good={}, bad={"modules": "x"}),
    ("DELETE", "/packages/<package_id>"): Probe(lambda w: f"/packages/{w.package.id}",
                                                get(lambda w: f"/packages/{w.package.id}")),
    ("POST", "/services"): Probe(lambda w: "/services", faas_names("services"),
                                 good=lambda w: {"name": "walk-two", "projectId": w.project.id,
                                                 "packageId": w.package.id, "active": False},
                                 bad=lambda w: {"name": "walk-three", "projectId": w.project.id,
                                                "packageId": w.package.id, "runtime": {"concurrency": 0}}),
    ("POST", "/services/logs"): Probe(lambda w: "/services/logs", unchanged,
                                      good=lambda w: {"serviceId": w.service.id}, bad={"size": -1},
                                      why="reads logs only"),
    ("PATCH", "/services/<service_id>"): Probe(lambda w: f"/services/{w.service.id}",
                                               get(lambda w: f"/services/{w.service.id}"),
                                               good={"maxAttempts": 2}, bad={"maxAttempts": -1}),
    ("DELETE", "/services/<service_id>"): Probe(lambda w: f"/services/{w.service.id}",
                                                get(lambda w: f"/services/{w.service.id}")),
    ("POST", "/services/<service_id>/stop"): Probe(lambda w: f"/services/{w.service.id}/stop",
                                                   get(lambda w: f"/services/{w.service.id}")),
    ("POST", "/services/<service_id>/resume"): Probe(lambda w: f"/services/{w.service.id}/resume", unchanged,
                                                     why="the service is active already; stop shows the change"),
    ("POST", "/services/<service_id>/restart"): Probe(lambda w: f"/services/{w.service.id}/restart", unchanged,
                                                      why="restarts the replicas; nothing stored changes"),
    ("POST", "/triggers"): Probe(lambda w: "/triggers", faas_names("triggers"),
                                 good=lambda w: {"name": "walk-two", "projectId": w.project.id,
                                                 "serviceId": w.service.id, "type": "Event",
                                                 "spec": {"resource": "Item", "actions": ["Created"],
                                                          "filter": {"dir": "/never"}, "operation":
                                                              {"type": "function", "serviceId": w.service.id,
                                                               "functionName": "run"}}},
                                 bad=lambda w: {"name": "walk-three", "projectId": w.project.id,
                                                "spec": {"resource": "Nothing"}}),
    ("PATCH", "/triggers/<trigger_id>"): Probe(lambda w: f"/triggers/{w.trigger.id}",
                                               get(lambda w: f"/triggers/{w.trigger.id}"),
                                               good={"active": False}, bad={"active": "no"}),
    ("DELETE", "/triggers/<trigger_id>"): Probe(lambda w: f"/triggers/{w.trigger.id}",
                                                get(lambda w: f"/triggers/{w.trigger.id}")),
    ("POST", "/executions/<service_id>"): Probe(lambda w: f"/executions/{w.service.id}", executions_of,
                                                good=lambda w: {"functionName": "run", "projectId": w.project.id},
                                                bad={"functionName": "undeclared"}),
    ("PATCH", "/executions/<execution_id>"): Probe(lambda w: f"/executions/{w.execution.id}", unchanged,
                                                   bad={"output": "rewritten"},
                                                   why="the platform owns an execution's fields: 501 for a change"),
    ("POST", "/executions/<execution_id>/progress"): Probe(lambda w: f"/executions/{w.execution.id}/progress",
                                                           unchanged, bad={"percentComplete": 500},
                                                           why="progress of a finished execution is kept as final"),
    ("POST", "/executions/<execution_id>/terminate"): Probe(lambda w: f"/executions/{w.execution.id}/terminate",
                                                            unchanged, why="the execution has finished already"),
    ("POST", "/executions/<execution_id>/rerun"): Probe(lambda w: f"/executions/{w.execution.id}/rerun",
                                                        get(lambda w: f"/_faas/executions/{w.execution.id}/wait"
                                                                      "?timeout=0")),
    ("POST", "/executions/<execution_id>/attempts"): Probe(lambda w: f"/executions/{w.execution.id}/attempts",
                                                           get(lambda w: f"/_faas/executions/{w.execution.id}/wait"
                                                                         "?timeout=0")),
    ("POST", "/executions/rerun"): Probe(lambda w: "/executions/rerun",
                                         get(lambda w: f"/_faas/executions/{w.execution.id}/wait?timeout=0"),
                                         good=lambda w: {"query": {"id": w.execution.id}}, bad={"query": 5}),
}

# Pipelines, apps and the app registry have suites of their own (tests/pipelines, tests/apps); here each of
# their write routes that takes a body is walked with a body of the wrong shape.
SHAPE_ONLY = {
    ("POST", "/pipelines"), ("PATCH", "/pipelines/<pipeline_id>"), ("PATCH", "/pipelines/<pipeline_id>/variables"),
    ("PATCH", "/pipelines/<pipeline_id>/settings"), ("POST", "/pipelines/<pipeline_id>/execute"),
    ("POST", "/pipelines/query"), ("POST", "/app-registry"), ("POST", "/app-registry/query"),
    ("PATCH", "/app-registry/<dpk_id>"), ("POST", "/app-registry/<name>/revisions"), ("POST", "/apps"),
    ("POST", "/apps/query"), ("PUT", "/apps/<app_id>"),
}
BODILESS_ELSEWHERE = {  # no body to refuse; their effect is asserted by those suites
    ("DELETE", "/pipelines/<pipeline_id>"), ("POST", "/pipelines/<pipeline_id>/install"),
    ("POST", "/pipelines/<pipeline_id>/uninstall"), ("DELETE", "/app-registry/<dpk_id>"),
    ("DELETE", "/apps/<app_id>"), ("POST", "/apps/<app_id>/activate"), ("POST", "/apps/<app_id>/deactivate"),
    ("PATCH", "/datasets/<dataset_id>/unlock"),  # a 400 unless an export locked it: test_lifecycle.py
}


def write_routes(platform) -> set[tuple[str, str]]:
    prefix = "/api/v1"
    found = set()
    for rule in platform.backend.app._map.iter_rules():
        path = rule.rule[len(prefix):]
        if path.startswith("/_faas/"):  # the agents' protocol and the harness's controls: not the platform's
            continue
        found |= {(method, path) for method in rule.methods & WRITE_METHODS}
    return found


def test_every_write_route_has_a_probe(faas_platform):
    unsupported = {(m, rule) for rule, methods, _ in UNSUPPORTED for m in methods}
    missing = write_routes(faas_platform) - PROBES.keys() - SHAPE_ONLY - BODILESS_ELSEWHERE - unsupported
    assert not missing, f"write routes without a probe in {__file__}: {sorted(missing)}"
    stale = (PROBES.keys() | SHAPE_ONLY | BODILESS_ELSEWHERE) - write_routes(faas_platform)
    assert not stale, f"probes for routes the router no longer has: {sorted(stale)}"


def snapshot(platform):
    rows = platform.backend.store._db.execute("SELECT kind, id, body FROM documents ORDER BY kind, id").fetchall()
    return [row for row in rows if row[0] not in ("agents",)]


def _value(value, world):
    return value(world) if callable(value) else value


def send(api, method, path, body, form=False):
    if body is None:
        return getattr(api, method.lower())(path)
    return getattr(api, method.lower())(path, **({"data": body} if form else {"json": body}))


@pytest.mark.parametrize("method, rule", sorted(PROBES), ids=lambda v: v)
def test_a_write_route_refuses_what_it_cannot_apply_and_applies_the_rest(faas_platform, api, world, method, rule):
    probe = PROBES[(method, rule)]
    path = probe.path(world)
    if probe.bad is not None:
        before, stored = probe.read(world, api), snapshot(faas_platform)
        refused = send(api, method, path, _value(probe.bad, world), probe.form)
        assert 400 <= refused.status_code < 500 or refused.status_code == 501, refused.text
        assert refused.json()["message"]
        assert probe.read(world, api) == before
        assert snapshot(faas_platform) == stored
    before = probe.read(world, api)
    answered = send(api, method, path, _value(probe.good, world), probe.form)
    assert answered.status_code == 200, answered.text
    if probe.read is unchanged:
        assert probe.why, "a route whose request changes nothing stored says why"
    else:
        assert probe.read(world, api) != before, f"{method} {rule} answered 200 and changed nothing"


@pytest.mark.parametrize("method, rule", sorted(SHAPE_ONLY))
def test_pipeline_and_app_write_routes_refuse_a_body_of_the_wrong_shape(faas_platform, api, method, rule):
    stored = snapshot(faas_platform)
    path = re.sub(r"<[a-z_]+>", NO_ID, rule)
    response = send(api, method, path, ["not", "an", "object"])
    assert 400 <= response.status_code < 500 and response.json()["message"]
    assert snapshot(faas_platform) == stored


def test_the_docs_list_every_unsupported_route():
    page = (Path(__file__).parents[3] / "docs/platform.md").read_text()
    section = page.split("## What is not supported", 1)[1].split("\n## ", 1)[0]
    missing = [f"{' '.join(methods)} {route_name(rule)}" for rule, methods, _ in UNSUPPORTED
               if f"`{' '.join(methods)} {route_name(rule)}`" not in section]
    assert not missing, f"docs/platform.md#what-is-not-supported does not list {missing}"
