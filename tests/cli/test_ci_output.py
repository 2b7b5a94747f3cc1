"""`faas packages test` as a CI job runs it: a subprocess whose output goes to a log, not a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from faas_code import THUMBS_PACKAGE, write_package

FAAS = [sys.executable, "-c", "import sys; from pytest_faas.cli import main; sys.exit(main())"]


def _faas(args: list[str], cwd, dtlpy) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAAS_") and k != "COLUMNS"}
    env["DATALOOP_PATH"] = str(dtlpy)
    return subprocess.run(FAAS + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_a_failed_expectation_is_failed_in_the_table_and_no_line_is_cut_at_80_columns(tmp_path, tmp_path_factory):
    write_package(tmp_path, THUMBS_PACKAGE)
    result = _faas(["packages", "test"], tmp_path, tmp_path_factory.mktemp("dtlpy"))
    assert result.returncode == 1 and "3 of 4 mock cases failed" in result.stderr, result.stderr
    rows = {}  # case -> its cells
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.split("\u2502")[1:-1]]
        if cells and cells[0].startswith("mock.json["):
            rows[cells[0].split()[0]] = cells
    assert sorted(rows) == ["mock.json[0]", "mock.json[1]", "mock.json[2]", "mock.json[3]"], result.stdout
    assert rows["mock.json[0]"][1:3] == ["passed", "success"]
    for case in ("mock.json[1]", "mock.json[2]", "mock.json[3]"):  # the function succeeded, the case did not
        assert rows[case][1:3] == ["failed", "success"], rows[case]
    # Whole on one line each, though far wider than 80 columns: the table's reason cell, then the report.
    assert rows["mock.json[1]"][-1].endswith("annotations of img-1: expected 3 (car box), found 2 (car box x2)")
    reason = ('items matching {"dir": "/thumbnails"}: expected at least 1, found 0 (the datasets hold /car.png, '
              "/thumbs/thumb-car.png)")
    assert rows["mock.json[2]"][-1].endswith(reason)
    assert any(line.endswith(reason) for line in result.stderr.splitlines())

    as_json = _faas(["--json", "packages", "test"], tmp_path, tmp_path_factory.mktemp("dtlpy"))
    assert [(c["case"].split()[0], c["result"], c["status"]) for c in json.loads(as_json.stdout)] == [
        ("mock.json[0]", "passed", "success"), ("mock.json[1]", "failed", "success"),
        ("mock.json[2]", "failed", "success"), ("mock.json[3]", "failed", "success")]
