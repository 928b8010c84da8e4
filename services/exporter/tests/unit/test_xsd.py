from __future__ import annotations

import pytest

from contracts import PageAnalysis
from contracts.errors import InvalidDocument
from exporter.formats import xsd
from exporter.formats.alto_writer import write_alto
from exporter.formats.page_writer import write_page


def test_an_invalid_alto_raises_with_the_validators_message(analysis: PageAnalysis) -> None:
    broken = write_alto(analysis).content.replace(b'WIDTH="2000"', b'WIDTH="wide"', 1)
    with pytest.raises(InvalidDocument, match=r"ALTO document is invalid: line \d+: .*WIDTH"):
        xsd.validate(xsd.Schema.ALTO, broken)


def test_a_page_document_is_not_an_alto_document(analysis: PageAnalysis) -> None:
    with pytest.raises(InvalidDocument, match="ALTO document is invalid"):
        xsd.validate(xsd.Schema.ALTO, write_page(analysis).content)


def test_malformed_xml_is_reported_as_such() -> None:
    with pytest.raises(InvalidDocument, match="not well-formed"):
        xsd.validate(xsd.Schema.PAGE, b"<PcGts>")


def test_schemas_are_the_shipped_files_and_load_offline() -> None:
    # The parser refuses the network, so loading proves the XLink import resolves locally.
    for schema in xsd.Schema:
        assert (xsd.SCHEMAS / schema.value).is_file()
        xsd.validate(schema, _minimal[schema])


_minimal = {
    xsd.Schema.ALTO: b'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout>'
    b'<Page ID="p" PHYSICAL_IMG_NR="1"/></Layout></alto>',
    xsd.Schema.PAGE: b'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/'
    b'2019-07-15"><Metadata><Creator/><Created>2024-01-01T00:00:00</Created><LastChange>'
    b'2024-01-01T00:00:00</LastChange></Metadata><Page imageFilename="a" imageWidth="1" '
    b'imageHeight="1"/></PcGts>',
    xsd.Schema.METS: b'<mets xmlns="http://www.loc.gov/METS/"><structMap><div/></structMap></mets>',
}
