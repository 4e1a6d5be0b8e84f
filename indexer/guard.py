"""Guarded filing: a clerk's filing or refiling is refused when the document contradicts the chart.

Owns the rule applied before ``review file`` and ``documents refile`` move a
document into a chart: the identifiers read from the document (name, DOB,
sex, our MRN) are checked against the chosen patient
(:func:`indexer.matching.identity.contradictions`); any contradiction refuses
the filing (exit 6, each reason named) unless the clerk gives an override
reason, which is kept with the filing and audited — and a filing made with
an override never teaches an alias.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.db.models import Document, Patient, PatientAlias
from indexer.filing import roster_patient
from indexer.matching import Alias, Roster
from indexer.matching.identity import Contradiction, contradictions
from indexer.matching.normalize import canonical_mrn, fold_mrn
from intake.errors import InputError, RefusedError
from intake.model import Entities

OVERRIDE_HINT = ("Choose the chart the document belongs to, or file it anyway with --override-reason TEXT "
                 "(audited; no alias is learned).")


class FilingRefused(RefusedError):
    """The document contradicts the chosen chart (exit 6 / HTTP 409); ``found`` names each contradiction."""

    def __init__(self, document_id: int, mrn: str, found: list[Contradiction]) -> None:
        lines = "\n".join(f"  - {c}" for c in found)
        super().__init__(f"document {document_id} does not fit chart {mrn}:\n{lines}", hint=OVERRIDE_HINT)
        self.document_id = document_id
        self.mrn = mrn
        self.found = found


@dataclass(frozen=True)
class Guarded:
    """The outcome of the guard for a filing that may go ahead."""

    contradictions: list[Contradiction]
    override_reason: str | None  # set when the clerk filed despite contradictions

    @property
    def overridden(self) -> bool:
        return bool(self.contradictions)

    @property
    def may_teach_alias(self) -> bool:
        return not self.contradictions and self.override_reason is None

    @property
    def audit_note(self) -> str:
        """PHI-free: which identifiers were overridden."""
        if not self.contradictions:
            return ""
        return "; override of " + ", ".join(c.field.value for c in self.contradictions) + " contradiction"


def _roster_for(s: Session, patient: Patient, entities: Entities) -> Roster:
    """The chosen patient (with aliases) and any patient whose MRN the document carries — not the whole roster."""
    mrns = {m for v in entities.mrns if v.scheme != "foreign" for m in (canonical_mrn(v.value),
                                                                       fold_mrn(canonical_mrn(v.value)))}
    others = s.scalars(select(Patient).where(Patient.mrn.in_(mrns), Patient.id != patient.id)).all() if mrns else []
    people = [patient, *others]
    aliases = s.scalars(select(PatientAlias).where(PatientAlias.patient_id == patient.id)).all()
    return Roster([roster_patient(p) for p in people],
                  [Alias(a.patient_id, a.family_name, a.given_name) for a in aliases])


def check(s: Session, doc: Document, patient: Patient, override_reason: str | None) -> Guarded:
    """Let the filing go ahead, or raise :class:`FilingRefused` naming every contradiction."""
    reason = override_reason.strip() if override_reason is not None else None
    if override_reason is not None and not reason:
        raise InputError("an override reason must say why", hint="--override-reason 'confirmed by phone with ...'")
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    found = contradictions(entities, _roster_for(s, patient, entities), patient.id)
    if found and reason is None:
        raise FilingRefused(doc.id, patient.mrn, found)
    return Guarded(found, reason)
