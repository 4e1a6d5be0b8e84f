"""Release-of-information commands and queries: authorizations, requests, releases, accounting.

Owns what the ROI specialist's front end may ask of :mod:`indexer.roi`
(which holds the 164.508/164.528 rules), each in one transaction with
today's date.  Reads are audited here; a release is checked, recorded and its
packet written by :func:`indexer.roi.releases.release` (refusals audited,
exit 6); an accounting written to a file is a disclosure (audited first,
written atomically, never over an existing file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.roi import accounting as acc
from indexer.roi import authorizations as auths
from indexer.roi import lookup, releases, requests, views
from indexer.roi.authorizations import AuthorizationFields
from indexer.roi.expiry import find_duration
from indexer.roi.models import CHANNELS, METHODS
from indexer.roi.requests import CLOSING_STATUSES, REQUEST_BASES, RequestFields
from indexer.roi.scope import plural
from indexer.roi.validation import AuthStatus
from intake.errors import RefusedError

__all__ = ["AUTH_STATUSES", "CHANNELS", "CLOSING_STATUSES", "METHODS", "RELEASE_BASES", "REQUEST_BASES",
           "AuthorizationFields", "RequestFields", "accounting", "authorization_add", "authorization_confirm",
           "authorization_event", "authorization_expiry", "is_duration",
           "authorization_flag_false", "authorization_list", "authorization_revoke", "authorization_show",
           "correct_release", "release", "release_list", "request_add", "request_close", "request_extend",
           "plural", "request_list", "views"]  # (views, plural: the text renderings both front ends share)

RELEASE_BASES = releases.BASES
STORED_STATUSES = ("draft", "active")  # what list_for filters on; the others are worked out for today
AUTH_STATUSES = ("active", *(st.value for st in AuthStatus))
ReleaseInput = releases.ReleaseInput
Correction = releases.Correction


def _auth_view(s: Any, auth_id: int, today: date) -> dict[str, Any]:
    a = lookup.authorization(s, auth_id)
    return views.authorization_dict(a, lookup.mrn_of(s, a.patient_id), auths.evaluate(s, a, today))


def authorization_add(office: Office, actor: Actor, mrn: str, fields: AuthorizationFields) -> dict[str, Any]:
    """Record an authorization from a signed form; returns it with its validation today."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    today = date.today()
    with office.db.transaction() as s:
        auth, _ = auths.add(s, mrn=mrn, given=fields, actor=actor.audit_name, today=today)
        return _auth_view(s, auth.id, today)


def authorization_confirm(office: Office, actor: Actor, auth_id: int, fields: AuthorizationFields,
                          mrn: str | None = None) -> dict[str, Any]:
    """Turn a draft from a scanned form into an active authorization."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    today = date.today()
    with office.db.transaction() as s:
        auths.confirm(s, auth_id, given=fields, mrn=mrn, actor=actor.audit_name, today=today)
        return _auth_view(s, auth_id, today)


def authorization_show(office: Office, actor: Actor, auth_id: int) -> dict[str, Any]:
    """One authorization with its validation as of today (audited)."""
    require(actor, Action.ROI_AUTHORIZATION_VIEW)
    with office.db.transaction() as s:
        a = lookup.authorization(s, auth_id)
        auths.audit_view(s, [a], actor=actor.audit_name, event="show")
        return _auth_view(s, auth_id, date.today())


def authorization_list(office: Office, actor: Actor, mrn: str | None = None,
                       status: str | None = None) -> list[dict[str, Any]]:
    """Authorizations, newest first, each re-validated as of today (audited)."""
    require(actor, Action.ROI_AUTHORIZATION_VIEW)
    today = date.today()
    stored = status if status in STORED_STATUSES else None
    with office.db.transaction() as s:
        found = auths.list_for(s, mrn=mrn, status=stored)
        rows = [views.authorization_dict(a, lookup.mrn_of(s, a.patient_id), auths.evaluate(s, a, today))
                for a in found]
        if status and stored is None:  # one status as of today: valid, expired, revoked, invalid
            rows = [d for d in rows if d["status"] == status]
            found = [a for a in found if a.id in {d["id"] for d in rows}]
        auths.audit_view(s, found, actor=actor.audit_name, event="list")
    return rows


def authorization_expiry(office: Office, actor: Actor, auth_id: int, fields: AuthorizationFields) -> dict[str, Any]:
    """A clerk enters the expiry as written on the form (a date, a length of time, or an event)."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    today = date.today()
    with office.db.transaction() as s:
        auths.set_expiry(s, auth_id, given=fields, actor=actor.audit_name, today=today)
        return _auth_view(s, auth_id, today)


def is_duration(text: str) -> bool:
    """True when ``text`` states a length of time ("one year from the date signed", "90 days")."""
    return find_duration(text) is not None


def authorization_revoke(office: Office, actor: Actor, auth_id: int, received: date, document_id: int | None,
                         note: str | None) -> str:
    """Record a written revocation (effective from the day received); returns the validity summary."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    with office.db.transaction() as s:
        v = auths.revoke(s, auth_id, received_on=received, actor=actor.audit_name, today=date.today(),
                         revocation_document_id=document_id, note=note)
    return v.summary


def authorization_event(office: Office, actor: Actor, auth_id: int, occurred: date, note: str | None) -> str:
    """Record that the authorization's expiration event happened; returns the validity summary."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    with office.db.transaction() as s:
        v = auths.record_event(s, auth_id, occurred_on=occurred, actor=actor.audit_name, today=date.today(),
                               note=note)
    return v.summary


