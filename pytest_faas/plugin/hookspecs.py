"""pytest-faas's own hooks: implement them in a ``conftest.py`` (or a plugin) to shape the harness.

Registered through ``pytest_addhooks``; pytest checks the implementations' argument names against these
specifications, and an implementation may take any subset of the arguments. Listed, with a recipe each, in
docs/hooks.md.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_faas_platform_options(config, options):
    """Choose or configure the placement before this process's local platform starts.

    Called once, when the first case or fixture needs the platform (not with ``--faas-backend-url``).

    Args:
        config: the pytest config.
        options: a dict to change in place: ``placement`` (``"thread"``, ``"subprocess"`` or ``"docker"``),
            ``container_network`` (``"none"`` or ``"host"``) and ``keep_containers`` (bool), as the command
            line, ini file and environment chose them.
    """


@hookspec
def pytest_faas_case_entities(item, case, items, datasets):
    """Add, change or remove the entities a generated case seeds, just before it runs.

    Args:
        item: the case's test item (``item.case.mock_file`` is its mock file, ``item.package`` the package).
        case: the `pytest_faas.manifests.mock.MockCase` about to run (read-only).
        items: the case's `ItemSpec` list; append, replace or delete entries in place.
        datasets: the case's `DatasetSpec` list, likewise. Relative ``file`` paths are read from the mock
            file's folder.
    """


@hookspec
def pytest_faas_execution_finished(item, status, output, execution, logs):
    """Called with every generated case's finished execution, before its expectation is checked.

    Raise (``pytest.fail(...)``, an ``AssertionError``) to fail the case.

    Args:
        item: the case's test item.
        status: the execution's final status (``"success"``, ``"failed"``, ``"timeout"``...).
        output: its output (None unless it succeeded).
        execution: the whole execution record, as ``GET /executions/{id}`` returns it.
        logs: every line the function logged or printed, in order.
    """


@hookspec
def pytest_faas_manifest_findings(package_dir, manifest, service, mocks):
    """Add findings to a package's ``::manifest`` item.

    Return an iterable of `pytest_faas.manifests.checks.Finding` (or None). A finding of severity
    ``"error"`` fails the item, with the package's own; a ``"warning"`` is shown as a pytest warning.

    Args:
        package_dir: the package's folder (a ``pathlib.Path``).
        manifest: its `PackageManifest`, read from package.json.
        service: its `ServiceManifest` (service.json), or None.
        mocks: ``[(path, MockFile)]``, every mock file that could be read.
    """

