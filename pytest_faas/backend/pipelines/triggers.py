"""Start-node triggers of installed pipelines: ``node.add_trigger(...)`` starts a pipeline execution on each
data change it matches (docs/platform.md#pipelines).

dtlpy stores the trigger in the pipeline's ``startNodes`` entry: ``{nodeId, type: "trigger", trigger:
{type: "Event", spec: {filter, resource, actions, executionMode}}}``. Only installed pipelines fire; a
``Once`` trigger fires once per resource even on repeatable actions, as service triggers do; events in
system datasets (``Binaries``) never fire.
"""

from __future__ import annotations

import logging

from ...dql import compiler as dql
from ..events import Event
from .executions import PipelineRuns
from .graph import INSTALLED, node_start_filter
from ..store import Store
from ..faas.triggers import REPEATABLE, resource_value

log = logging.getLogger(__name__)


class PipelineTriggers:
    """Listens on the event bus and starts the pipelines whose start-node triggers match."""

    def __init__(self, store: Store, runs: PipelineRuns):
        self.store = store
        self.runs = runs

    def on_event(self, event: Event) -> None:
        dataset_id = event.document["id"] if event.resource == "Dataset" else event.document.get("datasetId")
        dataset = self.store.find("datasets", dataset_id or "")
        if dataset and dataset["metadata"]["system"].get("systemSpace"):
            return
        for pipeline in self.store.children("pipelines", event.project_id):
            if pipeline.get("status") != INSTALLED:
                continue
            nodes = {n["id"]: n for n in pipeline["nodes"]}
            for start in pipeline.get("startNodes") or []:
                trigger = start.get("trigger") or {}
                spec = trigger.get("spec") or {}
                node = nodes.get(start.get("nodeId"))
                if (node is None or trigger.get("type") != "Event" or spec.get("resource") != event.resource
                        or event.action not in (spec.get("actions") or ["Created"])
                        or not dql.matches(node_start_filter(node, spec), event.document)):
                    continue
                if spec.get("executionMode", "Once") == "Once" and event.action in REPEATABLE:
                    key = f"{pipeline['id']}.{start['nodeId']}.{event.document['id']}"
                    if self.store.find("pipeline_trigger_once", key) is not None:
                        continue
                    self.store.put("pipeline_trigger_once", {"id": key}, parent=pipeline["id"])
                self._start(pipeline, node, event)

    def _start(self, pipeline: dict, node: dict, event: Event) -> None:
        port = next((p["name"] for p in node.get("inputs") or [] if p.get("type") == event.resource),
                    event.resource.lower())
        try:
            self.runs.start_at(pipeline, node, {port: resource_value(event.resource, event.document)})
        except Exception as exc:  # one pipeline that cannot start must not undo the data change
            log.warning("pipeline %s could not start on %s %s %s: %s", pipeline["id"], event.resource,
                        event.action, event.document.get("id"), exc)
