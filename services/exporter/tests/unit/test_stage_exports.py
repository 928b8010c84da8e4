"""Stage outputs (translation, normalization, commentary…) reach every export that has a place
for them: PAGE `TextEquiv`s after the transcription's, IIIF annotation pages of their own, text
files of their own; ALTO and hOCR stay the transcription alone (ADR 0024)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID

import iiif_prezi3
import pytest
from dinglehopper.ocr_files import page_text
from lxml import etree
from ocrd_validators.page_validator import PageValidator

from contracts import EngineInfo, PageAnalysis, StageOutput
from exporter.application.bundle import stream_bundle
from exporter.application.export_page import render_formats
from exporter.application.manuscript import build_iiif_manifest, build_mets
from exporter.application.ports import ExportPorts
from exporter.application.render import render_page
from exporter.domain.formats import PageFormat
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.stages import stage_texts
from exporter.domain.urls import GatewayUrls
from exporter.formats import xsd
from exporter.formats.mets_writer import METS
from exporter.formats.page_reader import read_page
from exporter.formats.xml_common import XLINK
from infra.artifacts import InMemoryArtifactStore

NS = {"m": METS, "xlink": XLINK}
PAGE_NS = {"pc": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
PAGE_ID = UUID(int=0x1000)
VLM = EngineInfo(name="vlm", model="fake-vlm")


@pytest.fixture
def staged(analysis: PageAnalysis) -> PageAnalysis:
    """The fixture's page (a title, then a body) with three stages after its transcription."""
    stages = [
        # Two paragraphs for two regions with text: one each, in reading order.
        StageOutput(
            name="translation",
            output="Book of hours\n\nCoffee with milk.\n",
            engine=VLM,
            language="en",
        ),
        # Named otherwise, said to be a commentary; one paragraph: about the whole page.
        StageOutput(
            name="Kommentar zur Seite",
            output="Ein Stundenbuch mit einer Zeile über Kaffee.",
            engine=VLM,
            kind="commentary",
            language="de",
        ),
        # Three paragraphs for two regions: they cannot be told apart, the page has them.
        StageOutput(name="normalization", output="Livre\n\nd'heures\n\nCafé", engine=VLM),
    ]
    return analysis.model_copy(update={"stages": stages})


def _page(analysis: PageAnalysis) -> bytes:
    urls = GatewayUrls("https://recto.example")
    return render_page(PageFormat.PAGE, analysis, page_id=PAGE_ID, urls=urls).content


def test_each_stage_has_a_unique_name_an_index_and_a_place(staged: PageAnalysis) -> None:
    again = staged.model_copy(update={"stages": [*staged.stages, staged.stages[0]]})

    texts = stage_texts(again)

    assert [(t.slug, t.kind, t.language, t.index) for t in texts] == [
        ("translation", "translation", "en", 2),
        ("kommentar-zur-seite", "commentary", "de", 3),
        ("normalization", "normalization", None, 4),
        ("translation-2", "translation", "en", 5),
    ]
    assert texts[0].blocks == {"title": "Book of hours", "body": "Coffee with milk."}
    assert [t.scope for t in texts] == ["region", "page", "page", "region"]
    assert texts[0].page_comments() == "stage:translation kind:translation lang:en scope:region"
    assert texts[2].page_comments() == "stage:normalization kind:normalization scope:page"
    assert [t.motivation for t in texts[:3]] == [
        ["supplementing", "commenting"],
        ["commenting"],
        ["supplementing", "commenting"],
    ]


