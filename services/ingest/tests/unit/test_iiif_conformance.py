"""Every manifest and collection of the shared corpora: parsed with the right counts, or refused.

The expected numbers were counted from the files themselves (sequences[0].canvases with an
`images` entry for v2; canvases painting an Image, through Choice or SpecificResource, for v3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.errors import ManifestNotIIIF
from ingest.domain.manifest import Collection, Manifest
from ingest.domain.registration import refusal_reason
from ingest.formats.iiif.documents import parse_document

# file: (canvases, image canvases, first image canvas label, its canvas width, height)
MANIFESTS: dict[str, tuple[int, int, str | None, int | None, int | None]] = {
    "v2/cookbook-0057-manifest-v2.json": (1, 1, "p. 1", 1200, 1800),
    "v2/gallica-bpt6k9604118j.json": (74, 74, "contreplat sup.", 4337, 5389),
    "v2/manifesto-archivelab-presentation2-paging.json": (265, 265, None, 2138, 3845),
    "v2/manifesto-nga-highlights.json": (26, 26, "Self-Portrait", 307, 402),
    "v2/manifesto-nlw-cardiganshire.json": (219, 219, "front cover", 4080, 4080),
    "v2/manifesto-qatar-right-to-left.json": (498, 498, None, 5753, 8039),
    "v2/manifesto-riksarkivet-canvas-metadata.json": (97, 97, "Image 1", 3507, 2480),
    "v2/manifesto-wellcome-auth-clinical.json": (1, 1, " - ", 2256, 3521),
    "v2/manifesto-wellcomeapocalypse.json": (154, 154, " - ", 5941, 7127),
    "v2/manifesto-yale-scroll.json": (1, 1, "Scroll", 62651, 1976),
    "v2/mirador-001.json": (1, 1, "Whole Page", 5776, 9125),
    "v2/mirador-002.json": (1, 1, "Test 2 Canvas: 1", 1200, 1800),
    "v2/mirador-015.json": (2, 2, "Test 15 Canvas: 1", 1200, 1800),
    "v2/mirador-019.json": (3, 3, "Test 19 Canvas: 1", 1200, 1800),
    "v2/mirador-024.json": (1, 1, "Test 24 Canvas: 1", 1200, 1800),
    "v2/mirador-299843.json": (6, 6, "1", 2087, 2550),
    "v2/mirador-BibliographicResource_3000126341277.json": (2, 2, "p. 1", 1890, 2594),
    "v2/mirador-Osbornfa1.json": (1, 1, "Osborn fa1, [Bookplates]", 3603, 4438),
    "v2/mirador-canvasService.json": (1, 1, "(0001)", 2271, 2805),
    "v2/mirador-emptyCanvas.json": (322, 238, "2r (31r)", 4396, 6197),
    "v2/mirador-fg165hz3589.json": (5, 5, "Page 1", 2530, 3279),
    "v2/mirador-gau.json": (13, 13, "fragm1a", 8176, 6132),  # first of 2 sequences (13+16)
    "v2/mirador-hamilton.json": (1, 1, "Hamilton Letter (September 6, 1780)", 3912, 4648),
    "v2/mirador-iiifauth.json": (13, 13, "Standard login", 1200, 1800),
    "v2/mirador-minimumRequired.json": (1, 1, "Test 1 Canvas: 1", 1200, 1800),
    "v2/mirador-multipleSequences.json": (1, 1, "fragm1a", 8176, 6132),
    "v2/mirador-sn904cj3429.json": (1, 1, "Image 1", 11302, 8777),
    "v2/mirador-zeroWidthCanvas.json": (1, 1, "[f. 83 Annapurna?]", None, None),
    "v3/cookbook-0001-mvm-image.json": (1, 1, None, 1200, 1800),
    "v3/cookbook-0004-canvas-size.json": (1, 1, None, 1920, 1080),
    "v3/cookbook-0005-image-service.json": (1, 1, "Canvas with a single IIIF image", 4032, 3024),
    "v3/cookbook-0006-text-language.json": (1, 1, None, 1114, 991),
    "v3/cookbook-0009-book-1.json": (5, 5, "Blank page", 3204, 4613),
    "v3/cookbook-0010-book-2-rtl.json": (5, 5, "front cover", 3497, 4823),
    "v3/cookbook-0024-book-4-toc.json": (6, 6, "f. 1r", 1768, 2504),
    "v3/cookbook-0031-bound-multivolume.json": (6, 6, "Front cover", 5428, 7230),
    "v3/cookbook-0033-choice.json": (1, 1, None, 2000, 1271),
    "v3/cookbook-0035-foldouts.json": (9, 9, "Front cover", 2533, 4429),
    "v3/cookbook-0036-composition.json": (1, 1, None, 7216, 5412),
    "v3/cookbook-0040-rotation-css.json": (1, 1, "inside cover; 1r", 2105, 1523),
    "v3/cookbook-0040-rotation-service.json": (1, 1, "inside cover; 1r", 2105, 1523),
    "v3/cookbook-0046-rendering.json": (5, 5, "front cover", 3497, 4823),
    "v3/cookbook-0053-seeAlso.json": (5, 5, "front cover", 3497, 4823),
    "v3/cookbook-0057-manifest-v3.json": (1, 1, None, 1200, 1800),
    "v3/cookbook-0068-newspaper-issue1.json": (2, 2, "p. 1", 3602, 5000),
    "v3/cookbook-0269-referenced-annotations.json": (1, 1, None, 4032, 3024),
    "v3/cookbook-0283-missing-image.json": (4, 3, "f. 1r", 1768, 2504),
    "v3/cookbook-0299-region.json": (1, 1, None, 1768, 2080),
    "v3/cookbook-0309-annotation-collection.json": (2, 2, "p. 1", 3602, 5000),
    "v3/cookbook-0561-text-on-image.json": (1, 1, None, 70399, 31722),
    "v3/manifesto-bl-or11828-maxwidth.json": (517, 517, "Front cover", 5106, 6768),
    "v3/manifesto-vam-codex-forster.json": (114, 114, "Front Cover", 1800, 1778),
    "v3/manifesto-yale-canterbury-tales.json": (170, 170, "[Front cover]", 2792, 3616),
    "v3/mirador-001.json": (1, 1, "Whole Page", 5776, 9125),
    "v3/mirador-fallback-image.json": (1, 1, None, 1200, 1800),
    "v3/mirador-hamilton.json": (1, 1, "Hamilton Letter (September 6, 1780)", 3912, 4648),
    "v3/mirador-minimumRequired.json": (1, 1, None, 1200, 1800),
}
# Parsed, but with nothing to import: (canvases, words the refusal reason must contain).
REFUSED_MANIFESTS: dict[str, tuple[int, str]] = {
    "v2/manifesto-villanova-audio.json": (1, "placeholder for content in mediaSequences"),
    "v2/mirador-2017498721.json": (0, "no canvases"),
    "v2/mirador-related.json": (0, "no canvases"),
    "v2/mirador-structures.json": (13, "none of its 13 canvases paints an image: no image"),
    "v3/cookbook-0002-mvm-audio.json": (1, "non-image canvas (Sound)"),
    "v3/cookbook-0003-mvm-video.json": (1, "non-image canvas (Video)"),
    "v3/cookbook-0026-toc-opera.json": (1, "non-image canvas (Video)"),
    "v3/cookbook-0229-behavior-ranges.json": (1, "non-image canvas (Video)"),
    "v3/manifesto-bl-RHUL.json": (1, "non-image canvas (Sound)"),
    "v3/manifesto-pres3-3d.json": (0, "no canvases"),
    "v3/mirador-structures.json": (11, "no painting annotation"),
    "v3/mirador-text-pdf.json": (1, "non-image canvas (Text)"),
    "v3/mirador-video_with_annotation_captions.json": (1, "non-image canvas (Video)"),
    "v3/mirador-with_a_provider.json": (0, "no canvases"),
}
NOT_IIIF = {"v2/mirador-broken.json": "no @type sc:Manifest/sc:Collection nor type"}
# collection: (members, kinds of the first member)
COLLECTIONS: dict[str, tuple[int, str]] = {
    "v2/manifesto-villanova-collection.json": (22, "collection"),
    "v2/mirador-collection.json": (55, "manifest"),
    "v2/mirador-parentCollection.json": (1, "collection"),
    "v3/cookbook-0030-multi-volume-collection.json": (2, "manifest"),
    "v3/cookbook-0032-collection.json": (2, "manifest"),
    "v3/cookbook-0068-newspaper-collection.json": (2, "manifest"),
}


def test_every_corpus_file_is_in_a_table(corpora: Path) -> None:
    on_disk = {
        f"{p.parent.name}/{p.name}"
        for v in ("v2", "v3")
        for p in (corpora / "iiif" / v).glob("*.json")
    }
    tabled = {*MANIFESTS, *REFUSED_MANIFESTS, *NOT_IIIF, *COLLECTIONS}
    assert on_disk == tabled


@pytest.mark.parametrize(("name", "expected"), MANIFESTS.items(), ids=list(MANIFESTS))
def test_manifest_parses_with_the_counted_canvases(
    corpora: Path, name: str, expected: tuple[int, int, str | None, int | None, int | None]
) -> None:
    canvases, images, label, width, height = expected
    manifest = parse_document((corpora / "iiif" / name).read_bytes())
    assert isinstance(manifest, Manifest)
    assert (len(manifest.canvases), len(manifest.image_canvases)) == (canvases, images)
    first = manifest.image_canvases[0]
    if label is not None:
        assert first.label == label
    assert (first.width, first.height) == (width, height)
    assert refusal_reason(manifest) is None
    assert len(manifest.skipped) == canvases - images


@pytest.mark.parametrize(
    ("name", "expected"), REFUSED_MANIFESTS.items(), ids=list(REFUSED_MANIFESTS)
)
def test_manifest_without_images_is_refused_with_its_reason(
    corpora: Path, name: str, expected: tuple[int, str]
) -> None:
    canvases, words = expected
    manifest = parse_document((corpora / "iiif" / name).read_bytes())
    assert isinstance(manifest, Manifest)
    assert len(manifest.canvases) == canvases
    reason = refusal_reason(manifest)
    assert reason is not None
    assert words in reason


def test_not_a_manifest_is_refused(corpora: Path) -> None:
    for name, words in NOT_IIIF.items():
        with pytest.raises(ManifestNotIIIF, match="keys: test"):
            parse_document((corpora / "iiif" / name).read_bytes())
        with pytest.raises(ManifestNotIIIF) as refused:
            parse_document((corpora / "iiif" / name).read_bytes())
        assert words in str(refused.value)


@pytest.mark.parametrize(("name", "expected"), COLLECTIONS.items(), ids=list(COLLECTIONS))
def test_collection_lists_its_members(corpora: Path, name: str, expected: tuple[int, str]) -> None:
    count, first_kind = expected
    collection = parse_document((corpora / "iiif" / name).read_bytes())
    assert isinstance(collection, Collection)
    assert len(collection.members) == count
    assert collection.members[0].kind == first_kind
    assert all(member.url.startswith("http") for member in collection.members)
