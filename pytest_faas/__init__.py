"""pytest-faas: test Dataloop-style FaaS packages on your own machine.

The public API is re-exported lazily, so that importing the package (as pytest does when it loads the
plugin) stays cheap: ``LocalPlatform`` pulls in werkzeug and dtlpy only when it is first used.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["LocalPlatform", "RecordingProgress", "__version__"]

_LAZY = {
    "LocalPlatform": "pytest_faas.local",
    "RecordingProgress": "pytest_faas.mocks.progress",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pytest_faas' has no attribute {name!r}")
