"""The request log: logging requests for records, due dates, the one extension, closing.

Owns every write to ``roi_requests``.  Due dates follow 45 CFR 164.524(b)(2):
a patient's own access request is due 30 days after receipt, extendable once
by 30 days with a written reason recorded before the first deadline passes.
Requests on other bases have no regulatory due date (``due_on`` is empty) and
are listed by age.  Every write appends an audit event (``roi.request.*``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.roi import lookup
from indexer.roi.authorizations import check_doc_types
from indexer.roi.models import CHANNELS, Request, join_list
from intake.errors import InputError, RefusedError

log = logging.getLogger(__name__)

ACCESS_DUE_DAYS = 30  # 164.524(b)(2)(i)
EXTENSION_DAYS = 30  # 164.524(b)(2)(ii), once
REQUEST_BASES = ("authorization", "individual", "legal", "other", "tpo")
CLOSING_STATUSES = ("fulfilled", "denied", "withdrawn")


@dataclass
class RequestFields:
    """What a clerk logs about an incoming request."""

    received_on: date
    channel: str
    requester: str
    recipient_name: str
    basis: str
    recipient_address: str | None = None
    authorization_id: int | None = None
    legal_reference: str | None = None
    records_requested: str = ""
    doc_types: list[str] = field(default_factory=list)
    info_from: date | None = None
    info_to: date | None = None


def due_date(basis: str, received_on: date) -> date | None:
    """Regulatory due date of a request: 30 days after receipt for the individual's own access."""
    return received_on + timedelta(days=ACCESS_DUE_DAYS) if basis == "individual" else None


def _check_fields(s: Session, patient_id: int, f: RequestFields, today: date) -> None:
    if f.basis not in REQUEST_BASES:
        raise InputError(f"unknown legal basis {f.basis!r}", hint=f"use one of {', '.join(REQUEST_BASES)}")
    if f.channel not in CHANNELS:
        raise InputError(f"unknown channel {f.channel!r}", hint=f"use one of {', '.join(CHANNELS)}")
    if f.received_on > today:
        raise InputError(f"received date {f.received_on} is in the future")
    if not f.requester.strip() or not f.recipient_name.strip():
        raise InputError("requester and recipient are required")
    if f.info_from and f.info_to and f.info_from > f.info_to:
        raise InputError("the requested date range ends before it starts")
    if f.basis == "authorization":
        if f.authorization_id is None:
            raise InputError("a request on the basis of an authorization needs --authorization ID")
        if lookup.authorization(s, f.authorization_id).patient_id != patient_id:
            raise RefusedError(f"authorization #{f.authorization_id} is for another patient")
    if f.basis in ("legal", "other") and not (f.legal_reference or "").strip():
        raise InputError(f"a request on a {f.basis} basis needs --legal-reference "
                         "(e.g. the subpoena or court order number, or the law relied on)")


def add(s: Session, *, mrn: str, fields: RequestFields, actor: str, today: date) -> Request:
    """Log a request and compute its due date."""
    patient = lookup.patient_by_mrn(s, mrn)
    _check_fields(s, patient.id, fields, today)
    due = due_date(fields.basis, fields.received_on)
    req = Request(
        patient_id=patient.id, received_on=fields.received_on, channel=fields.channel,
        requester=fields.requester.strip(), recipient_name=fields.recipient_name.strip(),
        recipient_address=(fields.recipient_address or "").strip() or None, basis=fields.basis,
        authorization_id=fields.authorization_id, legal_reference=(fields.legal_reference or "").strip() or None,
        records_requested=fields.records_requested.strip(), doc_types=join_list(check_doc_types(fields.doc_types)),
        info_from=fields.info_from, info_to=fields.info_to, due_on=due, original_due_on=due,
        status="open", created_by=actor,
    )
    s.add(req)
    s.flush()
    audit(s, actor=actor, action="C", event_type="roi.request.add", patient_mrn=patient.mrn,
          detail=f"request {req.id}: basis {req.basis}, due {due.isoformat() if due else 'n/a'}")
    log.info("request %s logged (basis %s)", req.id, req.basis)
    return req


def extend(s: Session, ident: int, *, reason: str, actor: str, today: date) -> Request:
    """Record the one 30-day extension of an access request (before its first deadline)."""
    req = lookup.request(s, ident)
    if req.basis != "individual" or req.due_on is None:
        raise RefusedError(f"request #{ident} is not an individual's access request; no extension applies")
    if req.status != "open":
        raise RefusedError(f"request #{ident} is {req.status}")
    if req.extended_on is not None:
        raise RefusedError(f"request #{ident} was already extended on {req.extended_on}; "
                           "only one extension is allowed [164.524(b)(2)(iii)]")
    if today > req.due_on:
        raise RefusedError(f"request #{ident} was due {req.due_on}; an extension must be recorded "
                           "(and the individual told) before the first deadline")
    if not reason.strip():
        raise InputError("the extension needs a reason (it is given to the individual in writing)")
    req.due_on = req.due_on + timedelta(days=EXTENSION_DAYS)
    req.extension_reason, req.extended_by, req.extended_on = reason.strip(), actor, today
    audit(s, actor=actor, action="U", event_type="roi.request.extend", patient_mrn=lookup.mrn_of(s, req.patient_id),
          detail=f"request {req.id}: due {req.original_due_on} -> {req.due_on}")
    return req


def close(s: Session, ident: int, *, status: str, reason: str | None, actor: str, today: date) -> Request:
    """Close an open request as fulfilled, denied or withdrawn."""
    if status not in CLOSING_STATUSES:
        raise InputError(f"status must be one of {', '.join(CLOSING_STATUSES)}")
    req = lookup.request(s, ident)
    if req.status != "open":
        raise RefusedError(f"request #{ident} is already {req.status}")
    req.status, req.closed_on, req.close_reason = status, today, (reason or "").strip() or None
    audit(s, actor=actor, action="U", event_type="roi.request.close", patient_mrn=lookup.mrn_of(s, req.patient_id),
          detail=f"request {req.id}: {status}")
    return req


@dataclass(frozen=True)
class OpenRequest:
    """One line of the open-requests list."""

    request: Request
    age_days: int
    days_left: int | None  # negative = overdue

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def list_requests(s: Session, *, today: date, include_closed: bool = False,
                  mrn: str | None = None) -> list[OpenRequest]:
    """Requests oldest first (open only unless ``include_closed``), with age and days left."""
    query = select(Request).order_by(Request.received_on, Request.id)
    if not include_closed:
        query = query.where(Request.status == "open")
    if mrn:
        query = query.where(Request.patient_id == lookup.patient_by_mrn(s, mrn).id)
    return [OpenRequest(r, (today - r.received_on).days, (r.due_on - today).days if r.due_on else None)
            for r in s.scalars(query)]

