"""release of information: authorizations, requests, releases, released documents

Revision ID: 0002_roi
Revises: 0001
Create Date: 2026-11-23

Tables of ``indexer.roi.models``.  ``roi_releases`` and
``roi_release_documents`` are append-only (the ORM refuses updates and
deletes; corrections are new rows).  Portable SQL only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_roi"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roi_authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('source_document_id', sa.Integer(), nullable=True),
    sa.Column('discloser', sa.String(length=200), nullable=True),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('recipient_address', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('doc_types', sa.String(length=400), nullable=False),
    sa.Column('info_from', sa.Date(), nullable=True),
    sa.Column('info_to', sa.Date(), nullable=True),
    sa.Column('purpose', sa.String(length=300), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('expiration_event', sa.String(length=300), nullable=True),
    sa.Column('event_occurred_on', sa.Date(), nullable=True),
    sa.Column('event_note', sa.Text(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('signer_name', sa.String(length=200), nullable=True),
    sa.Column('signed_by_representative', sa.Boolean(), nullable=False),
    sa.Column('representative_authority', sa.String(length=300), nullable=True),
    sa.Column('stmt_revocation', sa.Boolean(), nullable=False),
    sa.Column('stmt_conditioning', sa.Boolean(), nullable=False),
    sa.Column('stmt_redisclosure', sa.Boolean(), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('revocation_document_id', sa.Integer(), nullable=True),
    sa.Column('revocation_note', sa.Text(), nullable=True),
    sa.Column('revoked_by', sa.String(length=80), nullable=True),
    sa.Column('known_false', sa.Boolean(), nullable=False),
    sa.Column('known_false_reason', sa.Text(), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('validation_json', sa.Text(), nullable=False),
    sa.Column('validated_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_by', sa.String(length=80), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.ForeignKeyConstraint(['revocation_document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['source_document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('roi_authorizations', schema=None) as batch_op:
        batch_op.create_index('ix_roi_authorizations_patient', ['patient_id'], unique=False)
        batch_op.create_index('ix_roi_authorizations_source', ['source_document_id'], unique=False)

    op.create_table('roi_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('requester', sa.String(length=200), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=False),
    sa.Column('recipient_address', sa.String(length=300), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('authorization_id', sa.Integer(), nullable=True),
    sa.Column('legal_reference', sa.String(length=300), nullable=True),
    sa.Column('records_requested', sa.Text(), nullable=False),
    sa.Column('doc_types', sa.String(length=400), nullable=False),
    sa.Column('info_from', sa.Date(), nullable=True),
    sa.Column('info_to', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('original_due_on', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('extended_by', sa.String(length=80), nullable=True),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['roi_authorizations.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('roi_requests', schema=None) as batch_op:
        batch_op.create_index('ix_roi_requests_patient', ['patient_id'], unique=False)
        batch_op.create_index('ix_roi_requests_status', ['status'], unique=False)

    op.create_table('roi_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('corrects_release_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('authorization_id', sa.Integer(), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('legal_reference', sa.String(length=300), nullable=True),
    sa.Column('recipient_name', sa.String(length=200), nullable=False),
    sa.Column('recipient_address', sa.String(length=300), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('packet_sha256', sa.String(length=64), nullable=True),
    sa.Column('packet_path', sa.String(length=1024), nullable=True),
    sa.Column('released_on', sa.Date(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=False),
    sa.Column('released_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['roi_authorizations.id'], ),
    sa.ForeignKeyConstraint(['corrects_release_id'], ['roi_releases.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['roi_requests.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('roi_releases', schema=None) as batch_op:
        batch_op.create_index('ix_roi_releases_patient', ['patient_id'], unique=False)

    op.create_table('roi_release_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('first_page', sa.Integer(), nullable=False),
    sa.Column('last_page', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=40), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['release_id'], ['roi_releases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('release_id', 'document_id')
    )
    # audit_events.document_ids -> TEXT is done by revision 0003 (audit), which must rebuild the
    # table before it adds the append-only triggers; a rebuild here would silently drop them.



def downgrade() -> None:
    op.drop_table('roi_release_documents')
    with op.batch_alter_table('roi_releases', schema=None) as batch_op:
        batch_op.drop_index('ix_roi_releases_patient')

    op.drop_table('roi_releases')
    with op.batch_alter_table('roi_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_roi_requests_status')
        batch_op.drop_index('ix_roi_requests_patient')

    op.drop_table('roi_requests')
    with op.batch_alter_table('roi_authorizations', schema=None) as batch_op:
        batch_op.drop_index('ix_roi_authorizations_source')
        batch_op.drop_index('ix_roi_authorizations_patient')

    op.drop_table('roi_authorizations')
