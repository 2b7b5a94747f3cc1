"""Pipeline records: the graph dtlpy sends (nodes, connections, start nodes), checked and stored.

A pipeline is stored as ``pipeline.to_json()`` gives it, with the fields the platform adds (id, status,
dates, url). Every reference inside the graph is checked on create and update, and all problems are told
in one 400: a connection to a node or port that does not exist, a start node that is not a node, a
function node without a service. ``install`` additionally resolves each function node to a deployed
service and its function, so that a pipeline that could not run is refused before it is executed.
"""

from __future__ import annotations

import copy
import json

from ...dql import compiler as dql
from ...errors import BadRequest, NotFound
from ...ids import new_id, now_iso
from ..records import LOCAL_USER, ORG
from ..faas.packages import Packages
from ..data.projects import Projects
from ..faas.services import Services
from ..events import Event
from ..store import Store

INSTALLED, UNINSTALLED, CREATED = "Installed", "Uninstalled", "Created"
RUNNABLE_TYPES = ("function", "storage")  # node types the local platform executes
# A dataset ("storage") node is the platform's own work, run by its "pipeline-utils" service; these are the
# names its executions carry (dl.DatasetNode's namespace).
DATASET_NODE_SERVICE, DATASET_NODE_FUNCTION = "pipeline-utils", "dataset_handler"
# dtlpy's PipelineNode.from_json reads metadata.position unconditionally; a template written by hand may
# leave it out, so the platform places such nodes itself.
_DEFAULT_POSITION = {"x": 270.0, "y": 217.5, "z": 0}
# What PATCH /pipelines/{id} may change; the rest belongs to the platform.
_EDITABLE = ("name", "nodes", "connections", "startNodes", "variables", "settings", "description", "preview")


def _ports(node: dict, key: str, at: str, problems: list[str]) -> list[dict]:
    ports = node.get(key, [])
    if not isinstance(ports, list) or not all(isinstance(p, dict) for p in ports):
        problems.append(f"{at}.{key} must be a list of port objects")
        return []
    for j, port in enumerate(ports):
        if not isinstance(port.get("portId"), str) or not port["portId"]:
            problems.append(f"{at}.{key}[{j}] needs a 'portId' string")
        if not isinstance(port.get("name"), str) or not port["name"]:
            problems.append(f"{at}.{key}[{j}] needs a 'name' string")
    return ports


def _node_field_problems(node: dict, at: str) -> list[str]:
    """A node's own fields: name, type, metadata, and the namespace a function node names its function by."""
    problems = []
    if not isinstance(node.get("name"), str) or not node["name"]:
        problems.append(f"{at} needs a 'name' string")
    if not isinstance(node.get("type"), str):
        problems.append(f"{at} needs a 'type' string (function, code, task, storage)")
    if not isinstance(node.get("metadata", {}), dict):
        problems.append(f"{at}.metadata must be an object")
    namespace = node.get("namespace")
    if not isinstance(namespace, dict):
        problems.append(f"{at} needs a 'namespace' object")
    elif node.get("type") == "function":
        for key in ("serviceName", "functionName"):
            if not isinstance(namespace.get(key), str) or not namespace[key]:
                problems.append(f"{at}.namespace needs {key!r}: a function node names its service and function")
    if node.get("type") == "storage":
        problems += _dataset_node_problems(node.get("metadata") or {}, at)
    return problems


