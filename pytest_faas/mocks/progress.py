"""`RecordingProgress`: a stand-in for ``dl.Progress`` that remembers every update, for assertions.

dtlpy's own ``Progress.update`` does nothing (docs/platform.md#progress), so a unit test that calls a
function directly cannot see what it reported. This class has the same ``update`` signature and keeps
each call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProgressUpdate:
    """One ``progress.update(...)`` call, with the same argument names."""

    status: str | None = None
    progress: float = 0
    message: str | None = None
    output: Any = None
    duration: float | None = None
    action: str | None = None


class RecordingProgress:
    """Records each ``update`` call; ``logger`` is there because ``BaseServiceRunner.ping`` uses it."""

    def __init__(self, logger: logging.Logger | None = None):
        self.updates: list[ProgressUpdate] = []
        self.logger = logger or logging.getLogger("faas.progress")

    def update(self, status=None, progress=0, message=None, output=None, duration=None, action=None) -> None:
        self.updates.append(ProgressUpdate(status, progress, message, output, duration, action))

    @property
    def last(self) -> ProgressUpdate | None:
        """The latest update, or None if the function never reported progress."""
        return self.updates[-1] if self.updates else None

    @property
    def statuses(self) -> list[str | None]:
        return [u.status for u in self.updates]

    @property
    def percentages(self) -> list[float]:
        return [u.progress for u in self.updates]

    def __repr__(self) -> str:
        return f"RecordingProgress({len(self.updates)} updates, last={self.last!r})"
