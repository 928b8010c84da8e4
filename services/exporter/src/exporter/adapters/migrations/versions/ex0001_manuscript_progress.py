"""exporter: manuscript progress

Revision ID: ex0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "ex0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exporter_manuscripts",
        sa.Column("manuscript_id", UUID(as_uuid=True), primary_key=True),
        # NULL until `manuscript.imported`: before that, nobody knows how many pages to expect.
        sa.Column("imported_pages", sa.Integer),
        sa.Column("registered_pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("terminal_pages", sa.Integer, nullable=False, server_default="0"),
        # The latest page event that changed what the export would contain.
        sa.Column("last_change", UUID(as_uuid=True)),
        sa.Column("exported", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("up_to_date", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "exporter_manuscripts_pending",
        "exporter_manuscripts",
        ["manuscript_id"],
        postgresql_where=sa.text("NOT up_to_date"),
    )
    op.create_table(
        "exporter_pages",
        sa.Column("page_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("manuscript_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("exporter_pages")
    op.drop_table("exporter_manuscripts")
