"""Video items get fps, duration, width and height from their bytes on upload, as on the platform (PyAV, the
optional 'video' extra), through the real dtlpy client over HTTP; without PyAV, none, and one note."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from pytest_faas.backend.data import media


def mp4_bytes(frames: int, rate: int, width: int, height: int) -> bytes:
    av = pytest.importorskip("av")
    import numpy as np

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_a_video_gets_its_fps_duration_and_size_on_upload(faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(mp4_bytes(20, 10, 32, 24)), remote_name="clip.mp4")
    fetched = faas_dataset.items.get(item_id=item.id)
    system = fetched.metadata["system"]
    assert fetched.fps == 10 and system["fps"] == 10  # dtlpy's item.fps reads metadata.fps
    assert system["duration"] == pytest.approx(2.0, abs=0.2)
    assert (system["width"], system["height"], system["nb_frames"]) == (32, 24, 20)
    assert system["ffmpeg"]["nb_read_frames"] == 20 and system["ffmpeg"]["width"] == 32


def test_bytes_that_are_no_video_get_no_video_fields(faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(b"not a video"), remote_name="broken.mp4")
    assert item.metadata["system"]["mimetype"] == "video/mp4"
    assert "fps" not in item.metadata["system"] and item.fps is None


def test_without_pyav_a_video_gets_no_fields_and_the_note_says_why(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "av", None)  # what an environment without the extra has: no import
    monkeypatch.setattr(media, "_noted", [])
    with caplog.at_level(logging.WARNING, logger=media.__name__):
        assert media.video_fields("video/mp4", lambda: io.BytesIO(b"x")) == {}
        assert media.video_fields("video/mp4", lambda: io.BytesIO(b"x")) == {}
    notes = [r.getMessage() for r in caplog.records if r.name == media.__name__]
    assert notes == [media.VIDEO_NOTE] and "pytest-faas[video]" in notes[0]
