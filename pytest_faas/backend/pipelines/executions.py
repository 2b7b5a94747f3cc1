"""Pipeline executions (the platform's "cycles"): one input travelling through a pipeline's nodes
(docs/platform.md#pipelines).

``execute`` creates the cycle and the first node's execution. Every node execution carries its pipeline
context (``pipeline: {id, nodeId, executionId}``), so the user's ``dl.Context`` finds its node. When a node
execution ends (the engine calls :meth:`PipelineRuns.node_ended`, lock held), the cycle routes its output:

- success: along each outgoing connection whose ``action`` is the one the function set with
  ``progress.update(action=...)``, and along every connection without an action; a connection's
  ``condition`` (DQL) must also match the item passed on, when the value is an item;
- failure (any end but success): the cycle fails, its message naming the node; nothing more is routed.

The cycle succeeds when none of its node executions is left to end. Node executions always end (timeouts,
crashes and terminate are the engine's), so a cycle never stays in progress after its runners are gone.
Cycles in the graph are allowed and bounded by the nodes' own actions, and by :data:`MAX_NODE_RUNS`.
"""

from __future__ import annotations

import collections
import copy
import json
import logging
import time

from ...dql import compiler as dql
from .. import records
from ...errors import BadRequest, NotFound
from ...ids import new_id, now_iso
from ...protocol import TERMINAL
from ..faas.executions import Executions
from .graph import DATASET_NODE_FUNCTION, DATASET_NODE_SERVICE, INSTALLED, Pipelines
from ..records import LOCAL_USER
from ..store import Store

log = logging.getLogger(__name__)

MAX_NODE_RUNS = 1000  # node executions per cycle: a loop whose nodes never leave it fails here
MAX_BATCH = 1000  # items per execute_batch
ENDED = ("success", "failed", "terminated")


