"""JSON Lines exports of documents and of the intake ledger (a stable public format).

``documents export``: one object per document with ``document_id, source,
source_sha256, pages, status, patient_mrn, match, doc_type, doc_date,
entities, text``.  ``intake export``: one object per source file with
``source, sha256, received_at, status, reason, documents`` (plus ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.db.models import Document, IntakeItem, Page

_INTAKE_STATUS = {
    "processed": "processed",
    "quarantined": "quarantined",
    "duplicate": "duplicate",
    "receiving": "pending",
    "received": "pending",
    "processing": "pending",
}


def document_record(doc: Document, pages: list[Page]) -> dict[str, Any]:
    """The export object of one document."""
    match = json.loads(doc.match_json or "{}")
    text = "\n\f\n".join(p.text for p in pages if doc.first_page <= p.number <= doc.last_page)
    return {
        "document_id": doc.id,
        "source": doc.intake_item.original_name,
        "source_sha256": doc.intake_item.sha256,
        "intake_id": doc.intake_item_id,
        "pages": [doc.first_page, doc.last_page],
        "status": doc.status,
        "patient_mrn": doc.patient.mrn if doc.status == "filed" and doc.patient else None,
        "match": {
            "score": match.get("score"),
            "grade": match.get("grade"),
            "reasons": match.get("reasons", []) + match.get("review_reasons", []),
            "candidates": [{"mrn": c["mrn"], "score": c["score"]} for c in match.get("candidates", [])],
        },
        "doc_type": doc.doc_type,
        "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
        "urgent": doc.urgent,
        "entities": json.loads(doc.entities_json or "{}"),
        "text": text,
    }


def iter_documents(session: Session, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every document in id order, streamed."""
    last = 0
    while True:
        docs = list(session.scalars(
            select(Document).where(Document.id > last, Document.status != "split")
            .order_by(Document.id).limit(batch)
            .options(selectinload(Document.patient), selectinload(Document.intake_item))
        ))
        if not docs:
            return
        item_ids = {d.intake_item_id for d in docs}
        pages: dict[int, list[Page]] = {}
        for p in session.scalars(select(Page).where(Page.intake_item_id.in_(item_ids)).order_by(Page.number)):
            pages.setdefault(p.intake_item_id, []).append(p)
        for d in docs:
            yield document_record(d, pages.get(d.intake_item_id, []))
        last = docs[-1].id


def intake_record(item: IntakeItem) -> dict[str, Any]:
    """The export object of one received source file."""
    return {
        "intake_id": item.id,
        "source": item.original_name,
        "sha256": item.sha256,
        "size": item.size,
        "received_at": item.received_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": _INTAKE_STATUS.get(item.state, item.state),
        "reason": item.reason,
        "duplicate_of": item.duplicate_of_id,
        "attempts": item.attempts,
        "documents": [d.id for d in item.documents],
    }


def iter_intake(session: Session) -> Iterator[dict[str, Any]]:
    """Every intake item in id order."""
    stmt = select(IntakeItem).order_by(IntakeItem.id).options(selectinload(IntakeItem.documents))
    for item in session.scalars(stmt):
        yield intake_record(item)
