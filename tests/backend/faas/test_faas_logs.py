"""Execution logs in the ``POST /services/logs`` shape: end marker, checkpoints, follow, dtlpy's readers."""

from __future__ import annotations

import pytest

from faas_code import simple_package, wait

from pytest_faas.protocol import END_MARKER

BODY = '''
def talk(self, config):
    import logging
    for n in range(config["lines"]):
        print("line", n)
    logging.getLogger("dtlpy").info("an info line")
    return config["lines"]
'''


@pytest.fixture
def service(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "talker", BODY, [("talk", [("config", "Json")])])
    return faas_project.packages.push(src_path=str(tmp_path / "pkg")).deploy(service_name="talker")


def read(api, body: dict) -> dict:
    answer = api.post("/services/logs", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_logs_of_an_execution_end_with_the_marker(faas_platform, service, api):
    execution = service.execute(execution_input={"config": {"lines": 3}}, function_name="talk")
    wait(faas_platform, execution.id)
    body = read(api, {"serviceId": service.id, "executionId": [execution.id], "direction": "asc",
                      "follow": False, "size": 100, "start": "2000-01-01T00:00:00"})
    messages = [line["message"] for line in body["logs"]]
    assert messages == ["line 0", "line 1", "line 2", "INFO dtlpy: an info line", END_MARKER]
    assert all(set(line) >= {"timestamp", "message"} for line in body["logs"])
    assert body["stop"] is False  # dtlpy prints nothing from an answer that says stop
    after = read(api, {"serviceId": service.id, "executionId": [execution.id], "follow": False,
                       "checkpoint": body["checkpoint"]})
    assert after == {"logs": [], "checkpoint": body["checkpoint"], "stop": True}


def test_checkpoints_page_through_the_lines(faas_platform, service, api):
    execution = service.execute(execution_input={"config": {"lines": 5}}, function_name="talk")
    wait(faas_platform, execution.id)
    query = {"serviceId": service.id, "executionId": [execution.id], "follow": False, "size": 2}
    pages = []
    while True:
        body = read(api, query)
        if not body["logs"]:
            break
        pages.append([line["message"] for line in body["logs"]])
        query["checkpoint"] = body["checkpoint"]
    assert pages == [["line 0", "line 1"], ["line 2", "line 3"], ["line 4", "INFO dtlpy: an info line"], [END_MARKER]]


def test_dtlpy_log_readers(faas_platform, service, capsys):
    execution = service.execute(execution_input={"config": {"lines": 2}}, function_name="talk")
    wait(faas_platform, execution.id)
    listed = list(service.log(execution_id=execution.id, view=False))
    assert [line.split(": ", 1)[1] for line in listed][-1] == END_MARKER
    capsys.readouterr()
    execution.logs()  # prints until the end marker
    printed = capsys.readouterr().out
    assert "line 1" in printed and END_MARKER in printed


def test_sync_execute_streams_the_logs_and_returns_the_output(faas_platform, service, capsys):
    output = service.execute(execution_input={"config": {"lines": 2}}, function_name="talk", sync=True)
    assert output == 2
    assert END_MARKER in capsys.readouterr().out


def test_following_a_running_execution_waits_for_new_lines(faas_platform, faas_project, tmp_path, monkeypatch, api):
    monkeypatch.chdir(tmp_path)
    body = "def slow(self):\n    import time\n    print('begin')\n    time.sleep(0.8)\n    print('end')\n"
    simple_package(tmp_path / "slow", "slow-talker", body, [("slow", [])])
    service = faas_project.packages.push(src_path=str(tmp_path / "slow")).deploy(service_name="slow-talker")
    execution = service.execute(function_name="slow")
    seen, query = [], {"serviceId": service.id, "executionId": [execution.id], "follow": True}
    for _ in range(20):
        body = read(api, query)
        seen += [line["message"] for line in body["logs"]]
        query["checkpoint"] = body["checkpoint"]
        if body["stop"]:
            break
    assert seen == ["begin", "end", END_MARKER]
