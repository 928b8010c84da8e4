import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.application.cer import (
    cer,
    character_errors,
    characters,
    normalize_text,
    wer,
    word_errors,
    words,
)


def test_cer_counts_edits_over_the_reference_length() -> None:
    assert cer("abcd", "abxd") == 0.25
    assert cer("abcd", "abcd") == 0.0
    assert cer("ab", "") == 1.0


def test_a_letter_with_its_combining_marks_is_one_character() -> None:
    # "y̆" is two code points and one grapheme cluster: one substitution, not two.
    assert characters("ay̆b") == ["a", "y̆", "b"]
    assert character_errors("ay̆b", "ayb") == character_errors("ay̆b", "axb")
    assert cer("ay̆b", "axb") == pytest.approx(1 / 3)


def test_unicode_forms_ligatures_and_ocr_d_equivalences_are_not_errors() -> None:
    decomposed = unicodedata.normalize("NFD", "Zwölftes Stük")
    assert cer("Zwölftes Stük", decomposed) == 0.0
    # Ligatures are unjoined; a combining small e over a vowel is its umlaut; dashes are one.
    assert cer("ﬁnden", "finden") == 0.0
    assert cer("Zwo\u0364lftes", "Zwölftes") == 0.0
    assert cer("a — b", "a – b") == 0.0


def test_whitespace_and_line_breaks_count_as_ocr_d_counts_them() -> None:
    # dinglehopper does not collapse whitespace: a line break read as a space is an error.
    assert cer("ab\ncd", "ab cd") == pytest.approx(1 / 5)
    assert cer("ab cd", "ab  cd") == pytest.approx(1 / 5)


def test_words_leave_out_punctuation_and_spaces() -> None:
    assert words("„Wer iſt die Jungfer?“ — 13 —") == ["Wer", "iſt", "die", "Jungfer", "13"]
    assert wer("Wer iſt die Jungfer?", "Wer ist die Jungfer") == 0.25
    assert word_errors("a b c d", "a x c").distance == 2


def test_empty_reference() -> None:
    assert cer("", "") == 0.0
    assert cer("", "noise") == 1.0
    assert character_errors("", "noise").rate is None
    assert wer("", "") == 0.0


@given(st.text(), st.text())
def test_cer_is_zero_only_for_equal_normalized_texts(reference: str, hypothesis: str) -> None:
    value = cer(reference, hypothesis)

    assert value >= 0
    assert (value == 0) == (characters(reference) == characters(hypothesis))


@given(st.text())
def test_normalizing_twice_changes_nothing_more(text: str) -> None:
    once = normalize_text(text)
    assert characters(once) == characters(text)


@pytest.mark.parametrize(("reference", "hypothesis"), [("abc", "abcdef"), ("a", "xyz")])
def test_insertions_can_push_cer_past_one(reference: str, hypothesis: str) -> None:
    assert cer(reference, hypothesis) >= 1.0
