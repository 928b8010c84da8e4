from __future__ import annotations

import json
import re
from typing import Any

import iiif_prezi3
from syrupy.assertion import SnapshotAssertion

from contracts import ImageRef
from exporter.application.manuscript import build_iiif_manifest
from exporter.domain.iiif_annotations import Granularity, page_annotations
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.urls import GatewayUrls

XYWH = re.compile(r"^(?P<canvas>[^#]+)#xywh=(\d+),(\d+),(\d+),(\d+)$")


def _manifest(manuscript: Manuscript, base_url: str, **options: bool) -> dict[str, Any]:
    return json.loads(build_iiif_manifest(manuscript, base_url, **options).content)


def test_manifest_matches_its_snapshot(
    manuscript: Manuscript, base_url: str, snapshot: SnapshotAssertion
) -> None:
    assert build_iiif_manifest(manuscript, base_url).content.decode() == snapshot


def test_manifest_and_annotation_pages_load_as_presentation_3(
    manuscript: Manuscript, base_url: str
) -> None:
    manifest = _manifest(manuscript, base_url, embed_annotations=True)
    model = iiif_prezi3.Manifest(**manifest)
    assert [canvas.id for canvas in model.items] == [
        "https://library.example/iiif/ms1/canvas/1",
        "https://library.example/iiif/ms1/canvas/2",
    ]
    for page in manuscript.pages:
        for granularity in Granularity:
            annotation_page = page_annotations(page, GatewayUrls(base_url), None, granularity)
            iiif_prezi3.AnnotationPage(**annotation_page)


def test_annotation_targets_are_scaled_into_their_canvas(
    manuscript: Manuscript, base_url: str
) -> None:
    page = next(p for p in manuscript.pages if p.analysis is not None)
    annotations = page_annotations(page, GatewayUrls(base_url))["items"]
    assert [a["body"]["value"] for a in annotations] == ["Livre d'heures", "Cafe\u0301 au lait."]
    for annotation in annotations:
        # Supplementing, as text derived from the canvas must be; commenting, for Mirador.
        assert annotation["motivation"] == ["supplementing", "commenting"]
        assert annotation["textGranularity"] == "line"
    # The image is 2000×3000, the canvas 1000×1500: every coordinate halves.
    assert annotations[0]["target"] == "https://library.example/iiif/ms1/canvas/1#xywh=50,40,300,30"
    for annotation in annotations:
        match = XYWH.match(annotation["target"])
        assert match is not None
        x, y, w, h = (int(v) for v in match.groups()[1:])
        assert match["canvas"] == page.canvas_id(GatewayUrls(base_url))
        assert min(x, y) >= 0
        assert min(w, h) > 0
        assert x + w <= 1000
        assert y + h <= 1500


def test_word_annotations_are_a_page_of_their_own(manuscript: Manuscript, base_url: str) -> None:
    page = next(p for p in manuscript.pages if p.analysis is not None)
    words = page_annotations(page, GatewayUrls(base_url), None, Granularity.WORD)
    assert words["@context"] == [
        "http://iiif.io/api/extension/text-granularity/context.json",
        "http://iiif.io/api/presentation/3/context.json",
    ]
    assert words["id"] == f"{base_url}/v1/pages/{page.registered.page_id}/word-annotations"
    assert [a["body"]["value"] for a in words["items"]] == ["Livre", "d'heures"]
    assert {a["textGranularity"] for a in words["items"]} == {"word"}
    assert words["items"][1]["target"].endswith("#xywh=160,40,190,30")


