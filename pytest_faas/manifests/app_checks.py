"""Static checks of an app: dataloop.json against the code it names, and inside itself.

The module checks are those of a package (`checks`), with entry points relative to the app's codebase root
(the folder of dataloop.json, or its repository's root when a ``.dataloop.cfg`` lists it: `repo`). On top, every name that points elsewhere in the manifest must resolve: a module's or a
function's ``computeConfig``, a service's ``moduleName``, a trigger's and a pipeline node's ``namespace``,
each finding at its JSON path. Like `checks`, nothing here raises: callers report all findings at once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from .app import AppManifest
from .checks import Finding, check_module, check_mock  # a package's module checks, reused as they are
from .jsondoc import did_you_mean
from .mock import MockFile


def check_app(app_dir: Path | str, app: AppManifest) -> list[Finding]:
    """Every disagreement inside dataloop.json and between it and the code, errors and warnings alike.

    Entry points are relative to the app's codebase root (``app.layout``). Besides the module checks of
    a package, each name that points elsewhere in the manifest must resolve: a module's or function's
    ``computeConfig``, a service's ``moduleName``, a trigger's and a pipeline node's ``namespace``.
    """
    folder = Path(app_dir)
    file = str(app.source or folder / "dataloop.json")
    cache: dict[Path, Any] = {}
    findings = []
    for i, module in enumerate(app.modules):
        base = app.layout.entry_base(folder, module.entry_point)
        findings += [_in_app(f, app, folder) for f in check_module(base, file, i, module, cache)]
    findings += _app_references(app, file)
    findings += _templates(app, file)
    return findings


def _in_app(finding: Finding, app: AppManifest, folder: Path) -> Finding:
    """A module finding located in dataloop.json's terms: under ``components.``, a missing class in
    dataloop.json itself, and, for an entry point
    missing from an app that a ``.dataloop.cfg`` lists, naming both places it was looked for."""
    if not finding.json_path.startswith("modules["):
        return finding
    finding = replace(finding, json_path="components." + finding.json_path)
    if finding.json_path.endswith(".className"):  # the fix is in dataloop.json, at that path
        finding = replace(finding, file=str(app.source or folder / "dataloop.json"), line=None)
    layout = app.layout
    if layout.config is not None and finding.json_path.endswith(".entryPoint"):
        root = layout.root
        finding = replace(finding, message=finding.message.split(" not found in ")[0] + (
            f" not found in the repository root {root} (entry points are relative to it, as {layout.config.name} "
            f"lists this app) nor in {folder}; write it from the root, e.g. "
            f"'{folder.resolve().relative_to(root).as_posix()}/main.py'"))
    return finding


def _app_references(app: AppManifest, file: str) -> Iterator[Finding]:
    components = app.components
    configs = [c.name for c in components.compute_configs]
    modules = [m.name for m in app.modules]
    for i, module in enumerate(app.modules):
        named = [(f"components.modules[{i}].computeConfig", module.compute_config)]
        named += [(f"components.modules[{i}].functions[{j}].computeConfig", f.compute_config)
                  for j, f in enumerate(module.functions)]
        for at, name in named:
            if isinstance(name, str) and name not in configs:
                yield Finding(file, None, f"computeConfig {name!r} names no entry of components.computeConfigs"
                              + _hint(name, configs), json_path=at)
    yield from _datasets(app, file, configs, modules)
    for i, service in enumerate(components.services):
        if service.module_name is not None and service.module_name not in modules:
            yield Finding(file, None, f"service {service.name!r} runs module {service.module_name!r}, which the app "
                          "does not declare" + _hint(service.module_name, modules),
                          json_path=f"components.services[{i}].moduleName")
        elif not modules:
            yield Finding(file, None, f"service {service.name!r} has no module to run: the app declares none",
                          json_path=f"components.services[{i}]")
    plan = app.services()
    by_name = {p["name"]: p for p in plan}
    for i, trigger in enumerate(components.triggers):
        at = f"components.triggers[{i}].namespace"
        if trigger.namespace is None:
            yield Finding(file, None, "a trigger needs a namespace naming the service it calls: "
                          "'services.<service>' or '<service>.<module>.<function>'", json_path=at)
            continue
        service, module, function = app.target(trigger.namespace)
        yield from _target(app, by_name, file, at, f"trigger {trigger.name or i!r}", service, module,
                           function or trigger.function)
    for i, node in enumerate(components.pipeline_nodes):
        at = f"components.pipelineNodes[{i}].invoke.namespace"
        namespace = node.invoke.namespace if node.invoke else None
        if namespace is None:
            yield Finding(file, None, "a pipeline node needs invoke.namespace: '<service>.<module>.<function>'",
                          json_path=at)
            continue
        service, module, function = app.target(namespace)
        yield from _target(app, by_name, file, at, f"pipeline node {node.name or node.display_name or i!r}",
                           service, module, function or "run")
    run = {p["moduleName"] for p in plan}
    models = {m.get("moduleName") for m in components.models}
    for i, module in enumerate(app.modules):
        if module.name not in run and module.name not in models and module.functions:
            yield Finding(file, None, f"module {module.name!r} runs in no service: give it a computeConfig (or a "
                          "components.services entry) to install it, unless a model runs it",
                          "warning", f"components.modules[{i}]")
    for entry in plan:
        module = app.module(entry["moduleName"] or "")
        params = entry["config"].get("initParams") or {}
        if module is None or not isinstance(params, dict):
            continue
        declared = [io.name for io in module.init_inputs]
        at = f"components.{entry['origin']}.initParams"
        yield from (Finding(file, None, f"initParams gives {k!r}, which module {module.name!r} does not declare in "
                            "initInputs", "warning", at) for k in params if k not in declared)


def _datasets(app: AppManifest, file: str, configs: list[str], modules: list[str]) -> Iterator[Finding]:
    """A ``components.datasets[]`` entry's compute config and the module its ``invoke.namespace`` names."""
    from ..backend.apps.dpks import dataset_configs  # noqa: PLC0415 (see AppManifest.services)

    for i, config, module in dataset_configs(app.components.model_dump(by_alias=True, exclude_none=True)):
        if config not in configs:
            yield Finding(file, None, f"computeConfig {config!r} names no entry of components.computeConfigs"
                          + _hint(config, configs), json_path=f"components.datasets[{i}].computeConfig")
        if module not in modules:
            yield Finding(file, None, f"dataset loader namespace names module {module!r}, which the app does not "
                          "declare: write '<module>.<function>'" + _hint(module, modules),
                          json_path=f"components.datasets[{i}].invoke.namespace")


