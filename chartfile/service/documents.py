"""Document commands and queries: the JSON Lines export, refiling and corrections.

Owns the ``documents export`` disclosure: its audit event names every
document and MRN the export contains and is committed before the first line
is written; a file is written atomically (:mod:`chartfile.service.disclosure`).
It is refused (exit 7) while any exported document's original fails its hash
(:func:`indexer.archive_verify.verify_originals`).
A correction of type, date or sender (:mod:`indexer.corrections`) is audited,
kept in the document's history and re-indexed after the commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.indexing import after_commit
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from chartfile.service.review import refile
from indexer import corrections
from indexer.archive_verify import verify_originals
from indexer.corrections import CorrectionRequest, CorrectionResult
from indexer.db.models import Document, IntakeItem, Patient
from indexer.exports import iter_documents
from indexer.review import find_item
from indexer.review import parse_document_ref as document_id
from indexer.states import DocumentStatus
from intake.doctype import DOC_TYPES
from intake.errors import UsageError

__all__ = ["DOC_TYPES", "EXPORT_FORMATS", "CorrectionRequest", "CorrectionResult", "correct", "correct_item",
           "document_id", "export_documents", "refile"]

EXPORT_FORMATS = ("jsonl",)


def export_documents(office: Office, actor: Actor, target: disclosure.Target, fmt: str = "jsonl") -> int:
    """One JSON object per document (README format) to a stream or a file; returns how many."""
    require(actor, Action.DOCUMENTS_EXPORT)
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use jsonl")
    with office.db.read() as s:
        rows = s.execute(select(Document.id, Patient.mrn).outerjoin(Patient, Patient.id == Document.patient_id)
                         .where(Document.status != DocumentStatus.SPLIT)).all()
        items = list(s.scalars(select(IntakeItem).where(IntakeItem.id.in_(
            select(Document.intake_item_id).where(Document.status != DocumentStatus.SPLIT)))))
    verify_originals(office.cfg, items)  # nothing leaves from a document whose original fails its hash
    d = disclosure.Disclosure("export.documents", "E", [r[0] for r in rows], [r[1] for r in rows if r[1]],
                              detail=f"documents, {fmt}")

    def write(out: disclosure.TextIO) -> int:
        with office.db.read() as s:
            return disclosure.write_json_lines(iter_documents(s), out)

    return disclosure.disclose(office, actor, d, target, write)


def correct(office: Office, actor: Actor, document_id: int, request: CorrectionRequest) -> CorrectionResult:
    """Correct a document's type, date and/or sender with a reason (audited, history kept, re-indexed)."""
    require(actor, Action.DOCUMENT_CORRECT)
    with office.db.transaction() as s:
        result = corrections.correct(s, document_id, request, actor=actor.audit_name, today=date.today())
    after_commit(office)
    return result


def correct_item(office: Office, actor: Actor, item_id: int, request: CorrectionRequest) -> CorrectionResult:
    """Correct the document of a review item (the clerk's review page), as :func:`correct` does."""
    require(actor, Action.DOCUMENT_CORRECT)
    with office.db.read() as s:
        doc_id = find_item(s, item_id, open_only=False).document_id
    return correct(office, actor, doc_id, request)
