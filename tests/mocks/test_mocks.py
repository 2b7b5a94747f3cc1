"""The mocks: generated records have the platform's shape and agree with DQL; the progress recorder."""

import io

from hypothesis import given, settings
from PIL import Image

from pytest_faas.dql import compiler as dql
from pytest_faas.mocks import RecordingProgress, png_bytes, sample_bytes, sample_names
from pytest_faas.mocks import strategies as fs

REQUIRED_ANNOTATION_KEYS = {"type", "label", "creator", "createdAt", "updatedBy", "updatedAt"}


@settings(max_examples=60)
@given(fs.items())
def test_generated_items_are_visible_to_the_sdks_default_filter(item):
    sdk_default = {"$and": [{"hidden": False}, {"type": "file"}]}
    assert dql.matches(sdk_default, item)
    assert dql.matches({"filename": item["filename"]}, item)
    assert dql.matches({"dir": item["dir"]}, item)
    assert item["filename"] == (item["dir"].rstrip("/") + "/" + item["name"])


@settings(max_examples=30)
@given(fs.items(hidden=True))
def test_items_under_dot_folders_are_hidden(item):
    assert item["hidden"] is True
    assert not dql.matches({"hidden": False}, item)


@settings(max_examples=60)
@given(fs.annotations())
def test_generated_annotations_carry_what_dtlpy_requires(annotation):
    assert REQUIRED_ANNOTATION_KEYS <= {k for k, v in annotation.items() if v is not None}


@settings(max_examples=30)
@given(fs.mock_inputs(["item", "threshold"]))
def test_mock_inputs_name_each_declared_input_once(inputs):
    assert [entry["name"] for entry in inputs] == ["item", "threshold"]


def test_recording_progress_keeps_every_update():
    progress = RecordingProgress()
    progress.update(status="inProgress", progress=0)
    progress.update(status="completed", progress=100, output={"n": 1})
    assert progress.statuses == ["inProgress", "completed"]
    assert progress.percentages == [0, 100]
    assert progress.last.output == {"n": 1}


def test_png_bytes_is_a_real_image_of_that_size():
    image = Image.open(io.BytesIO(png_bytes(7, 3, (1, 2, 3))))
    assert image.size == (7, 3) and image.getpixel((0, 0)) == (1, 2, 3)


def test_bundled_samples():
    assert "hello.txt" in sample_names()
    assert sample_bytes("hello.txt").startswith(b"hello")
