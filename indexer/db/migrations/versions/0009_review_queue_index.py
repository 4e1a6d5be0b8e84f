"""review queue indexes: the worklist's order, and a document's review items

Revision ID: 0009_review_queue_index
Revises: 0008_clerk_actions
Create Date: 2026-12-03

Issue 17 (web load).  ``ix_review_items_queue`` (state, urgent DESC,
created_at, id) is the worklist's order, so a page of the queue and the next
item are read in index order instead of sorting every open item per request;
``ix_review_items_document`` finds a document's review items (the document
page's "open in the review queue" link, ``D9`` references) without scanning
the open ones.  Portable SQL only (DESC index columns exist in SQLite and
PostgreSQL).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_review_queue_index"
down_revision = "0008_clerk_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_review_items_queue", "review_items",
                    ["state", sa.text("urgent DESC"), "created_at", "id"], unique=False)
    op.create_index("ix_review_items_document", "review_items", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_review_items_document", table_name="review_items")
    op.drop_index("ix_review_items_queue", table_name="review_items")
