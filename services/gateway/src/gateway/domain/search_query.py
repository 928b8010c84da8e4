"""Search queries: what is refused and why, which words may be read with one letter wrong, the
cursor of the next page and the marked snippets PostgreSQL returns.

The query text itself goes to `websearch_to_tsquery`, which accepts any string: the checks here
exist to answer a client precisely, not to keep PostgreSQL safe (every value is a parameter).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from uuid import UUID

from contracts.errors import InvalidRequest

START, STOP = "\x02", "\x03"
"""The marks `ts_headline` puts around a match: control characters never stored in a line."""

_WORD = re.compile(r"\w", re.UNICODE)
_OPERATOR = re.compile(r'"|(?:^|\s)-\S|(?:^|\s)or(?:\s|$)', re.IGNORECASE)


class InvalidQuery(InvalidRequest):
    code = "invalid-query"


@dataclass(frozen=True)
class SearchQuery:
    text: str
    bare_words: bool
    """Only words, no phrase, exclusion or `or`: such queries also match words one letter off."""


def parse_query(raw: str | None, max_length: int) -> SearchQuery:
    if raw is None or not raw.strip():
        raise InvalidQuery("q is required and must contain a word")
    if len(raw) > max_length:
        raise InvalidQuery(f"q is {len(raw)} characters long; at most {max_length} are allowed")
    for position, char in enumerate(raw):
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidQuery(
                f"q contains the control character U+{ord(char):04X} at position {position}"
            )
    if raw.count('"') % 2:
        raise InvalidQuery(f"q has an unbalanced double quote at position {raw.rindex(chr(34))}")
    if not _WORD.search(raw):
        raise InvalidQuery("q contains no word to search for, only punctuation or symbols")
    text = raw.strip()
    return SearchQuery(text=text, bare_words=not _OPERATOR.search(text))


def allowed_edits(word: str) -> int:
    """Letters that may differ: none in short words, where one letter makes another word."""
    if len(word) < 5:
        return 0
    return 1 if len(word) < 10 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts one), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def near_words(word: str, candidates: list[str]) -> list[str]:
    """The lexicon words within the edits `word` allows, itself excluded."""
    limit = allowed_edits(word)
    if not limit:
        return []
    return [c for c in candidates if c != word and edit_distance(word, c, limit) <= limit]


@dataclass(frozen=True)
class NearWords:
    words: dict[str, list[str]]
    """Each folded query word, with the lexicon's words most like it."""
    share: float
    """The share of all lines expected to hold every word (as if independent)."""
    lines: float
    """How many lines there are (the planner's estimate)."""

    def read_in_order(self, window: int) -> bool:
        """Whether reading lines in order fills the ranking window sooner than the word index
        reads the words' posting lists: the index reads every match (share × lines, ~0.2 µs
        each), reading in order about window / share lines (~0.6 µs each, measured)."""
        if self.share <= 0:
            return False
        return self.share * self.lines * 0.2 >= window / self.share * 0.6


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def fuzzy_tsquery(words: dict[str, list[str]]) -> str | None:
    """`to_tsquery` text: every word, or one of its near words; None when no word has any."""
    if not any(words.values()):
        return None
    groups = [" | ".join(_lexeme(w) for w in [word, *near]) for word, near in words.items()]
    return " & ".join(f"({group})" for group in groups)


@dataclass(frozen=True)
class Cursor:
    score: float
    page_id: UUID
    line_no: int

    def encode(self) -> str:
        raw = json.dumps([self.score, str(self.page_id), self.line_no]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            score, page_id, line_no = json.loads(raw)
            return cls(float(score), UUID(page_id), int(line_no))
        except (ValueError, TypeError, binascii.Error) as error:
            raise InvalidQuery("cursor is not one this API returned") from error


@dataclass(frozen=True)
class Snippet:
    text: str
    """The line as searched (historical letters normalised), without marks."""
    spans: list[tuple[int, int]]
    """Where each match starts and ends in `text`."""

    @property
    def matches(self) -> list[str]:
        return [self.text[start:end] for start, end in self.spans]

    def html(self) -> str:
        parts, cursor = [], 0
        for start, end in self.spans:
            parts.append(html.escape(self.text[cursor:start]))
            parts.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            cursor = end
        parts.append(html.escape(self.text[cursor:]))
        return "".join(parts)


def read_marks(marked: str) -> Snippet:
    """The snippet of a `ts_headline` output marked with START and STOP."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length, opened = 0, None
    for char in marked:
        if char == START:
            opened = length
        elif char == STOP and opened is not None:
            spans.append((opened, length))
            opened = None
        else:
            text.append(char)
            length += 1
    return Snippet("".join(text), spans)
