"""What the supported dtlpy lines (docs/dtlpy-versions.md) send that the newest does not, answered by the
platform, and the binding's knobs that moved between lines. These tests run in every line of
``scripts/dtlpy_matrix.py``; the main suite runs them on the newest."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from pytest_faas import LocalPlatform
from pytest_faas.dtlpy_binding import ALIAS


def _exported(api, dataset_id, body) -> tuple[str, bytes]:
    command = api.post(f"/datasets/{dataset_id}/export", json=body)
    assert command.status_code == 200, command.text
    output = api.get(f"/items/{command.json()['spec']['outputItemId']}").json()
    return output["name"], api.get(f"/items/{output['id']}/stream").content


def test_an_export_naming_no_type_is_a_zip_of_one_json_per_item(api, make_faas_item):
    # dtlpy up to 1.116: download_annotations posts no exportType and unzips what it gets into json/.
    make_faas_item(name="a.png", remote_path="/train", annotations=["cat"])
    dataset = make_faas_item(name="b.png", remote_path="/train").dataset
    name, body = _exported(api, dataset.id, {"annotations": {"include": True}, "exportVersion": "V1"})
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        files = {path: json.loads(archive.read(path)) for path in archive.namelist()}
    assert name.endswith(".zip") and set(files) == {"train/a.json", "train/b.json"}
    assert [a["label"] for a in files["train/a.json"]["annotations"]] == ["cat"]
    _, body = _exported(api, dataset.id, {"exportVersion": "V2"})
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["train/a.png.json", "train/b.png.json"]


def test_an_export_of_type_json_is_one_array_and_an_unknown_type_is_refused(api, faas_platform, faas_item):
    name, body = _exported(api, faas_item.dataset.id, {"exportType": "json"})
    assert name.endswith(".json") and [entry["id"] for entry in json.loads(body)] == [faas_item.id]
    before = api.get(f"/datasets/{faas_item.dataset.id}").json()
    refused = api.post(f"/datasets/{faas_item.dataset.id}/export", json={"exportType": "tar"})
    assert refused.status_code == 400 and "exportType" in refused.json()["message"]
    assert api.get(f"/datasets/{faas_item.dataset.id}").json() == before


def test_the_import_time_version_check_is_answered_and_refused_without_a_version(api):
    answered = api.post("/sdk/check", data={"version": "1.121.5", "email": "developer@faas.local"})
    assert answered.status_code == 200 and answered.json()["level"] == "debug"
    assert "1.121.5" in answered.json()["msg"]
    refused = api.post("/sdk/check", data={"email": "developer@faas.local"})
    assert refused.status_code == 400 and "version" in refused.json()["message"]


def test_dtlpys_own_version_check_reaches_the_local_platform_and_its_answer_is_kept(faas_dl):
    # dtlpy 1.110-1.125 start this at import in a thread that waits 120 s for a token; called here directly
    # while bound, it is what that thread does when it wakes during a session.
    check_sdk = pytest.importorskip("dtlpy.services.check_sdk", reason="this dtlpy line checks nothing at import")
    check_sdk.check_in_thread(version=faas_dl.__version__, client_api=faas_dl.client_api)
    status = faas_dl.client_api.cookie_io.get("check_version_status")
    assert status["level"] == "debug" and faas_dl.__version__ in status["msg"]


def test_platforms_started_one_after_another_in_one_process_each_get_the_alias(faas_dl):
    # dtlpy before 1.126 keeps an environment whose alias a newer one takes (in a module-level dict that
    # outlives the cookie), and setenv then finds two: each platform's binding drops the earlier ones.
    session_environment = faas_dl.client_api.environment
    for name in ("first", "second"):
        with LocalPlatform(placement="none") as platform:
            client = platform.dl.client_api
            aliased = [url for url, entry in client.environments.items() if entry.get("alias") == ALIAS]
            assert client.environment == platform.url and aliased == [platform.url]
            client.setenv(ALIAS)
            assert platform.dl.projects.create(name).name == name
    assert faas_dl.client_api.environment == session_environment