def check_graph(doc: dict) -> list[str]:
    """Every problem of a pipeline's graph, each with its JSON path (an empty list: the graph is sound)."""
    problems: list[str] = []
    nodes = doc.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        return ["'nodes' must be a list of node objects"]
    ids: dict[str, dict] = {}
    ports: dict[str, dict[str, list]] = {}  # a node's port ids by kind, by the node's id
    for i, node in enumerate(nodes):
        at = f"nodes[{i}]"
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id:
            problems.append(f"{at} needs an 'id' string")
        elif node_id in ids:
            problems.append(f"{at}.id {node_id!r} is already the id of another node")
        else:
            ids[node_id] = node
        problems += _node_field_problems(node, at)
        found = {key: [p.get("portId") for p in _ports(node, key, at, problems)] for key in ("inputs", "outputs")}
        if isinstance(node_id, str):
            ports.setdefault(node_id, found)
    connections = doc.get("connections", [])
    if not isinstance(connections, list) or not all(isinstance(c, dict) for c in connections):
        return problems + ["'connections' must be a list of connection objects"]
    for i, connection in enumerate(connections):
        for end, key in (("src", "outputs"), ("tgt", "inputs")):
            at = f"connections[{i}].{end}"
            port = connection.get(end)
            if not isinstance(port, dict):
                problems.append(f"{at} must be an object {{nodeId, portId}}")
                continue
            node = ids.get(port.get("nodeId")) if isinstance(port.get("nodeId"), str) else None
            if node is None:
                problems.append(f"{at}.nodeId {port.get('nodeId')!r} is not the id of a node of this pipeline")
            elif port.get("portId") not in ports[port["nodeId"]][key]:
                problems.append(f"{at}.portId {port.get('portId')!r} is not one of the {key} of node {node.get('name')!r}")
        if connection.get("action") is not None and not isinstance(connection["action"], str):
            problems.append(f"connections[{i}].action must be a string")
        if connection.get("condition") is not None:
            try:
                dql.compile_filter(json.loads(connection["condition"]))
            except (TypeError, ValueError, BadRequest) as exc:
                problems.append(f"connections[{i}].condition must be a DQL filter as a JSON string: {exc}")
    starts = doc.get("startNodes", [])
    if not isinstance(starts, list) or not all(isinstance(s, dict) for s in starts):
        problems.append("'startNodes' must be a list of {nodeId, type} objects")
    else:
        for i, start in enumerate(starts):
            if not isinstance(start.get("nodeId"), str) or start["nodeId"] not in ids:
                problems.append(f"startNodes[{i}].nodeId {start.get('nodeId')!r} is not the id of a node of this pipeline")
            problems += trigger_problems(start, f"startNodes[{i}]")
    return problems


def _dataset_node_problems(metadata: dict, at: str) -> list[str]:
    if not isinstance(metadata, dict):
        return []  # told above
    problems = []
    if not isinstance(metadata.get("datasetId"), str) or not metadata["datasetId"]:
        problems.append(f"{at}.metadata needs 'datasetId': a dataset node names its dataset")
    if metadata.get("dir") is not None and (not isinstance(metadata["dir"], str)
                                             or not metadata["dir"].startswith("/")):
        problems.append(f"{at}.metadata.dir must be a folder path starting with '/', found {metadata['dir']!r}")
    return problems


def node_start_filter(node: dict, spec: dict) -> dict:
    """A start node's trigger filter as the platform applies it: a dataset node's trigger matches only what
    lands in its dataset (and folder), on top of the filter the user gave."""
    given = start_filter(spec)
    if node.get("type") != "storage":
        return given
    metadata = node.get("metadata") or {}
    clauses = [{"datasetId": metadata.get("datasetId")}]
    if metadata.get("dir"):
        clauses.append({"dir": metadata["dir"]})
    if given:
        clauses += given["$and"] if list(given) == ["$and"] and isinstance(given["$and"], list) else [given]
    return {"$and": clauses}


def trigger_problems(start: dict, at: str) -> list[str]:
    """What is wrong with a start node's trigger (an empty list: nothing, or no trigger)."""
    trigger = start.get("trigger")
    if trigger is None:
        return []
    if not isinstance(trigger, dict) or trigger.get("type") not in ("Event", "Cron"):
        return [f"{at}.trigger must be an object with 'type' Event or Cron"]
    spec = trigger.get("spec")
    if not isinstance(spec, dict):
        return [f"{at}.trigger.spec must be an object"]
    if trigger["type"] == "Cron":
        return []
    problems = []
    if not isinstance(spec.get("resource"), str):
        problems.append(f"{at}.trigger.spec.resource must be a resource name such as 'Item'")
    actions = spec.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        problems.append(f"{at}.trigger.spec.actions must be a list of action names such as ['Created']")
    try:
        dql.compile_filter(start_filter(spec))
    except (TypeError, ValueError, BadRequest) as exc:
        problems.append(f"{at}.trigger.spec.filter must be a DQL filter (an object or its JSON string): {exc}")
    return problems


