"""Plain fake data, usable without pytest: sample files, a recording progress, and
Hypothesis strategies (in :mod:`pytest_faas.mocks.strategies`, imported on demand)."""

from .files import png_bytes, sample_bytes, sample_names
from .progress import ProgressUpdate, RecordingProgress

__all__ = ["ProgressUpdate", "RecordingProgress", "png_bytes", "sample_bytes", "sample_names"]
