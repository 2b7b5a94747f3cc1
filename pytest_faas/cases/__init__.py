"""Generated cases: the one entry that runs a case of any kind, and the verdict on its outcome.

A case is a mock input set of a package or an app. :func:`run` picks its kind: an app's case is published
and installed as its author ships it (`apps`), a case with an ``event`` is run by the service's own triggers
(`events`), a case with a ``node`` runs inside a one-node pipeline (`pipelines`), any other is one
execution. What every kind needs (the project, pushes, deploys, seeding, waits) is the `runner.CaseRunner`'s.
:func:`check` (in `outcome`) compares what came back with the case's ``expect``.
"""

from __future__ import annotations

import time

# Imported with this package, never in the middle of a case: there a first import (which pytest's assertion
# rewriting parses) raced an agent thread's compile and failed with CPython 3.11's "SystemError: AST
# constructor recursion depth mismatch".
from ..manifests.loaded import LoadedPackage, PackageCase
from .apps import AppCases
from .events import EventCases, EventOutcome
from .outcome import check
from .pipelines import execute_in_node
from .runner import CaseOutcome, CaseRunner, service_file_applies

__all__ = ["CaseOutcome", "CaseRunner", "check", "run"]


def run(runner: CaseRunner, package: LoadedPackage, case: PackageCase, *, all_logs: bool = False) -> CaseOutcome | EventOutcome:
    """Run one case of a loaded package and return its outcome (see :func:`check` for the verdict); the
    logs are read when it did not succeed, when it expects calls (they are logged), or with `all_logs`."""
    manifest = package.runnable
    if manifest is None:
        raise ValueError(f"{package.path} could not be read; its cases cannot run")
    start = time.perf_counter()
    mock_case = case.case
    if package.is_app:  # published and installed as its author ships it, then run on the app's service
        service = runner.part(AppCases).service(package.folder, manifest, mock_case)
    else:
        service = runner.service(package, mock_case)
    module = manifest.module(mock_case.module_name)
    function = module.function(mock_case.function_name) if module else None
    input_types = {io.name: io.type for io in function.inputs} if function else {}
    runner.seed(mock_case, input_types, case.mock_file)
    runner.seed_artifacts(package, mock_case, service["projectId"])
    if mock_case.event is not None:  # the service's triggers run it (cases/events.py)
        events = runner.part(EventCases)
        found = (events.app_triggers(manifest, service) if package.is_app
                 else events.triggers(package, service, service_file_applies(package.service, mock_case)))
        return events.run(case, service, found, all_logs)
    if mock_case.node is not None:  # the function runs as a pipeline node, with the node in its context
        execution = execute_in_node(runner, service, mock_case, function)
    else:
        execution = runner.execute(service, mock_case, service["projectId"], case.mock_label)
    timeout = float(service.get("executionTimeout") or 3600)
    execution = runner.wait(execution["id"], limit_s=timeout + 30)
    wanted = all_logs or mock_case.expect.calls or execution.get("latestStatus", {}).get("status") != "success"
    logs = runner.logs(service["id"], execution["id"]) if wanted else []
    return CaseOutcome(execution, logs, time.perf_counter() - start)
