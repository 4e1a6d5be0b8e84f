"""Service layer of the review queue and of later corrections (refiling).

Owns every clerk decision about where a document belongs: file to a chart,
split a fax into page ranges, reject, and refile a document found misfiled
later.  Every document a decision changes is marked pending for the search
index's one writer (``indexed_at = NULL``); the service layer has it drained
after the commit.  Each decision is attributed, kept in the append-only filing history,
audited.  A clerk's filing or refiling is guarded (:mod:`indexer.guard`): a
document whose name, DOB, sex or MRN contradicts the chosen chart is refused
unless an override reason is given; a name that differs without contradicting
(nickname, maiden name with the same DOB) is remembered as an alias
(:mod:`indexer.aliases`) — never from an overridden filing.  Items are named
by their review number (``12``) or by their document (``D9``).  A split
document's parts are matched and described on their own pages
(:mod:`indexer.parts`) and remember the document they came from.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import aliases, guard
from indexer.aliases import patient_by_mrn
from indexer.audit import record as audit
from indexer.db.models import Document, Filing, Patient, PatientAlias, ReviewItem, utcnow
from indexer.filing import iso_date, load_roster, match_payload
from indexer.matching import MatchResult, match_entities
from indexer.parts import COVER_TYPE, part_entities
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


_ITEM_REF = re.compile(r"(?i)^\s*(?:#|r|review\s*)?(\d+)\s*$")
_DOC_REF = re.compile(r"(?i)^\s*(?:d|doc|document\s*)(\d+)\s*$")
REF_HINT = "Give the review number (12, as in 'review list') or the document as D9 (or doc9)."


def parse_document_ref(ref: str | int) -> int:
    """A document id given as ``9`` or ``D9``."""
    if isinstance(ref, int):
        return ref
    m = _DOC_REF.match(ref) or re.match(r"^\s*#?(\d+)\s*$", ref)
    if m is None:
        raise InputError(f"{ref!r} is not a document id", hint="Give the document number, e.g. 9 or D9.")
    return int(m.group(1))


def find_item(s: Session, ref: str | int, *, open_only: bool = True) -> ReviewItem:
    """The review item named by its number (``12``) or by its document (``D9``: its newest item).

    With ``open_only`` the item must still wait for a decision and be about placing the document.
    """
    if isinstance(ref, int) or _ITEM_REF.match(ref):
        item_id = ref if isinstance(ref, int) else int(_ITEM_REF.match(ref).group(1))  # type: ignore[union-attr]
        if open_only:
            return open_item(s, item_id)
        item = s.get(ReviewItem, item_id)
        if item is None:
            raise NotFoundError(f"no review item {item_id}")
        return item
    m = _DOC_REF.match(ref)
    if m is None:
        raise InputError(f"{ref!r} names neither a review item nor a document", hint=REF_HINT)
    doc_id = int(m.group(1))
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFoundError(f"no document {doc_id}")
    items = s.scalars(select(ReviewItem).where(ReviewItem.document_id == doc_id).order_by(ReviewItem.id.desc())).all()
    if not open_only and items:
        return items[0]
    placing = [i for i in items if i.kind != "roi_draft" and i.state == ReviewState.OPEN]
    if not placing:
        drafts = any(i.kind == "roi_draft" and i.state == ReviewState.OPEN for i in items)
        where = "a draft authorization waits for 'chartfile roi authorization confirm'" if drafts else \
            f"it is {doc.status}"
        raise RefusedError(f"document {doc_id} is not waiting to be placed ({where})",
                           hint="'chartfile review list' shows what waits")
    return open_item(s, placing[-1].id)


def find_open_item(s: Session, ref: str | int) -> ReviewItem:
    """The open review item a decision is about (``12`` or ``D9``)."""
    return find_item(s, ref, open_only=True)


def list_open(s: Session) -> list[ReviewItem]:
    """Open items, urgent first, then oldest first."""
    items = s.scalars(select(ReviewItem).where(ReviewItem.state == ReviewState.OPEN)).all()
    return sorted(items, key=lambda i: (not i.urgent, i.created_at, i.id))


def _resolve(item: ReviewItem, actor: str, resolution: str) -> None:
    item.state = ReviewState.RESOLVED.value
    item.resolved_at = utcnow()
    item.resolved_by = actor
    item.resolution = resolution


def _learned_note(s: Session, patient: Patient, learned: list[int]) -> str:
    if not learned:
        return ""
    names = ", ".join(f"'{a.given_name} {a.family_name}'" for a in
                      s.scalars(select(PatientAlias).where(PatientAlias.id.in_(learned))))
    return (f" The name on the document, {names}, is now an alias of {patient.mrn} (remove a wrong one with: "
            f"chartfile patients alias remove {patient.mrn} {learned[0]}).")


def _override_note(g: guard.Guarded) -> str:
    if not g.contradictions:
        return ""
    return f" Filed despite: {'; '.join(str(c) for c in g.contradictions)} (override recorded)."


def file_document(s: Session, ref: str | int, mrn: str, actor: str, remember: bool = True,
                  override_reason: str | None = None) -> Decision:
    """File the item's document to the chart ``mrn`` (refused on contradictions without an override)."""
    item = find_open_item(s, ref)
    doc = s.get_one(Document, item.document_id)
    patient = patient_by_mrn(s, mrn)
    checked = guard.check(s, doc, patient, override_reason)
    doc.status = DocumentStatus.FILED.value
    doc.patient_id = patient.id
    doc.indexed_at = None
    s.add(Filing(document_id=doc.id, patient_id=patient.id, action=ReviewDecision.FILE.value, actor=actor,
                 reason=f"filed from review item {item.id}", override_reason=checked.override_reason))
    learned = aliases.learn(s, doc, patient, actor) if remember and checked.may_teach_alias else []
    _resolve(item, actor, f"filed to {patient.mrn}" + (" (override)" if checked.overridden else ""))
    audit(s, actor=actor, action="U", event_type="review.file", patient_mrn=patient.mrn, document_ids=[doc.id],
          detail=f"review item {item.id}{checked.audit_note}"
                 + (f"; alias {', '.join(f'#{a}' for a in learned)} learned" if learned else ""))
    return Decision([doc.id], f"Document {doc.id} filed to {patient.mrn}.{_override_note(checked)}"
                              f"{_learned_note(s, patient, learned)}")


