"""The demo's closing summary prints every link whole, however narrow the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from recto.demo import print_summary


def test_links_stay_whole_in_an_80_column_terminal() -> None:
    gateway = "http://127.0.0.1:52213"
    manuscript = "/v1/manuscripts/d47b873c-690a-43e4-b464-7d1c6c3d2b52"
    outputs = {name: f"{manuscript}/{name}" for name in ("pages", "mets", "bundle.zip")}
    summary = {
        "gateway": gateway,
        "pages": 1,
        "pages_exported": 1,
        "startup_seconds": 1.0,
        "processing_seconds": 2.0,
        "manuscripts": [{"label": "Recto sample (frk)", "pages": [], "outputs": outputs}],
    }
    screen = io.StringIO()

    print_summary(summary, Console(file=screen, width=80, color_system=None))

    lines = screen.getvalue().splitlines()
    for link in outputs.values():
        assert any(f"{gateway}{link}" in line for line in lines), f"{link} broken across lines"
