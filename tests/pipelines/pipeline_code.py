"""A package of pipeline node functions, and helpers that build pipelines of them with the real dtlpy."""

from __future__ import annotations

import json
from pathlib import Path

NODES_MAIN = '''
import os
import time

import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def classify(self, item, progress, context):
        config = context.node.metadata["customNodeConfig"]
        action = config["route"].get(item.name, config["default"])
        progress.update(action=action)
        return item

    def tag(self, item, context):
        item.metadata.setdefault("user", {})[context.node.name] = context.pipeline_execution_id
        item.update(system_metadata=False)
        return item

    def boom(self, item):
        raise ValueError("no luck with " + item.name)

    def history(self, item, context):
        filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="pipeline.executionId",
                             values=context.pipeline_execution_id)
        seen = sorted(e.function_name for e in dl.executions.list(filters=filters).all())
        item.metadata.setdefault("user", {})["history"] = seen
        item.update(system_metadata=False)
        return item

    def loop(self, item, progress, context):
        # Round and round until the item has been seen three times: the node's own condition ends the cycle.
        count = item.metadata.get("user", {}).get("laps", 0) + 1
        item.metadata.setdefault("user", {})["laps"] = count
        item.update(system_metadata=False)
        progress.update(action="again" if count < 3 else "done")
        return item

    def sleepy(self, item, context):
        # A thread cannot be killed, only asked: kill_event() raises once the execution is terminated.
        end = time.time() + context.node.metadata.get("customNodeConfig", {}).get("s", 30)
        while time.time() < end:
            self.kill_event()
            time.sleep(0.02)
        return item

    def die(self, item):
        os._exit(3)

    def describe(self, item, context):
        return {"node": context.node.name if context.node else None,
                "config": (context.node.metadata.get("customNodeConfig") if context.node else None),
                "pipeline": context.pipeline_id, "cycle": context.pipeline_execution_id,
                "execution": context.execution_id, "project": context.project.id}
'''

ITEM_IN = [{"name": "item", "type": "Item"}]


def _function(name: str, actions=None) -> dict:
    output = {"name": "item", "type": "Item"}
    if actions:
        output["actions"] = actions
    return {"name": name, "input": ITEM_IN, "output": [output]}


NODES_PACKAGE = {"name": "nodes", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                               "className": "ServiceRunner", "functions": [
    _function("classify", ["cats", "dogs"]), _function("tag"), _function("boom"), _function("history"),
    _function("loop", ["again", "done"]), _function("sleepy"), _function("die"),
    {"name": "describe", "input": ITEM_IN, "output": []},
]}]}


def write_nodes_package(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps(NODES_PACKAGE, indent=2))
    (root / "main.py").write_text(NODES_MAIN)
    return root


def node(dl, service, name: str, function: str, config: dict | None = None, position=(1, 1)):
    made = dl.FunctionNode(name=name, service=service, function_name=function, position=position)
    if config is not None:
        made.metadata["customNodeConfig"] = config
    return made
