"""Messages that say where the problem is and how to fix it."""

from __future__ import annotations

import datetime

from pytest_faas.errors import ExecutionFailed
from pytest_faas.manifests.checks import check_service
from pytest_faas.manifests.package import PackageManifest
from pytest_faas.manifests.service import ServiceManifest
from pytest_faas.plugin.report import render_execution
from pytest_faas.protocol import TIMEOUT_MESSAGE, output_problem


def test_a_non_json_output_names_the_path_to_the_value():
    problem = output_problem({"boxes": [1, 2, {"at": datetime.date(2026, 1, 1)}]})
    assert 'at output["boxes"][2]["at"]: a date' in problem
    assert 'output["x"]: a float nan' in output_problem({"x": float("nan")})
    assert output_problem({"ok": [1, "a", None, 2.5]}) is None


def test_a_timeout_says_which_limit_and_where_it_is_set():
    execution = {"id": "e1", "latestStatus": {"status": "failed", "message": TIMEOUT_MESSAGE}, "duration": 2.0}
    text = render_execution(ExecutionFailed(execution, [], "thread", "p/m.run[mock.json:0]: expected status "
                                            "success, got failed"), "p/m.run[mock.json:0]")
    assert TIMEOUT_MESSAGE in text and '"executionTimeout" in service.json' in text


def test_gpu_and_runner_image_requests_are_noted():
    manifest = PackageManifest.model_validate({"name": "p", "modules": [{"name": "m", "functions": [{"name": "run"}]}]})
    service = ServiceManifest.model_validate({"name": "s", "moduleName": "m",
                                              "runtime": {"gpu": True, "runnerImage": "gpu/image:1"}})
    notes = {f.json_path: f for f in check_service(manifest, service)}
    assert notes["runtime.gpu"].severity == "warning" and "CPU" in notes["runtime.gpu"].message
    assert "--faas-placement=docker" in notes["runtime.runnerImage"].message
    gpu_pod = ServiceManifest.model_validate({"name": "s", "moduleName": "m", "runtime": {"podType": "gpu-t4"}})
    [note] = check_service(manifest, gpu_pod)
    assert (note.json_path, note.severity) == ("runtime.podType", "warning") and "'gpu-t4'" in note.message
    plain = ServiceManifest.model_validate({"name": "s", "moduleName": "m", "runtime": {"runnerImage": ""}})
    assert check_service(manifest, plain) == []


def test_an_opencv_runner_image_says_what_its_fallback_lacks_and_the_fix():
    manifest = PackageManifest.model_validate({"name": "p", "modules": [{"name": "m", "functions": [{"name": "run"}]}]})
    image = "dataloopai/dtlpy-agent:cpu.py3.10.opencv"
    service = ServiceManifest.model_validate({"name": "s", "moduleName": "m", "runtime": {"runnerImage": image}})
    [note] = check_service(manifest, service)
    assert note.json_path == "runtime.runnerImage"
    for said in ("not present locally", "without OpenCV (`import cv2` fails there)", f"`docker pull {image}`",
                 "opencv-python-headless to requirements.txt"):
        assert said in note.message
