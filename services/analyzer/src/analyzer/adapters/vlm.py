"""VlmEngine: a vision-language model as an OCR/layout engine and a stage runner.

The raw provider response is stored as an artifact before anything is parsed, so a failure
event can point at exactly what the model said. Answers are cached only once they parsed:
a redelivered page re-asks the model instead of replaying garbage.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx

from analyzer.adapters.vlm_answer import parse_answer, regions_from_answer
from analyzer.adapters.vlm_cache import VlmCache, cache_key
from analyzer.adapters.vlm_http import (
    Sleep,
    VlmSettings,
    answer_text,
    build_request,
    inline_image,
    post_with_retries,
)
from analyzer.application.ports import PageInput
from analyzer.application.prompts import prompt_hash
from analyzer.domain.geometry import Scaling
from contracts import ArtifactRef, EngineInfo, EngineStep, PageAnalysis, PageImage, Stage
from contracts.errors import ContractError, UnparseableResponse
from infra.artifacts import ArtifactStore

RAW_RESPONSE_MEDIA_TYPE = "application/vnd.recto.vlm-response+json"


class VlmEngine:
    def __init__(
        self,
        settings: VlmSettings,
        cache: VlmCache,
        artifacts: ArtifactStore,
        client: httpx.AsyncClient | None = None,
        *,
        name: str = "vlm",
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.name = name
        self.settings = settings
        self.cache = cache
        self.artifacts = artifacts
        self.client = client or httpx.AsyncClient()
        self._sleep = sleep

    async def analyze(self, page: PageInput, step: EngineStep, prompt: str | None) -> PageAnalysis:
        if not prompt:
            raise ContractError(f"engine {self.name} needs a prompt")
        started = time.perf_counter()
        model = step.model or self.settings.model
        key, body, raw = await self._ask(page, prompt, model, step.params, json_answer=True)
        try:
            answer = parse_answer(answer_text(self.settings, body))
        except UnparseableResponse as error:
            raise UnparseableResponse(str(error), raw_response=raw) from None
        await self.cache.put(key, body, model)
        languages = [answer.language] if answer.language else list(step.languages)
        return PageAnalysis(
            page_id=page.page_id,
            image=PageImage(
                width=page.master.width, height=page.master.height, sha256=page.master_sha256
            ),
            regions=regions_from_answer(answer, Scaling(page.derivative, page.master)),
            languages=languages,
            engine=self._info(model, step.params, prompt),
            created_at=datetime.now(UTC),
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    async def run_stage(self, page: PageInput, stage: Stage, prompt: str) -> str:
        model = stage.model or self.settings.model
        key, body, raw = await self._ask(page, prompt, model, stage.params, json_answer=False)
        try:
            text = answer_text(self.settings, body)
        except UnparseableResponse as error:
            raise UnparseableResponse(str(error), raw_response=raw) from None
        await self.cache.put(key, body, model)
        return text.strip()

    def info(self, model: str | None = None) -> EngineInfo:
        return EngineInfo(name=self.name, version=self.settings.provider, model=model)

    async def _ask(
        self, page: PageInput, prompt: str, model: str, params: dict[str, Any], *, json_answer: bool
    ) -> tuple[str, str, ArtifactRef]:
        """(cache key, raw response body, its artifact), from the cache or the provider."""
        parameters = {"provider": self.settings.provider, "json": json_answer, **params}
        key = cache_key(page.image_sha256, prompt, model, parameters)
        body = await self.cache.get(key)
        if body is None:
            image = await anyio.to_thread.run_sync(
                inline_image, page.image, self.settings.max_image_bytes
            )
            request = build_request(
                self.settings, model, prompt, image, params, json_answer=json_answer
            )
            body = await post_with_retries(self.client, self.settings, request, self._sleep)
        raw = await anyio.to_thread.run_sync(
            self.artifacts.put, body.encode("utf-8"), RAW_RESPONSE_MEDIA_TYPE
        )
        return key, body, raw

    def _info(self, model: str, params: dict[str, Any], prompt: str) -> EngineInfo:
        return EngineInfo(
            name=self.name,
            version=self.settings.provider,
            model=model,
            parameters=params,
            prompt_hash=prompt_hash(prompt),
        )

    async def aclose(self) -> None:
        await self.client.aclose()
