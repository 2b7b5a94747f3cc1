"""Errors are one clear line that names the file, field or fix; exit 1 for failures, 2 for usage."""

from __future__ import annotations

import json

from faas_code import write_package

from pytest_faas.local import LocalPlatform
from pytest_faas.dtlpy_binding import make_token


def test_no_checked_out_project(faas):
    result = faas("datasets ls", code=1)
    assert result.stderr.strip() == ("Error: no checked-out project: run `faas projects create NAME` or "
                                     "`faas projects checkout NAME`, or pass --project")


def test_platform_refusal_is_one_line_not_a_traceback(faas):
    faas("projects create demo")
    result = faas("projects create demo", code=1)
    assert result.stderr.strip() == ("Error: platform error 400: Failed to create project: a project named 'demo' "
                                     "already exists")
    missing = faas("projects checkout nosuch", code=1)
    assert missing.stderr.startswith("Error: platform error 404:") and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert missing.stderr.strip().endswith("(`faas projects ls` lists what there is)")  # where to look
    (faas.folder / "cat.jpg").write_bytes(b"x")
    nothing = faas("items upload -l cat.jpg -d nosuch", code=1)
    assert "`faas datasets ls` lists what there is" in nothing.stderr


def test_verbose_shows_the_traceback_too(faas):
    faas("projects create demo")
    result = faas("--verbose projects create demo", code=1)
    assert "Traceback" in result.stderr and "Error: platform error 400" in result.stderr


def test_usage_errors_exit_2(faas):
    assert "No such command" in faas("packages nosuch", code=2).stderr
    assert "Missing argument" in faas("executions get", code=2).stderr
    assert "does not exist" in faas("items upload missing.jpg", code=2).stderr
    assert "give the project's name" in faas("projects create", code=2).stderr


def test_service_json_errors_name_the_field(faas, project, tmp_path):
    faas("packages generate")
    service = json.loads((tmp_path / "service.json").read_text())
    service["runtime"]["concurrency"] = "ten"
    write_package(tmp_path, {"service.json": service})
    result = faas("packages deploy", code=1)
    assert "service.json: runtime.concurrency: expected an integer, found 'ten'" in result.stderr


def test_service_json_trigger_errors_name_the_field(faas, project, tmp_path):
    faas("packages generate")
    service = json.loads((tmp_path / "service.json").read_text())
    service["triggers"][0]["actions"] = ["Create"]
    write_package(tmp_path, {"service.json": service})
    result = faas("packages deploy", code=1)
    assert "service.json: triggers[0].actions[0]" in result.stderr and "Created" in result.stderr


def test_push_refuses_a_package_json_that_disagrees_with_the_code(faas, project, tmp_path):
    faas("packages generate")
    (tmp_path / "main.py").write_text((tmp_path / "main.py").read_text().replace("def run(", "def runn("))
    result = faas("packages push", code=1)
    assert "main.py" in result.stderr and "run" in result.stderr


def test_url_mode_needs_a_token_and_a_server(faas, tmp_path):
    result = faas("--url http://127.0.0.1:9 --data-dir nowhere projects ls", code=1)
    assert "no token for http://127.0.0.1:9" in result.stderr
    result = faas(f"--url http://127.0.0.1:9 --token {make_token()} projects ls", code=1)
    assert "cannot reach the platform at http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_url_mode_against_a_running_platform(faas, tmp_path):
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False) as server:
        faas(f"--url {server.base_url} --token {server.token} projects create demo")
        # the API URL works as well, and --data-dir of the server supplies its token
        assert [p["name"] for p in faas.json(f"--url {server.url} --data-dir server projects ls")] == ["demo"]
        bad = faas(f"--url {server.base_url} --token not-a-jwt projects ls", code=1)
        assert "dtlpy finds the token expired or malformed" in bad.stderr
        wrong = faas(f"--url {server.base_url} --token {make_token()} projects ls", code=1)
        assert "the platform refused the token" in wrong.stderr
    # URL mode keeps only the checkout in ./.faas; it never opens a store there
    assert sorted(p.name for p in (tmp_path / ".faas").iterdir()) == ["state.json"]


def test_bad_json_option(faas, project):
    result = faas(["triggers", "create", "--filters", "{dir: /train"], code=1)
    assert "--filters" in result.stderr and "expected a JSON object" in result.stderr


def test_packages_test_refuses_an_empty_item_id(faas, project, tmp_path):
    faas("packages generate")
    mock = json.loads((tmp_path / "mock.json").read_text())
    mock["inputs"][0]["value"]["item_id"] = ""
    write_package(tmp_path, {"mock.json": mock})
    result = faas("packages test", code=1)
    assert "mock.json: inputs[0].value.item_id: expected the id of an item, found ''" in result.stderr
    result = faas("packages test --in-process", code=1)
    assert "faas items upload" in result.stderr


def test_packages_test_in_process_shows_the_users_frames(faas, project, tmp_path):
    faas("packages generate")
    [item] = faas.json("items upload mock.json --remote-path /x")
    mock = json.loads((tmp_path / "mock.json").read_text())
    mock["inputs"][0]["value"]["item_id"] = item["id"]
    write_package(tmp_path, {"mock.json": mock})
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace("# create annotation", "raise RuntimeError('no cats today')"))
    result = faas("packages test --in-process", code=1)
    assert "main.py" in result.stderr and "RuntimeError: no cats today" in result.stderr
    assert "dtlpy" not in result.stderr.split("Error:")[0], "only the user's frames"
