"""SQLAlchemy models of Chartfile's core tables (the database is the source of truth).

Owns: patients and their learned aliases, the intake ledger, pages, documents,
the append-only filing history, the review queue and the audit trail table.
Feature areas with their own tables (ROI) declare them in their own modules on
the same :class:`Base`.  Keep types portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware UTC now (stored as naive UTC for portability)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base shared by every Chartfile table."""


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    family_name: Mapped[str] = mapped_column(String(120), nullable=False)
    given_name: Mapped[str] = mapped_column(String(120), nullable=False)
    middle_name: Mapped[str | None] = mapped_column(String(120))
    dob: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def display_name(self) -> str:
        middle = f" {self.middle_name}" if self.middle_name else ""
        return f"{self.family_name}, {self.given_name}{middle}"


class PatientAlias(Base):
    """A name a clerk confirmed for a patient (maiden name, nickname) — used by the matcher."""

    __tablename__ = "patient_aliases"
    __table_args__ = (UniqueConstraint("patient_id", "family_name", "given_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), nullable=False)
    family_name: Mapped[str] = mapped_column(String(120), nullable=False)
    given_name: Mapped[str] = mapped_column(String(120), nullable=False)
    source: Mapped[str] = mapped_column(String(40), default="review", nullable=False)
    created_by: Mapped[str] = mapped_column(String(80), default="system", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # the filing that taught it (0008)


class IntakeItem(Base):
    """One source file received (the intake ledger)."""

    __tablename__ = "intake_items"
    __table_args__ = (Index("ix_intake_items_sha256", "sha256"), Index("ix_intake_items_state", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    original_name: Mapped[str] = mapped_column(String(512), nullable=False)
    origin: Mapped[str] = mapped_column(String(20), default="watch", nullable=False)  # watch | ingest
    stored_path: Mapped[str | None] = mapped_column(String(1024))  # relative to the data home
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(16))  # pdf | tiff | png | jpeg
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # receiving → received → processing → processed | quarantined | duplicate
    state: Mapped[str] = mapped_column(String(20), default="receiving", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # quarantine reason a clerk can read
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("intake_items.id"))
    page_count: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the inbox file it was copied from (device:inode:size:mtime_ns) while that file is still in the inbox
    source_print: Mapped[str | None] = mapped_column(String(100))

    documents: Mapped[list[Document]] = relationship(back_populates="intake_item", order_by="Document.first_page")


class Page(Base):
    """Text of one page of a source file, with how it was obtained."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("intake_item_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_item_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # text_layer | ocr | blank | error
    confidence: Mapped[float | None] = mapped_column(Float)
    rotation: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    """A page range of a source file about one patient (or awaiting review)."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_item", "intake_item_id"),
        Index("ix_documents_patient", "patient_id"),
        Index("ix_documents_status", "status"),
        Index("ix_documents_indexed_at", "indexed_at"),  # search: finding documents to index (migration 0004_search)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_item_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"), nullable=False)
    first_page: Mapped[int] = mapped_column(Integer, nullable=False)
    last_page: Mapped[int] = mapped_column(Integer, nullable=False)
    is_cover: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # filed | review | rejected | split
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    doc_type: Mapped[str] = mapped_column(String(40), default="correspondence", nullable=False)
    doc_type_confidence: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    loinc: Mapped[str | None] = mapped_column(String(20))
    doc_date: Mapped[date | None] = mapped_column(Date)
    sender_org: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    entities_json: Mapped[str] = mapped_column(Text, default="{}", nullable=False)
    match_json: Mapped[str] = mapped_column(Text, default="{}", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime)  # null = index must (re)write it
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # parent of a split part (0008)

    intake_item: Mapped[IntakeItem] = relationship(back_populates="documents")
    patient: Mapped[Patient | None] = relationship()


class Filing(Base):
    """Append-only history of which chart a document was filed to, by whom and why."""

    __tablename__ = "filings"
    __table_args__ = (Index("ix_filings_document", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # auto | review | refile | reject | split
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(80), default="system", nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)  # filed despite named contradictions (0008)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class DocumentCorrection(Base):
    """Append-only history of a clerk's corrections of a document's type, date or sender (0008)."""

    __tablename__ = "document_corrections"
    __table_args__ = (Index("ix_document_corrections_document", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False)
    field: Mapped[str] = mapped_column(String(20), nullable=False)  # doc_type | doc_date | sender_org
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ReviewItem(Base):
    """A document waiting for a clerk, with the ranked candidates and why it was not auto-filed."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_state", "state"),
        Index("ix_review_items_document", "document_id"),  # a document's items (migration 0009)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), default="match", nullable=False)  # match | split | roi_draft
    state: Mapped[str] = mapped_column(String(20), default="open", nullable=False)  # open | resolved
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    reasons_json: Mapped[str] = mapped_column(Text, default="[]", nullable=False)
    candidates_json: Mapped[str] = mapped_column(Text, default="[]", nullable=False)
    proposed_split_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolution: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship()


# the worklist's order, urgent first, then oldest (migration 0009): a page is read in index order
Index("ix_review_items_queue", ReviewItem.state, ReviewItem.urgent.desc(), ReviewItem.created_at, ReviewItem.id)


class AuditEvent(Base):
    """One entry of the tamper-evident audit trail (append-only; hash-chained)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_ts", "ts"),
        Index("ix_audit_events_patient", "patient_mrn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    ts: Mapped[str] = mapped_column(String(32), nullable=False)  # ISO-8601 UTC with microseconds, 'Z'
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(1), nullable=False)  # C R U D E
    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    patient_mrn: Mapped[str | None] = mapped_column(String(32))
    document_ids: Mapped[str] = mapped_column(Text, default="", nullable=False)  # comma-separated; TEXT since 0003
    outcome: Mapped[str] = mapped_column(String(10), default="success", nullable=False)
    source: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    detail: Mapped[str] = mapped_column(Text, default="", nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)  # HMAC-SHA256 when key_id is set (0006)
    os_login: Mapped[str | None] = mapped_column(String(80))  # the OS account of the process
    acting_for: Mapped[str | None] = mapped_column(String(80))  # the --user named, when not the actor
    channel: Mapped[str | None] = mapped_column(String(10))  # cli | web | api | system
    role: Mapped[str | None] = mapped_column(String(20))  # the actor's role when it acted
    key_id: Mapped[str | None] = mapped_column(String(16))  # the audit key; empty = legacy SHA-256 event


class Setting(Base):
    """Small key/value facts the application keeps about itself (e.g. index schema version)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
