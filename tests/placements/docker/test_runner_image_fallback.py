"""A service whose runnerImage is not present locally runs on the bare base image; when its code then fails
(OpenCV's runner image, whose code imports cv2), the failure itself says why and what to do, not only a
warning in the captured log."""

import pytest

from faas_code import Deployed, simple_package

IMAGE = "dataloopai/dtlpy-agent:cpu.py3.10.opencv"


@pytest.mark.docker
def test_a_failure_on_a_replaced_runner_image_names_the_image_and_the_fix(tmp_path):
    from pytest_faas.local import LocalPlatform

    folder = simple_package(tmp_path / "crops", "crops", "def run(self):\n    import cv2\n    return 1\n",
                            [("run", [])])
    with LocalPlatform(placement="docker") as platform:
        deployed = Deployed(platform, folder, runtime={"runnerImage": IMAGE})
        record = deployed.run("run")
    message = record["latestStatus"]["message"]
    assert record["latestStatus"]["status"] == "failed"
    assert "No module named 'cv2'" in message
    assert f"When runnerImage {IMAGE!r} is not present locally" in message
    assert "without OpenCV" in message and f"`docker pull {IMAGE}`" in message