def _target(app: AppManifest, services: dict, file: str, at: str, what: str, service: str | None,
            module: str | None, function: str) -> Iterator[Finding]:
    """A namespace's service, module and function must exist, and the service must run that module."""
    if service not in services:
        yield Finding(file, None, f"{what} calls service {service!r}, which the app does not create"
                      + _hint(service, list(services)) + f"; its services: {', '.join(services) or 'none'}",
                      json_path=at)
        return
    runs = services[service]["moduleName"]
    if module is not None and module != runs:
        yield Finding(file, None, f"{what} names module {module!r}, but service {service!r} runs module {runs!r}",
                      json_path=at)
        return
    declared = app.module(runs or "")
    if declared is None:
        # The service's own finding names its moduleName; the function is still checked, against every
        # module, so that a broken app's report has this one too.
        functions = sorted({f.name for m in app.modules for f in m.functions})
        unknown = "" if function in functions else (f"; no module of the app declares {function!r}"
                                                    + _hint(function, functions))
        yield Finding(file, None, f"{what} calls {function!r} on service {service!r}, whose module {runs!r} the "
                      f"app does not declare, so it cannot run{unknown}", json_path=at)
        return
    functions = [f.name for f in declared.functions]
    if function not in functions:
        yield Finding(file, None, f"{what} calls {function!r}, which module {runs!r} does not declare"
                      + _hint(function, functions), json_path=at)


# A graph problem of backend.pipelines.check_graph starts with its JSON path inside the pipeline.
_GRAPH_PATH = re.compile(r"^((?:nodes|connections|startNodes)\[\d+\][\w.\[\]]*) (.*)$", re.S)


def _templates(app: AppManifest, file: str) -> Iterator[Finding]:
    """Each ``pipelineTemplates[]`` entry: a sound graph whose function nodes call the app's own services."""
    # Imported here, as in AppManifest.services(): backend modules load the platform's dependencies.
    from ..backend.pipelines.graph import RUNNABLE_TYPES, check_graph  # noqa: PLC0415

    by_name = {p["name"]: p for p in app.services()}
    for i, template in enumerate(app.components.pipeline_templates):
        at = f"components.pipelineTemplates[{i}]"
        name = template.get("name")
        if not isinstance(name, str) or not name.strip():
            yield Finding(file, None, "a pipeline template needs a 'name': its cases read the mock file "
                          "'<name>.pipeline.mock.json' beside dataloop.json", json_path=f"{at}.name")
        what = f"pipeline template {name or i!r}"
        for problem in check_graph(template):
            found = _GRAPH_PATH.match(problem)
            where, text = (f"{at}.{found.group(1)}", found.group(2)) if found else (at, problem)
            yield Finding(file, None, f"{what}: {text}", json_path=where)
        nodes = template.get("nodes")
        for j, node in enumerate(nodes if isinstance(nodes, list) else []):
            if not isinstance(node, dict):
                continue
            node_at = f"{at}.nodes[{j}]"
            node_name = f"{what}, node {node.get('name') or j!r}"
            if node.get("type") not in RUNNABLE_TYPES:
                yield Finding(file, None, f"{node_name} is a {node.get('type')!r} node: the local platform runs "
                              "function and dataset nodes only, so the template's cases fail here; make the node a "
                              "function node of one of the app's services to test it locally", "warning", f"{node_at}.type")
                continue
            namespace = node.get("namespace")
            if node.get("type") != "function" or not isinstance(namespace, dict) or not all(isinstance(namespace.get(key), str)
                                                          for key in ("serviceName", "functionName")):
                continue  # check_graph said so
            yield from _target(app, by_name, file, f"{node_at}.namespace", node_name, namespace["serviceName"],
                               namespace.get("moduleName"), namespace.get("functionName"))


def check_app_mock(app: AppManifest, mock: MockFile) -> list[Finding]:
    """`check_mock` for an app, plus: the module the mock names must run in a service of the app."""
    findings = check_mock(app, mock)  # type: ignore[arg-type] (an app answers module() as a package does)
    if app.module(mock.module_name) is not None and mock.module_name not in {p["moduleName"] for p in app.services()}:
        model = any(m.get("moduleName") == mock.module_name for m in app.components.models)
        findings.append(Finding(str(mock.source or "mock.json"), None, f"module {mock.module_name!r} runs in no "
                                "service of the app, so its cases cannot run; " + (
                                    "it is a model's module, which runs when the model is deployed" if model else
                                    "give the module a computeConfig"), json_path="module_name"))
    return findings


def _hint(value: Any, choices: list[str]) -> str:
    hint = did_you_mean(value, choices)
    return f" ({hint})" if hint else ""
