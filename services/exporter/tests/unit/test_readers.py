from __future__ import annotations

import pytest

from contracts import Box, RegionType
from contracts.errors import InvalidDocument
from exporter.formats.alto_reader import read_alto
from exporter.formats.page_reader import read_page

ALTO_V3 = b"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <OCRProcessing ID="o"><ocrProcessingStep>
      <processingDateTime>2020-02-02T10:00:00</processingDateTime>
      <processingSoftware><softwareName>tesseract</softwareName><softwareVersion>4.1</softwareVersion>
      </processingSoftware></ocrProcessingStep></OCRProcessing></Description>
  <Layout><Page ID="p" PHYSICAL_IMG_NR="1" WIDTH="800.4" HEIGHT="600">
    <PrintSpace HPOS="0" VPOS="0" WIDTH="800" HEIGHT="600">
      <ComposedBlock ID="cb" HPOS="10" VPOS="10" WIDTH="500" HEIGHT="100">
        <TextBlock ID="b1" HPOS="10" VPOS="10" WIDTH="500" HEIGHT="50">
          <TextLine ID="t1" HPOS="10" VPOS="10" WIDTH="300" HEIGHT="40" BASELINE="45">
            <String ID="s1" CONTENT="Hello" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="40" WC="0.5"/>
            <SP WIDTH="10" HPOS="110" VPOS="10"/>
            <String ID="s2" CONTENT="world" HPOS="120" VPOS="10" WIDTH="100" HEIGHT="40"/>
            <String ID="s3" CONTENT="!" HPOS="220" VPOS="10" WIDTH="10" HEIGHT="40"/>
          </TextLine>
        </TextBlock>
      </ComposedBlock>
      <Illustration ID="i1" HPOS="600" VPOS="10" WIDTH="100" HEIGHT="100"/>
    </PrintSpace>
  </Page></Layout>
</alto>"""

PAGE_2013 = b"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
  <Metadata><Creator>Transkribus</Creator><Created>2016-01-01T00:00:00</Created>
    <LastChange>2016-01-01T00:00:00</LastChange></Metadata>
  <Page imageFilename="x.jpg" imageWidth="100" imageHeight="200">
    <ReadingOrder><OrderedGroup id="g">
      <RegionRefIndexed index="1" regionRef="r1"/><RegionRefIndexed index="0" regionRef="r2"/>
    </OrderedGroup></ReadingOrder>
    <TextRegion id="r1" custom="structure {type:marginalia;}"><Coords points="0,0 10,0 10,10 0,10"/>
      <TextLine id="l1"><Coords points="1,1 9,1 9,9 1,9"/><Baseline points="1,8 9,8"/>
        <TextEquiv index="1"><Unicode>second choice</Unicode></TextEquiv>
        <TextEquiv index="0" conf="0.7"><Unicode>first choice</Unicode></TextEquiv>
      </TextLine></TextRegion>
    <GraphicRegion id="r2" type="decoration"><Coords points="20,20 40,20 40,40"/></GraphicRegion>
  </Page>
</PcGts>"""


def test_alto_v3_reads_composed_blocks_spaces_and_old_baselines() -> None:
    analysis = read_alto(ALTO_V3)
    assert (analysis.image.width, analysis.image.height) == (800, 600)
    assert [(r.id, r.type, r.parent_id) for r in analysis.regions] == [
        ("cb", RegionType.OTHER, None),
        ("b1", RegionType.TEXT, "cb"),
        ("i1", RegionType.ILLUSTRATION, None),
    ]
    (line,) = analysis.lines()
    assert line.text == "Hello world!"
    assert line.baseline == [(10, 45), (310, 45)]
    assert [w.confidence for w in line.words] == [0.5, None, None]
    assert (analysis.engine.name, analysis.engine.version) == ("tesseract", "4.1")
    assert analysis.created_at.year == 2020


def test_page_2013_reads_order_custom_types_and_the_preferred_text() -> None:
    analysis = read_page(PAGE_2013)
    assert analysis.reading_order == ["r2", "r1"]
    assert [r.type for r in analysis.ordered_regions()] == [
        RegionType.DECORATION,
        RegionType.MARGINALIA,
    ]
    (line,) = analysis.lines()
    assert (line.text, line.confidence) == ("first choice", 0.7)
    assert line.bbox == Box(x=1, y=1, width=8, height=8)
    assert analysis.engine.name == "Transkribus"


@pytest.mark.parametrize(
    ("reader", "content", "message"),
    [
        (read_alto, PAGE_2013, "not an ALTO"),
        (read_page, ALTO_V3, "not a PAGE"),
        (read_alto, ALTO_V3.replace(b">pixel<", b">mm10<"), "only pixel"),
        (read_page, PAGE_2013.replace(b'imageWidth="100"', b'imageWidth="0"'), "imageWidth"),
    ],
)
def test_documents_that_cannot_become_an_analysis_are_refused(
    reader: object, content: bytes, message: str
) -> None:
    with pytest.raises(InvalidDocument, match=message):
        reader(content)  # type: ignore[operator]
