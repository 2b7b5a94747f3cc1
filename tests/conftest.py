"""Shared test setup: dtlpy never sees the developer's own login, whatever a test does."""

import os
import tempfile

# Before anything imports dtlpy: its cookie and logs go to a private folder for the whole run.
os.environ["DATALOOP_PATH"] = tempfile.mkdtemp(prefix="faas-tests-dtlpy-")
