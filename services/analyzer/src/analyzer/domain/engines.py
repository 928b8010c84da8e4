"""The engine names a plan may use, and which of them take prompts or run stages."""

from __future__ import annotations

ANALYSIS_ENGINES = frozenset({"tesseract", "vlm", "gemini", "null"})
PROMPTED_ENGINES = frozenset({"vlm", "gemini"})
STAGE_ENGINES = frozenset({"vlm", "gemini", "null"})
