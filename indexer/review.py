"""Service layer of the review queue and of later corrections (refiling).

Owns every clerk decision about where a document belongs: file to a chart,
split a fax into page ranges, reject, and refile a document found misfiled
later.  Every document a decision changes is marked pending for the search
index's one writer (``indexed_at = NULL``); the service layer has it drained
after the commit.  Each decision is attributed, kept in the append-only filing history,
audited, and — when the document's name differs from the chart's — remembered
as an alias so the matcher recognises it next time (the matcher still needs
its other identifiers to agree before it files anything on its own).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import Document, Filing, Patient, PatientAlias, ReviewItem, utcnow
from indexer.filing import load_roster, match_payload
from indexer.matching import match_entities
from indexer.matching.split import restrict
from indexer.states import DocumentStatus, ReviewDecision, ReviewState
from intake.config import Config
from intake.errors import InputError, NotFoundError, RefusedError
from intake.model import Entities

log = logging.getLogger(__name__)


@dataclass
class Decision:
    """What a review action did (for the CLI/web to report)."""

    document_ids: list[int]
    message: str


def open_item(s: Session, item_id: int) -> ReviewItem:
    """The open review item ``item_id`` or a clear error."""
    item = s.get(ReviewItem, item_id)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    if item.state != ReviewState.OPEN:
        raise RefusedError(f"review item {item_id} was already resolved ({item.resolution})")
    if item.kind == "roi_draft":
        raise RefusedError(f"review item {item_id} is a draft ROI authorization",
                           hint="Check it against the paper form, then: chartfile roi authorization confirm ID")
    return item


def patient_by_mrn(s: Session, mrn: str) -> Patient:
    patient = s.scalars(select(Patient).where(Patient.mrn == mrn.strip().upper())).first()
    if patient is None:
        raise NotFoundError(f"no patient with MRN {mrn}",
                            hint="Patients are only created from the roster: 'chartfile patients import'.")
    return patient


def list_open(s: Session) -> list[ReviewItem]:
    """Open items, urgent first, then oldest first."""
    items = s.scalars(select(ReviewItem).where(ReviewItem.state == ReviewState.OPEN)).all()
    return sorted(items, key=lambda i: (not i.urgent, i.created_at, i.id))


def _resolve(item: ReviewItem, actor: str, resolution: str) -> None:
    item.state = ReviewState.RESOLVED.value
    item.resolved_at = utcnow()
    item.resolved_by = actor
    item.resolution = resolution


def _remember_alias(s: Session, doc: Document, patient: Patient, actor: str) -> None:
    """Record the document's patient name as an alias when it differs from the chart's name."""
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    for name in entities.patient_names[:2]:
        fam, giv = name.family.strip(), name.given.strip()
        if not fam or not giv:
            continue
        same = fam.lower() == patient.family_name.lower() and giv.lower() == patient.given_name.lower()
        exists = s.scalars(select(PatientAlias).where(
            PatientAlias.patient_id == patient.id, PatientAlias.family_name == fam,
            PatientAlias.given_name == giv)).first()
        if not same and exists is None:
            s.add(PatientAlias(patient_id=patient.id, family_name=fam, given_name=giv, source="review",
                               created_by=actor))
            log.info("alias learned for patient %s from document %s", patient.id, doc.id)


def file_document(s: Session, item_id: int, mrn: str, actor: str, remember: bool = True) -> Decision:
    """File the item's document to the chart ``mrn``."""
    item = open_item(s, item_id)
    doc = s.get_one(Document, item.document_id)
    patient = patient_by_mrn(s, mrn)
    doc.status = DocumentStatus.FILED.value
    doc.patient_id = patient.id
    doc.indexed_at = None
    s.add(Filing(document_id=doc.id, patient_id=patient.id, action=ReviewDecision.FILE.value, actor=actor,
                 reason=f"filed from review item {item.id}"))
    if remember:
        _remember_alias(s, doc, patient, actor)
    _resolve(item, actor, f"filed to {patient.mrn}")
    audit(s, actor=actor, action="U", event_type="review.file", patient_mrn=patient.mrn,
          document_ids=[doc.id], detail=f"review item {item.id}")
    return Decision([doc.id], f"Document {doc.id} filed to {patient.mrn}.")


def reject_document(s: Session, item_id: int, reason: str, actor: str) -> Decision:
    """Reject the item's document (e.g. misdirected fax for a patient not ours)."""
    if not reason.strip():
        raise InputError("a reason is required to reject a document")
    item = open_item(s, item_id)
    doc = s.get_one(Document, item.document_id)
    doc.status = DocumentStatus.REJECTED.value
    doc.patient_id = None
    doc.indexed_at = None
    s.add(Filing(document_id=doc.id, patient_id=None, action=ReviewDecision.REJECT.value, actor=actor,
                 reason=reason[:2000]))
    _resolve(item, actor, f"rejected: {reason[:200]}")
    audit(s, actor=actor, action="U", event_type="review.reject", document_ids=[doc.id],
          detail=f"review item {item.id}")
    return Decision([doc.id], f"Document {doc.id} rejected.")


