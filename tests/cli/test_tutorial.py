"""The tutorial (docs/platform.md#the-faas-tutorial), replayed with the `faas` command in embedded mode.

generate -> push -> deploy -> invoke on an item (the annotation is on the item afterwards); the generated
service.json's `/train` trigger fires once per new item there and never for `/val`; an Always trigger on
updates fires on every update; a cron trigger fires on its ticks.
"""

from __future__ import annotations

import json

import pytest
from faas_code import write_package

from pytest_faas.local import LocalPlatform


@pytest.fixture
def deployed(faas, tmp_path):
    """The tutorial up to `packages deploy`, in project `demo` with dataset `pictures`."""
    faas("packages generate")
    faas("projects create demo")
    faas("datasets create pictures")
    pushed = faas("packages push")
    assert "Pushed package default-package version 1.0.0" in pushed.stdout
    deployed = faas("packages deploy")
    assert "Deployed service default-service" in deployed.stdout and "training-trigger" in deployed.stdout
    return tmp_path


def _files(folder, *names):
    for name in names:
        (folder / name).write_text(f"pixels of {name}")
    return " ".join(names)


def _labels(data_dir, item_id):
    with LocalPlatform(data_dir=data_dir, placement=None) as platform:
        return [a.label for a in platform.dl.items.get(item_id=item_id).annotations.list()]


def test_push_deploy_invoke_annotates_the_item(faas, deployed):
    assert [s["name"] for s in faas.json("services ls")] == ["default-service"]
    assert [p["name"] for p in faas.json("packages ls")] == ["default-package"]
    [item] = faas.json(f"items upload {_files(deployed, 'cat.jpg')} --remote-path /val")
    assert faas.json("executions ls") == [], "/val fires nothing"

    result = faas(f"services invoke --item-id {item['id']}")
    assert "status success" in result.stdout and "output: null" in result.stdout
    assert _labels(deployed / ".faas", item["id"]) == ["completed"]

    # dlp's name for it, JSON output, the execution's record
    execution = faas.json(f"services execute -i {item['id']}")
    assert execution["latestStatus"]["status"] == "success"
    assert faas.json(f"executions get {execution['id']}")["id"] == execution["id"]
    assert len(faas.json("executions ls")) == 2


def test_train_trigger_fires_once_per_new_item_and_never_for_val(faas, deployed):
    result = faas(f"items upload {_files(deployed, 'a.jpg', 'b.jpg')} --remote-path /train")
    assert "executions started" in result.stderr
    faas(f"items upload {_files(deployed, 'c.jpg')} --remote-path /val")
    faas("items upload a.jpg --remote-path /train")  # already there: skipped, not created again

    executions = faas.json("executions ls")
    assert len(executions) == 2 and {e["latestStatus"]["status"] for e in executions} == {"success"}
    [trigger] = faas.json("triggers ls")
    assert {e["triggerId"] for e in executions} == {trigger["id"]}
    items = {i["filename"]: i for i in faas.json("items ls")}
    assert items["/train/a.jpg"]["annotated"] and items["/train/b.jpg"]["annotated"]
    assert not items["/val/c.jpg"]["annotated"]


def test_always_trigger_on_updates(faas, deployed):
    faas(["triggers", "create", "--name", "on-update", "--resource", "Item", "--actions", "Updated",
          "--execution-mode", "Always", "--filters", '{"dir": "/val"}', "--function-name", "run"])
    faas(["triggers", "create", "--name", "first-update", "--actions", "Updated", "--execution-mode", "Once",
          "--filters", '{"dir": "/val"}'])
    faas(f"items upload {_files(deployed, 'd.jpg')} --remote-path /val")  # Created: neither fires
    assert faas.json("executions ls") == []
    for _ in range(3):
        faas("items upload d.jpg --remote-path /val --overwrite")  # each overwrite is an Item Updated
    triggers = {t["name"]: t["id"] for t in faas.json("triggers ls")}
    fired = [e["triggerId"] for e in faas.json("executions ls")]
    assert fired.count(triggers["on-update"]) == 3 and fired.count(triggers["first-update"]) == 1


def test_trigger_from_the_tutorials_command_line(faas, deployed):
    # The tutorial's own spelling, Python literals in --filters included.
    faas(["triggers", "create", "--package-name", "default-package", "--service-name", "default-service",
          "--name", "trigger-name", "--filters", '{"$and": [{"dir": "/train"}, {"hidden": False}, {"type": "file"}]}',
          "--function-name", "run", "--resource", "Item", "--actions", "Created"])
    [trigger] = [t for t in faas.json("triggers ls") if t["name"] == "trigger-name"]
    assert trigger["spec"]["filter"]["$and"][1] == {"hidden": False}
    faas("triggers delete trigger-name")
    assert [t["name"] for t in faas.json("triggers ls")] == ["training-trigger"]


def test_redeploy_updates_triggers_by_name(faas, deployed):
    service = json.loads((deployed / "service.json").read_text())
    service["triggers"][0]["filter"] = {"dir": "/other"}
    service["runtime"]["concurrency"] = 2
    write_package(deployed, {"service.json": service})
    result = faas("packages deploy")
    assert "replaced" in result.stdout
    [trigger] = faas.json("triggers ls")
    assert trigger["spec"]["filter"] == {"dir": "/other"}
    assert faas.json("services ls")[0]["runtime"]["concurrency"] == 2
    assert "unchanged" in faas("packages deploy").stdout


