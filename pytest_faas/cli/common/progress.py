"""Progress of long work on the terminal: cases of `faas packages test`, files of `faas items upload`, and the
steps of an image build (the docker placement's, read from `pytest_faas.placements.docker.images`' log).

Shown on stderr, and only when stderr is a terminal: captured output, pipes and CI logs get nothing, unless
asked for with ``TTY_COMPATIBLE=1`` (or ``FORCE_COLOR=1``), rich's own switches. The bar is transient: once
the work ends, the command's result is what stays on the screen.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from . import output as _output

IMAGES_LOGGER = "pytest_faas.placements.docker.images"


class Steps:
    """What a command tells its progress: the current step, and one more unit done."""

    def __init__(self, bar: Progress | None = None, task=None):
        self.bar = bar
        self.task = task

    def describe(self, text: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=Text(text))  # user text: never read as markup

    def advance(self, units: int = 1) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, units)


class _BuildSteps(logging.Handler):
    """An image build's log lines as the progress bar's current step (they come from the build's thread)."""

    def __init__(self, steps: Steps):
        super().__init__(logging.INFO)
        self.steps = steps

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.steps.describe("docker image: " + record.getMessage().strip())
        except Exception:  # noqa: BLE001 - a display problem must not fail a build
            self.handleError(record)


@contextlib.contextmanager
def progress(description: str, total: int | None = None, *, builds: bool = False) -> Iterator[Steps]:
    """A progress bar (``total`` units; a spinner when None) while the block runs; with ``builds``, image build
    steps show as they happen. A no-op when stderr is not a terminal."""
    console = _output.err()
    if not console.is_terminal:
        yield Steps()
        return
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    logger = logging.getLogger(IMAGES_LOGGER)
    with bar:
        steps = Steps(bar, bar.add_task(Text(description), total=total))
        handler, level = _BuildSteps(steps), logger.level
        if builds:
            logger.addHandler(handler)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        try:
            yield steps
        finally:
            if builds:
                logger.removeHandler(handler)
                logger.setLevel(level)
