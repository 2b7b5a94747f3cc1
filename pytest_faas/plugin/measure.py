"""Coverage of the code that mock cases run, counted as the package folder's own lines.

Agents run a package from an unpacked copy of its codebase. While a coverage tool measures the run
(pytest-cov's ``--cov``, or ``coverage run -m pytest``), this plugin names the collected package folders to
the agents (`runner/sourcenames.py` compiles the copy's modules under those folders' file names) and hands
the measurement's configuration to agents in their own processes, which save their data beside the test
process's. Before pytest-cov combines the data at the end of the test loop, the platform is closed so that
those agents have saved theirs. No configuration from the user: the package folders are what was collected.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest

from ..runner.sourcenames import COVERAGE_ENV, ROOTS_ENV


def current_coverage():
    """The coverage measurement running in this process, if any (coverage is never imported for it)."""
    module = sys.modules.get("coverage")
    return module.Coverage.current() if module is not None else None


def register(config: pytest.Config) -> None:
    """Measure the agents too, when this process is measured."""
    cov = current_coverage()
    if cov is not None:
        config.pluginmanager.register(Measure(config, cov), "faas-measure")


class Measure:
    def __init__(self, config: pytest.Config, cov):
        self.config = config
        settings = copy.copy(cov.config)
        # Agents run in other folders: the data file and source folders (`--cov=.`) are this one's.
        settings.data_file = os.path.abspath(cov.config.data_file)
        settings.source = [os.path.abspath(s) if os.path.isdir(s) else s for s in cov.config.source or []] or None
        self._saved = {name: os.environ.get(name) for name in (ROOTS_ENV, COVERAGE_ENV)}
        os.environ[COVERAGE_ENV] = settings.serialize()
        config.add_cleanup(self._restore)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        folders = sorted({str(Path(item.path).parent) for item in session.items
                          if item.get_closest_marker("faas") is not None})
        os.environ[ROOTS_ENV] = os.pathsep.join(folders)

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest-cov's wrapper, which combines after it
    def pytest_runtestloop(self, session):
        try:
            return (yield)
        finally:
            from . import session as faas_session  # noqa: PLC0415

            faas_session.close_platform(self.config)  # agents in their own processes save their data

    def _restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
