"""Cron triggers, on a platform whose clock stands still unless a test moves it (no real minutes pass)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from faas_code import simple_package, wait

START = dt.datetime(2030, 1, 1, 0, 0, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def platform():
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement="thread", clock=lambda: START) as running:
        yield running


@pytest.fixture(scope="module")
def service(platform, tmp_path_factory):
    root = tmp_path_factory.mktemp("cron")
    simple_package(root / "pkg", "ticker", "def tick(self, config):\n    return config\n", [("tick", [("config", "Json")])])
    project = platform.dl.projects.create("cron")
    import os

    previous = os.getcwd()
    os.chdir(root)
    try:
        return project.packages.push(src_path=str(root / "pkg")).deploy(service_name="ticker")
    finally:
        os.chdir(previous)


def advance(platform, seconds: float) -> list[str]:
    """Move the platform's time forward over the control route; returns the executions cron created."""
    answer = requests.post(f"{platform.url}/_faas/cron/advance", json={"seconds": seconds},
                           headers={"Authorization": f"Bearer {platform.token}"})
    answer.raise_for_status()
    return answer.json()["executions"]


def test_every_minute_fires_once_per_minute_with_spec_input(platform, service):
    trigger = service.triggers.create(trigger_type=platform.dl.TriggerType.CRON, name="every-minute",
                                      cron="* * * * *", function_name="tick", inputs={"config": {"n": 1}})
    assert type(trigger).__name__ == "CronTrigger"
    assert advance(platform, 20) == []  # 00:00:50: no minute boundary crossed yet
    [first] = advance(platform, 60)  # 00:01:50
    assert len(advance(platform, 120)) == 2  # 00:03:50
    record = wait(platform, first)
    assert record["output"] == {"n": 1} and record["triggerId"] == trigger.id
    trigger.delete()
    assert advance(platform, 600) == []


def test_start_at_and_end_at_bound_the_schedule(platform, service):
    now = platform.backend.engine.cron.now()
    trigger = service.triggers.create(trigger_type=platform.dl.TriggerType.CRON, name="bounded", cron="*/5 * * * *",
                                      function_name="tick", inputs={"config": "bounded"},
                                      start_at=(now + dt.timedelta(minutes=10)).isoformat(),
                                      end_at=(now + dt.timedelta(minutes=30)).isoformat())
    assert advance(platform, 9 * 60) == []
    fired = advance(platform, 60 * 60)
    assert len(fired) == 4, "every 5 minutes between start (+10 min) and end (+30 min)"
    assert all(wait(platform, e)["output"] == "bounded" for e in fired)
    trigger.delete()


def test_an_inactive_cron_trigger_does_not_fire(platform, service):
    trigger = service.triggers.create(trigger_type=platform.dl.TriggerType.CRON, name="off", cron="* * * * *",
                                      function_name="tick", inputs={"config": 0}, active=False)
    assert advance(platform, 300) == []
    trigger.delete()
