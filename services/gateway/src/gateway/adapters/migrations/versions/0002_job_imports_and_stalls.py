"""gateway: imports pending per job; unsettled pages by last update, for the sweeper

Revision ID: gw0002
Revises: gw0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "gw0002"
down_revision = "gw0001"
branch_labels = None
depends_on = None

UNSETTLED = "status NOT IN ('exported', 'failed', 'skipped')"


def upgrade() -> None:
    op.add_column(
        "gw_jobs",
        sa.Column("imports_pending", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "gw_pages_unsettled", "gw_pages", ["updated_at"], postgresql_where=sa.text(UNSETTLED)
    )


def downgrade() -> None:
    op.drop_index("gw_pages_unsettled", table_name="gw_pages")
    op.drop_column("gw_jobs", "imports_pending")
