"""gateway: named API keys with expiry, revocation and last use; rate-limit windows

Revision ID: gw0003
Revises: gw0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from infra.eventstore.postgres import ORDINAL_BITS

revision = "gw0003"
down_revision = "gw0002"
branch_labels = None
depends_on = None

# Keys made before keys had names get one, and their `api_key.created` event, so that every
# key in the table is a fold of the log (the event store is migrated before the gateway).
_RECORD_EARLIER_KEYS = f"""
INSERT INTO events (position, event_id, stream_id, stream_version, type, schema_version,
                    data, metadata, recorded_at)
SELECT (pg_current_xact_id()::text::bigint << {ORDINAL_BITS})
           | (row_number() OVER (ORDER BY created_at, key_id) - 1),
       gen_random_uuid(), 'api_key-' || key_id, 1, 'api_key.created', 1,
       jsonb_build_object('key_id', key_id, 'name', name, 'scopes', to_jsonb(scopes),
                          'corpora', to_jsonb(corpora), 'expires_at', NULL::text,
                          'key_hash', key_hash),
       '{{"correlation_id": null, "causation_id": null, "actor": "migration", "trace": {{}}}}',
       created_at
FROM gw_api_keys
"""


def _when(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True))


def upgrade() -> None:
    op.add_column("gw_api_keys", sa.Column("name", sa.Text, nullable=False, server_default=""))
    op.add_column("gw_api_keys", _when("expires_at"))
    op.add_column("gw_api_keys", _when("revoked_at"))
    op.add_column("gw_api_keys", _when("last_used_at"))
    op.add_column("gw_api_keys", sa.Column("created_by", sa.Text))
    op.add_column(
        "gw_api_keys", sa.Column("version", sa.Integer, nullable=False, server_default="0")
    )
    op.execute("UPDATE gw_api_keys SET name = 'unnamed ' || key_id, created_by = 'migration'")
    op.execute(_RECORD_EARLIER_KEYS)
    op.execute("UPDATE gw_api_keys SET version = 1")
    op.alter_column("gw_api_keys", "name", server_default=None)
    op.create_index("gw_api_keys_created", "gw_api_keys", ["created_at"])
    # One row per key and window, counted by every replica with one upsert. Unlogged: losing
    # the counts in a crash only forgives a window, and it saves the WAL of a write a request.
    op.execute(
        """
        CREATE UNLOGGED TABLE gw_rate_windows (
            key_id text NOT NULL,
            window_start timestamptz NOT NULL,
            requests integer NOT NULL,
            PRIMARY KEY (key_id, window_start)
        )
        """
    )
    op.create_index("gw_rate_windows_start", "gw_rate_windows", ["window_start"])


def downgrade() -> None:
    op.drop_table("gw_rate_windows")
    op.drop_index("gw_api_keys_created", "gw_api_keys")
    for column in ("version", "created_by", "last_used_at", "revoked_at", "expires_at", "name"):
        op.drop_column("gw_api_keys", column)
