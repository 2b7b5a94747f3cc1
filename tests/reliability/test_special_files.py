"""Special files in a package folder: what a push could not upload is a located finding, and nothing of it is
opened. The other packages of the repository still run.

Before, the content hash read every name in the folder, following links: a link to ``/dev/zero`` grew pytest
until the kernel killed it, a FIFO hung the run for good, a socket gave every case a traceback. The child
pytest runs under an address-space limit here, so that on code that still reads ``/dev/zero`` the test fails
with a MemoryError rather than taking the machine's memory.
"""

from __future__ import annotations

import json
import os
import socket

import pytest

MAIN = "import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n    def run(self, config):\n        return config\n"
PACKAGE = {"name": "echo", "modules": [{"name": "default_module", "entryPoint": "main.py", "functions": [
    {"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]}
MOCK = {"inputs": [{"name": "config", "value": {"n": 1}}], "expect": {"output": {"n": 1}}}
LIMIT = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))\n"


def _package(folder) -> None:
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps(PACKAGE))
    (folder / "main.py").write_text(MAIN)
    (folder / "mock.json").write_text(json.dumps(MOCK))


@pytest.fixture
def repository(pytester, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    (pytester.path / "conftest.py").write_text(LIMIT)
    for name in ("good", "zero_link", "fifo", "sock", "link_out", "ignored_fifo"):
        _package(pytester.path / name)
    (pytester.path / "secret.txt").write_text("not the package's")
    os.symlink("/dev/zero", pytester.path / "zero_link" / "weights.bin")
    os.mkfifo(pytester.path / "fifo" / "queue")
    (pytester.path / "link_out" / "data").mkdir()
    os.symlink(pytester.path / "secret.txt", pytester.path / "link_out" / "data" / "secret.txt")
    # Left out by .gitignore, as dtlpy's zip leaves it out: neither a finding nor read.
    (pytester.path / "ignored_fifo" / ".gitignore").write_text("run/\n")
    (pytester.path / "ignored_fifo" / "run").mkdir()
    os.mkfifo(pytester.path / "ignored_fifo" / "run" / "pipe")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("sock/s.sock")  # relative (pytester works in its folder): an absolute one is too long for AF_UNIX
    yield pytester
    listener.close()


FINDINGS = {
    "zero_link": ("zero_link/weights.bin", "a symlink out of the package folder (to /dev/zero)"),
    "fifo": ("fifo/queue", "a FIFO (named pipe), which no codebase can carry"),
    "sock": ("sock/s.sock", "a socket, which no codebase can carry"),
    "link_out": ("link_out/data/secret.txt", "a symlink out of the package folder"),
}


def test_special_files_are_located_findings_and_the_other_packages_run(repository):
    result = repository.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-rA", "-p", "no:logging",
                                             timeout=300)
    text = result.stdout.str()
    for package in ("good", "ignored_fifo"):
        result.stdout.fnmatch_lines([f"PASSED {package}/package.json::manifest",
                                     f"PASSED {package}/package.json::default_module::run[[]mock.json:0[]]"])
    for name, (file, finding) in FINDINGS.items():
        assert f"FAILED {name}/package.json::manifest" in text, f"{name}: no failed manifest item\n{text[-3000:]}"
        assert f"{file}: {finding}" in text, f"{name}: no finding {finding!r} for {file}"
        # Its case is refused with the same finding: nothing of the folder was pushed.
        assert f"FAILED {name}/package.json::default_module::run[mock.json:0]" in text
    assert "MemoryError" not in text and "Traceback" not in text and "pytest-faas bug" not in text
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed")) == (4, 8), text[-3000:]
