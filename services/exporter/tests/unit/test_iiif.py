from __future__ import annotations

import json
import re
from typing import Any

import iiif_prezi3
from syrupy.assertion import SnapshotAssertion

from exporter.application.manuscript import build_iiif_manifest
from exporter.domain.iiif_annotations import page_annotations
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
        annotation_page = page_annotations(page, GatewayUrls(base_url))
        iiif_prezi3.AnnotationPage(**annotation_page)


def test_annotation_targets_are_scaled_into_their_canvas(
    manuscript: Manuscript, base_url: str
) -> None:
    page = next(p for p in manuscript.pages if p.analysis is not None)
    annotations = page_annotations(page, GatewayUrls(base_url))["items"]
    assert [a["body"]["value"] for a in annotations] == ["Livre d'heures", "Cafe\u0301 au lait."]
    assert {a["motivation"] for a in annotations} == {"supplementing"}
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


def test_canvases_carry_the_real_image_service_version(
    manuscript: Manuscript, base_url: str
) -> None:
    first, second = _manifest(manuscript, base_url)["items"]
    service = first["items"][0]["items"][0]["body"]["service"][0]
    assert service == {
        "@id": "https://library.example/iiif/ms1/1",
        "@type": "ImageService2",
        "profile": "http://iiif.io/api/image/2/level0.json",
    }
    assert second["thumbnail"][0]["service"][0]["type"] == "ImageService3"
    assert first["thumbnail"][0]["id"].endswith("/full/!200,200/0/default.jpg")


def test_analysed_canvases_link_to_alto_page_and_their_annotations(
    manuscript: Manuscript, base_url: str
) -> None:
    first, second = _manifest(manuscript, base_url)["items"]
    page_url = f"{base_url}/v1/pages/{manuscript.pages[1].registered.page_id}"
    assert [s["id"] for s in first["seeAlso"]] == [f"{page_url}/alto", f"{page_url}/page"]
    assert first["annotations"] == [{"id": f"{page_url}/annotations", "type": "AnnotationPage"}]
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
