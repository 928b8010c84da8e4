"""ingest: watched manifests

Revision ID: in0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "in0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_watched_manifests",
        sa.Column("manuscript_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("corpus_id", UUID(as_uuid=True), nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("canvas_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("next_index", sa.Integer, nullable=False, server_default="0"),
        # NULL until the first import has registered its pages: nothing to compare with before.
        sa.Column("next_check_at", sa.DateTime(timezone=True)),
        sa.Column("last_checked_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "ingest_watched_manifests_due",
        "ingest_watched_manifests",
        ["next_check_at"],
        postgresql_where=sa.text("next_check_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("ingest_watched_manifests")
