"""Draft authorizations from scanned forms, waiting in the review queue for a clerk.

Owns the hook the filing service calls for a document classified
``roi_authorization``: the form text is parsed (:mod:`indexer.roi.formparse`)
into a ``draft`` authorization linked to its source document and patient (if
the document was filed).  A draft is never releasable (validation says so);
``chartfile roi authorization confirm ID`` makes it active.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import Document, Page
from indexer.roi import lookup
from indexer.roi.authorizations import evaluate
from indexer.roi.formparse import ParsedForm, parse_form
from indexer.roi.models import Authorization, join_list
from indexer.roi.validation import load_stored
from intake.model import Entities

log = logging.getLogger(__name__)


def page_texts_for(s: Session, document: Document) -> list[str]:
    """Text of the document's pages in order (as stored by the filing service)."""
    return list(s.scalars(
        select(Page.text).where(Page.intake_item_id == document.intake_item_id,
                                Page.number >= document.first_page, Page.number <= document.last_page)
        .order_by(Page.number)))


def _signed_fallback(entities: Entities) -> date | None:
    """A date the entity extractor labelled as a signature date, if the form parser found none."""
    for mention in entities.dates:
        if mention.label and "sign" in mention.label.lower():
            try:
                return date.fromisoformat(mention.value)
            except ValueError:
                continue
    return None


def _draft(document: Document, form: ParsedForm) -> Authorization:
    return Authorization(
        status="draft", patient_id=document.patient_id, source_document_id=document.id,
        discloser=form.discloser, recipient_name=form.recipient_name, recipient_address=form.recipient_address,
        description=form.description, doc_types=join_list(form.doc_types), info_from=form.info_from,
        info_to=form.info_to, purpose=form.purpose, expires_on=form.expires_on,
        expiration_event=form.expiration_event, expiry_phrase=form.expiry_phrase, signed_on=form.signed_on,
        signer_name=form.signer_name,
        signed_by_representative=form.representative_authority is not None,
        representative_authority=form.representative_authority, stmt_revocation=form.stmt_revocation,
        stmt_conditioning=form.stmt_conditioning, stmt_redisclosure=form.stmt_redisclosure,
        created_by="system",
    )


def draft_from_document(s: Session, document: Document, entities: Entities, page_texts: list[str],
                        today: date | None = None) -> Authorization | None:
    """Create the draft authorization for a scanned form (None if the form already has one)."""
    existing = s.scalars(select(Authorization.id).where(Authorization.source_document_id == document.id)).first()
    if existing is not None:
        return None
    today = today or date.today()
    form = parse_form("\n".join(page_texts), today)
    if form.signed_on is None:
        form.signed_on = _signed_fallback(entities)
        form.resolve_expiry(today)  # "one year from the date signed" counts from this date
    auth = _draft(document, form)
    s.add(auth)
    s.flush()
    result = evaluate(s, auth, today)
    audit(s, actor="system", action="C", event_type="roi.authorization.draft",
          patient_mrn=lookup.mrn_of(s, document.patient_id), document_ids=[document.id],
          detail=f"authorization {auth.id}: draft from scan; missing {', '.join(result.missing) or 'nothing'}")
    log.info("draft authorization %s from document %s (%d fields found)", auth.id, document.id, len(form.found))
    return auth


def review_reasons(auth: Authorization) -> list[str]:
    """Why the draft waits for a clerk (stored on its review item)."""
    stored = load_stored(auth.validation_json)
    missing = [p for p in (stored.problems if stored else []) if p.startswith("missing")]
    return [f"draft authorization #{auth.id} from a scanned form: check it against the form and run "
            f"'chartfile roi authorization confirm {auth.id}'"] + missing
