"""What the subprocess placement starts has no path to the platform's token (`<data dir>/token`): its own
working folder, and an environment without the platform's token or any variable naming the data dir.

The run is set up as `faas serve` is: the data dir is `.faas` in the folder the platform was started from,
and that folder's `FAAS_DATA_DIR` and `FAAS_TOKEN` are in the environment. Before, the runner process
inherited both, so a function could read the token file or the token itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faas_code import Deployed, simple_package

BODY = '''
def look(self):
    import os
    return {"cwd": os.getcwd(), "env": dict(os.environ)}
'''


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A platform on `<folder>/.faas` started from `<folder>`, with the faas command's variables set."""
    from pytest_faas.local import LocalPlatform

    folder = simple_package(tmp_path / "package" / "look", "look", BODY, [("look", [])])
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / ".faas"
    monkeypatch.setenv("FAAS_DATA_DIR", str(data_dir))
    with LocalPlatform(data_dir, placement="subprocess") as platform:
        monkeypatch.setenv("FAAS_TOKEN", platform.token)
        yield platform, Deployed(platform, folder), data_dir


def test_a_runner_process_has_no_path_to_the_token_file(served):
    platform, deployed, data_dir = served
    assert (data_dir / "token").read_text().strip() == platform.token  # the file the function must not find
    record = deployed.run("look")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    env, cwd = record["output"]["env"], Path(record["output"]["cwd"])
    assert not [name for name, value in env.items() if str(data_dir) in value or platform.token in value]
    assert env["PWD"] == str(cwd.parent)  # the folder it started in, not the one `faas serve` was run from
    assert data_dir.parent not in (cwd, *cwd.parents)
    assert not (cwd / "token").exists() and not (cwd.parent / "token").exists()
