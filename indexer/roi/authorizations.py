"""Service layer for authorizations: add, confirm a draft, revoke, record an event, flag as false.

Owns every write to ``roi_authorizations`` except draft creation (see
:mod:`indexer.roi.drafts`).  Each function runs in the caller's transaction,
re-evaluates and stores the validation for the given ``today`` and appends
an audit event (``roi.authorization.*``) naming the patient MRN and the
source document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.models import ReviewItem, utcnow
from indexer.roi import lookup
from indexer.roi.expiry import ExpiryKind, interpret
from indexer.roi.models import Authorization, join_list
from indexer.roi.scope import ALL_TYPES
from indexer.roi.validation import Validation, check_signer, validate
from intake.doctype import DOC_TYPES
from intake.errors import InputError, RefusedError

log = logging.getLogger(__name__)

STATEMENTS = {"revocation": "stmt_revocation", "conditioning": "stmt_conditioning",
              "redisclosure": "stmt_redisclosure"}


@dataclass
class AuthorizationFields:
    """Fields a clerk enters or completes; ``None`` means "not given / leave as is"."""

    discloser: str | None = None
    recipient_name: str | None = None
    recipient_address: str | None = None
    description: str | None = None
    doc_types: list[str] | None = None
    info_from: date | None = None
    info_to: date | None = None
    purpose: str | None = None
    expires_on: date | None = None
    expiration_event: str | None = None
    expiry_text: str | None = None  # an expiry typed as words: "one year from the date signed"
    signed_on: date | None = None
    signer_name: str | None = None
    signed_by_representative: bool | None = None
    representative_authority: str | None = None
    statements: list[str] | None = None  # of STATEMENTS
    source_document_id: int | None = None


def check_doc_types(values: Iterable[str]) -> list[str]:
    """Normalised document types; unknown names raise InputError."""
    out = [v.strip().lower() for v in values if v.strip()]
    unknown = sorted(set(out) - set(DOC_TYPES) - {ALL_TYPES})
    if unknown:
        raise InputError(f"unknown document type(s): {', '.join(unknown)}",
                         hint=f"use {ALL_TYPES} or any of: {', '.join(DOC_TYPES)}")
    return out


def check_statements(values: Iterable[str]) -> list[str]:
    out = [v.strip().lower() for v in values if v.strip()]
    unknown = sorted(set(out) - set(STATEMENTS))
    if unknown:
        raise InputError(f"unknown statement(s): {', '.join(unknown)}",
                         hint=f"statements are {', '.join(STATEMENTS)}")
    return out


EXPIRY_FIELDS = ("expires_on", "expiration_event", "expiry_text")


def apply_fields(auth: Authorization, given: AuthorizationFields, *, actor: str, today: date) -> None:
    """Copy every given field onto the row (validated names and types), then settle the expiry."""
    for f in fields(given):
        value = getattr(given, f.name)
        if value is None or f.name in EXPIRY_FIELDS:
            continue
        if f.name == "doc_types":
            auth.doc_types = join_list(check_doc_types(value))
        elif f.name == "statements":
            for code in check_statements(value):
                setattr(auth, STATEMENTS[code], True)
        elif isinstance(value, str):
            setattr(auth, f.name, value.strip() or None)
        else:
            setattr(auth, f.name, value)
    if auth.representative_authority:
        auth.signed_by_representative = True
    if any(getattr(given, name) is not None for name in EXPIRY_FIELDS):
        enter_expiry(auth, given, actor=actor, today=today)
    else:
        settle_expiry(auth, today)


def enter_expiry(auth: Authorization, given: AuthorizationFields, *, actor: str, today: date) -> None:
    """A clerk enters the expiry: a date, words ("90 days after signature"), and/or an event.

    Words that are a duration become a date counted from the signature; a
    duration is never stored as an event.  What cannot be worked out is refused
    with the reason, so the clerk enters a date instead.
    """
    phrase = (given.expiry_text or given.expiration_event or "").strip() or None
    on, event = given.expires_on, None
    if phrase is not None:
        read = interpret(phrase, signed_on=auth.signed_on, today=today)
        if read.kind is ExpiryKind.EVENT and given.expiration_event is None:
            raise InputError(f"'{phrase}' is not a date or a length of time",
                             hint="give a date (--expires YYYY-MM-DD) or, for an event, --expiry-event TEXT")
        if read.kind in (ExpiryKind.NONE, ExpiryKind.UNKNOWN) or (read.kind is ExpiryKind.RELATIVE
                                                                   and read.on is None):
            raise InputError(f"cannot work out the expiry '{phrase}': {read.problem}",
                             hint="enter the date: --expires YYYY-MM-DD (and --signed DATE for a duration)")
        event = read.event
        if read.kind is not ExpiryKind.EVENT:
            on = min(d for d in (on, read.on) if d is not None)
    auth.expires_on, auth.expiration_event = on, event
    auth.expiry_phrase = phrase if phrase and event != phrase else None
    auth.expiry_entered_by = actor


def settle_expiry(auth: Authorization, today: date) -> None:
    """Re-derive the expiry from its written phrase (the signature date may have changed)."""
    if auth.expiry_phrase:
        read = interpret(auth.expiry_phrase, signed_on=auth.signed_on, today=today)
        auth.expires_on, auth.expiration_event = read.on, read.event
    elif auth.expiration_event:  # a row from before issue 18 may hold a duration as its "event"
        read = interpret(auth.expiration_event, signed_on=auth.signed_on, today=today)
        if read.kind is not ExpiryKind.EVENT:
            auth.expiry_phrase = auth.expiration_event
            auth.expires_on, auth.expiration_event = auth.expires_on or read.on, read.event


def evaluate(s: Session, auth: Authorization, today: date) -> Validation:
    """Validate for ``today`` and store the result on the row (only writes when it changed)."""
    if auth.expiration_event and not auth.expiry_phrase:
        settle_expiry(auth, today)
    result = validate(auth, today)
    result = check_signer(result, auth, auth.patient)
    stored = result.to_json()
    if auth.validation_json != stored or auth.valid != result.valid:
        auth.validation_json = stored
        auth.valid = result.valid
        auth.validated_on = today
    return result


def _audit(s: Session, auth: Authorization, *, actor: str, action: str, event: str, detail: str,
           outcome: str = "success") -> None:
    docs = [d for d in (auth.source_document_id, auth.revocation_document_id) if d]
    audit(s, actor=actor, action=action, event_type=f"roi.authorization.{event}",
          patient_mrn=lookup.mrn_of(s, auth.patient_id), document_ids=docs, outcome=outcome,
          detail=f"authorization {auth.id}: {detail}")


def _check_source(s: Session, auth: Authorization) -> None:
    """The scanned form (if linked) must exist and must not belong to another patient."""
    if auth.source_document_id is None:
        return
    doc = lookup.document(s, auth.source_document_id)
    if auth.patient_id is None:
        auth.patient_id = doc.patient_id
    elif doc.patient_id is not None and doc.patient_id != auth.patient_id:
        raise RefusedError(f"source document #{doc.id} is filed to another patient",
                           hint="link the form filed to this patient, or refile the form first")


def add(s: Session, *, mrn: str, given: AuthorizationFields, actor: str,
        today: date) -> tuple[Authorization, Validation]:
    """Record an authorization a clerk read from a form, with its validation for ``today``."""
    patient = lookup.patient_by_mrn(s, mrn)
    auth = Authorization(status="active", patient_id=patient.id, created_by=actor, confirmed_by=actor,
                         confirmed_at=utcnow(), doc_types="")
    apply_fields(auth, given, actor=actor, today=today)
    _check_source(s, auth)
    s.add(auth)
    s.flush()
    result = evaluate(s, auth, today)
    _audit(s, auth, actor=actor, action="C", event="add", detail=_result_detail(result))
    log.info("authorization %s added (valid=%s)", auth.id, result.valid)
    return auth, result


def _result_detail(result: Validation) -> str:
    if result.valid:
        return f"valid as of {result.as_of}"
    return f"invalid as of {result.as_of}" + (f"; missing {', '.join(result.missing)}" if result.missing else "")


def _resolve_review(s: Session, auth: Authorization, actor: str, resolution: str) -> None:
    if auth.source_document_id is None:
        return
    items = s.scalars(select(ReviewItem).where(ReviewItem.document_id == auth.source_document_id,
                                               ReviewItem.kind == "roi_draft", ReviewItem.state == "open"))
    for item in items:
        item.state, item.resolved_at, item.resolved_by = "resolved", utcnow(), actor
        item.resolution = resolution


def confirm(s: Session, ident: int, *, given: AuthorizationFields, mrn: str | None, actor: str,
            today: date) -> Validation:
    """Turn a draft into an active authorization after a clerk checked (and completed) it."""
    auth = lookup.authorization(s, ident)
    if auth.status != "draft":
        raise RefusedError(f"authorization #{ident} is already {auth.status}", hint="only drafts are confirmed")
    if mrn:
        patient = lookup.patient_by_mrn(s, mrn)
        if auth.patient_id is not None and auth.patient_id != patient.id:
            raise RefusedError(f"draft #{ident} belongs to another patient than MRN {mrn}")
        auth.patient_id = patient.id
    apply_fields(auth, given, actor=actor, today=today)
    _check_source(s, auth)
    if auth.patient_id is None:
        raise InputError(f"draft #{ident} has no patient", hint="give --mrn of the patient the form is about")
    auth.status, auth.confirmed_by, auth.confirmed_at = "active", actor, utcnow()
    result = evaluate(s, auth, today)
    _resolve_review(s, auth, actor, f"confirmed as authorization {auth.id}")
    _audit(s, auth, actor=actor, action="U", event="confirm", detail=_result_detail(result))
    log.info("authorization %s confirmed (valid=%s)", auth.id, result.valid)
    return result


def revoke(s: Session, ident: int, *, received_on: date, actor: str, today: date,
           revocation_document_id: int | None = None, note: str | None = None) -> Validation:
    """Record a written revocation, effective from the day the office received it."""
    auth = lookup.authorization(s, ident)
    if auth.revoked_on is not None:
        raise RefusedError(f"authorization #{ident} was already revoked (received {auth.revoked_on})")
    if received_on > today:
        raise InputError(f"revocation received date {received_on} is in the future")
    if revocation_document_id is not None:
        doc = lookup.document(s, revocation_document_id)
        if doc.patient_id is not None and doc.patient_id != auth.patient_id:
            raise RefusedError(f"document #{doc.id} is filed to another patient")
    auth.revoked_on, auth.revoked_by = received_on, actor
    auth.revocation_document_id, auth.revocation_note = revocation_document_id, note
    result = evaluate(s, auth, today)
    _audit(s, auth, actor=actor, action="U", event="revoke", detail=f"revocation received {received_on}")
    return result


def record_event(s: Session, ident: int, *, occurred_on: date, actor: str, today: date,
                 note: str | None = None) -> Validation:
    """Record that the authorization's expiration event has occurred."""
    auth = lookup.authorization(s, ident)
    if not auth.expiration_event:
        raise InputError(f"authorization #{ident} has no expiration event",
                         hint="it expires by date; nothing to record")
    if occurred_on > today:
        raise InputError(f"event date {occurred_on} is in the future")
    auth.event_occurred_on, auth.event_note = occurred_on, note
    result = evaluate(s, auth, today)
    _audit(s, auth, actor=actor, action="U", event="event", detail=f"expiration event on {occurred_on}")
    return result