def authorization_flag_false(office: Office, actor: Actor, auth_id: int, reason: str) -> str:
    """Mark an authorization as containing material information known to be false."""
    require(actor, Action.ROI_AUTHORIZATION_EDIT)
    with office.db.transaction() as s:
        v = auths.flag_false(s, auth_id, reason=reason, actor=actor.audit_name, today=date.today())
    return v.summary


@dataclass
class RequestInfo:
    id: int
    mrn: str
    basis: str
    status: str
    due_on: date | None
    original_due_on: date | None


def _request_info(req: Any) -> RequestInfo:
    return RequestInfo(req.id, req.patient.mrn, req.basis, req.status, req.due_on, req.original_due_on)


def request_add(office: Office, actor: Actor, mrn: str, fields: RequestFields) -> RequestInfo:
    """Log a request for records (its due date follows from the basis)."""
    require(actor, Action.ROI_REQUEST_EDIT)
    with office.db.transaction() as s:
        return _request_info(requests.add(s, mrn=mrn, fields=fields, actor=actor.audit_name, today=date.today()))


def request_extend(office: Office, actor: Actor, request_id: int, reason: str) -> RequestInfo:
    """Extend an access request's due date once by 30 days."""
    require(actor, Action.ROI_REQUEST_EDIT)
    with office.db.transaction() as s:
        return _request_info(requests.extend(s, request_id, reason=reason, actor=actor.audit_name,
                                             today=date.today()))


def request_close(office: Office, actor: Actor, request_id: int, status: str, reason: str | None) -> RequestInfo:
    """Close a request without a release (denied, withdrawn) or mark it fulfilled."""
    require(actor, Action.ROI_REQUEST_EDIT)
    with office.db.transaction() as s:
        return _request_info(requests.close(s, request_id, status=status, reason=reason, actor=actor.audit_name,
                                            today=date.today()))


def request_list(office: Office, actor: Actor, include_closed: bool = False,
                 mrn: str | None = None) -> list[dict[str, Any]]:
    """Requests (open ones unless ``include_closed``), oldest first, with age and days left (audited)."""
    require(actor, Action.ROI_REQUEST_VIEW)
    with office.db.transaction() as s:
        found = requests.list_requests(s, today=date.today(), include_closed=include_closed, mrn=mrn)
        rows = [views.request_dict(o, o.request.patient.mrn) for o in found]
        disclosure.record(s, actor, disclosure.Disclosure(
            "roi.request.list", "R", patient_mrns=[mrn.upper()] if mrn else [],
            detail=json.dumps({"requests": [r["id"] for r in rows]})))
    return rows


def release(office: Office, actor: Actor, inp: releases.ReleaseInput) -> releases.Outcome:
    """Check the basis, record the release and write its packet (refused, exit 6, when not allowed)."""
    require(actor, Action.ROI_RELEASE)
    return releases.release(office.db, inp, actor=actor.audit_name, today=date.today())


def release_list(office: Office, actor: Actor, mrn: str | None = None) -> list[dict[str, Any]]:
    """Release entries (corrections included), newest first (audited)."""
    require(actor, Action.ROI_RELEASE_VIEW)
    with office.db.transaction() as s:
        found = releases.list_releases(s, mrn=mrn)
        rows = [views.release_dict(r, r.patient.mrn) for r in found]
        disclosure.record(s, actor, disclosure.Disclosure(
            "roi.release.list", "R", [i for r in rows for i in r["document_ids"]],
            [mrn.upper()] if mrn else [], detail=json.dumps({"releases": [r["id"] for r in rows]})))
    return rows


def correct_release(office: Office, actor: Actor, release_id: int, change: releases.Correction) -> int:
    """Append a correction entry for an earlier release; returns the new entry's id."""
    require(actor, Action.ROI_RELEASE_CORRECT)
    with office.db.transaction() as s:
        return releases.correct(s, release_id, change, actor=actor.audit_name).id


@dataclass
class AccountingReport:
    text: str
    entries: int


def accounting(office: Office, actor: Actor, mrn: str, start: date | None, end: date | None, include_all: bool,
               fmt: str, output: Path | None = None) -> AccountingReport:
    """Accounting of disclosures (45 CFR 164.528), audited before it is returned or written to ``output``."""
    require(actor, Action.ROI_ACCOUNTING)
    today = date.today()
    default_start, default_end = acc.default_window(today)
    start, end = start or default_start, end or default_end
    if output is not None and output.exists():
        raise RefusedError(f"{output} already exists; reports are never overwritten", hint="choose another file")
    with office.db.transaction() as s:
        patient = lookup.patient_by_mrn(s, mrn)
        found = acc.entries(s, patient.id, start, end, include_all=include_all)
        text = acc.render(fmt, patient.mrn, start, end, found, include_all=include_all, today=today)
        disclosure.record(s, actor, disclosure.Disclosure(
            "roi.accounting", "R", acc.document_ids(s, found), [patient.mrn],
            detail=f"{'full report' if include_all else 'accounting'} {start}..{end}: {len(found)} entries, "
                   f"{fmt}{', to file' if output else ''}"))
    if output is not None:
        try:
            disclosure.write_bytes(output, text.encode("utf-8"), overwrite=False)
        except BaseException as exc:
            disclosure.record_failure(office, actor, disclosure.Disclosure("roi.accounting", "R",
                                                                           patient_mrns=[mrn]), exc)
            raise
    return AccountingReport(text, len(found))
