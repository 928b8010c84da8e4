from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from analyzer.adapters.vlm_http import VlmSettings, build_request, image_media_type, retry_after
from analyzer.application.prompts import PromptTemplates
from contracts.errors import ContractError


def test_shipped_templates_render_with_the_page_context() -> None:
    prompt = PromptTemplates().render(
        "transcribe-page", {"languages": ["deu", "frk"], "width": 1000, "height": 1500}
    )

    assert prompt.startswith(
        "Transcribe this printed page exactly as written (languages: deu, frk)."
    )
    assert "(1000×1500)" in prompt


def test_a_missing_variable_fails_instead_of_rendering_empty() -> None:
    with pytest.raises(ContractError, match="failed to render"):
        PromptTemplates().render("Translate {{ txet }}", {"text": "Incipit"})


def test_templates_from_plans_are_sandboxed() -> None:
    with pytest.raises(ContractError):
        PromptTemplates().render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTO_VLM_PROVIDER", "gemini")
    monkeypatch.setenv("RECTO_VLM_TIMEOUT_S", "12.5")

    settings = VlmSettings.from_env()

    assert (settings.provider, settings.model, settings.api_key_env) == (
        "gemini",
        "gemini-2.0-flash",
        "GEMINI_API_KEY",
    )
    assert settings.timeout_s == 12.5


def test_the_key_is_read_from_the_environment_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = VlmSettings(api_key_env="RECTO_TEST_KEY_ABSENT")
    monkeypatch.delenv("RECTO_TEST_KEY_ABSENT", raising=False)
    _, headers, _ = build_request(settings, "m", "p", b"\x89PNG...", {}, json_answer=True)
    assert headers == {}

    monkeypatch.setenv("RECTO_TEST_KEY_ABSENT", "sk-1")
    _, headers, body = build_request(
        settings, "m", "p", b"\x89PNG...", {"max_tokens": 9}, json_answer=True
    )
    assert headers == {"Authorization": "Bearer sk-1"}
    assert (body["max_tokens"], body["response_format"]) == (9, {"type": "json_object"})


def test_retry_after_reads_seconds_and_http_dates_capped() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)

    assert retry_after("3", 30) == 3.0
    assert 15 <= (retry_after(soon, 30) or 0) <= 20
    assert retry_after("3600", 30) == 30
    assert retry_after("soon", 30) is None
    assert retry_after(None, 30) is None


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(b"\x89PNG\r\n", "image/png"), (b"II*\x00", "image/tiff"), (b"\xff\xd8\xff", "image/jpeg")],
)
def test_image_media_types_are_sniffed(data: bytes, media_type: str) -> None:
    assert image_media_type(data) == media_type