def test_failed_invocation_exits_1_with_the_message(faas, deployed):
    main = deployed / "main.py"
    main.write_text(main.read_text().replace("# create annotation", "raise RuntimeError('no cats today')"))
    faas("packages push")
    [item] = faas.json(f"items upload {_files(deployed, 'e.jpg')} --remote-path /val")
    result = faas(f"services invoke --item-id {item['id']} --logs", code=1)
    assert "status failed" in result.stdout and "no cats today" in result.stderr
    assert "RuntimeError" in result.stdout  # the logs


def test_pause_resume_rerun_logs(faas, deployed):
    [item] = faas.json(f"items upload {_files(deployed, 'f.jpg')} --remote-path /val")
    execution = faas.json(f"services invoke -i {item['id']}")
    faas("services pause")
    assert faas.json("services ls")[0]["active"] is False
    faas("services resume")
    assert faas.json("services ls")[0]["active"] is True
    rerun = faas.json(f"executions rerun {execution['id']}")
    assert rerun["id"] == execution["id"] and rerun["latestStatus"]["status"] == "success"
    assert "[Done] Executing function." in faas(f"services logs --execution-id {execution['id']}").stdout


def test_packages_test_runs_mock_json_on_a_throwaway_platform(faas, deployed):
    [item] = faas.json(f"items upload {_files(deployed, 'g.jpg')} --remote-path /val")
    mock = json.loads((deployed / "mock.json").read_text())
    mock["inputs"][0]["value"]["item_id"] = item["id"]
    write_package(deployed, {"mock.json": mock})
    result = faas("packages test")
    assert "mock.json[0] default_module.run" in result.stdout and "success" in result.stdout
    # the case ran on its own platform, with a placeholder for the item: the data dir is as it was
    # (item URLs are absolute on the address of each run's platform, so they are left out of the comparison)
    def stored(record):
        return {k: v for k, v in record.items() if k not in ("stream", "url", "thumbnail")}

    assert [stored(i) for i in faas.json("items ls")] == [stored(item)] and faas.json("executions ls") == []
    assert [p["name"] for p in faas.json("projects ls")] == ["demo"]

    mock["expect"] = {"output": {"never": True}}
    write_package(deployed, {"mock.json": mock})
    failed = faas("packages test", code=1)
    assert "1 of 1 mock cases failed" in failed.stderr and "expected output" in failed.stdout

    # dlp's way: in this process, on the data dir's own item
    assert "success" in faas("packages test --in-process").stdout
    assert _labels(deployed / ".faas", item["id"]) == ["completed"]


@pytest.mark.docker
def test_packages_test_runs_in_a_container_with_placement_docker(faas, deployed):
    mock = json.loads((deployed / "mock.json").read_text())
    mock["inputs"][0]["value"]["item_id"] = "cat-1"  # a placeholder item is seeded with this id
    write_package(deployed, {"mock.json": mock})
    result = faas("packages test --placement docker")
    assert "mock.json[0] default_module.run" in result.stdout and "success" in result.stdout


def test_cron_trigger_fires_on_its_ticks(faas, tmp_path):
    # Against a running platform (cron needs one that keeps running), with its clock moved forward.
    faas("packages generate")
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False) as server:
        url = f"--url {server.base_url} --token {server.token}"
        faas(f"{url} projects create demo")
        faas(f"{url} packages push")
        faas(f"{url} packages deploy")
        faas(["--url", server.base_url, "--token", server.token, "triggers", "create", "--name", "every-minute",
              "--cron", "* * * * *", "--function-name", "run", "--input", '{"item": null}'])
        [cron] = [t for t in faas.json(f"{url} triggers ls") if t["name"] == "every-minute"]
        assert cron["type"] == "Cron" and cron["spec"]["cron"] == "* * * * *"
        fired = server.backend.engine.cron.advance(120)
        assert len(fired) == 2
        for execution_id in fired:
            server.backend.engine.wait(execution_id, timeout=30)
        executions = faas.json(f"{url} executions ls")
        assert sorted(e["id"] for e in executions) == sorted(fired)
        assert {e["triggerId"] for e in executions} == {cron["id"]}


def test_terminate_a_running_execution(faas, tmp_path):
    faas("packages generate")
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace(
        "        # create annotation",
        "        import time\n        while True:\n            self.kill_event()\n            time.sleep(0.05)\n"
        "        # create annotation"))
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False) as server:
        url = ["--url", server.base_url, "--token", server.token]
        faas(url + ["projects", "create", "demo"])
        faas(url + ["datasets", "create", "pictures"])
        faas(url + ["packages", "push"])
        faas(url + ["packages", "deploy"])
        [item] = faas.json(" ".join(url) + f" items upload {_files(tmp_path, 'h.jpg')} --remote-path /val")
        started = faas.json(" ".join(url) + f" services invoke --item-id {item['id']} --no-wait")
        assert started["latestStatus"]["status"] in ("created", "in-progress")
        faas(url + ["executions", "terminate", started["id"]])
        final = server.backend.engine.wait(started["id"], timeout=30)
        assert final["latestStatus"]["status"] in ("failed", "terminated")
        shown = faas.json(" ".join(url) + f" executions get {started['id']}")
        assert shown["latestStatus"]["status"] == final["latestStatus"]["status"]
        again = faas(url + ["executions", "terminate", started["id"]], code=1)
        assert "has already ended" in again.stderr
