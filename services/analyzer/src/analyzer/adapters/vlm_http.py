"""Calls to VLM providers over httpx: request shapes, retries with backoff, Retry-After.

Two wire formats: OpenAI-compatible `/chat/completions` (OpenAI, vLLM, Ollama, LM Studio…)
and Google Gemini `models/<model>:generateContent`. Keys come only from the environment.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import httpx
from PIL import Image

from contracts.errors import EngineFailed, UnparseableResponse

Provider = Literal["openai", "gemini"]
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class VlmSettings:
    provider: Provider = "openai"
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 120.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    # Providers cap inline images (OpenAI 20 MB an image, Gemini 20 MB a request, base64
    # included); a lossless derivative of a large scan can exceed that.
    max_image_bytes: int = 4 << 20

    @classmethod
    def from_env(cls, prefix: str = "RECTO_VLM_") -> VlmSettings:
        """`RECTO_VLM_PROVIDER`, `_BASE_URL`, `_MODEL`, `_API_KEY_ENV`, `_TIMEOUT_S`, ..."""
        env = {
            k.removeprefix(prefix).lower(): v for k, v in os.environ.items() if k.startswith(prefix)
        }
        provider = env.get("provider", "openai")
        defaults = GEMINI_DEFAULTS if provider == "gemini" else {}
        values: dict[str, Any] = {**defaults, **{k: v for k, v in env.items() if k in _FIELDS}}
        for name in ("timeout_s", "backoff_s", "max_backoff_s"):
            if name in values:
                values[name] = float(values[name])
        for name in ("max_attempts", "max_image_bytes"):
            if name in values:
                values[name] = int(values[name])
        return cls(**values)


GEMINI_DEFAULTS = {
    "provider": "gemini",
    "base_url": "https://generativelanguage.googleapis.com/v1beta",
    "model": "gemini-2.0-flash",
    "api_key_env": "GEMINI_API_KEY",
}
_FIELDS = {
    "provider",
    "base_url",
    "model",
    "api_key_env",
    "timeout_s",
    "max_attempts",
    "backoff_s",
    "max_backoff_s",
    "max_image_bytes",
}


def image_media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def inline_image(image: bytes, max_bytes: int) -> bytes:
    """The page image as a request carries it: itself, or over `max_bytes` the same pixels as
    a JPEG of the same size, so that boxes the model returns still map to the derivative."""
    if len(image) <= max_bytes:
        return image
    with Image.open(io.BytesIO(image)) as decoded:
        pixels = decoded if decoded.mode in ("RGB", "L") else decoded.convert("RGB")
        buffer = io.BytesIO()
        pixels.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def build_request(
    settings: VlmSettings,
    model: str,
    prompt: str,
    image: bytes,
    params: dict[str, Any],
    *,
    json_answer: bool,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(url, headers, body) for one call; the key is read from the environment now."""
    key = os.environ.get(settings.api_key_env, "")
    media_type, encoded = image_media_type(image), base64.b64encode(image).decode("ascii")
    base = settings.base_url.rstrip("/")
    body: dict[str, Any]
    if settings.provider == "gemini":
        config = {"temperature": 0.0, **params}
        if json_answer:
            config.setdefault("responseMimeType", "application/json")
        body = {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"text": prompt},
                        {"inline_data": {"mime_type": media_type, "data": encoded}},
                    ],
                }
            ],
            "generationConfig": config,
        }
        headers = {"x-goog-api-key": key} if key else {}
        return f"{base}/models/{model}:generateContent", headers, body
    body = {
        "model": model,
        "temperature": 0.0,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": prompt},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:{media_type};base64,{encoded}"},
                    },
                ],
            }
        ],
        **params,
    }
    if json_answer:
        body.setdefault("response_format", {"type": "json_object"})
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return f"{base}/chat/completions", headers, body


def answer_text(settings: VlmSettings, payload: str) -> str:
    """The model's text inside a provider response body."""
    try:
        data = json.loads(payload)
        if settings.provider == "gemini":
            parts = data["candidates"][0]["content"]["parts"]
            return "".join(part.get("text", "") for part in parts)
        content = data["choices"][0]["message"]["content"]
        if isinstance(content, list):  # some servers answer with content parts
            return "".join(part.get("text", "") for part in content)
        return str(content)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise UnparseableResponse(f"provider response has no answer text: {error!r}") from None


Sleep = Callable[[float], Awaitable[None]]


async def post_with_retries(
    client: httpx.AsyncClient,
    settings: VlmSettings,
    request: tuple[str, dict[str, str], dict[str, Any]],
    sleep: Sleep = anyio.sleep,
) -> str:
    """POST, retrying 429/5xx (honouring Retry-After), timeouts and transport errors."""
    url, headers, body = request
    last_problem = "no attempt made"
    for attempt in range(1, settings.max_attempts + 1):
        delay = min(settings.backoff_s * 2 ** (attempt - 1), settings.max_backoff_s)
        try:
            response = await client.post(
                url, headers=headers, json=body, timeout=settings.timeout_s
            )
        except httpx.TimeoutException:
            last_problem = f"timed out after {settings.timeout_s:g} s"
        except httpx.TransportError as error:
            last_problem = f"transport error: {error!r}"
        else:
            if response.status_code < 300:
                return response.text
            last_problem = f"HTTP {response.status_code}: {response.text[:300]}"
            if response.status_code not in RETRY_STATUSES:
                failure = EngineFailed(f"VLM {settings.provider} refused the call: {last_problem}")
                failure.retryable = False
                raise failure
            delay = (
                retry_after(response.headers.get("Retry-After"), settings.max_backoff_s) or delay
            )
        if attempt < settings.max_attempts:
            await sleep(delay)
    raise EngineFailed(
        f"VLM {settings.provider} failed after {settings.max_attempts} attempts: {last_problem}"
    )


def retry_after(value: str | None, ceiling: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), ceiling)
