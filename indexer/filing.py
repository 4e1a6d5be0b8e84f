"""Service layer: turn one extracted source file into documents, filings and review items.

Owns the transaction that records a processed file: its pages, one document
per patient segment, the filing history row for an automatic filing, the
review item for anything doubtful, the intake state change and the audit
events — all committed together or not at all.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import (
    Document,
    Filing,
    IntakeItem,
    Page,
    Patient,
    PatientAlias,
    ReviewItem,
    utcnow,
)
from indexer.ledger import transition
from indexer.matching import Alias, MatchResult, Roster, RosterPatient, Segment, split_and_match
from indexer.roi.drafts import draft_from_document, page_texts_for, review_reasons
from indexer.states import DocumentStatus, IntakeState, ReviewDecision
from intake.config import Config
from intake.model import ExtractedFile

log = logging.getLogger(__name__)


def roster_patient(p: Patient) -> RosterPatient:
    """The matcher's view of one patient row."""
    return RosterPatient(id=p.id, mrn=p.mrn, family_name=p.family_name, given_name=p.given_name,
                         middle_name=p.middle_name, dob=p.dob.isoformat() if p.dob else None, sex=p.sex,
                         phone=p.phone, address=p.address, city=p.city, state=p.state, postal_code=p.postal_code)


def load_roster(session: Session) -> Roster:
    """Build the matcher's roster (with learned aliases) from the database."""
    patients = [roster_patient(p) for p in session.scalars(select(Patient))]
    aliases = [
        Alias(patient_id=a.patient_id, family_name=a.family_name, given_name=a.given_name)
        for a in session.scalars(select(PatientAlias))
    ]
    return Roster(patients, aliases)


def iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def match_payload(result: MatchResult) -> dict[str, object]:
    """The JSON-ready match evidence stored with a document."""
    return {
        "decision": result.decision,
        "grade": result.grade,
        "score": round(result.score, 2),
        "reasons": list(result.reasons),
        "review_reasons": list(result.review_reasons),
        "candidates": [
            {"mrn": c.mrn, "patient_id": c.patient_id, "score": round(c.score, 2), "grade": c.grade,
             "reasons": dict(c.reasons)}
            for c in result.candidates
        ],
        "proposed_split": [list(p) for p in getattr(result, "proposed_split", []) or []],
    }


def _add_document(s: Session, item: IntakeItem, seg: Segment) -> Document:
    ent = seg.entities
    result = seg.result
    filed = result.decision == "file" and result.patient_id is not None
    doc = Document(
        intake_item_id=item.id,
        first_page=seg.pages[0],
        last_page=seg.pages[1],
        is_cover=seg.is_cover,
        status=DocumentStatus.FILED if filed else DocumentStatus.REVIEW,
        patient_id=result.patient_id if filed else None,
        doc_type=ent.doc_type,
        doc_type_confidence=ent.doc_type_confidence,
        loinc=ent.loinc,
        doc_date=iso_date(ent.doc_date),
        sender_org=(ent.sender_org or None) and ent.sender_org[:200],
        provider=(ent.provider or None) and ent.provider[:200],
        urgent=ent.urgent,
        entities_json=json.dumps(ent.to_dict(), default=str),
        match_json=json.dumps(match_payload(result)),
    )
    s.add(doc)
    s.flush()
    if filed:
        s.add(Filing(document_id=doc.id, patient_id=result.patient_id, action=ReviewDecision.AUTO, score=result.score,
                     grade=result.grade, actor="system", reason="; ".join(result.reasons)[:2000]))
        audit(s, actor="system", action="C", event_type="document.filed", patient_mrn=result.mrn,
              document_ids=[doc.id], detail=f"auto-filed, grade {result.grade}")
    else:
        s.add(ReviewItem(
            document_id=doc.id,
            kind="split" if getattr(result, "proposed_split", None) else "match",
            urgent=ent.urgent,
            reasons_json=json.dumps(list(result.review_reasons)),
            candidates_json=json.dumps(match_payload(result)["candidates"]),
            proposed_split_json=json.dumps([list(p) for p in getattr(result, "proposed_split", []) or []]),
        ))
        audit(s, actor="system", action="C", event_type="document.review", document_ids=[doc.id],
              detail=f"queued for review, grade {result.grade}")
    if ent.doc_type == "roi_authorization":  # issue 6: a draft authorization for a clerk to confirm
        draft = draft_from_document(s, doc, ent, page_texts_for(s, doc))
        if draft is not None:
            s.add(ReviewItem(document_id=doc.id, kind="roi_draft", urgent=False,
                             reasons_json=json.dumps(review_reasons(draft))))
    return doc


def record_extracted(s: Session, cfg: Config, item: IntakeItem, extracted: ExtractedFile,
                     roster: Roster, segments: list[Segment] | None = None) -> list[Document]:
    """Store pages, create documents from the match (``segments``, else matched here); mark the item processed.

    The caller commits.
    """
    for page in extracted.pages:
        s.add(Page(intake_item_id=item.id, number=page.number, text=page.text, source=page.source,
                   confidence=page.confidence, rotation=page.rotation, seconds=page.seconds, note=page.note))
    if segments is None:
        segments, _certain = split_and_match(extracted.entities, roster, cfg.match)
    docs = [_add_document(s, item, seg) for seg in segments]
    transition(item, IntakeState.PROCESSED)
    item.page_count = len(extracted.pages)
    item.seconds = extracted.seconds
    item.finished_at = utcnow()
    item.reason = None
    audit(s, actor="system", action="C", event_type="intake.processed", document_ids=[d.id for d in docs],
          detail=f"item {item.id}: {len(extracted.pages)} pages, {len(docs)} documents")
    log.info("intake item %s processed: %d pages, %d documents (%s)", item.id, len(extracted.pages),
             len(docs), ", ".join(f"{d.id}:{d.status}" for d in docs))
    return docs


def asdict_safe(obj: object) -> dict[str, object]:
    """dataclasses.asdict that tolerates non-dataclass objects (used by exports)."""
    try:
        return asdict(obj)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        return dict(vars(obj))
