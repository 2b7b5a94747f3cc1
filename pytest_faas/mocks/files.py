"""Small sample files for items: generated images and the bundled samples in ``mocks/data``."""

from __future__ import annotations

import io
import zlib
import struct
from importlib import resources

_SAMPLES = resources.files(__package__) / "data"


def png_bytes(width: int = 8, height: int = 8, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour RGB PNG, written with zlib alone so that no imaging library is needed."""
    if width < 1 or height < 1:
        raise ValueError("an image needs a width and height of at least 1 pixel")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(color) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def sample_names() -> list[str]:
    """Names of the bundled sample files."""
    return sorted(p.name for p in _SAMPLES.iterdir() if p.is_file())


def sample_bytes(name: str) -> bytes:
    """The bytes of a bundled sample file, e.g. ``sample_bytes("hello.txt")``."""
    path = _SAMPLES / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample file {name!r}; the samples are: {', '.join(sample_names())}")
    return path.read_bytes()


def as_stream(data: bytes, name: str) -> io.BytesIO:
    """A named in-memory file, the shape dtlpy's uploader takes for bytes."""
    stream = io.BytesIO(data)
    stream.name = name
    return stream