def set_expiry(s: Session, ident: int, *, given: AuthorizationFields, actor: str, today: date) -> Validation:
    """A clerk enters (or corrects) the expiry of a draft or active authorization, as read on the form."""
    auth = lookup.authorization(s, ident)
    if given.expires_on is None and not given.expiry_text and not given.expiration_event:
        raise InputError("give the expiry", hint="--expires YYYY-MM-DD, --expires 'one year from the date signed' "
                                                 "or --expiry-event TEXT")
    before = auth.expires_on, auth.expiration_event
    enter_expiry(auth, given, actor=actor, today=today)
    result = evaluate(s, auth, today)
    now = _expiry_label(auth.expires_on, auth.expiration_event)
    _audit(s, auth, actor=actor, action="U", event="expiry", detail=f"expiry entered: was {_expiry_label(*before)}, "
                                                                    f"now {now}")
    return result


def _expiry_label(on: date | None, event: str | None) -> str:
    parts = ([on.isoformat()] if on is not None else []) + (["an event"] if event else [])
    return " or ".join(parts) or "none"


def flag_false(s: Session, ident: int, *, reason: str, actor: str, today: date) -> Validation:
    """Mark the authorization as containing material information known to be false."""
    auth = lookup.authorization(s, ident)
    auth.known_false, auth.known_false_reason = True, reason.strip() or None
    result = evaluate(s, auth, today)
    _audit(s, auth, actor=actor, action="U", event="flag_false", detail="marked as known false")
    return result


def list_for(s: Session, *, mrn: str | None = None, status: str | None = None) -> list[Authorization]:
    """Authorizations, newest first, optionally for one patient and/or one status."""
    query = select(Authorization).order_by(Authorization.id.desc())
    if mrn:
        query = query.where(Authorization.patient_id == lookup.patient_by_mrn(s, mrn).id)
    if status:
        query = query.where(Authorization.status == status)
    return list(s.scalars(query))


def audit_view(s: Session, auths: list[Authorization], *, actor: str, event: str) -> None:
    """One read event for showing or listing authorizations."""
    mrns = {lookup.mrn_of(s, a.patient_id) for a in auths}
    docs = [a.source_document_id for a in auths if a.source_document_id]
    audit(s, actor=actor, action="R", event_type=f"roi.authorization.{event}",
          patient_mrn=mrns.pop() if len(mrns) == 1 else None, document_ids=docs,
          detail=json.dumps({"authorizations": [a.id for a in auths]}))
