"""Image builders shared by the ingest tests: real encoded bytes, generated cheaply."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image


class ImageFactory:
    @staticmethod
    def jpeg(width: int, height: int, mode: str = "RGB", orientation: int | None = None) -> bytes:
        image = Image.new(mode, (width, height), "white" if mode != "CMYK" else (0, 0, 0, 0))
        # A dark band on the left edge shows where the pixels went after a rotation.
        image.paste(
            "black" if mode != "CMYK" else (0, 0, 0, 255), (0, 0, max(1, width // 10), height)
        )
        buffer = io.BytesIO()
        exif = Image.Exif()
        if orientation is not None:
            exif[0x0112] = orientation
        image.save(buffer, "JPEG", quality=85, exif=exif.tobytes())
        return buffer.getvalue()

    @staticmethod
    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    @staticmethod
    def huge_png(width: int = 50_000, height: int = 50_000) -> bytes:
        """A valid PNG header announcing width×height pixels, with a token IDAT: a few bytes."""

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b"")
        )


@pytest.fixture(scope="session")
def images() -> type[ImageFactory]:
    return ImageFactory
