from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.pdf_tripwire import PdfTripwire

TRAILER = b"trailer\n<< /Size 9 /Root 1 0 R /Encrypt 8 0 R >>\n%%EOF\n"


@given(st.integers(min_value=1, max_value=len(TRAILER)))
def test_an_encryption_dictionary_is_seen_wherever_the_chunks_cut(size: int) -> None:
    tripwire = PdfTripwire()
    chunks = [TRAILER[start : start + size] for start in range(0, len(TRAILER), size)]
    assert b"".join(tripwire.feed(chunk) for chunk in chunks) == TRAILER
    assert tripwire.encrypted


def test_an_unencrypted_pdf_trips_nothing() -> None:
    tripwire = PdfTripwire()
    tripwire.feed(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF")
    assert not tripwire.encrypted