def test_page_keeps_the_transcription_first_and_adds_each_stage_after_it(
    staged: PageAnalysis,
) -> None:
    content = _page(staged)
    xsd.validate(xsd.Schema.PAGE, content)

    root = etree.fromstring(content)
    title, body = (root.find(f".//pc:TextRegion[@id='{i}']", PAGE_NS) for i in ("title", "body"))
    assert title is not None
    assert body is not None

    def equivs(region: etree._Element) -> list[tuple[str | None, str | None, str]]:
        return [
            (e.get("index"), e.get("comments"), e.findtext("pc:Unicode", namespaces=PAGE_NS))
            for e in region.findall("pc:TextEquiv", PAGE_NS)
        ]

    page_wide = [
        (
            "3",
            "stage:kommentar-zur-seite kind:commentary lang:de scope:page",
            "Ein Stundenbuch mit einer Zeile über Kaffee.",
        ),
        ("4", "stage:normalization kind:normalization scope:page", "Livre\n\nd'heures\n\nCafé"),
    ]
    # What belongs to the page as a whole is on the first region in reading order.
    assert equivs(title) == [
        ("1", None, "Livre d'heures"),
        ("2", "stage:translation kind:translation lang:en scope:region", "Book of hours"),
        *page_wide,
    ]
    assert equivs(body) == [
        ("1", None, "Cafe\u0301 au lait."),
        ("2", "stage:translation kind:translation lang:en scope:region", "Coffee with milk."),
    ]
    # Lines and words keep their one TextEquiv, without an index.
    line_equivs = root.findall(".//pc:TextLine/pc:TextEquiv", PAGE_NS)
    assert len(line_equivs) == 2
    assert all(e.get("index") is None for e in line_equivs)


@pytest.mark.parametrize("level", ["region", "line"])
def test_dinglehopper_reads_the_transcription_of_a_staged_page_as_before(
    analysis: PageAnalysis, staged: PageAnalysis, level: str
) -> None:
    def read(content: bytes) -> str:
        tree = etree.ElementTree(etree.fromstring(content))
        text: str = page_text(tree, textequiv_level=level)
        return text

    # dinglehopper composes characters (NFC) as it reads.
    assert read(_page(staged)) == read(_page(analysis)) == "Livre d'heures\nCaf\u00e9 au lait."


def test_ocrd_finds_the_staged_page_consistent_and_recto_reimports_its_transcription(
    staged: PageAnalysis, tmp_path: Path
) -> None:
    path = tmp_path / "staged.page.xml"
    path.write_bytes(_page(staged))

    report = PageValidator.validate(filename=str(path), page_textequiv_consistency="strict")

    assert report.is_valid, report.to_xml()
    assert [ln.text for ln in read_page(path.read_bytes()).lines()] == [
        "Livre d'heures",
        "Cafe\u0301 au lait.",
    ]


@pytest.mark.parametrize("fmt", [PageFormat.ALTO, PageFormat.HOCR, PageFormat.TEXT])
def test_alto_hocr_and_the_page_text_are_the_transcription_alone(
    analysis: PageAnalysis, staged: PageAnalysis, fmt: PageFormat
) -> None:
    urls = GatewayUrls("https://recto.example")
    before = render_page(fmt, analysis, page_id=PAGE_ID, urls=urls).content
    assert render_page(fmt, staged, page_id=PAGE_ID, urls=urls).content == before


