"""Generated cases: the one entry that runs a case of any kind, and the verdict on its outcome.

A case is a mock input set of a package or an app. :func:`run` picks its kind: an app's case is published
and installed as its author ships it (`apps`), a case with an ``event`` is run by the service's own triggers
(`events`), a case with a ``node`` runs inside a one-node pipeline (`pipelines`), any other is one
execution. :func:`submit` starts a case of that last kind without waiting for it (plugin/ahead.py runs a
service's cases at once that way). What every kind needs (the project, pushes, deploys, seeding, waits) is the `runner.CaseRunner`'s.
:func:`check` (in `outcome`) compares what came back with the case's ``expect``.
"""

from __future__ import annotations

import time

# Imported with this package, never in the middle of a case: there a first import (which pytest's assertion
# rewriting parses) raced an agent thread's compile and failed with CPython 3.11's "SystemError: AST
# constructor recursion depth mismatch".
from ..manifests.loaded import LoadedPackage, PackageCase
from ..manifests.mock import MockCase
from .apps import AppCases
from .events import EventCases, EventOutcome
from .outcome import check
from .pipelines import execute_in_node
from .runner import CaseOutcome, CaseRunner, Submitted, service_file_applies

__all__ = ["CaseOutcome", "CaseRunner", "Submitted", "check", "input_types", "run", "runs_directly", "submit"]


def run(runner: CaseRunner, package: LoadedPackage, case: PackageCase, *, all_logs: bool = False) -> CaseOutcome | EventOutcome:
    """Run one case of a loaded package and return its outcome (see :func:`check` for the verdict); the
    logs are read when it did not succeed, when it expects calls (they are logged), or with `all_logs`."""
    manifest = package.runnable
    if manifest is None:
        raise ValueError(f"{package.path} could not be read; its cases cannot run")
    if runs_directly(package, case):
        return runner.finish(submit(runner, package, case), all_logs=all_logs)
    start = time.perf_counter()
    mock_case = case.case
    service, project_id = _prepared(runner, package, case)
    if mock_case.event is not None:  # the service's triggers run it (cases/events.py)
        events = runner.part(EventCases)
        found = (events.app_triggers(manifest, service) if package.is_app
                 else events.triggers(package, service, service_file_applies(package.service, mock_case)))
        return events.run(case, service, found, all_logs)
    if mock_case.node is not None:  # the function runs as a pipeline node, with the node in its context
        execution = execute_in_node(runner, service, mock_case, _function(package, mock_case))
    else:  # an app's case: published and installed as its author ships it, then run on the app's service
        execution = runner.execute(service, mock_case, service["projectId"], case.mock_label)
    return runner.finish(Submitted(service, execution, mock_case, time.perf_counter() - start, project_id),
                         all_logs=all_logs)


def submit(runner: CaseRunner, package: LoadedPackage, case: PackageCase) -> Submitted:
    """Seed a case and create its execution without waiting for it (`CaseRunner.finish` waits): a case that
    calls its package's function directly (:func:`runs_directly`)."""
    start = time.perf_counter()
    service, project_id = _prepared(runner, package, case)
    execution = runner.execute(service, case.case, service["projectId"], case.mock_label)
    return Submitted(service, execution, case.case, time.perf_counter() - start, project_id)


def runs_directly(package: LoadedPackage, case: PackageCase) -> bool:
    """Whether a case calls its package's function directly, so that it can be submitted ahead of its turn
    (an app's case, an event's and a pipeline node's each run whole, one at a time)."""
    return package.runnable is not None and not package.is_app and case.case.event is None \
        and case.case.node is None


def input_types(package: LoadedPackage, mock_case: MockCase) -> dict[str, str]:
    """The declared type of each of the case's function's inputs, by name."""
    function = _function(package, mock_case)
    return {io.name: io.type for io in function.inputs} if function else {}


def _prepared(runner: CaseRunner, package: LoadedPackage, case: PackageCase) -> tuple[dict, str | None]:
    """The case's service (deployed, or for an app installed, once), with its entities and artifacts seeded;
    and the project they were seeded in (None: the case declares none)."""
    mock_case = case.case
    if package.is_app:
        service = runner.part(AppCases).service(package.folder, package.runnable, mock_case)
    else:  # a case that calls its function reaches only its stubs, from the module's import on
        guarded = mock_case.event is None and mock_case.node is None  # event and node cases run unguarded
        service = runner.service(package, mock_case, case.mock_label if guarded else None)
    project_id = runner.seed(mock_case, input_types(package, mock_case), case.mock_file)
    runner.seed_artifacts(package, mock_case, service["projectId"])
    return service, project_id


def _function(package: LoadedPackage, mock_case: MockCase):
    module = package.runnable.module(mock_case.module_name)
    return module.function(mock_case.function_name) if module else None
