"""gateway: read models and API keys

Revision ID: gw0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "gw0001"
down_revision = None
branch_labels = None
depends_on = None


def _uuid(name: str, **kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UUID(as_uuid=True), **kwargs)  # type: ignore[arg-type]


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "gw_corpora",
        _uuid("corpus_id", primary_key=True),
        sa.Column("slug", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "gw_manuscripts",
        _uuid("manuscript_id", primary_key=True),
        _uuid("corpus_id", nullable=False),
        _uuid("job_id"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("source_kind", sa.Text, nullable=False),
        _when("created_at", nullable=False),
        sa.Column("label", sa.Text),
        sa.Column("page_count", sa.Integer),
        sa.Column("manifest_id", sa.Text),
        sa.Column("formats", JSONB, nullable=False),
        sa.Column("error", JSONB),
    )
    op.create_index("gw_manuscripts_corpus", "gw_manuscripts", ["corpus_id", "created_at"])
    op.create_table(
        "gw_pages",
        _uuid("page_id", primary_key=True),
        _uuid("manuscript_id", nullable=False),
        _uuid("corpus_id", nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _when("updated_at", nullable=False),
        _uuid("job_id"),
        sa.Column("label", sa.Text),
        sa.Column("engine", sa.Text),
        sa.Column("confidence", sa.Float),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("images", JSONB, nullable=False),
        sa.Column("analysis", JSONB),
        sa.Column("formats", JSONB, nullable=False),
        sa.Column("last_error", JSONB),
    )
    op.create_index("gw_pages_manuscript", "gw_pages", ["manuscript_id", "index"])
    op.create_index("gw_pages_corpus", "gw_pages", ["corpus_id"])
    op.create_table(
        "gw_jobs",
        _uuid("job_id", primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("plan", JSONB, nullable=False),
        _when("created_at", nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _uuid("corpus_id"),
        _uuid("manuscript_id"),
        sa.Column("expected_pages", sa.Integer),
        _when("started_at"),
        _when("finished_at"),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("import_error", sa.Text),
        sa.Column("counts", JSONB, nullable=False),
        sa.Column("summary", JSONB),
        sa.Column("completion_due", sa.Boolean, nullable=False),
    )
    op.create_index("gw_jobs_created", "gw_jobs", ["created_at"])
    op.create_index(
        "gw_jobs_completion_due", "gw_jobs", ["job_id"], postgresql_where=sa.text("completion_due")
    )
    op.create_table(
        "gw_job_pages",
        _uuid("job_id", nullable=False),
        _uuid("page_id", nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
        sa.Column("failure_stage", sa.Text),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("job_id", "page_id"),
    )
    op.create_table(
        "gw_api_keys",
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("key_id", sa.Text, nullable=False, unique=True),
        sa.Column("scopes", ARRAY(sa.Text), nullable=False),
        sa.Column("corpora", ARRAY(UUID(as_uuid=True))),
        _when("created_at", nullable=False),
    )


def downgrade() -> None:
    for table in ("gw_api_keys", "gw_job_pages", "gw_jobs", "gw_pages", "gw_manuscripts"):
        op.drop_table(table)
    op.drop_table("gw_corpora")
