"""Identity changes to existing patients: found, shown, applied only when accepted, audited per patient.

Owns the rule that a roster re-import never silently rewrites who a
patient is.  A change of an existing patient's family, given or middle
name, date of birth or sex (case and spacing aside) is an *identity
change*: the import lists it and keeps the old identity unless the change
is accepted (``--accept-identity-changes`` or a clerk's confirmation in the
web app).  An accepted change is applied, audited for that patient with
the old and new values, and the patient's documents are marked for the
search index to write again (the caller re-indexes them at once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import Document, Patient

log = logging.getLogger(__name__)

IDENTITY_FIELDS = ("family_name", "given_name", "middle_name", "dob", "sex")
LABELS = {"family_name": "family name", "given_name": "given name", "middle_name": "middle name",
          "dob": "date of birth", "sex": "sex"}


@dataclass(frozen=True)
class IdentityChange:
    """One field of one existing patient that the import would change."""

    mrn: str
    field: str
    old: str
    new: str

    def describe(self) -> str:
        return f"MRN {self.mrn}: {LABELS[self.field]} {self.old or '(none)'!r} -> {self.new or '(none)'!r}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(old: object, new: object) -> bool:
    """Equal, or names that differ only in case and spacing (a roster export's formatting)."""
    a, b = _text(old), _text(new)
    return a == b or " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def identity_changes(patient: Patient, row: Mapping[str, object]) -> list[IdentityChange]:
    """The identity fields ``row`` would change on ``patient`` (empty when it is the same person's data)."""
    return [IdentityChange(patient.mrn, name, _text(getattr(patient, name)), _text(row.get(name)))
            for name in IDENTITY_FIELDS if name in row and not _same(getattr(patient, name), row.get(name))]


def keep_identity(patient: Patient, row: Mapping[str, object]) -> dict[str, object]:
    """``row`` with the patient's current identity fields (the change was not accepted)."""
    kept = dict(row)
    for name in IDENTITY_FIELDS:
        if name in kept:
            kept[name] = getattr(patient, name)
    return kept


def record_changes(session: Session, patient: Patient, changes: Iterable[IdentityChange], actor: str) -> None:
    """Audit an accepted identity change of one patient with its old and new values (caller commits)."""
    changes = list(changes)
    if not changes:
        return
    detail = "; ".join(f"{LABELS[c.field]}: {c.old or '(none)'!r} -> {c.new or '(none)'!r}" for c in changes)
    audit(session, actor=actor, action="U", event_type="patients.identity_change", patient_mrn=patient.mrn,
          detail=detail)
    log.warning("patient %s: identity changed by a roster import (%d fields)", patient.id, len(changes))


def documents_to_reindex(session: Session, patient_ids: Iterable[int]) -> list[int]:
    """Mark the documents of these patients for the search index to write again; returns their ids."""
    ids = sorted(set(patient_ids))
    if not ids:
        return []
    doc_ids = list(session.scalars(select(Document.id).where(Document.patient_id.in_(ids))))
    if doc_ids:
        session.execute(update(Document).where(Document.id.in_(doc_ids))
                        .values(indexed_at=None, updated_at=Document.updated_at)
                        .execution_options(synchronize_session=False))
    return doc_ids
