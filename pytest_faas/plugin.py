"""The pytest11 entry point: hooks only, inert until ``--faas`` is given."""

from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("faas", "FaaS packages (pytest-faas)")
    group.addoption("--faas", action="store_true", default=False, help="collect and run FaaS packages")
