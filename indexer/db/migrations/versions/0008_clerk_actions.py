"""clerk actions: expiry phrase, alias provenance, filing overrides, split lineage, document corrections

Revision ID: 0008_clerk_actions
Revises: 0004_search
Create Date: 2026-12-03

Issue 18.  ``roi_authorizations.expiry_phrase`` keeps the expiry as written
("one year from the date signed") and ``expiry_entered_by`` who entered it;
authorizations a clerk added by hand count as entered by their creator.
``patient_aliases.document_id`` names the filing that taught an alias,
``filings.override_reason`` why a clerk filed despite contradictions,
``documents.split_from_id`` the parent of a split part, and
``document_corrections`` keeps every correction of type, date or sender.
Portable SQL only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_clerk_actions"
down_revision = "0006_audit_keyed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roi_authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expiry_phrase", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("expiry_entered_by", sa.String(length=80), nullable=True))
    op.execute("UPDATE roi_authorizations SET expiry_entered_by = created_by "
               "WHERE created_by <> 'system' AND (expires_on IS NOT NULL OR expiration_event IS NOT NULL)")
    with op.batch_alter_table("patient_aliases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_patient_aliases_document", "documents", ["document_id"], ["id"])
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_documents_split_from", "documents", ["split_from_id"], ["id"])
    op.create_table(
        "document_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_corrections", schema=None) as batch_op:
        batch_op.create_index("ix_document_corrections_document", ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_document_corrections_document")
    op.drop_table("document_corrections")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_documents_split_from", type_="foreignkey")
        batch_op.drop_column("split_from_id")
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
    with op.batch_alter_table("patient_aliases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_patient_aliases_document", type_="foreignkey")
        batch_op.drop_column("document_id")
    with op.batch_alter_table("roi_authorizations", schema=None) as batch_op:
        batch_op.drop_column("expiry_entered_by")
        batch_op.drop_column("expiry_phrase")