def unrunnable(node: dict) -> str:
    """Why a node of a type the local platform does not run cannot be installed, and what to use instead."""
    said = f"node {node.get('name')!r} is a {node.get('type')!r} node; the local platform runs function and dataset nodes only"
    if node.get("type") == "task":
        # Tasks need annotators, assignments and a task UI, none of which exist on a local platform.
        return (f"{said} and dataset nodes: a task node waits for annotators to work on a task, which a local "
                "platform has no one for; test the nodes before and after the task here (the items as the "
                "task would leave them), and the whole pipeline on the platform")
    if node.get("type") == "code":
        # The platform deploys a code node's source as a hidden service; here that code belongs in a package.
        return (f"{said}: put its code in a package (a method of its ServiceRunner), push and deploy it, and use "
                "dl.FunctionNode(name=..., service=service, function_name=...) instead")
    return (f"{said}: test the function nodes around it here (alone, or in a pipeline of function nodes), and "
            "this pipeline on the platform")


def start_filter(spec: dict) -> dict:
    """A start-node trigger's filter: dtlpy sends the DQL as a JSON string, or ``{}`` for none."""
    value = spec.get("filter") or {}
    return json.loads(value) if isinstance(value, str) else value


class Pipelines:
    """Pipeline records (kind ``pipelines``, parent: project id)."""

    def __init__(self, store: Store, projects: Projects, packages: Packages, services: Services):
        self.store = store
        self.projects = projects
        self.packages = packages
        self.services = services

    def get(self, pipeline_id: str) -> dict:
        return self.store.get("pipelines", pipeline_id, "Pipeline")

    def query(self, query: dict) -> dict:
        return dql.run_query(self.store.all("pipelines"), query, default_sort={"createdAt": "ascending"})

    @staticmethod
    def _shape(doc: dict) -> dict:
        """The graph with the platform's defaults filled in, or a 400 listing every problem."""
        if not isinstance(doc.get("name"), str) or not doc["name"].strip():
            raise BadRequest("pipeline 'name' is required (a non-empty string)")
        for key in ("connections", "startNodes", "variables"):
            if doc.get(key) is None:
                doc[key] = []
        problems = check_graph(doc)
        if problems:
            raise BadRequest("invalid pipeline: " + "; ".join(problems))
        for node in doc["nodes"]:
            node.setdefault("inputs", [])
            node.setdefault("outputs", [])
            node["metadata"] = dict(node.get("metadata") or {})
            node["metadata"].setdefault("position", dict(_DEFAULT_POSITION))
            node.setdefault("projectId", doc["projectId"])
        if not doc["startNodes"] and doc["nodes"]:
            doc["startNodes"] = [{"nodeId": doc["nodes"][0]["id"], "type": "root"}]
        return doc

    def create(self, body: dict) -> dict:
        """``POST /pipelines``: a new pipeline (``create(name=...)`` or ``create(pipeline_json=...)``)."""
        project_id = body.get("projectId")
        if not isinstance(project_id, str) or not project_id:
            raise BadRequest("pipeline 'projectId' is required")
        self.projects.get_project(project_id)
        now = now_iso()
        pipeline_id = new_id()
        doc = {key: copy.deepcopy(body[key]) for key in _EDITABLE if key in body}
        doc.update({
            "id": pipeline_id, "projectId": project_id, "orgId": ORG["id"], "creator": LOCAL_USER,
            "createdAt": now, "updatedAt": now, "updatedBy": LOCAL_USER, "status": CREATED,
            "compositionId": None, "url": f"/pipelines/{pipeline_id}", "settings": body.get("settings") or {},
        })
        doc.setdefault("nodes", [])
        return self.store.put("pipelines", self._shape(doc), parent=project_id)

    def update(self, pipeline_id: str, body: dict) -> dict:
        """``PATCH /pipelines/{id}`` (and ``/variables``, ``/settings``): the keys sent replace stored ones."""
        doc = copy.deepcopy(self.get(pipeline_id))
        doc.update({key: copy.deepcopy(body[key]) for key in _EDITABLE if key in body})
        doc["updatedAt"] = now_iso()
        return self.store.put("pipelines", self._shape(doc))

    def delete(self, pipeline_id: str) -> dict:
        self.get(pipeline_id)
        return self.store.delete("pipelines", pipeline_id)

    def on_project_deleted(self, event: Event) -> None:
        """Bus listener: a deleted project takes its pipelines with it."""
        if (event.resource, event.action) == ("Project", "Deleted"):
            for pipeline in self.store.children("pipelines", event.project_id):
                self.delete(pipeline["id"])

    def service_of(self, pipeline: dict, node: dict) -> dict:
        """The deployed service a function node runs, or a 400 naming the node and what is missing."""
        namespace = node.get("namespace") or {}
        name, function = namespace.get("serviceName"), namespace.get("functionName")
        project_id = node.get("projectId") or pipeline["projectId"]
        found = [s for s in self.store.children("services", project_id) if s.get("name") == name]
        if not found:
            raise BadRequest(f"node {node['name']!r}: no service named {name!r} is deployed in project "
                             f"{project_id!r}; deploy it before installing or executing the pipeline")
        service = found[0]
        revision, module = self.services.code(service)
        if function not in {f.get("name") for f in module.get("functions") or []}:
            raise BadRequest(f"node {node['name']!r}: service {name!r} (module {module['name']!r}) has no "
                             f"function {function!r}")
        return service

    def runnable(self, pipeline: dict, node: dict) -> None:
        """A 400 (or 404) naming the node when it cannot run now: its service or its dataset is missing."""
        if node.get("type") != "storage":
            self.service_of(pipeline, node)
            return
        dataset_id = (node.get("metadata") or {}).get("datasetId")
        if self.store.find("datasets", dataset_id or "") is None:
            raise BadRequest(f"node {node['name']!r}: dataset {dataset_id!r} does not exist; create it (or name "
                             "an existing one) before installing or executing the pipeline")

    def trigger_views(self) -> list[dict]:
        """The triggers the platform makes of installed pipelines' start-node triggers, as ``/query/faas``
        lists them (``pipeline.triggers.list()``); they fire through the pipeline, not as service triggers."""
        views = []
        for pipeline in self.store.all("pipelines"):
            if pipeline.get("status") != INSTALLED:
                continue
            nodes = {n["id"]: n for n in pipeline["nodes"]}
            for start in pipeline.get("startNodes") or []:
                trigger = start.get("trigger") or {}
                node = nodes.get(start.get("nodeId"))
                if trigger.get("type") != "Event" or node is None:
                    continue
                spec = trigger.get("spec") or {}
                views.append({
                    "id": f"{pipeline['id']}-{node['id']}", "name": f"{pipeline['name']}-{node['name']}",
                    "type": "Event", "active": True, "projectId": pipeline["projectId"], "creator": LOCAL_USER,
                    "createdAt": pipeline["updatedAt"], "updatedAt": pipeline["updatedAt"], "scope": "project",
                    "spec": {"filter": node_start_filter(node, spec), "resource": spec.get("resource", "Item"),
                             "actions": spec.get("actions") or ["Created"],
                             "executionMode": spec.get("executionMode", "Once"),
                             "operation": {"type": "pipeline", "id": pipeline["id"], "nodeId": node["id"]}},
                })
        return views

    def install(self, pipeline_id: str) -> dict:
        """``POST /pipelines/{id}/install``: every node must be runnable here."""
        doc = copy.deepcopy(self.get(pipeline_id))
        problems = []
        for node in doc["nodes"]:
            if node.get("type") not in RUNNABLE_TYPES:
                problems.append(unrunnable(node))
                continue
            try:
                self.runnable(doc, node)
            except (BadRequest, NotFound) as exc:
                problems.append(exc.message)
        if not doc["nodes"]:
            problems.append("the pipeline has no nodes")
        if any((s.get("trigger") or {}).get("type") == "Cron" for s in doc["startNodes"]):
            problems.append("a start node has a Cron trigger; the local platform runs Event start triggers only")
        if problems:
            raise BadRequest(f"pipeline {doc['name']!r} cannot be installed: " + "; ".join(problems))
        doc.update(status=INSTALLED, updatedAt=now_iso())
        return self.store.put("pipelines", doc)

    def pause(self, pipeline_id: str) -> dict:
        """``POST /pipelines/{id}/uninstall`` (dtlpy's ``pause``): no new executions until installed again."""
        doc = dict(self.get(pipeline_id), status=UNINSTALLED, updatedAt=now_iso())
        return self.store.put("pipelines", doc)
