"""A cheap sign, seen while an uploaded PDF streams in, that ingest would refuse it.

An encrypted PDF names its encryption dictionary in its trailer (or cross-reference stream
dictionary), which is never compressed: `/Encrypt` in the bytes. Everything that needs the PDF
parsed (pages, scripts, attachments) is ingest's to find.
"""

from __future__ import annotations

ENCRYPT = b"/Encrypt"


class PdfTripwire:
    def __init__(self) -> None:
        self.encrypted = False
        self._tail = b""

    def feed(self, chunk: bytes) -> bytes:
        """Look at `chunk` (and the end of the one before, for a token cut in two)."""
        window = self._tail + chunk
        self.encrypted = self.encrypted or ENCRYPT in window
        self._tail = window[-(len(ENCRYPT) - 1) :]
        return chunk
