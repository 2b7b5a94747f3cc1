"""What each token reaches, and where the tokens travel.

The platform's own token reaches every route; the agent token the Dataloop API and the agents' protocol;
the function token (what the user's code gets in its dtlpy) the Dataloop API only, as on the real
platform. No token is ever on an agent's command line.
"""

from __future__ import annotations

import os
import stat

import pytest
import requests

from faas_code import simple_package, wait


def statuses(live, token: str) -> dict[str, int]:
    ids = live.ids
    calls = {
        "api: list projects": ("GET", "/projects", None),
        "api: read an item": ("GET", f"/items/{ids['item']}", None),
        "api: query a dataset": ("POST", f"/datasets/{ids['dataset']}/query", {"filter": {}}),
        "agents: signals": ("POST", f"/_faas/agents/{ids['agent']}/signals", {"wait": 0}),
        "agents: register": ("POST", "/_faas/agents", {"serviceId": "nope"}),
        "harness: seed a dataset": ("POST", "/_faas/seed/datasets", {"projectId": ids["project"], "name": "s"}),
        "harness: move the cron clock": ("POST", "/_faas/cron/advance", {"seconds": 0}),
        "harness: read the cron clock": ("GET", "/_faas/cron", None),
        "harness: wait for an execution": ("GET", f"/_faas/executions/{ids['execution']}/wait?timeout=0", None),
    }
    found = {}
    for name, (method, path, body) in calls.items():
        response = requests.request(method, live.url + path, json=body, timeout=30,
                                    headers={"Authorization": f"Bearer {token}"})
        found[name] = response.status_code
    return found


def reach(found: dict[str, int]) -> set[str]:
    """The kinds of route a token got past the token check on (a 404 for an unknown service counts)."""
    return {name.split(":")[0] for name, status in found.items() if status not in (401, 403)}


def test_the_function_token_reaches_the_api_only(live):
    found = statuses(live, live.platform.backend.function_token)
    assert reach(found) == {"api"}, found
    assert {status for name, status in found.items() if not name.startswith("api")} == {403}


def test_the_agent_token_reaches_the_api_and_the_agents_protocol(live):
    found = statuses(live, live.platform.backend.agent_token)
    assert reach(found) == {"api", "agents"}, found


def test_the_platform_token_reaches_everything(live):
    assert reach(statuses(live, live.platform.token)) == {"api", "agents", "harness"}


def test_a_forbidden_call_says_which_token_it_needs(live):
    response = requests.post(live.url + "/_faas/seed/datasets", json={},
                             headers={"Authorization": f"Bearer {live.platform.backend.function_token}"})
    assert response.status_code == 403
    assert "platform's token" in response.json()["message"]


def test_registration_hands_the_function_token(live):
    registration = live.ok("POST", "/_faas/agents", json={"serviceId": live.ids["service"], "replica": 0})
    assert registration["functionToken"] == live.platform.backend.function_token
    live.ok("DELETE", f"/_faas/agents/{registration['agentId']}")


def test_tokens_are_derived_the_same_on_restart(tmp_path):
    from pytest_faas.local import LocalPlatform

    tokens = []
    for _ in range(2):
        with LocalPlatform(tmp_path / "data", placement="none", bind_sdk=False) as platform:
            tokens.append((platform.token, platform.backend.agent_token, platform.backend.function_token))
    assert tokens[0] == tokens[1]
    assert len(set(tokens[0])) == 3


def test_the_data_dir_token_and_database_are_private(tmp_path):
    from pytest_faas.local import LocalPlatform

    data_dir = tmp_path / "data"
    old = os.umask(0o022)  # the usual umask: what is private must be made so, not inherited
    try:
        with LocalPlatform(data_dir, placement="none", bind_sdk=False):
            modes = {name: stat.S_IMODE((data_dir / name).stat().st_mode)
                     for name in ("", "token", "platform.sqlite3")}
    finally:
        os.umask(old)
    assert modes == {"": 0o700, "token": 0o600, "platform.sqlite3": 0o600}


PROBE = '''
def probe(self):
    import requests
    token = dl.client_api.token
    base = dl.client_api.environment
    def status(method, path, body=None):
        return requests.request(method, base + path, json=body, timeout=30,
                                headers={"Authorization": "Bearer " + token}).status_code
    with open("/proc/self/cmdline", "rb") as f:
        cmdline = f.read().decode("utf-8", "replace")
    with open("/proc/self/environ", "rb") as f:
        environ = f.read().decode("utf-8", "replace")
    return {"token": token, "seed": status("POST", "/_faas/seed/datasets", {}),
            "cron": status("POST", "/_faas/cron/advance", {"seconds": 1}),
            "agents": status("POST", "/_faas/agents", {"serviceId": "x"}), "api": status("GET", "/projects"),
            "cmdline": cmdline, "environ": environ}
'''


@pytest.mark.parametrize("placement", ["subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_function_gets_the_function_token_and_no_other(tmp_path, placement):
    from pytest_faas.local import LocalPlatform

    folder = simple_package(tmp_path / "probe", "probe", PROBE, [("probe", [])])
    with LocalPlatform(placement=placement) as platform:
        project = platform.dl.projects.create("tokens")
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            package = project.packages.push(src_path=str(folder))
        finally:
            os.chdir(cwd)
        service = package.deploy(service_name="probe", runtime={"concurrency": 1, "numReplicas": 1})
        execution = service.execute(function_name="probe", project_id=project.id, execution_input={})
        record = wait(platform, execution.id, timeout=120)
        assert record["latestStatus"]["status"] == "success", record["latestStatus"]
        seen = record["output"]
        assert seen["token"] == platform.backend.function_token
        assert (seen["seed"], seen["cron"], seen["agents"], seen["api"]) == (403, 403, 403, 200)
        for secret in (platform.token, platform.backend.agent_token):
            assert secret not in seen["cmdline"]
            if placement == "subprocess":  # a container's environment holds the agent token (documented)
                assert secret not in seen["environ"]
