"""Adapters: tesserocr, httpx, Pillow, lxml, SQL."""
