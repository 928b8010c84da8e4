"""The invisible font of a searchable PDF's text layer, as Tesseract and OCRmyPDF use it.

A Type 0 font whose every character code (two bytes, Identity-H) draws the same empty glyph
half an em wide; a ToUnicode map says which character each code is, so viewers select and
search the text while nothing is painted (text render mode 3 does not paint anyway). Codes are
the characters' own UTF-16 values; characters beyond the BMP take codes from the surrogate
range, which no single character uses, each mapped to its surrogate pair.
"""

from __future__ import annotations

import io
from functools import cache

import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

GLYPH_WIDTH = 0.5  # of the font size: the advance of every code
_SURROGATES = range(0xD8, 0xE0)


@cache
def _truetype() -> bytes:
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "blank"])
    builder.setupCharacterMap({})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "blank": empty})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "blank": (500, 0)})
    builder.setupHorizontalHeader(ascent=1000, descent=0)
    builder.setupNameTable({"familyName": "GlyphLessFont", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=1000, usWinAscent=1000, usWinDescent=0)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _bmp_ranges() -> list[str]:
    return [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if hi not in _SURROGATES]


def to_unicode(extra: dict[int, str]) -> bytes:
    """The CMap: identity over the BMP, plus each `extra` code (surrogate range) -> its text."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    ranges = _bmp_ranges()
    for start in range(0, len(ranges), 100):
        chunk = ranges[start : start + 100]
        lines += [f"{len(chunk)} beginbfrange", *chunk, "endbfrange"]
    chars = [
        f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>"
        for code, text in sorted(extra.items())
    ]
    for start in range(0, len(chars), 100):
        chunk = chars[start : start + 100]
        lines += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


class TextEncoder:
    """Character codes for a page's text; remembers the codes it gave to non-BMP characters."""

    def __init__(self) -> None:
        self.extra: dict[int, str] = {}
        self._codes: dict[str, int] = {}

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for char in text:
            point = ord(char)
            if point <= 0xFFFF and not 0xD800 <= point <= 0xDFFF:
                out += point.to_bytes(2, "big")
            elif point > 0xFFFF:
                code = self._codes.setdefault(char, 0xD800 + len(self._codes))
                if code > 0xDFFF:
                    continue  # more than 2048 distinct astral characters on one page
                self.extra[code] = char
                out += code.to_bytes(2, "big")
        return bytes(out)


def glyphless_font(pdf: pikepdf.Pdf, encoder: TextEncoder) -> pikepdf.Dictionary:
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/GlyphLessFont"),
        Flags=5,
        FontBBox=[0, 0, 500, 1000],
        ItalicAngle=0,
        Ascent=1000,
        Descent=0,
        CapHeight=1000,
        StemV=80,
        FontFile2=pikepdf.Stream(pdf, _truetype()),
    )
    cid_to_gid = pikepdf.Stream(pdf, b"\x00\x01" * 65536)
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/GlyphLessFont"),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=round(GLYPH_WIDTH * 1000),
        CIDToGIDMap=cid_to_gid,
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name("/GlyphLessFont"),
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[pdf.make_indirect(cid_font)],
            ToUnicode=pikepdf.Stream(pdf, to_unicode(encoder.extra)),
        )
    )
