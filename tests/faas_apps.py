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


# -- repositories of several apps: a .dataloop.cfg at the root lists manifests in sub-folders ----------------

# Shaped like image-tiling-nodes: the node's code reaches the root's shared package by putting the root on
# sys.path itself, and reads its node's customNodeConfig when it runs as one.
HELLO_NODE = '''
import os
import sys

import dtlpy as dl

sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), "../../")))
from shared import shout  # noqa: E402


class Hello(dl.BaseServiceRunner):
    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def greet(self, config: dict, context: dl.Context = None):
        node = context.node if context is not None else None
        custom = node.metadata.get("customNodeConfig") if node is not None else None
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
        shipped = sorted(name for name in ("secret.env", "artifacts", "shared")
                         if os.path.exists(os.path.join(root, name)))
        return {"text": shout(f"{self.greeting} {config.get('name')}"), "custom": custom, "shipped": shipped}
'''

# Shaped like data-management-demo-dataset: a plain import of the root's package (the codebase root is on
# sys.path, as on the platform).
TILER_NODE = '''
import dtlpy as dl

from shared import shout


class Tiler(dl.BaseServiceRunner):
    def split(self, item: dl.Item):
        return {"name": shout(item.name)}
'''


def hello_manifest(entry_point: str = "nodes/hello/main.py") -> dict:
    return {"name": "hello-node", "version": "0.0.1", "scope": "public",
            "codebase": {"type": "git", "gitUrl": "https://github.com/example/nodes.git", "gitTag": "0.0.1"},
            "components": {
                "pipelineNodes": [{"name": "greet", "invoke": {"type": "function",
                                                               "namespace": "hello-node.hello.greet"}}],
                "modules": [{"name": "hello", "entryPoint": entry_point, "className": "Hello",
                             "initInputs": [{"type": "String", "name": "greeting"}],
                             "functions": [{"name": "greet", "input": [{"type": "Json", "name": "config"}]}]}],
                "services": [{"name": "hello-node", "moduleName": "hello",
                              "runtime": {"podType": "regular-xs", "concurrency": 1}}]}}


def tiler_manifest(entry_point: str = "nodes/tiler/split.py") -> dict:
    return {"name": "tiler-node", "version": "0.0.1", "scope": "public",
            "components": {
                "modules": [{"name": "tiler", "entryPoint": entry_point, "className": "Tiler",
                             "functions": [{"name": "split", "input": [{"type": "Item", "name": "item"}]}]}],
                "computeConfigs": [{"name": "tiler-node", "runtime": {"concurrency": 2}}],
                "services": [{"name": "tiler-node", "moduleName": "tiler"}]}}


HELLO_MOCK = {"module_name": "hello", "function_name": "greet", "init_params": {"greeting": "hi"},
              "inputs": [{"name": "config", "value": {"name": "ada"}}],
              "expect": {"output": {"text": "HI ADA!", "custom": None, "shipped": ["shared"]}}}
TILER_MOCK = {"module_name": "tiler", "function_name": "split", "items": [{"id": "a", "name": "a.png"}],
              "inputs": [{"name": "item", "value": {"item_id": "a"}}], "expect": {"output": {"name": "A.PNG!"}}}


def write_repo(root: Path, config: object = None, hello_entry: str = "nodes/hello/main.py",
               tiler_entry: str = "nodes/tiler/split.py") -> Path:
    """A repository of two apps in sub-folders, listed by the root's .dataloop.cfg (``config`` replaces its
    JSON; a str is written as is), sharing the root's ``shared`` package; files dlp app publish leaves out
    (a .gitignore'd one, ``artifacts/``) sit beside it."""
    files = {
        ".dataloop.cfg": {"manifests": ["nodes/hello/dataloop.json", "nodes/tiler/dataloop.json"],
                          "public_app": False} if config is None else config,
        ".gitignore": "secret.env\n",
        "secret.env": "TOKEN=not-for-the-codebase\n",
        "artifacts/weights.bin": "0" * 64,
        "shared/__init__.py": "def shout(text):\n    return text.upper() + '!'\n",
        "nodes/hello/dataloop.json": hello_manifest(hello_entry),
        "nodes/hello/main.py": textwrap.dedent(HELLO_NODE),
        "nodes/hello/mock.json": HELLO_MOCK,
        "nodes/tiler/dataloop.json": tiler_manifest(tiler_entry),
        "nodes/tiler/split.py": textwrap.dedent(TILER_NODE),
        "nodes/tiler/mock.json": TILER_MOCK,
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return root

TINY_APP_CODE = "class ServiceRunner:\n    def run(self, config):\n        return config * 2\n"
