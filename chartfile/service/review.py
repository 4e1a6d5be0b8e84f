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
from indexer.audit import record as audit
from indexer.db.models import Document, Page, ReviewItem
from indexer.guard import FilingRefused
from intake.model import Entities


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
        "sender": doc.sender_org,
        "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"),
        "reasons": json.loads(item.reasons_json or "[]"),
        "candidates": [{"mrn": c["mrn"], "score": c["score"], "grade": c.get("grade")} for c in candidates],
    }


def read_identifiers(e: Entities) -> dict[str, list[str]]:
    """The names, DOBs and MRNs read from a document, as a clerk compares them with a chart."""
    names = [" ".join(x for x in (n.given, n.middle, n.family) if x) for n in e.patient_names]
    mrns = [m.value + (" (another facility's)" if m.scheme == "foreign" else "") for m in e.mrns]
    return {"names": list(dict.fromkeys(names)), "DOB": list(dict.fromkeys(d.value for d in e.dobs)),
            "MRN": list(dict.fromkeys(mrns)), "sex": [e.sex] if e.sex else []}


def review_list(office: Office, actor: Actor) -> list[dict[str, Any]]:
    """Open review items, urgent first, then oldest (audited as a read of their documents)."""
    require(actor, Action.REVIEW_LIST)
    with office.db.transaction() as s:
        rows = [_summary(i, i.document) for i in rules.list_open(s)]
        disclosure.record(s, actor, disclosure.Disclosure(
            "review.list", "R", [int(r["document_id"]) for r in rows], detail=f"{len(rows)} items"))
    return rows


def review_show(office: Office, actor: Actor, ref: str | int) -> dict[str, Any]:
    """One review item (``12`` or ``D9``): candidates with evidence and the page text (audited as a view)."""
    require(actor, Action.REVIEW_SHOW)
    with office.db.transaction() as s:
        item = rules.find_item(s, ref, open_only=False)
        doc = item.document
        pages = s.scalars(select(Page).where(Page.intake_item_id == doc.intake_item_id,
                                             Page.number.between(doc.first_page, doc.last_page))
                          .order_by(Page.number)).all()
        info = _summary(item, doc)
        info["state"] = item.state
        info["candidates"] = json.loads(item.candidates_json or "[]")
        info["proposed_split"] = json.loads(item.proposed_split_json or "[]")
        info["read"] = read_identifiers(Entities.from_dict(json.loads(doc.entities_json or "{}")))
        info["pages_text"] = [{"page": p.number, "source": p.source, "confidence": p.confidence,
                               "text": p.text} for p in pages]
        mrns = [doc.patient.mrn] if doc.patient is not None else []
        disclosure.record(s, actor, disclosure.Disclosure("document.view", "R", [doc.id], mrns,
                                                          detail=f"review item {item.id}"))
    return info


def _decided(office: Office, decision: rules.Decision) -> DecisionResult:
    after_commit(office)
    return DecisionResult(decision.document_ids, decision.message)


def _refused(office: Office, actor: Actor, event: str, err: FilingRefused, ref: str | int) -> None:
    """A refused filing is itself audited (outcome failure), in its own transaction, naming the chart tried."""
    with office.db.transaction() as s:
        audit(s, actor=actor.audit_name, action="U", event_type=event, patient_mrn=err.mrn,
              document_ids=[err.document_id], outcome="failure",
              detail=f"refused ({ref}): {', '.join(c.field.value for c in err.found)} contradict the chart")


def review_file(office: Office, actor: Actor, ref: str | int, mrn: str, learn: bool = True,
                override_reason: str | None = None) -> DecisionResult:
    """File a document from the queue (``12`` or ``D9``) to the chart ``mrn``.

    Refused (:class:`FilingRefused`, exit 6) when the document's name, DOB, sex or MRN contradicts the
    chart, unless ``override_reason`` is given; a differing but compatible name is learned as an alias.
    """
    require(actor, Action.REVIEW_FILE)
    try:
        with office.db.transaction() as s:
            decision = rules.file_document(s, ref, mrn, actor.audit_name, remember=learn,
                                           override_reason=override_reason)
    except FilingRefused as err:
        _refused(office, actor, "review.file", err, ref)
        raise
    return _decided(office, decision)


def review_split(office: Office, actor: Actor, ref: str | int, spec: str) -> DecisionResult:
    """Split the document at page boundaries (``1-2,3-5``); each part is matched and described on its own."""
    require(actor, Action.REVIEW_SPLIT)
    with office.db.transaction() as s:
        decision = rules.split_document(s, office.cfg, ref, spec, actor.audit_name)
    return _decided(office, decision)


def review_reject(office: Office, actor: Actor, ref: str | int, reason: str) -> DecisionResult:
    """Reject the document (it stays in the archive and the history, and leaves search)."""
    require(actor, Action.REVIEW_REJECT)
    with office.db.transaction() as s:
        decision = rules.reject_document(s, ref, reason, actor.audit_name)
    return _decided(office, decision)


def refile(office: Office, actor: Actor, ref: str | int, mrn: str, reason: str,
           override_reason: str | None = None) -> DecisionResult:
    """Move a filed document to another chart (guarded like filing; the old filing stays in the history)."""
    require(actor, Action.DOCUMENT_REFILE)
    try:
        with office.db.transaction() as s:
            decision = rules.refile_document(s, ref, mrn, reason, actor.audit_name, override_reason=override_reason)
    except FilingRefused as err:
        _refused(office, actor, "document.refile", err, ref)
        raise
    return _decided(office, decision)
