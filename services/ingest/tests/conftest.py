"""Image and PDF builders shared by the ingest tests: real encoded bytes, made cheaply."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pikepdf
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


class PdfFactory:
    """PDFs as people have them (scans) and as they should not come (the bad-PDF catalogue)."""

    @staticmethod
    def scanned(sizes: list[tuple[int, int]], dpi: float = 200) -> bytes:
        """One page per image, each page exactly its image at `dpi`, as scanners write them."""
        pages = []
        for number, size in enumerate(sizes):
            image = Image.new("L", size, 230)
            image.paste(
                20, (size[0] // 10, size[1] // 10, size[0] // 2, size[1] // 10 + 30 + number)
            )
            pages.append(image)
        buffer = io.BytesIO()
        pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
        return buffer.getvalue()

    @staticmethod
    def _edited(data: bytes, edit: Callable[[pikepdf.Pdf], None], **save: object) -> bytes:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            edit(pdf)
            out = io.BytesIO()
            pdf.save(out, **save)  # type: ignore[arg-type]
            return out.getvalue()

    @classmethod
    def encrypted(cls, data: bytes, user_password: str = "secret") -> bytes:
        encryption = pikepdf.Encryption(owner="owner", user=user_password)
        return cls._edited(data, lambda pdf: None, encryption=encryption)

    @classmethod
    def declaring_pages(cls, data: bytes, count: int) -> bytes:
        def edit(pdf: pikepdf.Pdf) -> None:
            first = pdf.pages[0].obj
            pdf.Root.Pages.Kids = pikepdf.Array([first] * count)
            pdf.Root.Pages.Count = count

        return cls._edited(data, edit)

    @classmethod
    def with_page_size(cls, data: bytes, width: float, height: float) -> bytes:
        def edit(pdf: pikepdf.Pdf) -> None:
            pdf.pages[0].MediaBox = [0, 0, width, height]

        return cls._edited(data, edit)

    @classmethod
    def with_javascript(cls, data: bytes) -> bytes:
        def edit(pdf: pikepdf.Pdf) -> None:
            action = pdf.make_indirect(
                pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
            )
            pdf.Root.OpenAction = action
            pdf.Root.Names = pikepdf.Dictionary(
                JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("open"), action])
            )

        return cls._edited(data, edit)

    @classmethod
    def with_attachment(cls, data: bytes) -> bytes:
        def edit(pdf: pikepdf.Pdf) -> None:
            pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(
                pdf, b"hello", mime_type="text/plain"
            )

        return cls._edited(data, edit)


@pytest.fixture(scope="session")
def pdfs() -> type[PdfFactory]:
    return PdfFactory
