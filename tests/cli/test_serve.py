"""`faas serve` as a real process: dlp follows the printed lines; SIGTERM and a restart lose nothing."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("dlp") is None, reason="dlp (installed with dtlpy) is not on PATH")

FAAS = [sys.executable, "-c", "import sys; from pytest_faas.cli import main; sys.exit(main())"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `faas serve` process, its stdout read line by line in a thread."""

    def __init__(self, args: list[str], env: dict, cwd):
        self.process = subprocess.Popen(FAAS + args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def read_until(self, pattern: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "faas serve exited:\n" + "\n".join(self.seen)
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.seen))

    def section(self, title: str) -> list[str]:
        """The indented lines printed under the heading that starts with ``title``."""
        self.read_until(r"^Ctrl-C")
        start = next(i for i, line in enumerate(self.seen) if line.startswith(title))
        block = []
        for line in self.seen[start + 1:]:
            if not line.startswith("    "):
                break
            block.append(line.strip())
        return block

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def _shell(line: str, env: dict, cwd) -> subprocess.CompletedProcess:
    result = subprocess.run(line, shell=True, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"`{line}` failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_serve_dlp_sigterm_and_restart(faas, tmp_path):
    port, data_dir = _free_port(), tmp_path / "store"
    dlp_home, faas_home = tmp_path / "dlp-home", tmp_path / "faas-home"
    dlp_home.mkdir()
    faas_home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("FAAS_")}
    env = {**base, "DATALOOP_PATH": str(faas_home)}
    dlp_env = {**base, "DATALOOP_PATH": str(dlp_home)}

    server = Server(["serve", "--port", str(port), "--data-dir", str(data_dir)], env, tmp_path)
    try:
        first = server.read_until(r"local platform at http://")
        url = re.search(r"(http://\S+)", first).group(1)
        assert url == f"http://127.0.0.1:{port}/api/v1"
        dlp_lines = server.section("Point dlp at it")
        assert len(dlp_lines) == 1 and dlp_lines[0].startswith(sys.executable), "the dlp set-up is one command"
        [where] = [line for line in server.seen if line.startswith("functions:")]
        assert "a process per service replica (the default of faas serve; pytest --faas and faas packages test " \
               "run functions in threads" in where, "the header says why its default differs"
        token = (data_dir / "token").read_text().strip()
        assert "\n".join(server.seen).count(token) == 1, "the token is printed once (in the page's address)"

        # Another faas process on the same data dir talks to the server (it does not open the store again).
        created = subprocess.run(FAAS + ["--data-dir", str(data_dir), "projects", "create", "demo"], env=env,
                                 cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stderr

        for line in dlp_lines:  # exactly what was printed
            _shell(line, dlp_env, tmp_path)
        assert "demo" in _shell("dlp projects ls", dlp_env, tmp_path).stdout
        assert url in _shell("dlp api info", dlp_env, tmp_path).stderr

        # The tutorial against the server; its functions run in the server's runner processes.
        on_server = f"--data-dir {data_dir}"
        faas("packages generate --src-path pkg")
        faas(f"{on_server} projects checkout demo")
        faas(f"{on_server} datasets create pictures")
        faas(f"{on_server} packages push --src-path pkg")
        faas(f"{on_server} packages deploy --src-path pkg")
        (tmp_path / "cat.jpg").write_text("meow")
        [item] = faas.json(f"{on_server} items upload cat.jpg --remote-path /val")
        execution = faas.json(f"{on_server} services invoke --item-id {item['id']}")
        assert execution["latestStatus"]["status"] == "success"
        # what the server did, one line each
        server.read_until(r"^\d\d:\d\d:\d\d (GET|POST) /api/v1/\S+ -> 200$")
        server.read_until(rf"execution {execution['id']} default-service\.run started")
        server.read_until(rf"execution {execution['id']} default-service\.run success in \d")
        requests = [line for line in server.seen if " -> " in line]
        assert requests and not [line for line in requests if "/_faas/agents" in line], \
            "the agents' own polls are left out without --verbose"
        assert token not in "\n".join(server.seen[server.seen.index(first):]).replace(f"?token={token}", "", 1)
    finally:
        code = server.stop()
    assert code == 0
    server.read_until(r"^faas serve: stopped")
    assert not (data_dir / "serve.json").exists()

    again = Server(["serve", "--quiet", "--port", str(port), "--data-dir", str(data_dir)], env, tmp_path)
    try:
        again.read_until(r"local platform at http://")
        # same URL and token: dlp's environment and login from before still work
        assert "demo" in _shell("dlp projects ls", dlp_env, tmp_path).stdout
        assert [s["name"] for s in faas.json(f"--data-dir {data_dir} services ls")] == ["default-service"]
        [execution] = faas.json(f"--data-dir {data_dir} executions ls")
        assert execution["latestStatus"]["status"] == "success"
        assert faas.json(f"--data-dir {data_dir} items ls")[0]["annotated"] is True
    finally:
        assert again.stop() == 0
    again.read_until(r"^faas serve: stopped")
    assert not [line for line in again.seen if " -> 200" in line], "--quiet prints no request lines"
