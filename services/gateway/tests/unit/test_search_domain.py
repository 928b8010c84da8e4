"""The pure parts of search: languages, refusals, near words, cursors, marks and boxes."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import Box
from gateway.domain.search_lines import canvas_box, config_for, printable
from gateway.domain.search_query import (
    START,
    STOP,
    Cursor,
    InvalidQuery,
    NearWords,
    edit_distance,
    fuzzy_tsquery,
    near_words,
    parse_query,
    read_marks,
)


@pytest.mark.parametrize(
    ("codes", "config"),
    [
        (("deu",), "german"),
        (("frk",), "german"),
        (("deu+frk",), "german"),
        (("lat+deu",), "german"),
        (("fra",), "french"),
        (("fro",), "french"),
        (("eng",), "english"),
        (("lat",), "simple"),
        (("spa",), "simple"),
        ((None, "", "fra"), "french"),
        ((), "simple"),
    ],
)
def test_language_codes_choose_a_configuration(codes: tuple[str | None, ...], config: str) -> None:
    assert config_for(*codes) == config


def test_words_and_operators() -> None:
    assert parse_query("  Vernunft  Gebrauch ", 256).bare_words
    assert parse_query("Vernunft Gebrauch", 256).text == "Vernunft Gebrauch"
    for q in ['"Vernunft allein"', "Vernunft -Gebrauch", "Vernunft or Verstand"]:
        assert not parse_query(q, 256).bare_words, q
    assert parse_query("Gott-Vater orden", 256).bare_words, "hyphens and 'or…' words are words"


@pytest.mark.parametrize(
    ("q", "message"),
    [
        (None, "q is required"),
        ("", "q is required"),
        ("x" * 257, "257 characters long; at most 256"),
        ('a "b', "unbalanced double quote at position 2"),
        ("a\x7fb", "U+007F at position 1"),
        ("\ud800", "U+D800 at position 0"),
        ("?! …", "no word"),
    ],
)
def test_refusals_say_what_is_wrong(q: str | None, message: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(message)):
        parse_query(q, 256)


def test_near_words_allow_one_letter_from_five_letters_and_two_from_ten() -> None:
    lexicon = ["vernunft", "vernunst", "vernumst", "vrenunft", "verstand"]
    assert near_words("vernunft", lexicon) == ["vernunst", "vrenunft"]
    assert near_words("gott", ["gatt", "got"]) == []
    assert near_words("gartenwirthschaft", ["gartenwirtschaft", "gartenwxrtschaft"]) == [
        "gartenwirtschaft",
        "gartenwxrtschaft",
    ]


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    limit = 2
    distance = edit_distance(a, b, limit)
    assert distance == edit_distance(b, a, limit)
    assert 0 <= distance <= limit + 1
    assert (distance == 0) == (a == b)


def test_fuzzy_queries_quote_every_word() -> None:
    assert fuzzy_tsquery({"a": [], "b": []}) is None
    assert fuzzy_tsquery({"vernunst": ["vernunft"], "o'neil": []}) == (
        "('vernunst' | 'vernunft') & ('o''neil')"
    )


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    cursor = Cursor(1.0625, uuid4(), 17)
    assert Cursor.decode(cursor.encode()) == cursor
    for token in ["", "x", "bm90IGpzb24", "WzEsMl0"]:
        with pytest.raises(InvalidQuery, match="cursor"):
            Cursor.decode(token)


def test_marks_become_spans_and_escaped_html() -> None:
    snippet = read_marks(f"a {START}<b>{STOP} & {START}c{STOP}")
    assert snippet.text == "a <b> & c"
    assert snippet.matches == ["<b>", "c"]
    assert snippet.html() == "a <mark>&lt;b&gt;</mark> &amp; <mark>c</mark>"


def test_control_characters_never_reach_the_index() -> None:
    assert printable(f"a\tb{START}c\x00") == "a b c"
    assert printable(f"x{START}y{STOP}") == "x y"


sizes = st.integers(min_value=1, max_value=5000)


@given(sizes, sizes, sizes, sizes, st.data())
def test_canvas_boxes_lie_inside_the_canvas(
    image_w: int, image_h: int, canvas_w: int, canvas_h: int, data: st.DataObject
) -> None:
    x = data.draw(st.integers(0, image_w + 50))
    y = data.draw(st.integers(0, image_h + 50))
    box = Box(x=x, y=y, width=data.draw(st.integers(0, 400)), height=data.draw(st.integers(0, 400)))
    scaled = canvas_box(box, (image_w, image_h), (canvas_w, canvas_h))
    assert 0 <= scaled.x < scaled.right <= canvas_w
    assert 0 <= scaled.y < scaled.bottom <= canvas_h


def test_lines_are_read_in_order_only_for_words_on_a_good_share_of_them() -> None:
    def reads(share: float, lines: float) -> bool:
        return NearWords({}, share, lines).read_in_order(2000)

    assert reads(0.25, 3_200_000)
    assert not reads(0.01, 3_200_000)
    assert not reads(0.25, 10_000), "few lines: the index is cheap anyway"
    assert not reads(0.0, 3_200_000)
