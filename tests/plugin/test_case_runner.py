"""`CaseRunner` against the session's platform, for what pytester runs cannot pin down."""

from __future__ import annotations

import os

from faas_code import simple_package

from pytest_faas.cases import CaseRunner
from pytest_faas.manifests.loaded import load_folder


def test_a_push_survives_another_worker_making_dataloop_at_the_same_moment(faas_platform, tmp_path, monkeypatch):
    # dtlpy checks for ./.dataloop, then makes it. Another xdist worker making it in between made the push
    # fail with FileExistsError; here that interleaving is forced rather than waited for.
    monkeypatch.chdir(tmp_path)
    real_mkdir = os.mkdir

    def another_worker_wins(path, *args, **kwargs):
        if os.path.basename(path) == ".dataloop" and not os.path.isdir(path):
            real_mkdir(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", another_worker_wins)
    folder = simple_package(tmp_path / "raced", "raced", "def run(self):\n    return 1\n", [("run", [])])
    package = CaseRunner(faas_platform, "thread").package(load_folder(folder / "package.json"))
    assert package.name == "raced"
