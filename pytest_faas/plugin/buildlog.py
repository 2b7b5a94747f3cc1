"""The docker placement's image builds, shown on pytest's terminal as they happen.

A first build takes about a minute, inside whichever case deploys first, while pytest captures that case's
output: without this, the run looks stuck. Each step the build logs (``pytest_faas.placements.docker.images``) is
written past the capture, as pytest's own live logging writes, as a line ``faas docker image: ...``. Only on a
terminal (pytest's markup on: a tty, or ``PY_COLORS=1``/``FORCE_COLOR`` to ask for it); captured and CI
output get nothing, and ``--log-cli-level=INFO`` shows the same steps as log records anyway.
"""

from __future__ import annotations

import contextlib
import logging

import pytest

LOGGER = "pytest_faas.placements.docker.images"


class BuildLines(logging.Handler):
    def __init__(self, config: pytest.Config):
        super().__init__(logging.INFO)
        self.config = config

    def emit(self, record: logging.LogRecord) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        try:
            with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
                reporter.ensure_newline()
                reporter.write_line(f"faas docker image: {record.getMessage().strip()}")
        except Exception:  # noqa: BLE001 - a display problem must not fail a build
            self.handleError(record)


def install(config: pytest.Config) -> None:
    """Show build steps on the terminal for this run (nothing when output is not a terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if hasattr(config, "workerinput") or reporter is None or not config.get_terminal_writer().hasmarkup:
        return  # an xdist worker's output is not a terminal: its controller's is
    handler, logger = BuildLines(config), logging.getLogger(LOGGER)
    saved = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    def uninstall() -> None:
        logger.removeHandler(handler)
        logger.setLevel(saved)

    config.add_cleanup(uninstall)
