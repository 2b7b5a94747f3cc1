"""The `faas` command: the tutorial's `dlp` flows against a local platform. See `app.py` for the root.

Each noun group lives in its own module and only calls dtlpy (bound to the platform) or `LocalPlatform`;
the checks it runs first come from the library (`manifests/`: `loaded`, `checks`, and the file models).
"""

from .app import cli, main

__all__ = ["cli", "main"]
