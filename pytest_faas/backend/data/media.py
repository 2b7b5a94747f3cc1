"""What the platform reads from an uploaded file's bytes into ``metadata.system``: an image's ``width`` and
``height``; a video's ``fps``, ``duration``, ``width``, ``height``, ``nb_frames`` and the ``ffmpeg`` part
dtlpy's video annotations read (``nb_read_frames``, ``width``, ``height``).

Images are read with Pillow (a dtlpy dependency). Videos need PyAV, the optional ``video`` extra
(``pip install 'pytest-faas[video]'``): without it a video item gets none of these fields, as on the
platform before its video preprocessing has run, and the platform says so once in its log.
"""

from __future__ import annotations

import logging
import math
from typing import BinaryIO, Callable

log = logging.getLogger(__name__)

VIDEO_NOTE = ("video items get no fps, duration, width or height: reading them needs PyAV, the optional "
              "'video' extra (pip install 'pytest-faas[video]')")
_noted = []  # whether VIDEO_NOTE was logged in this process


def image_fields(mimetype: str, open_blob: Callable[[], BinaryIO]) -> dict:
    """``width``/``height`` of an image, which the platform adds and dtlpy's annotation tools need."""
    if not mimetype.startswith("image/"):
        return {}
    try:
        from PIL import Image  # noqa: PLC0415 (reads only the header)

        with open_blob() as blob, Image.open(blob) as image:
            width, height = image.size
    except Exception:  # not a readable image: the platform leaves the fields out too
        return {}
    return {"width": width, "height": height}


def video_fields(mimetype: str, open_blob: Callable[[], BinaryIO]) -> dict:
    """A video's fields (none when PyAV is absent or the bytes are not a video it can read)."""
    if not mimetype.startswith("video/"):
        return {}
    try:
        import av  # noqa: PLC0415 (optional)
    except ImportError:
        if not _noted:
            _noted.append(True)
            log.warning(VIDEO_NOTE)
        return {}
    try:  # the container's headers only: no frame is decoded
        with open_blob() as blob, av.open(blob) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            duration = (float(stream.duration * stream.time_base) if stream.duration and stream.time_base
                        else container.duration / av.time_base if container.duration else 0.0)
            frames = stream.frames or (round(duration * fps) if fps and duration else 0)
            width, height, codec = stream.width, stream.height, stream.codec_context.name
            average = str(stream.average_rate)  # read while open: a closed container's streams refuse it
    except Exception:  # not a video PyAV reads (or no video stream): no fields, as for an unreadable image
        return {}
    if not (fps > 0 and math.isfinite(fps) and math.isfinite(duration)):
        return {}
    return {"fps": round(fps, 6), "duration": round(duration, 6), "width": width, "height": height,
            "nb_frames": frames, "ffmpeg": {"width": width, "height": height, "nb_read_frames": frames,
                                            "nb_frames": frames, "avg_frame_rate": average,
                                            "duration": round(duration, 6), "codec_name": codec}}
