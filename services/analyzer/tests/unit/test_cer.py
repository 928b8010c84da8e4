import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.application.cer import cer, normalise_text


def test_cer_counts_edits_over_the_reference_length() -> None:
    assert cer("abcd", "abxd") == 0.25
    assert cer("abcd", "abcd") == 0.0
    assert cer("ab", "") == 1.0


def test_whitespace_and_unicode_forms_do_not_count_as_errors() -> None:
    decomposed = unicodedata.normalize("NFD", "Zwoͤlftes Stuͤk")

    assert cer("Zwoͤlftes  Stuͤk\n", f" {decomposed} ") == 0.0


def test_empty_reference() -> None:
    assert cer("", "") == 0.0
    assert cer("  ", "noise") == 1.0


@given(st.text(), st.text())
def test_cer_is_zero_only_for_equal_normalised_texts(reference: str, hypothesis: str) -> None:
    value = cer(reference, hypothesis)

    assert value >= 0
    assert (value == 0) == (normalise_text(reference) == normalise_text(hypothesis))


@pytest.mark.parametrize(("reference", "hypothesis"), [("abc", "abcdef"), ("a", "xyz")])
def test_insertions_can_push_cer_past_one(reference: str, hypothesis: str) -> None:
    assert cer(reference, hypothesis) >= 1.0
