"""IIIF Content Search answers built from hits: Search 2.0 (`AnnotationPage`, `TermPage`) and,
for viewers that only read 1.0 (Mirador 4 among them), the same hits as a 1.0 `AnnotationList`.

Each hit is its line's `supplementing` annotation, with the id the exported annotation page
gives that line, targeting the canvas region in canvas coordinates; each matched word is a
`highlighting` annotation quoting it (prefix, exact, suffix) within that line's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from gateway.domain.search_hits import Hit

SEARCH_2 = "http://iiif.io/api/search/2/context.json"
SEARCH_1 = "http://iiif.io/api/search/1/context.json"
PRESENTATION_2 = "http://iiif.io/api/presentation/2/context.json"
_QUOTE_CONTEXT = 30
"""Characters of the line kept before and after a match in a quote."""


@dataclass(frozen=True)
class SearchPageRequest:
    base_url: str
    """The gateway's public URL, from which every id is built."""
    manuscript_id: UUID
    q: str
    page: int
    page_size: int
    total: int
    ignored: list[str]

    def _root(self) -> str:
        return self.base_url.rstrip("/")

    def service(self, version: int = 2) -> str:
        suffix = "" if version == 2 else "/v1"
        return f"{self._root()}/v1/manuscripts/{self.manuscript_id}/search{suffix}"

    def url(self, page: int | None = None, version: int = 2) -> str:
        params: dict[str, Any] = {"q": self.q}
        if page is not None:
            params["page"] = page
        return f"{self.service(version)}?{urlencode(params)}"

    @property
    def last_page(self) -> int:
        return max(0, (self.total - 1) // self.page_size)

    def canvas_id(self, hit: Hit) -> str:
        return hit.canvas_id or f"{self._root()}/v1/pages/{hit.page_id}/canvas"

    def annotation_id(self, hit: Hit) -> str:
        return f"{self._root()}/v1/pages/{hit.page_id}/annotations/{hit.line_no}"

    def target(self, hit: Hit) -> str:
        box = hit.canvas_box()
        return f"{self.canvas_id(hit)}#xywh={box.x},{box.y},{box.width},{box.height}"


def _quotes(hit: Hit) -> list[dict[str, str]]:
    text = hit.snippet.text
    quotes = []
    for start, end in hit.snippet.spans:
        quote = {"type": "TextQuoteSelector", "exact": text[start:end]}
        if prefix := text[max(0, start - _QUOTE_CONTEXT) : start]:
            quote["prefix"] = prefix
        if suffix := text[end : end + _QUOTE_CONTEXT]:
            quote["suffix"] = suffix
        quotes.append(quote)
    return quotes


def _line_annotation(request: SearchPageRequest, hit: Hit) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "TextualBody",
        "value": hit.snippet.text,
        "format": "text/plain",
    }
    if hit.language:
        body["language"] = hit.language
    return {
        "id": request.annotation_id(hit),
        "type": "Annotation",
        "motivation": "supplementing",
        "body": body,
        "target": request.target(hit),
    }


def annotation_page(request: SearchPageRequest, hits: list[Hit]) -> dict[str, Any]:
    """Content Search 2.0: one page of line annotations, their highlights beside them."""
    page_id = request.url(request.page)
    highlights = [
        {
            "id": f"{page_id}#match-{n}-{k}",
            "type": "Annotation",
            "motivation": "highlighting",
            "target": {
                "type": "SpecificResource",
                "source": request.annotation_id(hit),
                "selector": [quote],
            },
        }
        for n, hit in enumerate(hits)
        for k, quote in enumerate(_quotes(hit))
    ]
    collection = {"id": request.url(), "type": "AnnotationCollection", "total": request.total}
    answer: dict[str, Any] = {
        "@context": SEARCH_2,
        "id": page_id,
        "type": "AnnotationPage",
        "partOf": {
            **collection,
            "first": {"id": request.url(0), "type": "AnnotationPage"},
            "last": {"id": request.url(request.last_page), "type": "AnnotationPage"},
        },
        "startIndex": request.page * request.page_size,
    }
    if request.page > 0:
        answer["prev"] = {"id": request.url(request.page - 1), "type": "AnnotationPage"}
    if request.page < request.last_page:
        answer["next"] = {"id": request.url(request.page + 1), "type": "AnnotationPage"}
    if request.ignored:
        answer["ignored"] = request.ignored
    answer["items"] = [_line_annotation(request, hit) for hit in hits]
    if highlights:
        answer["annotations"] = [
            {"id": f"{page_id}#highlights", "type": "AnnotationPage", "items": highlights}
        ]
    return answer


def annotation_list_v1(request: SearchPageRequest, hits: list[Hit]) -> dict[str, Any]:
    """Content Search 1.0: the same hits as an `sc:AnnotationList` with `search:Hit`s."""
    resources = [
        {
            "@id": request.annotation_id(hit),
            "@type": "oa:Annotation",
            "motivation": "sc:painting",
            "resource": {"@type": "cnt:ContentAsText", "chars": hit.snippet.text},
            "on": request.target(hit),
        }
        for hit in hits
    ]
    found = [
        {
            "@type": "search:Hit",
            "annotations": [request.annotation_id(hit)],
            "match": quote["exact"],
            "before": quote.get("prefix", ""),
            "after": quote.get("suffix", ""),
        }
        for hit in hits
        for quote in _quotes(hit)[:1]
    ]
    within: dict[str, Any] = {"@type": "sc:Layer", "total": request.total}
    if request.ignored:
        within["ignored"] = request.ignored
    answer: dict[str, Any] = {
        "@context": [PRESENTATION_2, SEARCH_1],
        "@id": request.url(request.page, version=1),
        "@type": "sc:AnnotationList",
        "within": within,
        "startIndex": request.page * request.page_size,
    }
    if request.page < request.last_page:
        answer["next"] = request.url(request.page + 1, version=1)
    answer["resources"] = resources
    answer["hits"] = found
    return answer


def term_page(
    autocomplete_url: str, search_url: str, terms: list[tuple[str, int]], ignored: list[str]
) -> dict[str, Any]:
    """Content Search 2.0 autocomplete: the terms, each with its count and its search."""
    answer: dict[str, Any] = {"@context": SEARCH_2, "id": autocomplete_url, "type": "TermPage"}
    if ignored:
        answer["ignored"] = ignored
    answer["items"] = [
        {
            "value": term,
            "total": count,
            "service": [{"id": f"{search_url}?{urlencode({'q': term})}", "type": "SearchService2"}],
        }
        for term, count in terms
    ]
    return answer


def term_list_v1(
    autocomplete_url: str, search_url: str, terms: list[tuple[str, int]], ignored: list[str]
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "@context": SEARCH_1,
        "@id": autocomplete_url,
        "@type": "search:TermList",
    }
    if ignored:
        answer["ignored"] = ignored
    answer["terms"] = [
        {"match": term, "url": f"{search_url}?{urlencode({'q': term})}", "count": count}
        for term, count in terms
    ]
    return answer
