import base64
import dataclasses
import io
import json

import pytest
from PIL import Image

from analyzer.adapters.vlm import RAW_RESPONSE_MEDIA_TYPE, VlmEngine
from analyzer.adapters.vlm_cache import InMemoryVlmCache
from analyzer.adapters.vlm_http import VlmSettings
from analyzer.application.ports import PageInput
from analyzer.domain.geometry import Size
from contracts import EngineStep, Stage
from contracts.errors import EngineFailed, UnparseableResponse
from infra.artifacts import InMemoryArtifactStore

ANSWER = {
    "language": "fra",
    "regions": [
        {"type": "decoration", "bbox": [10, 10, 60, 60], "lines": []},
        {
            "type": "text",
            "bbox": [100, 50, 300, 200],
            "lines": [
                {"text": "Qⁱ me metroit por faire bien", "bbox": [100, 50, 300, 30]},
                {"text": "Demain en prison malgre mien", "bbox": [100, 90, 290, 30]},
            ],
        },
    ],
}


def page_image() -> PageInput:
    buffer = io.BytesIO()
    Image.new("RGB", (500, 800), "white").save(buffer, "PNG")
    return PageInput(
        image=buffer.getvalue(),
        image_sha256="ab" * 32,
        derivative=Size(500, 800),
        master=Size(1000, 1600),
        page_id="page-1",
    )


class RecordedSleeps:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def engine_for(server, **settings) -> tuple[VlmEngine, InMemoryArtifactStore, RecordedSleeps]:
    artifacts, sleeps = InMemoryArtifactStore(), RecordedSleeps()
    options = {
        "base_url": f"{server.url}/v1",
        "model": "fake-vlm",
        "api_key_env": "RECTO_TEST_VLM_KEY",
        "timeout_s": 5.0,
        "max_attempts": 3,
        "backoff_s": 0.5,
        **settings,
    }
    engine = VlmEngine(VlmSettings(**options), InMemoryVlmCache(), artifacts, sleep=sleeps)
    return engine, artifacts, sleeps


STEP = EngineStep(engine="vlm", languages=["fra"])


async def test_a_good_answer_becomes_a_page_analysis_in_master_pixels(
    fake_vlm_server, monkeypatch
) -> None:
    monkeypatch.setenv("RECTO_TEST_VLM_KEY", "sk-test-key")
    fake_vlm_server.chat(json.dumps(ANSWER))
    engine, _, _ = engine_for(fake_vlm_server)

    analysis = await engine.analyze(page_image(), STEP, "Transcribe this page.")

    assert analysis.text() == "Qⁱ me metroit por faire bien\nDemain en prison malgre mien"
    assert [r.type.value for r in analysis.regions] == ["decoration", "text"]
    text_region = analysis.regions[1]
    assert (text_region.bbox.x, text_region.bbox.y, text_region.bbox.width) == (200, 100, 600)
    assert analysis.image.width == 1000
    assert (analysis.engine.model, analysis.languages) == ("fake-vlm", ["fra"])
    assert analysis.engine.prompt_hash is not None
    # What went over the wire: the model, the prompt and the image as a data URL, the key.
    (request,) = fake_vlm_server.requests
    assert fake_vlm_server.paths == ["/v1/chat/completions"]
    assert fake_vlm_server.headers[0]["authorization"] == "Bearer sk-test-key"
    assert request["model"] == "fake-vlm"
    text_part, image_part = request["messages"][0]["content"]
    assert text_part == {"type": "text", "text": "Transcribe this page."}
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    await engine.aclose()


