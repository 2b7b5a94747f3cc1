"""The activity lines `faas serve` prints, read from a real platform: executions, cron fires, requests."""

from __future__ import annotations

import re

from pytest_faas.cli.common.activity import ExecutionWatch, RequestLines
from pytest_faas.local import LocalPlatform


def test_executions_and_cron_fires_each_print_a_line(faas, tmp_path):
    faas("packages generate")
    lines: list[str] = []
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False) as server:
        requests = RequestLines(lines.append).install()
        watch = ExecutionWatch(server.backend.store, lines.append)  # polled by hand, not started
        try:
            url = ["--url", server.base_url, "--token", server.token]
            faas(url + ["projects", "create", "demo"])
            faas(url + ["packages", "push"])
            faas(url + ["packages", "deploy"])
            faas(url + ["triggers", "create", "--name", "tick", "--cron", "* * * * *"])
            [fired] = server.backend.engine.cron.advance(60)
            server.backend.engine.wait(fired, timeout=30)
            watch.poll()
        finally:
            requests.uninstall()
    text = "\n".join(lines)
    assert re.search(r"^\d\d:\d\d:\d\d POST /api/v1/projects -> 200$", text, re.M)
    assert f"cron trigger tick fired: execution {fired}" in text
    assert re.search(rf"execution {fired} default-service\.run started", text)
    assert re.search(rf"execution {fired} default-service\.run success in \d", text)
    watch.poll()
    assert "\n".join(lines) == text, "each change is printed once"


def test_watch_pushes_a_changed_package_and_its_service_runs_the_new_code(faas, tmp_path):
    import time

    from pytest_faas.cli.common.watch import PackageWatch

    faas("packages generate --src-path pkg")
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False) as server:
        url = ["--url", server.base_url, "--token", server.token]
        faas(url + ["projects", "create", "demo"])
        faas(url + ["packages", "push", "--src-path", "pkg"])
        faas(url + ["packages", "deploy", "--src-path", "pkg"])
        lines: list[str] = []
        watch = PackageWatch([tmp_path / "pkg"], ["--data-dir", str(tmp_path / ".faas")] + url, lines.append,
                             interval_s=0.1, settle_s=0.2).start()
        try:
            main = tmp_path / "pkg" / "main.py"
            main.write_text(main.read_text().replace("return None", "return 'version two'"))
            deadline = time.monotonic() + 60
            while watch.pushes == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            watch.stop()
        assert watch.pushes == 1, lines
        assert any("main.py changed: Pushed package default-package" in line for line in lines), lines
        result = faas.json(" ".join(url) + " services invoke")
        assert result["output"] == "version two"


def test_the_request_lines_leave_out_the_agents_polls_unless_verbose_and_never_show_the_token(faas, tmp_path):
    import requests as http

    faas("packages generate")
    quiet: list[str] = []
    verbose: list[str] = []
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False, placement="subprocess") as server:
        handlers = [RequestLines(quiet.append).install(), RequestLines(verbose.append, verbose=True).install()]
        try:
            url = ["--url", server.base_url, "--token", server.token]
            faas(url + ["projects", "create", "demo"])
            faas(url + ["packages", "push"])
            faas(url + ["packages", "deploy"])
            execution = faas.json(" ".join(url + ["services", "invoke", "--input", "'{}'"]))
            assert execution["latestStatus"]["status"] in ("success", "failed"), execution
            http.get(f"{server.base_url}/?token={server.token}", allow_redirects=False, timeout=30)
        finally:
            for handler in handlers:
                handler.uninstall()
    assert [line for line in verbose if "/_faas/agents" in line], "the agent (a subprocess) polled over HTTP"
    assert quiet and not [line for line in quiet if "/_faas/agents" in line]
    assert [line for line in quiet if line.endswith("GET /?token=... -> 303")]
    assert server.token not in "\n".join(quiet + verbose)