def parse_ranges(spec: str, first: int, last: int) -> list[tuple[int, int]]:
    """Parse ``1-2,3-5`` into page ranges that exactly cover ``first..last`` in order."""
    ranges: list[tuple[int, int]] = []
    try:
        for part in spec.split(","):
            a, _, b = part.strip().partition("-")
            lo, hi = int(a), int(b or a)
            ranges.append((lo, hi))
    except ValueError:
        raise InputError(f"page ranges must look like 1-2,3-5 (got {spec!r})") from None
    expected = first
    for lo, hi in ranges:
        if lo != expected or hi < lo:
            raise InputError(f"page ranges must cover pages {first}-{last} in order without gaps or overlaps")
        expected = hi + 1
    if expected != last + 1:
        raise InputError(f"page ranges must end at page {last}")
    if len(ranges) < 2:
        raise InputError("a split needs at least two page ranges")
    return ranges


def split_document(s: Session, cfg: Config, item_id: int, spec: str, actor: str) -> Decision:
    """Split the item's document at page boundaries; each part is matched on its own.

    A part whose match is certain is filed; every other part gets its own review item.
    """
    item = open_item(s, item_id)
    doc = s.get_one(Document, item.document_id)
    ranges = parse_ranges(spec, doc.first_page, doc.last_page)
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    covers = {p.page for p in entities.pages if p.is_cover}
    roster = load_roster(s)
    doc.status = DocumentStatus.SPLIT.value
    doc.indexed_at = None  # the writer removes a split parent from the index (its parts replace it)
    s.add(Filing(document_id=doc.id, patient_id=None, action=ReviewDecision.SPLIT.value, actor=actor, reason=spec))
    _resolve(item, actor, f"split into {spec}")
    s.flush()
    new_ids: list[int] = []
    for lo, hi in ranges:
        part = restrict(entities, lo, hi, covers)
        result = match_entities(part, roster, cfg.match)
        filed = result.decision == "file" and result.patient_id is not None
        new = Document(intake_item_id=doc.intake_item_id, first_page=lo, last_page=hi,
                       status=DocumentStatus.FILED if filed else DocumentStatus.REVIEW,
                       patient_id=result.patient_id if filed else None,
                       doc_type=part.doc_type, doc_type_confidence=part.doc_type_confidence, loinc=part.loinc,
                       doc_date=doc.doc_date, sender_org=doc.sender_org, provider=doc.provider,
                       urgent=part.urgent, entities_json=json.dumps(part.to_dict(), default=str),
                       match_json=json.dumps(match_payload(result)))
        s.add(new)
        s.flush()
        new_ids.append(new.id)
        if filed:
            s.add(Filing(document_id=new.id, patient_id=result.patient_id, action=ReviewDecision.AUTO,
                         score=result.score, grade=result.grade, actor=actor,
                         reason=f"after split of document {doc.id}"))
        else:
            s.add(ReviewItem(document_id=new.id, urgent=new.urgent,
                             reasons_json=json.dumps(result.review_reasons),
                             candidates_json=json.dumps(match_payload(result)["candidates"])))
    audit(s, actor=actor, action="U", event_type="review.split", document_ids=[doc.id, *new_ids],
          detail=f"review item {item.id}: {spec}")
    return Decision(new_ids, f"Document {doc.id} split into documents {', '.join(map(str, new_ids))}.")


def refile_document(s: Session, doc_id: int, mrn: str, reason: str, actor: str) -> Decision:
    """Move a filed document to another chart; the old filing stays in the history."""
    if not reason.strip():
        raise InputError("a reason is required to refile a document")
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFoundError(f"no document {doc_id}")
    if doc.status != DocumentStatus.FILED:
        raise RefusedError(f"document {doc_id} is {doc.status}; use the review queue for it")
    patient = patient_by_mrn(s, mrn)
    old = s.get(Patient, doc.patient_id) if doc.patient_id else None
    if old is not None and old.id == patient.id:
        raise RefusedError(f"document {doc_id} is already filed to {patient.mrn}")
    doc.patient_id = patient.id
    doc.indexed_at = None
    s.add(Filing(document_id=doc.id, patient_id=patient.id, action=ReviewDecision.REFILE, actor=actor,
                 reason=reason[:2000]))
    old_mrn = old.mrn if old else "none"
    audit(s, actor=actor, action="U", event_type="document.refile", patient_mrn=patient.mrn,
          document_ids=[doc.id], detail=f"from {old_mrn} to {patient.mrn}")
    if old is not None:
        audit(s, actor=actor, action="U", event_type="document.refile", patient_mrn=old.mrn,
              document_ids=[doc.id], detail=f"from {old_mrn} to {patient.mrn}")
    return Decision([doc.id], f"Document {doc.id} moved from {old_mrn} to {patient.mrn}.")
