"""Ingest's own settings, from `RECTO_*` environment variables, beside the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PdfSettings(BaseSettings):
    """Bounds on uploaded PDFs; a page's pixels are bounded by ingest's image pixel limit."""

    model_config = SettingsConfigDict(env_prefix="RECTO_", extra="ignore")

    pdf_max_pages: int = Field(default=2000, ge=1, description="a longer PDF is refused")
    pdf_default_dpi: float = Field(
        default=300.0, gt=0, le=2400, description="for pages without a scanned image"
    )
    pdf_refuse_embedded: bool = Field(
        default=True,
        description="refuse PDFs with JavaScript or embedded files; false: import the pages, "
        "ignore both (never run, never opened) and say so in the manuscript's notes",
    )