async def test_a_page_image_over_the_inline_cap_goes_as_a_jpeg_of_the_same_size(
    fake_vlm_server,
) -> None:
    fake_vlm_server.chat(json.dumps(ANSWER))
    noisy = io.BytesIO()  # grain PNG cannot compress: a lossless scan's derivative, in small
    Image.effect_noise((500, 800), 8).convert("RGB").save(noisy, "PNG")
    page = dataclasses.replace(page_image(), image=noisy.getvalue())
    assert len(page.image) > 200_000
    engine, _, _ = engine_for(fake_vlm_server, max_image_bytes=200_000)

    analysis = await engine.analyze(page, STEP, "Transcribe this page.")

    (request,) = fake_vlm_server.requests
    url = request["messages"][0]["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    sent = base64.b64decode(url.split(",", 1)[1])
    assert len(sent) <= 200_000
    assert Image.open(io.BytesIO(sent)).size == (500, 800)  # boxes still map to the derivative
    assert analysis.regions[1].bbox.x == 200
    await engine.aclose()


async def test_a_fenced_answer_with_prose_and_trailing_commas_is_accepted(fake_vlm_server) -> None:
    document = json.dumps(ANSWER, indent=2).replace("]\n", "],\n")
    fake_vlm_server.chat(f"Sure! Here is the page:\n```json\n{document}\n```\nAnything else?")
    engine, _, _ = engine_for(fake_vlm_server)

    analysis = await engine.analyze(page_image(), STEP, "Transcribe.")

    assert len(analysis.lines()) == 2
    await engine.aclose()


async def test_garbage_fails_with_the_raw_response_kept_as_an_artifact(fake_vlm_server) -> None:
    fake_vlm_server.chat("I'm sorry, I can't read old handwriting.")
    engine, artifacts, _ = engine_for(fake_vlm_server)

    with pytest.raises(UnparseableResponse) as failure:
        await engine.analyze(page_image(), STEP, "Transcribe.")

    raw = failure.value.raw_response
    assert raw.media_type == RAW_RESPONSE_MEDIA_TYPE
    stored = json.loads(artifacts.get(raw))
    assert stored["choices"][0]["message"]["content"] == "I'm sorry, I can't read old handwriting."
    # A garbage answer is not cached: asking again reaches the model again.
    fake_vlm_server.chat(json.dumps(ANSWER))
    assert len((await engine.analyze(page_image(), STEP, "Transcribe.")).lines()) == 2
    assert len(fake_vlm_server.requests) == 2
    await engine.aclose()


async def test_429_is_retried_after_the_servers_retry_after(fake_vlm_server) -> None:
    fake_vlm_server.fail(429, {"Retry-After": "7"})
    fake_vlm_server.chat(json.dumps(ANSWER))
    engine, _, sleeps = engine_for(fake_vlm_server)

    analysis = await engine.analyze(page_image(), STEP, "Transcribe.")

    assert len(analysis.lines()) == 2
    assert len(fake_vlm_server.requests) == 2
    assert sleeps.seconds == [7.0]
    await engine.aclose()


async def test_5xx_backs_off_exponentially_then_gives_up(fake_vlm_server) -> None:
    for _ in range(3):
        fake_vlm_server.fail(503)
    engine, _, sleeps = engine_for(fake_vlm_server)

    with pytest.raises(EngineFailed, match="after 3 attempts: HTTP 503"):
        await engine.analyze(page_image(), STEP, "Transcribe.")

    assert sleeps.seconds == [0.5, 1.0]
    assert len(fake_vlm_server.requests) == 3
    await engine.aclose()


async def test_a_client_error_is_not_retried(fake_vlm_server) -> None:
    fake_vlm_server.fail(401)
    engine, _, sleeps = engine_for(fake_vlm_server)

    with pytest.raises(EngineFailed, match="refused the call: HTTP 401") as failure:
        await engine.analyze(page_image(), STEP, "Transcribe.")

    assert failure.value.retryable is False
    assert (len(fake_vlm_server.requests), sleeps.seconds) == (1, [])
    await engine.aclose()


async def test_a_model_slower_than_the_timeout_fails_the_attempt(fake_vlm_server) -> None:
    fake_vlm_server.chat(json.dumps(ANSWER), delay_s=1.5)
    fake_vlm_server.chat(json.dumps(ANSWER), delay_s=1.5)
    engine, _, _ = engine_for(fake_vlm_server, timeout_s=0.2, max_attempts=2)

    with pytest.raises(EngineFailed, match=r"timed out after 0\.2 s") as failure:
        await engine.analyze(page_image(), STEP, "Transcribe.")

    assert failure.value.retryable is True
    assert len(fake_vlm_server.requests) == 2
    await engine.aclose()


async def test_the_cache_answers_a_second_identical_request_without_the_server(
    fake_vlm_server,
) -> None:
    fake_vlm_server.chat(json.dumps(ANSWER))
    fake_vlm_server.chat(json.dumps(ANSWER))
    engine, _, _ = engine_for(fake_vlm_server)

    first = await engine.analyze(page_image(), STEP, "Transcribe.")
    second = await engine.analyze(page_image(), STEP, "Transcribe.")
    assert len(fake_vlm_server.requests) == 1
    await engine.analyze(page_image(), STEP, "Transcribe, keeping abbreviations.")

    assert second.regions == first.regions
    assert len(fake_vlm_server.requests) == 2
    await engine.aclose()


async def test_gemini_generate_content(fake_vlm_server, monkeypatch) -> None:
    monkeypatch.setenv("RECTO_TEST_GEMINI_KEY", "gemini-test-key")
    fake_vlm_server.gemini(json.dumps(ANSWER))
    engine, _, _ = engine_for(
        fake_vlm_server,
        provider="gemini",
        base_url=f"{fake_vlm_server.url}/v1beta",
        model="gemini-test",
        api_key_env="RECTO_TEST_GEMINI_KEY",
    )

    analysis = await engine.analyze(page_image(), STEP, "Transcribe.")

    assert len(analysis.lines()) == 2
    assert fake_vlm_server.paths == ["/v1beta/models/gemini-test:generateContent"]
    assert fake_vlm_server.headers[0]["x-goog-api-key"] == "gemini-test-key"
    parts = fake_vlm_server.requests[0]["contents"][0]["parts"]
    assert parts[0] == {"text": "Transcribe."}
    assert parts[1]["inline_data"]["mime_type"] == "image/png"
    await engine.aclose()


async def test_a_stage_returns_the_models_text(fake_vlm_server) -> None:
    fake_vlm_server.chat("  Who would put me in prison...  ")
    engine, _, _ = engine_for(fake_vlm_server)

    output = await engine.run_stage(
        page_image(),
        Stage(name="translation", engine="vlm", prompt="x"),
        "Translate: Qⁱ me metroit",
    )

    assert output == "Who would put me in prison..."
    assert "response_format" not in fake_vlm_server.requests[0]
    await engine.aclose()