async def test_every_stage_has_its_own_text_file_and_annotation_page(
    staged: PageAnalysis, make_registration: Any
) -> None:
    store = InMemoryArtifactStore()
    registered = make_registration(0)
    ports = ExportPorts(store, GatewayUrls("https://recto.example"))

    rendered = await render_formats(
        staged,
        ["alto", "page", "text", "annotations"],
        page_id=registered.page_id,
        ports=ports,
        registered=registered,
    )

    assert rendered.failures == []
    slugs = ("translation", "kommentar-zur-seite", "normalization")
    assert list(rendered.formats) == [
        "alto",
        "page",
        "text",
        "annotations",
        "word-annotations",
        *(f"text/{slug}" for slug in slugs),
        *(f"annotations/{slug}" for slug in slugs),
    ]
    text = store.get(rendered.formats["text/translation"])
    assert text.decode() == "Book of hours\n\nCoffee with milk.\n"
    assert rendered.formats["text/translation"].media_type == "text/plain; charset=utf-8"

    # The translation is one annotation per region, on the region in canvas coordinates
    # (the canvas is half the image's size), in English, supplementing the canvas.
    page_url = f"https://recto.example/v1/pages/{registered.page_id}/annotations/translation"
    translation = json.loads(store.get(rendered.formats["annotations/translation"]))
    canvas = registered.canvas_id
    assert translation["id"] == page_url
    assert translation["label"] == {"none": ["Translation (en)"]}
    assert [(a["id"], a["target"], a["textGranularity"]) for a in translation["items"]] == [
        (f"{page_url}/1", f"{canvas}#xywh=45,35,310,40", "block"),
        (f"{page_url}/2", f"{canvas}#xywh=45,145,410,35", "block"),
    ]
    assert [a["body"] for a in translation["items"]] == [
        {"type": "TextualBody", "value": text, "format": "text/plain", "language": "en"}
        for text in ("Book of hours", "Coffee with milk.")
    ]
    assert {tuple(a["motivation"]) for a in translation["items"]} == {
        ("supplementing", "commenting")
    }
    # The commentary is about the whole canvas, in German, a comment.
    commentary = json.loads(store.get(rendered.formats["annotations/kommentar-zur-seite"]))
    assert commentary["label"] == {"none": ["Commentary, Kommentar zur Seite (de)"]}
    ((note,),) = [commentary["items"]]
    assert (note["target"], note["textGranularity"], note["motivation"]) == (
        canvas,
        "page",
        ["commenting"],
    )
    assert note["body"]["language"] == "de"
    # A stage whose language the plan did not say has none in its annotations.
    normalization = json.loads(store.get(rendered.formats["annotations/normalization"]))
    assert "language" not in normalization["items"][0]["body"]


async def test_stage_files_come_only_with_their_format_and_re_exports_ask_for_them_by_name(
    staged: PageAnalysis,
) -> None:
    ports = ExportPorts(InMemoryArtifactStore(), GatewayUrls("https://recto.example"))
    only_page = await render_formats(
        staged, ["page"], page_id=PAGE_ID, ports=ports, registered=None
    )
    assert list(only_page.formats) == ["page"]

    # An edition re-renders what the last export recorded, stage files among them.
    recorded = ["text", "text/translation", "text/kommentar-zur-seite", "text/normalization"]
    again = await render_formats(staged, recorded, page_id=PAGE_ID, ports=ports, registered=None)
    assert again.failures == []
    assert list(again.formats) == recorded


def _staged_manuscript(manuscript: Manuscript, staged: PageAnalysis, formats: Any) -> Manuscript:
    """The fixture's manuscript with its analyzed page staged, its export recording `formats`."""
    pages = [
        ManuscriptPage(p.registered, staged, formats=formats) if p.analysis else p
        for p in manuscript.pages
    ]
    return Manuscript(manuscript.imported, pages)


def test_the_manifest_lists_each_stage_page_its_export_recorded(
    manuscript: Manuscript, staged: PageAnalysis, base_url: str
) -> None:
    recorded = frozenset({"annotations", "annotations/translation", "text/normalization"})
    staged_manuscript = _staged_manuscript(manuscript, staged, recorded)

    manifest = json.loads(build_iiif_manifest(staged_manuscript, base_url).content)
    embedded = json.loads(
        build_iiif_manifest(staged_manuscript, base_url, embed_annotations=True).content
    )

    iiif_prezi3.Manifest(**embedded)
    (canvas,) = [c for c in manifest["items"] if "annotations" in c]
    page_id = staged_manuscript.pages[1].registered.page_id
    assert canvas["annotations"][1:] == [
        {
            "id": f"{base_url}/v1/pages/{page_id}/annotations/translation",
            "type": "AnnotationPage",
            "label": {"none": ["Translation (en)"]},
        }
    ]
    (canvas,) = [c for c in embedded["items"] if "annotations" in c]
    assert [a["body"]["value"] for a in canvas["annotations"][1]["items"]] == [
        "Book of hours",
        "Coffee with milk.",
    ]


