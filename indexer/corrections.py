"""A clerk's corrections of what extraction got wrong about a document: its type, date or sender.

Owns the rules of ``documents correct``: a reason is required, values are
checked (a known document type, a date that is not in the future, a sender
name), each changed field is kept in the append-only ``document_corrections``
history with the old and new value, the document is marked pending for the
search index, and one audit event records which fields changed.  A document
corrected *to* an ROI authorization becomes a draft authorization for the ROI
clerk, as if it had been read that way.  Extraction learns nothing from a
correction: no rule, alias or vocabulary changes behind the clerk's back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import Document, DocumentCorrection, Patient, ReviewItem
from indexer.roi.drafts import draft_from_document, page_texts_for, review_reasons
from intake.doctype import DOC_TYPES, load_rules
from intake.errors import InputError, NotFoundError, RefusedError
from intake.model import Entities

log = logging.getLogger(__name__)
OLDEST = date(1900, 1, 1)


class Correctable(StrEnum):
    """Fields of a document a clerk may correct (values are the column names)."""

    TYPE = "doc_type"
    DATE = "doc_date"
    SENDER = "sender_org"


@dataclass(frozen=True)
class CorrectionRequest:
    """What the clerk asks to change (``None`` = leave as is) and why."""

    reason: str
    doc_type: str | None = None
    doc_date: date | None = None
    sender: str | None = None


@dataclass(frozen=True)
class Change:
    """One corrected field with its value before and after (ISO text for dates)."""

    field: Correctable
    old: str | None
    new: str | None


@dataclass
class CorrectionResult:
    """What ``correct`` did, for the front end to report."""

    document_id: int
    changes: list[Change] = field(default_factory=list)
    draft_authorization_id: int | None = None

    @property
    def message(self) -> str:
        parts = [f"{c.field.value} {c.old or '-'} -> {c.new or '-'}" for c in self.changes]
        extra = (f"; draft authorization #{self.draft_authorization_id} waits for the ROI clerk"
                 if self.draft_authorization_id else "")
        return f"Document {self.document_id} corrected: {', '.join(parts)}{extra}."


def _wanted(req: CorrectionRequest, today: date) -> dict[Correctable, str | None]:
    """The requested values as stored text, validated."""
    if not req.reason.strip():
        raise InputError("a reason is required to correct a document", hint="--reason 'what was wrong'")
    wanted: dict[Correctable, str | None] = {}
    if req.doc_type is not None:
        doc_type = req.doc_type.strip().lower()
        if doc_type not in DOC_TYPES:
            raise InputError(f"unknown document type {req.doc_type!r}", hint="types: " + ", ".join(DOC_TYPES))
        wanted[Correctable.TYPE] = doc_type
    if req.doc_date is not None:
        if not OLDEST <= req.doc_date <= today:
            raise InputError(f"document date {req.doc_date.isoformat()} is in the future or before 1900",
                             hint="give the date written on the document, YYYY-MM-DD")
        wanted[Correctable.DATE] = req.doc_date.isoformat()
    if req.sender is not None:
        sender = " ".join(req.sender.split())
        if not sender or len(sender) > 200:
            raise InputError("the sender must be 1 to 200 characters")
        wanted[Correctable.SENDER] = sender
    if not wanted:
        raise InputError("nothing to correct", hint="give --type, --date and/or --sender")
    return wanted


def _current(doc: Document, name: Correctable) -> str | None:
    value = getattr(doc, name.value)
    return value.isoformat() if isinstance(value, date) else value


def _set(doc: Document, name: Correctable, value: str | None) -> None:
    if name is Correctable.DATE:
        doc.doc_date = date.fromisoformat(value) if value else None
    elif name is Correctable.TYPE:
        doc.doc_type = value or "correspondence"
        doc.doc_type_confidence = 1.0  # a person said so
        doc.loinc = load_rules().loinc(doc.doc_type)
    else:
        doc.sender_org = value


def _draft_if_authorization(s: Session, doc: Document, today: date) -> int | None:
    """A document corrected to an ROI authorization gets the draft an ROI clerk confirms."""
    if doc.doc_type != "roi_authorization":
        return None
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    draft = draft_from_document(s, doc, entities, page_texts_for(s, doc), today)
    if draft is None:
        return None
    s.add(ReviewItem(document_id=doc.id, kind="roi_draft", urgent=False,
                     reasons_json=json.dumps(review_reasons(draft))))
    return draft.id


def correct(s: Session, document_id: int, req: CorrectionRequest, *, actor: str, today: date) -> CorrectionResult:
    """Correct a document's type, date and/or sender (audited, history kept, index marked pending)."""
    doc = s.get(Document, document_id)
    if doc is None:
        raise NotFoundError(f"no document {document_id}")
    if doc.status == "split":
        raise RefusedError(f"document {document_id} was split into parts",
                           hint="correct the parts (chartfile documents show / search list them)")
    wanted = _wanted(req, today)
    result = CorrectionResult(doc.id)
    for name, value in wanted.items():
        old = _current(doc, name)
        if old == value:
            continue
        s.add(DocumentCorrection(document_id=doc.id, field=name.value, old_value=old, new_value=value,
                                 reason=req.reason.strip()[:2000], actor=actor))
        _set(doc, name, value)
        result.changes.append(Change(name, old, value))
    if not result.changes:
        raise InputError(f"document {document_id} already has these values", hint="nothing was changed")
    doc.indexed_at = None  # the search index's writer re-indexes it
    if any(c.field is Correctable.TYPE for c in result.changes):
        result.draft_authorization_id = _draft_if_authorization(s, doc, today)
    mrn = s.scalar(select(Patient.mrn).where(Patient.id == doc.patient_id)) if doc.patient_id else None
    types = next((f" ({c.old} -> {c.new})" for c in result.changes if c.field is Correctable.TYPE), "")
    audit(s, actor=actor, action="U", event_type="document.correct", patient_mrn=mrn, document_ids=[doc.id],
          detail=f"corrected {', '.join(c.field.value for c in result.changes)}{types}")
    log.info("document %s corrected (%s)", doc.id, ", ".join(c.field.value for c in result.changes))
    return result


def history(s: Session, document_id: int) -> list[DocumentCorrection]:
    """Every correction of the document, oldest first."""
    return list(s.scalars(select(DocumentCorrection).where(DocumentCorrection.document_id == document_id)
                          .order_by(DocumentCorrection.id)))
