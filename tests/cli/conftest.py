"""Driving the `faas` command in-process with click's CliRunner, in a fresh folder per test."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from pytest_faas.cli import cli


class Faas:
    """``faas("items ls --json")`` runs the command in the test's folder and returns click's Result.

    By default it asserts the exit status (0, or ``code=``) and shows the output when that fails.
    """

    def __init__(self, folder):
        self.folder = folder
        self.runner = CliRunner()

    def __call__(self, args: str | list[str], code: int | None = 0, input: str | None = None):
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        result = self.runner.invoke(cli, argv, input=input, catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (f"`faas {' '.join(argv)}` exited {result.exit_code}, expected {code}\n"
                                              f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
        return result

    def json(self, args: str):
        return json.loads(self(f"--json {args}").stdout)


@pytest.fixture
def faas(tmp_path, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: never fold an id
    for name in ("FAAS_DATA_DIR", "FAAS_URL", "FAAS_TOKEN", "FAAS_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return Faas(tmp_path)


@pytest.fixture
def project(faas):
    """A checked-out project named ``demo`` with one dataset, ``pictures``."""
    faas("projects create demo")
    faas("datasets create pictures")
    return "demo"
