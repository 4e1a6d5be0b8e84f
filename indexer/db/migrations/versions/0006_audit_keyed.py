"""audit: keyed events (HMAC key id) and who acted (OS login, acting for, channel, role)

Revision ID: 0006_audit_keyed
Revises: 0004_search
Create Date: 2026-11-24

Events written from now on are authenticated with HMAC-SHA256 under the audit
key kept outside the data home (``key_id`` names it; earlier events keep plain
SHA-256 and an empty ``key_id``).  Plain ``ADD COLUMN`` on both SQLite and
PostgreSQL: the table is not rebuilt, so the append-only triggers of 0003 stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_keyed"
down_revision = "0005_users"
branch_labels = None
depends_on = None

COLUMNS = (
    ("os_login", 80),
    ("acting_for", 80),
    ("channel", 10),
    ("role", 20),
    ("key_id", 16),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("audit_events")}
    for name, length in COLUMNS:
        if name not in present:  # a home re-stamped from the old multi-head history may have them
            op.add_column("audit_events", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column without rebuilding the table, so the 0003 triggers survive here too.
    for name, _length in reversed(COLUMNS):
        op.drop_column("audit_events", name)
