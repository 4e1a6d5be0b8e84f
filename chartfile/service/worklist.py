"""The clerk's worklist: one page of the review queue, one item with everything needed to decide it.

Owns the read side of the web review page: the queue a page at a time (urgent
first, then oldest; one query for the page and one for its candidates'
demographics — no per-row queries), an item with the fields read from the
document and their confidence, the ranked candidates with name, DOB, sex and
MRN beside the per-field evidence, and a patient lookup by name, DOB or MRN.
Each read is a disclosure recorded before it is returned, naming the
documents and the patients whose details were shown.  The decisions
themselves are :mod:`chartfile.service.review`'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.db.models import Document, IntakeItem, Patient, ReviewItem
from indexer.states import ReviewState
from intake.errors import InputError, NotFoundError

MAX_PAGE_SIZE = 100
LOOKUP_LIMIT = 10


@dataclass(frozen=True)
class Evidence:
    """How one field of the document compares with the candidate's record."""

    field: str
    text: str
    verdict: str  # match | conflict | neutral


@dataclass
class Candidate:
    """A patient the document may belong to, with what the clerk needs to tell look-alikes apart."""

    mrn: str
    name: str
    dob: str | None
    sex: str | None
    score: float | None = None
    grade: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def conflict(self) -> bool:
        return any(e.verdict == "conflict" and e.field in {"dob", "sex", "mrn"} for e in self.evidence)


@dataclass
class QueueRow:
    review_id: int
    document_id: int
    kind: str
    urgent: bool
    received: str
    doc_type: str
    page_count: int
    reasons: list[str]
    best: Candidate | None


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass
class Field:
    label: str
    value: str
    confidence: str


@dataclass
class ItemView:
    """One review item as the decision page shows it."""

    review_id: int
    kind: str
    urgent: bool
    state: str
    reasons: list[str]
    document_id: int
    doc_type: str
    doc_date: str | None
    sender: str
    source: str
    source_pages: tuple[int, int]
    received: str
    page_count: int
    fields: list[Field]
    candidates: list[Candidate]
    proposed_split: str
    position: int  # 1-based place in the queue
    queue_total: int
    next_review_id: int | None


_QUEUE_ORDER = (ReviewItem.urgent.desc(), ReviewItem.created_at, ReviewItem.id)
# what a worklist row shows (columns, not whole rows: a document's entities and match details stay unread)
_ROW_COLUMNS = (ReviewItem.id, ReviewItem.document_id, ReviewItem.kind, ReviewItem.urgent, ReviewItem.reasons_json,
                ReviewItem.candidates_json, Document.doc_type, Document.first_page, Document.last_page,
                IntakeItem.received_at)
FIELD_LABELS = {"dob": "date of birth", "family_name": "family name", "given_name": "given name",
                "middle_name": "middle name", "sex": "sex", "mrn": "MRN", "phone": "phone", "address": "address"}


def _evidence(reasons: dict[str, str]) -> list[Evidence]:
    out = []
    for key, text in reasons.items():
        verdict = "conflict" if re.search(r"(^|\s)-\d", text) else "match" if re.search(r"\+\d", text) else "neutral"
        out.append(Evidence(FIELD_LABELS.get(key, key.replace("_", " ")), text, verdict))
    return out


def _patients(s: Session, mrns: set[str]) -> dict[str, Patient]:
    if not mrns:
        return {}
    return {p.mrn: p for p in s.scalars(select(Patient).where(Patient.mrn.in_(sorted(mrns))))}


def _candidate(raw: dict[str, Any], patient: Patient | None) -> Candidate:
    mrn = str(raw.get("mrn", ""))
    return Candidate(mrn=mrn, name=patient.display_name if patient else "(not in the roster)",
                     dob=patient.dob.isoformat() if patient and patient.dob else None,
                     sex=patient.sex if patient else None, score=raw.get("score"), grade=str(raw.get("grade") or ""),
                     evidence=_evidence(raw.get("reasons") or {}))


