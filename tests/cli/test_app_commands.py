"""`faas app`: init, publish, install, list, update, uninstall and pack, with dlp's option spellings, against
the embedded platform through the real dtlpy client."""

from __future__ import annotations

import json

from faas_apps import write_repo

def test_init_publish_install_update_uninstall(faas, project):
    faas("app init --name hello-app --description 'says hello'")
    manifest = json.loads((faas.folder / "dataloop.json").read_text())
    assert (manifest["name"], manifest["description"], manifest["components"]["modules"][0]["entryPoint"]) == \
        ("hello-app", "says hello", "functions/main.py")
    assert (faas.folder / "functions" / "main.py").is_file() and (faas.folder / "mock.json").is_file()

    published = faas.json("app publish")
    assert (published["name"], published["version"]) == ("hello-app", "0.0.1")
    installed = faas("app install").stdout
    assert "Installed app Hello App" in installed and "hello-app-service" in installed
    [app] = faas.json("app list --project-name demo")
    assert (app["name"], app["dpkVersion"], app["status"]) == ("Hello App", "0.0.1", "Installed")

    (faas.folder / "dataloop.json").write_text(json.dumps(dict(manifest, version="0.0.2")))
    faas("app publish")
    faas("app update --app-name 'Hello App' --new-version 0.0.2")
    assert faas.json("app list")[0]["dpkVersion"] == "0.0.2"
    # The installed service runs the published code: invoke it on an uploaded item.
    (faas.folder / "cat.jpg").write_bytes(b"jpg")
    item = faas.json("items upload cat.jpg")
    execution = faas.json(f"services invoke --service-name hello-app-service --item-id {item[0]['id']}")
    assert execution["latestStatus"]["status"] == "success", execution

    faas("app uninstall --app-name 'Hello App'")
    assert faas.json("app list") == []
    listed = faas("app list")
    assert "no apps installed" in listed.stdout + listed.stderr


def test_publish_refuses_a_manifest_that_disagrees_with_the_code(faas, project):
    faas("app init --name hello-app")
    manifest = json.loads((faas.folder / "dataloop.json").read_text())
    manifest["components"]["modules"][0]["entryPoint"] = "functions/mian.py"
    (faas.folder / "dataloop.json").write_text(json.dumps(manifest))
    result = faas("app publish", code=1)
    assert "components.modules[0].entryPoint" in result.stderr and "mian.py" in result.stderr


def test_install_without_a_published_app_says_what_to_do(faas, project):
    result = faas("app install", code=2)
    assert "faas app publish" in result.stderr


def test_pack_writes_a_dpk(faas, project):
    faas("app init --name hello-app")
    assert "hello-app_0.0.1.dpk" in faas("app pack").stdout
    assert (faas.folder / ".dataloop" / "hello-app_0.0.1.dpk").is_file()


def test_app_test_runs_the_mock_files_on_the_installed_app(faas):
    faas("app init --name hello-app")
    result = faas("--json app test")
    [case] = json.loads(result.stdout)
    assert (case["case"], case["status"]) == ("mock.json[0] hello_app.run", "success")
    mock = json.loads((faas.folder / "mock.json").read_text())
    (faas.folder / "mock.json").write_text(json.dumps(dict(mock, expect={"status": "failed"})))
    assert "1 of 1 mock cases failed" in faas("app test", code=1).stderr


def test_packages_test_accepts_an_app_folder_with_an_npm_package_json(faas):
    faas("app init --name hello-app")
    (faas.folder / "package.json").write_text(json.dumps({"name": "panel", "version": "1.0.0"}))
    [case] = faas.json("packages test")
    assert (case["case"], case["status"]) == ("mock.json[0] hello_app.run", "success")
    assert "faas app publish" in faas("packages push", code=2).stderr


def test_packages_test_runs_an_app_of_a_repository_from_its_root(faas):
    write_repo(faas.folder)  # .dataloop.cfg at the folder the command runs in; entry points from there
    [case] = faas.json("packages test --src-path nodes/tiler")
    assert (case["case"], case["status"]) == ("mock.json[0] tiler.split", "success")