def reject_document(s: Session, ref: str | int, reason: str, actor: str) -> Decision:
    """Reject the item's document (e.g. misdirected fax for a patient not ours)."""
    if not reason.strip():
        raise InputError("a reason is required to reject a document")
    item = find_open_item(s, ref)
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


def _part_document(parent: Document, lo: int, hi: int, part: Entities, result: MatchResult) -> Document:
    filed = result.decision == "file" and result.patient_id is not None
    return Document(intake_item_id=parent.intake_item_id, first_page=lo, last_page=hi, split_from_id=parent.id,
                    status=DocumentStatus.FILED if filed else DocumentStatus.REVIEW,
                    patient_id=result.patient_id if filed else None, is_cover=part.doc_type == COVER_TYPE,
                    doc_type=part.doc_type, doc_type_confidence=part.doc_type_confidence, loinc=part.loinc,
                    doc_date=iso_date(part.doc_date), sender_org=(part.sender_org or None) and part.sender_org[:200],
                    provider=(part.provider or None) and part.provider[:200], urgent=part.urgent,
                    entities_json=json.dumps(part.to_dict(), default=str), match_json=json.dumps(match_payload(result)))


def split_document(s: Session, cfg: Config, ref: str | int, spec: str, actor: str) -> Decision:
    """Split the item's document at page boundaries; each part is matched and described on its own pages.

    A part whose match is certain is filed; every other part gets its own review item.
    """
    item = find_open_item(s, ref)
    doc = s.get_one(Document, item.document_id)
    ranges = parse_ranges(spec, doc.first_page, doc.last_page)
    entities = Entities.from_dict(json.loads(doc.entities_json or "{}"))
    roster = load_roster(s)
    doc.status = DocumentStatus.SPLIT.value
    doc.indexed_at = None  # the writer removes a split parent from the index (its parts replace it)
    s.add(Filing(document_id=doc.id, patient_id=None, action=ReviewDecision.SPLIT.value, actor=actor, reason=spec))
    _resolve(item, actor, f"split into {spec}")
    s.flush()
    new_ids: list[int] = []
    outcome: list[str] = []
    for lo, hi in ranges:
        part = part_entities(entities, lo, hi)
        result = match_entities(part, roster, cfg.match)
        new = _part_document(doc, lo, hi, part, result)
        s.add(new)
        s.flush()
        new_ids.append(new.id)
        if new.status == DocumentStatus.FILED:
            s.add(Filing(document_id=new.id, patient_id=result.patient_id, action=ReviewDecision.AUTO,
                         score=result.score, grade=result.grade, actor=actor,
                         reason=f"after split of document {doc.id}"))
            outcome.append(f"pages {lo}-{hi}: document {new.id}, {new.doc_type}, filed to {result.mrn}")
        else:
            review = ReviewItem(document_id=new.id, urgent=new.urgent, reasons_json=json.dumps(result.review_reasons),
                                candidates_json=json.dumps(match_payload(result)["candidates"]))
            s.add(review)
            s.flush()
            best = f"; best {result.candidates[0].mrn} ({result.candidates[0].grade})" if result.candidates else ""
            outcome.append(f"pages {lo}-{hi}: document {new.id}, {new.doc_type}{' URGENT' if new.urgent else ''}, "
                           f"in review #{review.id}{best}")
    audit(s, actor=actor, action="U", event_type="review.split", document_ids=[doc.id, *new_ids],
          detail=f"review item {item.id}: {spec}")
    lines = "\n".join(f"  {o}" for o in outcome)
    return Decision(new_ids, f"Document {doc.id} split into documents {', '.join(map(str, new_ids))}:\n{lines}")


