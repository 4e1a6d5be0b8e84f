"""SQLAlchemy models of the release-of-information tables.

Owns ``roi_authorizations`` (45 CFR 164.508 authorizations, drafts from
scanned forms included), ``roi_requests`` (the request log with 164.524 due
dates), ``roi_releases`` and ``roi_release_documents`` (what was sent; these
two are append-only: an ORM update or delete raises, corrections are new rows).
Types are portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from indexer.db.models import Base, Patient, utcnow
from intake.errors import RefusedError

AUTH_STATUSES = ("draft", "active")
BASIS_LABELS = {
    "authorization": "authorization",
    "individual": "patient's own access request",
    "legal": "subpoena or court order",
    "other": "other legal basis",
    "tpo": "treatment, payment or health care operations",
}
BASES = tuple(BASIS_LABELS)
CHANNELS = ("mail", "fax", "portal", "in_person", "email", "phone")
METHODS = ("mail", "fax", "portal", "pickup")
REQUEST_STATUSES = ("open", "fulfilled", "denied", "withdrawn")


def split_list(value: str | None) -> list[str]:
    """``"a,b"`` → ``["a", "b"]`` (the storage form of small lists)."""
    return [part for part in (value or "").split(",") if part]


def join_list(values: list[str] | tuple[str, ...] | set[str]) -> str:
    """Sorted, de-duplicated, comma-separated storage form of a small list."""
    return ",".join(sorted({v.strip() for v in values if v.strip()}))


class Authorization(Base):
    """A patient's authorization to disclose (active once a clerk confirmed it)."""

    __tablename__ = "roi_authorizations"
    __table_args__ = (
        Index("ix_roi_authorizations_patient", "patient_id"),
        Index("ix_roi_authorizations_source", "source_document_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False)  # draft | active
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # 164.508(c)(1) core elements
    discloser: Mapped[str | None] = mapped_column(String(200))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    doc_types: Mapped[str] = mapped_column(String(400), default="", nullable=False)  # comma list; "all"
    info_from: Mapped[date | None] = mapped_column(Date)
    info_to: Mapped[date | None] = mapped_column(Date)
    purpose: Mapped[str | None] = mapped_column(String(300))
    expires_on: Mapped[date | None] = mapped_column(Date)  # not valid on or after this date
    expiration_event: Mapped[str | None] = mapped_column(String(300))
    expiry_phrase: Mapped[str | None] = mapped_column(String(300))  # as written; source of the two above (0008)
    expiry_entered_by: Mapped[str | None] = mapped_column(String(80))  # clerk who entered the expiry (0008)
    event_occurred_on: Mapped[date | None] = mapped_column(Date)
    event_note: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signed_by_representative: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    representative_authority: Mapped[str | None] = mapped_column(String(300))
    # 164.508(c)(2) required statements
    stmt_revocation: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    stmt_conditioning: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    stmt_redisclosure: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # 164.508(b)(5) revocation (in writing; effective from the day the office received it)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    revocation_note: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    # 164.508(b)(2)(v) material information known to be false
    known_false: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    known_false_reason: Mapped[str | None] = mapped_column(Text)
    # last stored validation (always recomputed before use; see indexer.roi.validation)
    valid: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    validation_json: Mapped[str] = mapped_column(Text, default="{}", nullable=False)
    validated_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(80), default="system", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(80))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    patient: Mapped[Patient | None] = relationship()

    @property
    def doc_type_list(self) -> list[str]:
        return split_list(self.doc_types)


class Request(Base):
    """One logged request for records (who asked, for whom, on what legal basis, by when)."""

    __tablename__ = "roi_requests"
    __table_args__ = (
        Index("ix_roi_requests_patient", "patient_id"),
        Index("ix_roi_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    requester: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_address: Mapped[str | None] = mapped_column(String(300))
    basis: Mapped[str] = mapped_column(String(20), nullable=False)  # see BASES
    authorization_id: Mapped[int | None] = mapped_column(ForeignKey("roi_authorizations.id"))
    legal_reference: Mapped[str | None] = mapped_column(String(300))
    records_requested: Mapped[str] = mapped_column(Text, default="", nullable=False)
    doc_types: Mapped[str] = mapped_column(String(400), default="", nullable=False)
    info_from: Mapped[date | None] = mapped_column(Date)
    info_to: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)  # 164.524(b)(2) for access requests
    original_due_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_by: Mapped[str | None] = mapped_column(String(80))
    extended_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open", nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80), default="system", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    patient: Mapped[Patient] = relationship()

    @property
    def doc_type_list(self) -> list[str]:
        return split_list(self.doc_types)


class Release(Base):
    """What was sent, to whom, how, by whom, when and on which basis (append-only).

    ``kind`` is ``release`` for a disclosure or ``correction`` for an entry that
    supersedes an earlier one (``corrects_release_id``); a correction with
    ``voided`` set records that the earlier entry was not in fact disclosed.
    """

    __tablename__ = "roi_releases"
    __table_args__ = (
        Index("ix_roi_releases_patient", "patient_id"),
        UniqueConstraint("reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), default="release", nullable=False)
    corrects_release_id: Mapped[int | None] = mapped_column(ForeignKey("roi_releases.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    voided: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), nullable=False)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("roi_requests.id"))
    authorization_id: Mapped[int | None] = mapped_column(ForeignKey("roi_authorizations.id"))
    basis: Mapped[str] = mapped_column(String(20), nullable=False)
    legal_reference: Mapped[str | None] = mapped_column(String(300))
    recipient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_address: Mapped[str | None] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    purpose: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    page_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    packet_sha256: Mapped[str | None] = mapped_column(String(64))
    packet_path: Mapped[str | None] = mapped_column(String(1024))
    released_on: Mapped[date] = mapped_column(Date, nullable=False)
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    released_by: Mapped[str] = mapped_column(String(80), nullable=False)

    patient: Mapped[Patient] = relationship()
    documents: Mapped[list[ReleaseDocument]] = relationship(order_by="ReleaseDocument.id")


class ReleaseDocument(Base):
    """One document of a release, with its page range and type as they were when sent."""

    __tablename__ = "roi_release_documents"
    __table_args__ = (UniqueConstraint("release_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("roi_releases.id"), nullable=False)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False)
    first_page: Mapped[int] = mapped_column(Integer, nullable=False)
    last_page: Mapped[int] = mapped_column(Integer, nullable=False)
    doc_type: Mapped[str] = mapped_column(String(40), nullable=False)
    doc_date: Mapped[date | None] = mapped_column(Date)


def _refuse_update(_mapper: Any, _connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is None or session.is_modified(target, include_collections=False):
        raise RefusedError(f"{type(target).__name__} rows are immutable; record a correction instead")


def _refuse_delete(_mapper: Any, _connection: Any, target: Any) -> None:
    raise RefusedError(f"{type(target).__name__} rows are immutable; record a correction instead")


# Declarative guards on the mappers (no I/O): the ORM never flushes an UPDATE or
# DELETE of a release; a correction is a new row that references the earlier one.
for _cls in (Release, ReleaseDocument):
    event.listen(_cls, "before_update", _refuse_update)
    event.listen(_cls, "before_delete", _refuse_delete)
