"""Review-queue commands and queries: list, show, file, split, reject.

Owns what a clerk's review actions mean for both front ends: the audited
reads of the queue and of one item (its page text is a disclosure), and the
decisions (:mod:`indexer.review` holds their rules), each in one transaction
and followed by the index writer for the documents it changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.indexing import after_commit
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer import review as rules
from indexer.db.models import Document, Page, ReviewItem
from intake.errors import NotFoundError


@dataclass
class DecisionResult:
    """What a review decision did, for the front end to report."""

    document_ids: list[int]
    message: str


def _summary(item: ReviewItem, doc: Document) -> dict[str, Any]:
    candidates = json.loads(item.candidates_json or "[]")
    return {
        "review_id": item.id, "document_id": doc.id, "kind": item.kind, "urgent": item.urgent,
        "source": doc.intake_item.original_name, "pages": [doc.first_page, doc.last_page],
        "doc_type": doc.doc_type, "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
        "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"),
        "reasons": json.loads(item.reasons_json or "[]"),
        "candidates": [{"mrn": c["mrn"], "score": c["score"], "grade": c.get("grade")} for c in candidates],
    }


def review_list(office: Office, actor: Actor) -> list[dict[str, Any]]:
    """Open review items, urgent first, then oldest (audited as a read of their documents)."""
    require(actor, Action.REVIEW_LIST)
    with office.db.transaction() as s:
        rows = [_summary(i, i.document) for i in rules.list_open(s)]
        disclosure.record(s, actor, disclosure.Disclosure(
            "review.list", "R", [int(r["document_id"]) for r in rows], detail=f"{len(rows)} items"))
    return rows


def review_show(office: Office, actor: Actor, item_id: int) -> dict[str, Any]:
    """One review item: candidates with per-field evidence and the page text (audited as a view)."""
    require(actor, Action.REVIEW_SHOW)
    with office.db.transaction() as s:
        item = s.get(ReviewItem, item_id)
        if item is None:
            raise NotFoundError(f"no review item {item_id}")
        doc = item.document
        pages = s.scalars(select(Page).where(Page.intake_item_id == doc.intake_item_id,
                                             Page.number.between(doc.first_page, doc.last_page))
                          .order_by(Page.number)).all()
        info = _summary(item, doc)
        info["state"] = item.state
        info["candidates"] = json.loads(item.candidates_json or "[]")
        info["proposed_split"] = json.loads(item.proposed_split_json or "[]")
        info["pages_text"] = [{"page": p.number, "source": p.source, "confidence": p.confidence,
                               "text": p.text} for p in pages]
        mrns = [doc.patient.mrn] if doc.patient is not None else []
        disclosure.record(s, actor, disclosure.Disclosure("document.view", "R", [doc.id], mrns,
                                                          detail=f"review item {item.id}"))
    return info


def _decided(office: Office, decision: rules.Decision) -> DecisionResult:
    after_commit(office)
    return DecisionResult(decision.document_ids, decision.message)


def review_file(office: Office, actor: Actor, item_id: int, mrn: str, learn: bool = True) -> DecisionResult:
    """File the item's document to the chart ``mrn`` (remembering a differing name as an alias)."""
    require(actor, Action.REVIEW_FILE)
    with office.db.transaction() as s:
        decision = rules.file_document(s, item_id, mrn, actor.audit_name, remember=learn)
    return _decided(office, decision)


def review_split(office: Office, actor: Actor, item_id: int, spec: str) -> DecisionResult:
    """Split the item's document at page boundaries (``1-2,3-5``); each part is matched on its own."""
    require(actor, Action.REVIEW_SPLIT)
    with office.db.transaction() as s:
        decision = rules.split_document(s, office.cfg, item_id, spec, actor.audit_name)
    return _decided(office, decision)


def review_reject(office: Office, actor: Actor, item_id: int, reason: str) -> DecisionResult:
    """Reject the item's document (it stays in the archive and the history)."""
    require(actor, Action.REVIEW_REJECT)
    with office.db.transaction() as s:
        decision = rules.reject_document(s, item_id, reason, actor.audit_name)
    return _decided(office, decision)


def refile(office: Office, actor: Actor, document_id: int, mrn: str, reason: str) -> DecisionResult:
    """Move a filed document to another chart (the old filing stays in the history)."""
    require(actor, Action.DOCUMENT_REFILE)
    with office.db.transaction() as s:
        decision = rules.refile_document(s, document_id, mrn, reason, actor.audit_name)
    return _decided(office, decision)
