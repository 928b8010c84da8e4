"""gateway: full-text search over the exported lines

Revision ID: gw0004
Revises: gw0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "gw0004"
down_revision = "gw0003"
branch_labels = None
depends_on = None

# Per-language configurations that fold accents (`unaccent` as a filtering dictionary) before
# stemming; Latin and unknown languages get `simple` (no stemming, no stop words).
_CONFIGS = {
    "german": "german_stem",
    "french": "french_stem",
    "english": "english_stem",
    "simple": "simple",
}

# Historical spellings PostgreSQL leaves alone: a combining small e above a vowel is the old
# umlaut (DTA's "uͤ" for "ü"), r rotunda and the Latin alpha are plain letters; combining marks
# that compose with nothing (abbreviation tildes, overlines) are dropped so the word stays whole.
_SEARCH_TEXT = r"""
CREATE FUNCTION recto_search_text(line text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(
    normalize(
      translate(
        replace(replace(replace(replace(replace(replace(line,
          U&'a\0364', U&'\00e4'), U&'o\0364', U&'\00f6'), U&'u\0364', U&'\00fc'),
          U&'A\0364', U&'\00c4'), U&'O\0364', U&'\00d6'), U&'U\0364', U&'\00dc'),
        U&'\a75b\0251', 'ra'),
      NFC),
    U&'[\0300-\036f]', '', 'g')
$$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, dictionary in _CONFIGS.items():
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION recto_{name} (COPY = pg_catalog.{name})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION recto_{name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {dictionary}"
        )
    op.execute(_SEARCH_TEXT)
    op.execute(
        """
        CREATE TABLE gw_search_pages (
            page_id uuid PRIMARY KEY,
            manuscript_id uuid NOT NULL,
            corpus_id uuid NOT NULL,
            canvas_id text,
            canvas_width integer,
            canvas_height integer,
            analysis_sha256 text,
            exported_at timestamptz,
            index_error text
        )
        """
    )
    op.execute(
        """
        CREATE TABLE gw_search_lines (
            page_id uuid NOT NULL,
            line_no integer NOT NULL,
            manuscript_id uuid NOT NULL,
            corpus_id uuid NOT NULL,
            line_id text NOT NULL,
            region_id text NOT NULL,
            text text NOT NULL,
            language text,
            config text NOT NULL,
            x integer NOT NULL,
            y integer NOT NULL,
            w integer NOT NULL,
            h integer NOT NULL,
            image_width integer NOT NULL,
            image_height integer NOT NULL,
            canvas_width integer NOT NULL,
            canvas_height integer NOT NULL,
            recorded_at timestamptz NOT NULL,
            tsv tsvector NOT NULL,
            PRIMARY KEY (page_id, line_no)
        )
        """
    )
    op.execute("CREATE INDEX gw_search_lines_tsv ON gw_search_lines USING gin (tsv)")
    op.execute("CREATE INDEX gw_search_lines_manuscript ON gw_search_lines (manuscript_id)")
    op.execute("CREATE INDEX gw_search_lines_corpus ON gw_search_lines (corpus_id)")
    # The lexicon: every distinct folded word and how many lines hold it. Typo tolerance looks
    # words up here by trigram similarity; autocomplete by prefix.
    op.execute(
        """
        CREATE TABLE gw_search_terms (
            term text PRIMARY KEY,
            lines integer NOT NULL CHECK (lines > 0)
        )
        """
    )
    op.execute(
        "CREATE INDEX gw_search_terms_trigrams ON gw_search_terms USING gin (term gin_trgm_ops)"
    )
    op.execute("CREATE INDEX gw_search_terms_prefix ON gw_search_terms (term text_pattern_ops)")


def downgrade() -> None:
    for table in ("gw_search_terms", "gw_search_lines", "gw_search_pages"):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP FUNCTION recto_search_text(text)")
    for name in _CONFIGS:
        op.execute(f"DROP TEXT SEARCH CONFIGURATION recto_{name}")