class PipelineRuns:
    """Pipeline execution records (kind ``pipelineExecutions``, parent: pipeline id) and their routing."""

    def __init__(self, store: Store, pipelines: Pipelines, executions: Executions, items, place_item):
        self.store = store
        self.pipelines = pipelines
        self.executions = executions
        self.items = items
        self.place_item = place_item  # (item id, dataset id, folder) -> the item in that dataset
        # Dataset nodes end as they start, and their end routes on at once: queued and run one after the
        # other, so that a chain (or loop) of them never nests calls as deep as its length.
        self._platform_nodes: collections.deque = collections.deque()
        self._running_platform_nodes = False
        executions.end_listeners.append(self.node_ended)
        self._settle_after_restart()

    # -- reading --------------------------------------------------------------------------------------

    def get(self, pipeline_id: str, cycle_id: str) -> dict:
        doc = self.store.get("pipelineExecutions", cycle_id, "Pipeline execution")
        if doc["pipelineId"] != pipeline_id:
            raise BadRequest(f"pipeline execution {cycle_id!r} belongs to pipeline {doc['pipelineId']!r}, "
                             f"not {pipeline_id!r}")
        return doc

    def query(self, query: dict) -> dict:
        return dql.run_query(self.store.all("pipelineExecutions"), query, default_sort={"createdAt": "ascending"})

    # -- starting -------------------------------------------------------------------------------------

    def execute(self, pipeline_id: str, body: dict) -> dict:
        """``POST /pipelines/{id}/execute``: one cycle, or a batch (a command listing the cycles)."""
        pipeline = self.pipelines.get(pipeline_id)
        if pipeline["status"] != INSTALLED:
            raise BadRequest(f"pipeline {pipeline['name']!r} is {pipeline['status']}; install it "
                             "(pipeline.install()) before executing it")
        if "batch" in body:
            return self._batch(pipeline, body)
        options = {} if body.get("pipeline") is None else body["pipeline"]
        if not isinstance(options, dict):
            raise BadRequest("'pipeline' must be an object {input, nodeId, testMode}")
        inputs = {} if options.get("input") is None else options["input"]
        if not isinstance(inputs, dict):
            raise BadRequest(f"pipeline 'input' must be an object of name: value, found {type(inputs).__name__}")
        node_id = options.get("nodeId") or body.get("nodeId")
        if node_id is not None and not isinstance(node_id, str):
            raise BadRequest(f"'nodeId' must be a node id string, found {node_id!r}")
        node = self._start_node(pipeline, node_id)
        return self.start_at(pipeline, node, inputs)

    def start_at(self, pipeline: dict, node: dict, inputs: dict) -> dict:
        """One cycle from ``node`` (an execute, or a start-node trigger firing)."""
        self.pipelines.runnable(pipeline, node)  # refuse now, not as a failed cycle, when it cannot run
        return self._start(pipeline, node, inputs)

    def _start_node(self, pipeline: dict, node_id: str | None) -> dict:
        if node_id is None:
            roots = [s["nodeId"] for s in pipeline["startNodes"] if s.get("type") == "root"] or \
                    [s["nodeId"] for s in pipeline["startNodes"]]
            if not roots:
                raise BadRequest(f"pipeline {pipeline['name']!r} has no start node")
            node_id = roots[0]
        for node in pipeline["nodes"]:
            if node["id"] == node_id:
                return node
        raise BadRequest(f"'nodeId' {node_id!r} is not a node of pipeline {pipeline['name']!r}")

    def _start(self, pipeline: dict, node: dict, inputs: dict) -> dict:
        now = now_iso()
        cycle = {
            "id": new_id(), "pipelineId": pipeline["id"], "pipelineName": pipeline["name"],
            "projectId": pipeline["projectId"], "creator": LOCAL_USER, "createdAt": now, "updatedAt": now,
            "status": "in-progress", "message": None, "maxAttempts": 1, "input": copy.deepcopy(inputs),
            "nodes": [{"id": n["id"], "name": n["name"], "type": n.get("type"), "namespace": n.get("namespace"),
                       "metadata": n.get("metadata"), "projectId": n.get("projectId"), "status": "pending",
                       "ports": n.get("inputs", []) + n.get("outputs", [])} for n in pipeline["nodes"]],
            "executions": {}, "graph": {"nodes": pipeline["nodes"], "connections": pipeline["connections"]},
        }
        with self.executions.cond:
            self.store.put("pipelineExecutions", cycle, parent=pipeline["id"])
            self._run_node(cycle["id"], node, {**_defaults(node), **inputs})
            return self.public(self.store.get("pipelineExecutions", cycle["id"]))

    def _batch(self, pipeline: dict, body: dict) -> dict:
        batch = body["batch"]
        if not isinstance(batch, dict) or not isinstance(batch.get("query"), dict):
            raise BadRequest("'batch' must be an object {query: <items filter>, args: {...}}")
        args = {} if batch.get("args") is None else batch["args"]
        if not isinstance(args, dict):
            raise BadRequest("'batch.args' must be an object of name: value")
        context = batch["query"].get("context") or {}
        datasets = context.get("datasets") if isinstance(context, dict) else None
        if not isinstance(datasets, list) or not datasets or not all(isinstance(d, str) for d in datasets):
            raise BadRequest("execute_batch needs the items' dataset: dl.Filters(..., context={'datasets': [id]})")
        if body.get("nodeId") is not None and not isinstance(body["nodeId"], str):
            raise BadRequest(f"'nodeId' must be a node id string, found {body['nodeId']!r}")
        node = self._start_node(pipeline, body.get("nodeId"))
        self.pipelines.runnable(pipeline, node)
        item_port = next((p["name"] for p in node.get("inputs", []) if p.get("type") == "Item"), "item")
        found = []
        for dataset_id in datasets:
            found += self.items.query(dataset_id, dict(batch["query"], pageSize=MAX_BATCH, page=0))["items"]
        if len(found) > MAX_BATCH:
            raise BadRequest(f"execute_batch matched {len(found)} items; at most {MAX_BATCH} per call here")
        started = [self._start(pipeline, node, {**_defaults(node), **args, item_port: item["id"]})["id"]
                   for item in found if item.get("type") == "file"]
        return self.store.put("commands", records.command_json("pipelineExecuteBatch",
                                                               {"pipelineExecutionIds": started}))

    def _run_node(self, cycle_id: str, node: dict, inputs: dict) -> None:
        """Create a node's execution for a cycle (lock held); a node that cannot run fails the cycle."""
        cycle = self.store.get("pipelineExecutions", cycle_id)
        runs = sum(len(ids) for ids in cycle["executions"].values())
        if runs >= MAX_NODE_RUNS:
            self._fail(cycle, node, f"the cycle ran {MAX_NODE_RUNS} node executions; a loop in the pipeline "
                                    "never ended (check the actions its nodes set)")
            return
        pipeline = {"id": cycle["pipelineId"], "nodeId": node["id"], "executionId": cycle_id}
        if node.get("type") == "storage":
            self._platform_nodes.append((cycle, node, inputs, pipeline))
            self._run_platform_nodes()
            return
        try:
            service = self.pipelines.service_of({"projectId": cycle["projectId"]}, node)
            body = {"input": inputs, "functionName": node["namespace"]["functionName"],
                    "projectId": cycle["projectId"]}
            doc = self.executions.create(service["id"], body, pipeline=pipeline)
        except BadRequest as exc:
            self._fail(self.store.get("pipelineExecutions", cycle_id), node, exc.message)
            return
        cycle = copy.deepcopy(self.store.get("pipelineExecutions", cycle_id))
        ids = cycle["executions"].setdefault(node["id"], [])
        if doc["id"] not in ids:
            ids.append(doc["id"])
        if doc["latestStatus"]["status"] not in TERMINAL:
            _set_node(cycle, node["id"], "in-progress")
        self._save(cycle)

    def _run_platform_nodes(self) -> None:
        """Run the queued dataset nodes (lock held); the outermost call runs them all."""
        if self._running_platform_nodes:
            return
        self._running_platform_nodes = True
        try:
            while self._platform_nodes:
                self._run_dataset_node(*self._platform_nodes.popleft())
        finally:
            self._running_platform_nodes = False

    def _run_dataset_node(self, cycle: dict, node: dict, inputs: dict, pipeline: dict) -> None:
        """A dataset node puts its input item into its dataset (and folder): an item elsewhere is copied
        there, one already there goes on as it is; the node passes the item on."""
        metadata = node.get("metadata") or {}
        value = next(iter(inputs.values()), None)
        item_id = (value.get("item_id") or value.get("id")) if isinstance(value, dict) else value
        output, failure = None, None
        try:
            if not isinstance(item_id, str):
                raise BadRequest(f"its input must be an item, found {value!r}")
            item = self.place_item(item_id, metadata.get("datasetId"), metadata.get("dir"))
            output = {"item_id": item["id"], "dataset_id": item["datasetId"]}
        except (BadRequest, NotFound) as exc:
            failure = f"dataset node {node['name']!r}: {exc.message}"
        # Its end reaches node_ended like any execution's, which records it in the cycle and routes on.
        names = (DATASET_NODE_SERVICE, DATASET_NODE_FUNCTION)
        self.executions.record_platform_run(cycle["projectId"], names, inputs, pipeline, output, failure)

    # -- routing --------------------------------------------------------------------------------------

    def node_ended(self, doc: dict) -> None:
        """An execution reached its end (lock held): route a node's output, or end its cycle."""
        ref = doc.get("pipeline") or {}
        cycle = self.store.find("pipelineExecutions", ref.get("executionId") or "")
        if cycle is None:
            return
        try:
            self._route(copy.deepcopy(cycle), doc, ref["nodeId"])
        except Exception as exc:  # a bug here must not lose the node's own end; fail the cycle instead
            log.exception("routing pipeline execution %s failed", cycle["id"])
            self._save(dict(copy.deepcopy(cycle), status="failed", message=f"routing failed: {exc}"))

    def _route(self, cycle: dict, doc: dict, node_id: str) -> None:
        graph = cycle["graph"]
        node = next((n for n in graph["nodes"] if n["id"] == node_id), None)
        if node is None:
            return
        ids = cycle["executions"].setdefault(node_id, [])
        if doc["id"] not in ids:
            ids.append(doc["id"])
        status = doc["latestStatus"]["status"]
        _set_node(cycle, node_id, "success" if status == "success" else "failed")
        self._save(cycle)
        if cycle["status"] in ENDED:
            return
        if status != "success":
            self._fail(cycle, node, doc["latestStatus"].get("message") or status)
            return
        outputs = {p["portId"]: (i, p) for i, p in enumerate(node.get("outputs") or [])}
        inputs_of = {n["id"]: {p["portId"]: p for p in n.get("inputs") or []} for n in graph["nodes"]}
        for connection in graph["connections"]:
            if connection["src"]["nodeId"] != node_id or connection["src"]["portId"] not in outputs:
                continue
            if connection.get("action") and connection["action"] != doc.get("action"):
                continue
            index, port = outputs[connection["src"]["portId"]]
            value = _output_value(doc, index, port, len(outputs))
            if not self._condition_holds(connection, value):
                continue
            target = next(n for n in graph["nodes"] if n["id"] == connection["tgt"]["nodeId"])
            target_port = inputs_of[target["id"]][connection["tgt"]["portId"]]
            self._run_node(cycle["id"], target, {**_defaults(target), target_port["name"]: value})
        self._settle(cycle["id"])

    def _condition_holds(self, connection: dict, value) -> bool:
        if not connection.get("condition"):
            return True
        item_id = value.get("item_id") if isinstance(value, dict) else value if isinstance(value, str) else None
        item = self.store.find("items", item_id or "")
        return item is not None and dql.matches(json.loads(connection["condition"]), item)

    def _settle(self, cycle_id: str) -> None:
        """Success once no node execution of the cycle is left to end (lock held)."""
        cycle = self.store.get("pipelineExecutions", cycle_id)
        if cycle["status"] in ENDED:
            return
        for ids in cycle["executions"].values():
            for execution_id in ids:
                if not self.executions.is_terminal(execution_id):
                    return
        self._save(dict(copy.deepcopy(cycle), status="success"))

    def _fail(self, cycle: dict, node: dict, reason: str) -> None:
        cycle = copy.deepcopy(cycle)
        _set_node(cycle, node["id"], "failed")
        cycle.update(status="failed", message=f"node {node['name']!r} failed: {reason}")
        self._save(cycle)

    def _save(self, cycle: dict) -> None:
        cycle["updatedAt"] = now_iso()
        self.store.put("pipelineExecutions", cycle)
        self.executions.changed.notify_all()

    def _settle_after_restart(self) -> None:
        """A data dir the platform ran on before: cycles whose node executions all ended get their end."""
        with self.executions.cond:
            for cycle in self.store.all("pipelineExecutions"):
                if cycle["status"] in ENDED:
                    continue
                docs = [self.store.find("executions", i) for ids in cycle["executions"].values() for i in ids]
                failed = [d for d in docs if d is not None and d["latestStatus"]["status"] in TERMINAL
                          and d["latestStatus"]["status"] != "success"]
                if failed:
                    node = next(n for n in cycle["graph"]["nodes"] if n["id"] == failed[0]["pipeline"]["nodeId"])
                    self._fail(cycle, node, failed[0]["latestStatus"].get("message") or "failed")
                else:
                    self._settle(cycle["id"])

    # -- waiting --------------------------------------------------------------------------------------

    def wait(self, cycle_id: str, timeout: float) -> dict:
        """The cycle once ended, or as it is after ``timeout`` seconds (bounded by the caller)."""
        deadline = time.monotonic() + timeout
        with self.executions.cond:
            while True:
                cycle = self.store.get("pipelineExecutions", cycle_id, "Pipeline execution")
                remaining = deadline - time.monotonic()
                if cycle["status"] in ENDED or remaining <= 0:
                    return self.public(cycle)
                self.executions.changed.wait(remaining)

    @staticmethod
    def public(cycle: dict) -> dict:
        """The platform JSON: the graph copy is the platform's own business."""
        return {k: v for k, v in cycle.items() if k != "graph"}


def _defaults(node: dict) -> dict:
    return {p["name"]: p["defaultValue"] for p in node.get("inputs") or [] if p.get("defaultValue") is not None}


def _output_value(doc: dict, index: int, port: dict, count: int):
    """What an output port carries: the return value (its ``index``-th element when a node has several
    outputs and returned a list of that length); a node that returned nothing passes on its input of the
    port's name, as a node that changes its item in place does."""
    output = doc.get("output")
    if count > 1 and isinstance(output, list) and len(output) == count:
        output = output[index]
    if output is None:
        output = (doc.get("input") or {}).get(port["name"])
    return output


def _set_node(cycle: dict, node_id: str, status: str) -> None:
    for node in cycle["nodes"]:
        if node["id"] == node_id:
            node["status"] = status
