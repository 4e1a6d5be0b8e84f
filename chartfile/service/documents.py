"""Document commands and queries: the JSON Lines export and refiling.

Owns the ``documents export`` disclosure: its audit event names every
document and MRN the export contains and is committed before the first line
is written; a file is written atomically (:mod:`chartfile.service.disclosure`).
"""

from __future__ import annotations

from sqlalchemy import select

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from chartfile.service.review import refile
from indexer.db.models import Document, Patient
from indexer.exports import iter_documents
from indexer.states import DocumentStatus
from intake.errors import UsageError

__all__ = ["EXPORT_FORMATS", "export_documents", "refile"]

EXPORT_FORMATS = ("jsonl",)


def export_documents(office: Office, actor: Actor, target: disclosure.Target, fmt: str = "jsonl") -> int:
    """One JSON object per document (README format) to a stream or a file; returns how many."""
    require(actor, Action.DOCUMENTS_EXPORT)
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use jsonl")
    with office.db.session() as s:
        rows = s.execute(select(Document.id, Patient.mrn).outerjoin(Patient, Patient.id == Document.patient_id)
                         .where(Document.status != DocumentStatus.SPLIT)).all()
    d = disclosure.Disclosure("export.documents", "E", [r[0] for r in rows], [r[1] for r in rows if r[1]],
                              detail=f"documents, {fmt}")

    def write(out: disclosure.TextIO) -> int:
        with office.db.session() as s:
            return disclosure.write_json_lines(iter_documents(s), out)

    return disclosure.disclose(office, actor, d, target, write)