def _services(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [canvas["items"][0]["items"][0]["body"]["service"][0] for canvas in manifest["items"]]


def test_image_services_keep_the_version_and_profile_the_source_declared(
    manuscript: Manuscript, base_url: str, make_registration: Any
) -> None:
    declared = Manuscript(
        manuscript.imported,
        [
            ManuscriptPage(
                make_registration(1, image_service_version=3, image_service_profile="level2")
            ),
            ManuscriptPage(
                make_registration(
                    0, image_service_profile="http://iiif.io/api/image/2/level1.json"
                ),
                manuscript.pages[1].analysis,
            ),
        ],
    )
    first, second = _manifest(declared, base_url)["items"]
    assert _services(_manifest(declared, base_url)) == [
        {
            "@id": "https://library.example/iiif/ms1/1",
            "@type": "ImageService2",
            "profile": "http://iiif.io/api/image/2/level1.json",
        },
        {"id": "https://library.example/iiif/ms1/2", "type": "ImageService3", "profile": "level2"},
    ]
    # Level 1 promises `w,`: the thumbnail asks for that, in the service's own quality name.
    assert (
        first["thumbnail"][0]["id"] == "https://library.example/iiif/ms1/1/full/200,/0/default.jpg"
    )
    assert (first["thumbnail"][0]["width"], first["thumbnail"][0]["height"]) == (200, 300)
    assert (
        second["thumbnail"][0]["id"] == "https://library.example/iiif/ms1/2/full/200,/0/default.jpg"
    )
    assert second["thumbnail"][0]["service"][0]["profile"] == "level2"


def test_an_undeclared_level_is_level0_and_its_thumbnail_is_the_gateways(
    manuscript: Manuscript, base_url: str
) -> None:
    thumb = ImageRef(sha256="a" * 64, media_type="image/jpeg", bytes=10, width=133, height=200)
    pages = [ManuscriptPage(p.registered, p.analysis, None, thumb) for p in manuscript.pages]
    manifest = _manifest(Manuscript(manuscript.imported, pages), base_url)
    assert _services(manifest)[0]["profile"] == "http://iiif.io/api/image/2/level0.json"
    assert _services(manifest)[1]["profile"] == "level0"
    first = manifest["items"][0]
    page_id = manuscript.pages[1].registered.page_id
    assert first["thumbnail"] == [
        {
            "id": f"{base_url}/v1/pages/{page_id}/image/thumbnail",
            "type": "Image",
            "format": "image/jpeg",
            "width": 133,
            "height": 200,
        }
    ]
    # Level 0 promises no `!200,200` (nor any other size it does not list).
    assert "!200,200" not in json.dumps(manifest)


def test_without_a_service_level_or_a_stored_thumbnail_there_is_no_thumbnail(
    manuscript: Manuscript, base_url: str
) -> None:
    assert all("thumbnail" not in canvas for canvas in _manifest(manuscript, base_url)["items"])


def test_analyzed_canvases_link_to_alto_page_and_their_annotations(
    manuscript: Manuscript, base_url: str
) -> None:
    first, second = _manifest(manuscript, base_url)["items"]
    page_url = f"{base_url}/v1/pages/{manuscript.pages[1].registered.page_id}"
    assert [s["id"] for s in first["seeAlso"]] == [f"{page_url}/alto", f"{page_url}/page"]
    assert first["annotations"] == [
        {
            "id": f"{page_url}/annotations",
            "type": "AnnotationPage",
            "label": {"none": ["Transcription, line by line"]},
        },
        {
            "id": f"{page_url}/word-annotations",
            "type": "AnnotationPage",
            "label": {"none": ["Transcription, word by word"]},
        },
    ]
    assert "annotations" not in second


def test_ranges_become_structures_of_known_canvases(manuscript: Manuscript, base_url: str) -> None:
    (calendar,) = _manifest(manuscript, base_url)["structures"]
    assert calendar["label"] == {"none": ["Calendar"]}
    assert calendar["items"][0] == {
        "id": "https://library.example/iiif/ms1/canvas/1",
        "type": "Canvas",
    }
    assert calendar["items"][1]["items"] == [
        {"id": "https://library.example/iiif/ms1/canvas/2", "type": "Canvas"}
    ]


def test_a_page_without_a_size_is_left_out(
    manuscript: Manuscript, base_url: str, make_registration: Any
) -> None:
    unsized = ManuscriptPage(make_registration(2, canvas_width=None, canvas_height=None))
    bigger = Manuscript(manuscript.imported, [*manuscript.pages, unsized])
    assert len(_manifest(bigger, base_url)["items"]) == 2


def test_a_page_exported_without_words_lists_only_its_lines(
    manuscript: Manuscript, base_url: str
) -> None:
    analyzed = manuscript.pages[1]
    lines_only = ManuscriptPage(
        analyzed.registered, analyzed.analysis, formats=frozenset({"alto", "annotations"})
    )
    (canvas,) = [
        c
        for c in _manifest(Manuscript(manuscript.imported, [lines_only]), base_url)["items"]
        if "annotations" in c
    ]
    assert [page["id"].rsplit("/", 1)[1] for page in canvas["annotations"]] == ["annotations"]