def review_queue(office: Office, actor: Actor, page: int = 1, page_size: int = 25) -> Queue:
    """One page of open review items, urgent first, then oldest (audited: the documents listed)."""
    require(actor, Action.REVIEW_LIST)
    page, page_size = max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)
    open_items = ReviewItem.state == ReviewState.OPEN
    with office.db.read() as s:
        total = s.scalar(select(func.count()).select_from(ReviewItem).where(open_items)) or 0
        rows = s.execute(select(*_ROW_COLUMNS)
                         .join(Document, Document.id == ReviewItem.document_id)
                         .join(IntakeItem, IntakeItem.id == Document.intake_item_id)
                         .where(open_items).order_by(*_QUEUE_ORDER)
                         .offset((page - 1) * page_size).limit(page_size)).all()
        firsts = [(json.loads(row.candidates_json or "[]") or [None])[0] for row in rows]
        people = _patients(s, {str(c["mrn"]) for c in firsts if c})
    out = [QueueRow(row.id, row.document_id, row.kind, bool(row.urgent), f"{row.received_at:%Y-%m-%d %H:%M}",
                    row.doc_type, row.last_page - row.first_page + 1, json.loads(row.reasons_json or "[]"),
                    _candidate(first, people.get(str(first["mrn"]))) if first else None)
           for row, first in zip(rows, firsts, strict=True)]
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "review.list", "R", [r.document_id for r in out], [r.best.mrn for r in out if r.best],
        detail=f"page {page}: {len(out)} of {total} items"))
    return Queue(out, total, page, page_size)


def _fields(doc: Document) -> list[Field]:
    ents = json.loads(doc.entities_json or "{}")

    def first(key: str) -> dict[str, Any] | None:
        values = ents.get(key) or []
        return values[0] if isinstance(values, list) and values else None

    def conf(item: dict[str, Any] | None) -> str:
        value = item.get("confidence") if item else None
        return f"{value:.0%}" if isinstance(value, int | float) else "—"

    name, dob, mrn = first("patient_names"), first("dobs"), first("mrns")
    name_text = " ".join(str(name.get(k) or "") for k in ("given", "middle", "family")).split() if name else []
    mrn_text = f"{mrn.get('value')}{' (another facility)' if mrn and mrn.get('scheme') == 'foreign' else ''}" \
        if mrn else ""
    return [
        Field("Patient name", " ".join(name_text), conf(name)),
        Field("Date of birth", str(dob.get("value") or "") if dob else "", conf(dob)),
        Field("MRN", mrn_text, conf(mrn)),
        Field("Sex", str(ents.get("sex") or ""), "—"),
        Field("Document type", doc.doc_type.replace("_", " "), f"{doc.doc_type_confidence:.0%}"),
        Field("Document date", doc.doc_date.isoformat() if doc.doc_date else "", "—"),
        Field("Sender", doc.sender_org or "", "—"),
    ]


def _neighbours(s: Session, item: ReviewItem) -> tuple[int, int, int | None]:
    """(position in the queue, queue size, the next item's id) for an open item."""
    open_items = ReviewItem.state == ReviewState.OPEN
    total = s.scalar(select(func.count()).select_from(ReviewItem).where(open_items)) or 0
    later = or_(ReviewItem.created_at > item.created_at,
                and_(ReviewItem.created_at == item.created_at, ReviewItem.id > item.id))
    if item.urgent:  # urgent items come first: after an urgent one are later urgent ones and all the others
        after = or_(ReviewItem.urgent.is_(False), and_(ReviewItem.urgent.is_(True), later))
    else:
        after = and_(ReviewItem.urgent.is_(False), later)
    ahead = s.scalar(select(func.count()).select_from(ReviewItem).where(open_items, ~after,
                                                                       ReviewItem.id != item.id)) or 0
    nxt = s.scalar(select(ReviewItem.id).where(open_items, after).order_by(*_QUEUE_ORDER).limit(1))
    if nxt is None:  # wrap round to the first item that is not this one
        nxt = s.scalar(select(ReviewItem.id).where(open_items, ReviewItem.id != item.id)
                       .order_by(*_QUEUE_ORDER).limit(1))
    return ahead + 1, total, nxt


