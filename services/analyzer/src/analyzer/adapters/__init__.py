"""Adapters: tesserocr, httpx, Pillow, lxml, SQL.

OpenMP threads make Tesseract ~8× slower on a shared 2-core machine, and the analyzer scales
with processes instead: the limit must be in the environment before libtesseract loads, and
every adapter that loads it is imported through this package.
"""

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
