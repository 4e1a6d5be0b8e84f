"""Fetching ROI rows and the core rows they point at, with clerk-readable not-found errors.

Owns id/MRN lookups shared by the ROI services; raises
:class:`~intake.errors.NotFoundError` (exit 4) for anything absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.db.models import Document, Patient
from indexer.roi.models import Authorization, Release, Request
from intake.errors import NotFoundError

T = TypeVar("T")


def patient_by_mrn(s: Session, mrn: str) -> Patient:
    """The patient with this MRN (case-insensitive input)."""
    patient = s.scalars(select(Patient).where(Patient.mrn == mrn.strip().upper())).first()
    if patient is None:
        raise NotFoundError(f"no patient with MRN {mrn}", hint="'chartfile patients show MRN' or check the roster")
    return patient


def _by_id(s: Session, cls: type[T], ident: int, what: str, hint: str) -> T:
    row = s.get(cls, ident)
    if row is None:
        raise NotFoundError(f"no {what} #{ident}", hint=hint)
    return row


def authorization(s: Session, ident: int) -> Authorization:
    return _by_id(s, Authorization, ident, "authorization", "'chartfile roi authorization list' shows them")


def request(s: Session, ident: int) -> Request:
    return _by_id(s, Request, ident, "request", "'chartfile roi request list --all' shows them")


def release(s: Session, ident: int) -> Release:
    return _by_id(s, Release, ident, "release", "'chartfile roi releases' shows them")


def document(s: Session, ident: int) -> Document:
    return _by_id(s, Document, ident, "document", "'chartfile patients show MRN' lists a patient's documents")


def documents(s: Session, ids: Sequence[int]) -> list[Document]:
    """The documents in the order given (each must exist)."""
    return [document(s, i) for i in ids]


def mrn_of(s: Session, patient_id: int | None) -> str | None:
    """MRN of a patient id (None when unlinked)."""
    if patient_id is None:
        return None
    patient = s.get(Patient, patient_id)
    return patient.mrn if patient else None