def test_mets_has_a_file_group_per_stage_and_format(
    manuscript: Manuscript, staged: PageAnalysis, base_url: str
) -> None:
    recorded = frozenset({"text", "text/translation", "text/kommentar-zur-seite"})
    staged_manuscript = _staged_manuscript(manuscript, staged, recorded)

    root = etree.fromstring(build_mets(staged_manuscript, base_url).content)

    page_id = staged_manuscript.pages[1].registered.page_id
    hrefs = {
        group.get("USE"): [f.get(f"{{{XLINK}}}href") for f in group.iterfind(".//m:FLocat", NS)]
        for group in root.iterfind(".//m:fileGrp", NS)
    }
    assert hrefs == {
        "OCR-D-IMG": [
            "https://library.example/iiif/ms1/1/full/max/0/default.jpg",
            "https://library.example/iiif/ms1/2/full/max/0/default.jpg",
        ],
        "OCR-D-OCR-TXT": [f"{base_url}/v1/pages/{page_id}/text"],
        "OCR-D-OCR-TXT-STAGE-TRANSLATION": [f"{base_url}/v1/pages/{page_id}/text/translation"],
        "OCR-D-OCR-TXT-STAGE-KOMMENTAR-ZUR-SEITE": [
            f"{base_url}/v1/pages/{page_id}/text/kommentar-zur-seite"
        ],
    }
    # Each stage's file is one of its page's files.
    fptrs = root.findall(".//m:structMap[@TYPE='PHYSICAL']//m:div[@TYPE='page']", NS)
    assert "OCR-D-OCR-TXT-STAGE-TRANSLATION_0001" in {
        f.get("FILEID") for div in fptrs for f in div.iterfind("m:fptr", NS)
    }


def test_the_bundle_holds_each_stage_s_files_and_names_them_in_mets_and_manifest(
    manuscript: Manuscript, staged: PageAnalysis, base_url: str
) -> None:
    pages = [ManuscriptPage(p.registered, staged if p.analysis else None) for p in manuscript.pages]

    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(stream_bundle(manuscript.imported, pages, base_url)))
    )

    slugs = ("translation", "kommentar-zur-seite", "normalization")
    names = set(archive.namelist())
    assert {f"text/0001.{slug}.txt" for slug in slugs} <= names
    assert {f"annotations/0001.{slug}.annotations.json" for slug in slugs} <= names
    assert archive.read("text/0001.kommentar-zur-seite.txt") == (
        "Ein Stundenbuch mit einer Zeile über Kaffee.\n".encode()
    )
    translation = json.loads(archive.read("annotations/0001.translation.annotations.json"))
    assert translation["id"] == "annotations/0001.translation.annotations.json"
    mets = archive.read("mets.xml")
    xsd.validate(xsd.Schema.METS, mets)
    root = etree.fromstring(mets)
    stage_groups = {
        group.get("USE"): [f.get(f"{{{XLINK}}}href") for f in group.iterfind(".//m:FLocat", NS)]
        for group in root.iterfind(".//m:fileGrp", NS)
        if "-STAGE-" in (group.get("USE") or "")
    }
    assert stage_groups == {
        **{f"OCR-D-OCR-TXT-STAGE-{s.upper()}": [f"text/0001.{s}.txt"] for s in slugs},
        **{
            f"OCR-D-OCR-IIIF-STAGE-{s.upper()}": [f"annotations/0001.{s}.annotations.json"]
            for s in slugs
        },
    }
    (canvas,) = [
        c for c in json.loads(archive.read("manifest.json"))["items"] if "annotations" in c
    ]
    assert [page["id"] for page in canvas["annotations"][2:]] == [
        f"annotations/0001.{slug}.annotations.json" for slug in slugs
    ]