def review_item(office: Office, actor: Actor, item_id: int) -> ItemView:
    """One item with its fields, candidates and place in the queue (audited as a view of the document)."""
    require(actor, Action.REVIEW_SHOW)
    with office.db.read() as s:
        item = s.get(ReviewItem, item_id)
        if item is None:
            raise NotFoundError(f"no review item {item_id}", hint="The queue lists the open items.")
        doc = item.document
        raw = json.loads(item.candidates_json or "[]")
        people = _patients(s, {str(c.get("mrn")) for c in raw})
        split = json.loads(item.proposed_split_json or "[]")
        position, total, nxt = _neighbours(s, item) if item.state == ReviewState.OPEN else (0, 0, None)
        view = ItemView(
            review_id=item.id, kind=item.kind, urgent=bool(item.urgent), state=item.state,
            reasons=json.loads(item.reasons_json or "[]"), document_id=doc.id, doc_type=doc.doc_type,
            doc_date=doc.doc_date.isoformat() if doc.doc_date else None, sender=doc.sender_org or "",
            source=doc.intake_item.original_name, source_pages=(doc.first_page, doc.last_page),
            received=f"{doc.intake_item.received_at:%Y-%m-%d %H:%M}", page_count=doc.last_page - doc.first_page + 1,
            fields=_fields(doc), candidates=[_candidate(c, people.get(str(c.get("mrn")))) for c in raw],
            proposed_split=_split_text(split), position=position, queue_total=total, next_review_id=nxt)
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "document.view", "R", [view.document_id], [c.mrn for c in view.candidates], detail=f"review item {item_id}"))
    return view


def _split_text(split: Any) -> str:
    """A proposed split as the clerk types it (``1-2,3-5``)."""
    parts = []
    for part in split if isinstance(split, list) else []:
        pages = part.get("pages") if isinstance(part, dict) else part
        if isinstance(pages, list | tuple) and len(pages) == 2:
            parts.append(f"{pages[0]}-{pages[1]}" if pages[0] != pages[1] else str(pages[0]))
    return ",".join(parts)


_DOB = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$|^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _as_dob(text: str) -> date | None:
    m = _DOB.match(text)
    if not m:
        return None
    try:
        if m.group(1):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return date(int(m.group(6)), int(m.group(4)), int(m.group(5)))
    except ValueError:
        return None


def patient_lookup(office: Office, actor: Actor, text: str, limit: int = LOOKUP_LIMIT) -> list[Candidate]:
    """Patients whose MRN, DOB (YYYY-MM-DD or MM/DD/YYYY) or name starts with what was typed (audited)."""
    require(actor, Action.PATIENT_LOOKUP)
    q = " ".join(text.split())[:100]
    if len(q) < 2:
        return []
    if any(ch in q for ch in "%_\\"):
        raise InputError("type letters, digits, '/', '-' or spaces")
    dob = _as_dob(q)
    if dob is not None:
        cond = Patient.dob == dob
    else:
        words = [w.strip(",") for w in q.split() if w.strip(",")]
        cond = Patient.mrn.ilike(f"{q}%")
        name_conds = [or_(Patient.family_name.ilike(f"{w}%"), Patient.given_name.ilike(f"{w}%")) for w in words]
        cond = or_(cond, and_(*name_conds)) if name_conds else cond
    with office.db.read() as s:
        found = list(s.scalars(select(Patient).where(cond).order_by(Patient.family_name, Patient.given_name,
                                                                    Patient.dob).limit(limit)))
    out = [Candidate(p.mrn, p.display_name, p.dob.isoformat() if p.dob else None, p.sex) for p in found]
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "patient.lookup", "R", (), [c.mrn for c in out], detail=f"{len(out)} patients"))
    return out
