"""Apps (dataloop.json folders) the app tests publish and install, written into a test's tmp_path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

LABELLER = '''
import dtlpy as dl


class Labeller(dl.BaseServiceRunner):
    def __init__(self, label="done"):
        self.label = label

    def label_item(self, item: dl.Item):
        builder = item.annotations.builder()
        builder.add(annotation_definition=dl.Classification(label=self.label))
        item.annotations.upload(builder)
        return item

    def echo(self, config):
        return {"echo": config, "label": self.label}
'''

COUNTER = '''
from .helpers import double


class Counter:
    def count(self, config):
        return {"count": double(len(config))}
'''


def two_module_app(name: str = "two-modules") -> dict:
    """Two modules in sub-folders, each run by a service of its own: a compute config and a services[] entry."""
    return {
        "name": name, "version": "1.0.0", "displayName": "Two Modules", "scope": "project",
        "components": {
            "computeConfigs": [{"name": f"{name}-labeller", "runtime": {"podType": "regular-xs", "concurrency": 4},
                                "initParams": {"label": "from-config"}}],
            "modules": [
                {"name": "labeller", "entryPoint": "labeller/runner.py", "className": "Labeller",
                 "computeConfig": f"{name}-labeller", "initInputs": [{"type": "String", "name": "label"}],
                 "functions": [{"name": "label_item", "input": [{"type": "Item", "name": "item"}],
                                "output": [{"type": "Item", "name": "item"}]},
                               {"name": "echo", "input": [{"type": "Json", "name": "config"}]}]},
                {"name": "counter", "entryPoint": "tools/counting/main.py", "className": "Counter",
                 "functions": [{"name": "count", "input": [{"type": "Json", "name": "config"}]}]},
            ],
            "services": [{"name": f"{name}-counter", "moduleName": "counter", "runtime": {"concurrency": 2}}],
            "triggers": [{"name": f"{name}-on-upload", "type": "Event", "active": True,
                          "namespace": f"services.{name}-labeller",
                          "spec": {"resource": "Item", "actions": ["Created"], "executionMode": "Once",
                                   "filter": {"dir": "/incoming"},
                                   "operation": {"type": "function", "functionName": "label_item"}}}],
            "pipelineNodes": [{"name": "Count", "invoke": {"type": "function",
                                                           "namespace": f"{name}-counter.counter.count"},
                               "categories": ["data"], "scope": "node"}],
            "panels": [{"name": "somePanel", "supportedSlots": []}],
            "toolbars": [{"displayName": "Label", "invoke": {"type": "function", "namespace": f"{name}-labeller.echo"}}],
        },
    }


def write_app(root: Path, manifest: dict | None = None, npm: bool = False) -> Path:
    """The two-module app, code in sub-folders; with ``npm``, a panel's npm package.json beside dataloop.json."""
    manifest = manifest or two_module_app()
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataloop.json").write_text(json.dumps(manifest, indent=2))
    (root / "labeller").mkdir(exist_ok=True)
    (root / "labeller" / "runner.py").write_text(textwrap.dedent(LABELLER))
    (root / "tools" / "counting").mkdir(parents=True, exist_ok=True)
    (root / "tools" / "counting" / "main.py").write_text(textwrap.dedent(COUNTER))
    (root / "tools" / "counting" / "helpers.py").write_text("def double(n):\n    return 2 * n\n")
    if npm:
        (root / "package.json").write_text(json.dumps({"name": "panel", "version": "1.0.0",
                                                       "scripts": {"build": "vite build"}}))
    return root
