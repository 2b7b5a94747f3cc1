# This folder on sys.path lets the unit tests import the packages as `hello_world.main` and
# `auto_ml.single_item_auto_ml`, which the auto_ml modules need for their `from .models_loader import`.

import pytest


def pytest_faas_execution_finished(item, status, logs):
    """A team rule, as a pytest-faas hook (docs/hooks.md): a case that succeeded must not have logged a
    traceback, e.g. one its function caught and printed before carrying on."""
    if status == "success" and any("Traceback (most recent call last)" in line for line in logs):
        pytest.fail(f"{item.name} succeeded but its log shows a traceback")
