from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from exporter.domain.xmltext import IdAllocator, TextCleaner, xml_language


def test_cleaner_drops_what_xml_1_0_forbids_and_counts_it() -> None:
    clean = TextCleaner()
    assert clean("a\x00b\x07c\ufffed\ud800e") == "abcde"
    assert clean("tab\tnew\nline\r") == "tab\tnew\nline\r"
    assert clean.dropped == 4


def test_cleaner_keeps_combining_marks_and_astral_characters() -> None:
    clean = TextCleaner()
    text = "Cafe\u0301 \U0001d49c \u05e9\u05c1"
    assert clean(text) == text
    assert clean.dropped == 0


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_cleaned_text_always_fits_in_an_xml_element(text: str) -> None:
    element = etree.Element("t")
    element.text = TextCleaner()(text)  # lxml raises ValueError on any XML-incompatible text


def test_ids_become_unique_ncnames() -> None:
    ids = IdAllocator()
    assert ids("line 1") == "line_1"
    assert ids("line_1") == "line_1_2"
    assert ids("1") == "id_1"
    assert ids("") == "id_"
    assert ids("région") == "r_gion"


@given(st.lists(st.text(), max_size=20))
def test_allocated_ids_are_valid_xsd_ids(raws: list[str]) -> None:
    ids = IdAllocator()
    allocated = [ids(raw) for raw in raws]
    assert len(set(allocated)) == len(allocated)
    for value in allocated:
        assert etree.Element(value).tag == value  # lxml rejects any name that is not an NCName


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("en-GB", "en-GB"),
        ("Latin", "Latin"),
        ("fr_FR", None),
        ("", None),
        (None, None),
        ("abcdefghi", None),
    ],
)
def test_language_codes_pass_only_when_they_are_xsd_languages(
    code: str | None, expected: str | None
) -> None:
    assert xml_language(code) == expected
