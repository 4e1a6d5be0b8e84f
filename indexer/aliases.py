"""Learned patient aliases: when one is taught, listing them with who taught them, and removing one.

Owns the rules for ``patient_aliases``: an alias is learned only from a clerk's
filing that did not need an override (nickname, maiden name with the same
DOB: see :mod:`indexer.matching.identity`), with the clerk, the time and the
document that taught it; a clerk can list a patient's aliases and remove a
wrong one (audited), after which every open review item is matched again so
its candidates no longer lean on the removed name.  Names never go to logs or
audit details — only alias and document ids.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import Document, Filing, Patient, PatientAlias, ReviewItem
from indexer.filing import load_roster, match_payload
from indexer.matching import Roster, match_entities
from indexer.matching.normalize import fold
from intake.config import MatchConfig
from intake.errors import InputError, NotFoundError
from intake.model import Entities

log = logging.getLogger(__name__)
ALIAS_EVIDENCE = "alias (clerk-confirmed)"  # how the matcher labels name evidence from an alias


@dataclass(frozen=True)
class AliasRecord:
    """One learned alias as a clerk sees it."""

    id: int
    family_name: str
    given_name: str
    source: str  # "review" (a clerk's filing from the queue) | "refile"
    created_by: str
    created_at: datetime
    document_id: int | None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "family_name": self.family_name, "given_name": self.given_name,
                "source": self.source, "taught_by": self.created_by,
                "taught_at": self.created_at.strftime("%Y-%m-%d %H:%M"), "document_id": self.document_id}


def _record(a: PatientAlias) -> AliasRecord:
    return AliasRecord(a.id, a.family_name, a.given_name, a.source, a.created_by, a.created_at, a.document_id)


def patient_by_mrn(s: Session, mrn: str) -> Patient:
    """The patient with ``mrn`` or a clear not-found error."""
    patient = s.scalars(select(Patient).where(Patient.mrn == mrn.strip().upper())).first()
    if patient is None:
        raise NotFoundError(f"no patient with MRN {mrn}",
                            hint="Patients are only created from the roster: 'chartfile patients import'.")
    return patient


def list_aliases(s: Session, patient: Patient) -> list[AliasRecord]:
    """The patient's learned aliases, oldest first."""
    rows = s.scalars(select(PatientAlias).where(PatientAlias.patient_id == patient.id).order_by(PatientAlias.id))
    return [_record(a) for a in rows]


def _key(text: str) -> str:
    return " ".join(re.split(r"[^a-z0-9]+", fold(text))).strip()


def find_alias(s: Session, patient: Patient, which: str) -> PatientAlias:
    """The alias named by its id (``3`` or ``#3``) or as written ("Samuel Garcia" or "Garcia, Samuel")."""
    text = which.strip()
    if re.fullmatch(r"#?\d+", text):
        alias = s.get(PatientAlias, int(text.lstrip("#")))
        if alias is None or alias.patient_id != patient.id:
            raise NotFoundError(f"patient {patient.mrn} has no alias #{text.lstrip('#')}",
                                hint=f"List them with: chartfile patients aliases {patient.mrn}")
        return alias
    family, sep, given = text.partition(",")
    wanted = {_key(f"{given} {family}")} if sep else {_key(text)}
    rows = s.scalars(select(PatientAlias).where(PatientAlias.patient_id == patient.id)).all()
    found = [a for a in rows if _key(f"{a.given_name} {a.family_name}") in wanted]
    if not found:
        raise NotFoundError(f"patient {patient.mrn} has no alias {text!r}",
                            hint=f"List them with: chartfile patients aliases {patient.mrn}")
    if len(found) > 1:
        raise InputError(f"{text!r} names {len(found)} aliases", hint="give the alias number from the list")
    return found[0]


def learn(s: Session, doc: Document, patient: Patient, actor: str, source: str = "review") -> list[int]:
    """Remember the document's patient names that differ from the chart's (ids of the new aliases).

    Call only for a filing that needed no override: a contradicting name is
    never taught.
    """
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    learned: list[int] = []
    for name in entities.patient_names[:2]:
        fam, giv = name.family.strip(), name.given.strip()
        if not fam or not giv:
            continue
        if _key(fam) == _key(patient.family_name) and _key(giv) == _key(patient.given_name):
            continue
        exists = s.scalars(select(PatientAlias.id).where(
            PatientAlias.patient_id == patient.id, PatientAlias.family_name == fam,
            PatientAlias.given_name == giv)).first()
        if exists is None:
            alias = PatientAlias(patient_id=patient.id, family_name=fam, given_name=giv, source=source,
                                 created_by=actor, document_id=doc.id)
            s.add(alias)
            s.flush()
            learned.append(alias.id)
            log.info("alias %s learned for patient %s from document %s", alias.id, patient.id, doc.id)
    return learned


@dataclass(frozen=True)
class Removal:
    """What removing an alias did."""

    alias: AliasRecord
    rematched_items: list[int]  # open review items whose candidates were recomputed
    filed_through_aliases: list[int]  # documents of this chart the matcher filed with an alias's help: check them


def remove(s: Session, patient: Patient, which: str, *, actor: str, match_cfg: MatchConfig) -> Removal:
    """Remove one learned alias (audited), then match every open review item again."""
    alias = find_alias(s, patient, which)
    record = _record(alias)
    s.delete(alias)
    s.flush()
    audit(s, actor=actor, action="D", event_type="patient.alias.remove", patient_mrn=patient.mrn,
          document_ids=[record.document_id] if record.document_id else [],
          detail=f"alias #{record.id} removed (taught by {record.created_by} on {record.created_at:%Y-%m-%d})")
    items = rematch_open_items(s, load_roster(s), match_cfg)
    return Removal(record, items, filed_through_aliases(s, patient))


def filed_through_aliases(s: Session, patient: Patient) -> list[int]:
    """Documents of the chart that were filed automatically on a name matched through an alias."""
    rows = s.execute(select(Document.id, Document.match_json).join(Filing, Filing.document_id == Document.id)
                     .where(Document.patient_id == patient.id, Document.status == "filed",
                            Filing.action == "auto", Filing.patient_id == patient.id)).all()
    return sorted({doc_id for doc_id, match in rows if ALIAS_EVIDENCE in (match or "")})


def rematch_open_items(s: Session, roster: Roster, match_cfg: MatchConfig) -> list[int]:
    """Recompute candidates and reasons of every open review item about a patient match (ids changed)."""
    changed: list[int] = []
    items = s.scalars(select(ReviewItem).where(ReviewItem.state == "open", ReviewItem.kind.in_(("match", "split"))))
    for item in items:
        doc = s.get_one(Document, item.document_id)
        result = match_entities(Entities.from_dict(json.loads(doc.entities_json or "{}")), roster, match_cfg)
        payload = match_payload(result)
        candidates, reasons = json.dumps(payload["candidates"]), json.dumps(list(result.review_reasons))
        if item.candidates_json == candidates and item.reasons_json == reasons:
            continue
        item.candidates_json, item.reasons_json = candidates, reasons
        payload["proposed_split"] = json.loads(doc.match_json or "{}").get("proposed_split", [])
        doc.match_json = json.dumps(payload)
        changed.append(item.id)
    log.info("%d open review items re-matched", len(changed))
    return changed