def refile_document(s: Session, ref: str | int, mrn: str, reason: str, actor: str,
                    override_reason: str | None = None) -> Decision:
    """Move a filed document to another chart; the old filing stays in the history (guarded like filing)."""
    if not reason.strip():
        raise InputError("a reason is required to refile a document")
    doc_id = parse_document_ref(ref)
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFoundError(f"no document {doc_id}")
    if doc.status != DocumentStatus.FILED:
        raise RefusedError(f"document {doc_id} is {doc.status}; use the review queue for it",
                           hint=f"chartfile review file D{doc_id} --mrn MRN")
    patient = patient_by_mrn(s, mrn)
    old = s.get(Patient, doc.patient_id) if doc.patient_id else None
    if old is not None and old.id == patient.id:
        raise RefusedError(f"document {doc_id} is already filed to {patient.mrn}")
    checked = guard.check(s, doc, patient, override_reason)
    doc.patient_id = patient.id
    doc.indexed_at = None
    s.add(Filing(document_id=doc.id, patient_id=patient.id, action=ReviewDecision.REFILE, actor=actor,
                 reason=reason[:2000], override_reason=checked.override_reason))
    old_mrn = old.mrn if old else "none"
    for mrn_seen in [patient.mrn] + ([old.mrn] if old is not None else []):
        audit(s, actor=actor, action="U", event_type="document.refile", patient_mrn=mrn_seen,
              document_ids=[doc.id], detail=f"from {old_mrn} to {patient.mrn}{checked.audit_note}")
    return Decision([doc.id], f"Document {doc.id} moved from {old_mrn} to {patient.mrn}.{_override_note(checked)}")
