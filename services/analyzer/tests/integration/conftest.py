"""The fake OpenAI-compatible (and Gemini) server, started for each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analyzer.fake_vlm import FakeVlmServer, running_fake_vlm


@pytest.fixture
def fake_vlm_server() -> Iterator[FakeVlmServer]:
    with running_fake_vlm() as server:
        yield server
