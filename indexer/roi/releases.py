"""Recording releases (what was sent, to whom, how, by whom, when, on which basis) and corrections.

Owns the release decision: every reason to refuse is collected and raised
as one :class:`~intake.errors.RefusedError` (exit 6) naming them all — an
invalid, expired, revoked, draft or false authorization, a recipient or
scope it does not cover, documents not filed to the patient.  There are no
side doors: a release that fulfils a logged request goes to that request's
recipient; a release on the individual's right of access needs the logged
request and goes to the patient, or to the person the patient designated in
a written request (164.524(c)(3)(ii)); a treatment/payment/operations
release needs the logged request too; mail needs an address (the patient's
own, by default, for the patient's copy).  A refused attempt is itself
audited (outcome ``failure``).  An accepted release gets its packet (cover +
exactly the released pages, stamped, nothing active), whose SHA-256 is
stored with the append-only release row; the file is published only after
commit.  Corrections are new rows referencing the earlier entry, and cannot
re-route a disclosure around these rules.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.archive_verify import OriginalDamaged, verify_original
from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import Document, Patient
from indexer.roi import cover, lookup, packet, recipients
from indexer.roi.authorizations import evaluate
from indexer.roi.models import BASES, BASIS_LABELS, METHODS, Authorization, Release, ReleaseDocument, Request
from indexer.roi.scope import (
    DocFacts,
    Scope,
    describe,
    document_problems,
    plural,
    recipient_problems,
    request_problems,
)
from intake.config import Config
from intake.errors import InputError, RefusedError

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Release of Information office"
DEFAULT_PURPOSE = {"individual": "At the request of the individual (right of access)",
                   "legal": "Response to subpoena or court order"}


@dataclass
class ReleaseInput:
    """What the clerk asks to release."""

    mrn: str
    document_ids: list[int]
    recipient_name: str
    method: str
    recipient_address: str | None = None
    basis: str | None = None  # defaults to the request's basis
    authorization_id: int | None = None
    request_id: int | None = None
    purpose: str | None = None
    legal_reference: str | None = None
    output: Path | None = None


@dataclass
class Plan:
    """A release that passed every check, ready to be recorded."""

    patient: Patient
    docs: list[Document]
    basis: str
    purpose: str
    legal_reference: str | None
    auth: Authorization | None
    request: Request | None
    problems: list[str] = field(default_factory=list)
    own_copy: bool = False  # the patient's own copy (to the patient, on the right of access)
    address: str | None = None  # where it goes (for mail: required)


@dataclass(frozen=True)
class Outcome:
    """The recorded release and where its packet was written."""

    release_id: int
    reference: str
    path: Path
    sha256: str
    record_pages: int
    total_pages: int


def _doc_facts(docs: list[Document]) -> list[DocFacts]:
    return [DocFacts(d.id, d.doc_type, d.doc_date) for d in docs]


def _document_problems(patient: Patient, ids: list[int], docs: list[Document]) -> list[str]:
    problems = [] if ids else ["no documents given"]
    if len(set(ids)) != len(ids):
        problems.append("a document id is listed twice")
    for d in docs:
        if d.status != "filed" or d.patient_id != patient.id:
            problems.append(f"document #{d.id} is not filed to patient {patient.mrn}")
    return problems


def _authorization_problems(s: Session, plan: Plan, inp: ReleaseInput, today: date) -> list[str]:
    auth = plan.auth
    if auth is None:
        return ["a release on the basis of an authorization needs --authorization ID"]
    if auth.patient_id is not None and auth.patient_id != plan.patient.id:
        return [f"authorization #{auth.id} is for another patient"]
    result = evaluate(s, auth, today)
    problems = [f"authorization #{auth.id} {p}" if p.startswith("draft") else p for p in result.problems]
    problems += recipient_problems(auth.recipient_name, auth.recipient_address,
                                   inp.recipient_name, inp.recipient_address)
    scope = Scope(tuple(auth.doc_type_list), auth.info_from, auth.info_to, auth.description)
    problems += document_problems(scope, _doc_facts(plan.docs))
    if plan.request is not None:
        requested = Scope(tuple(plan.request.doc_type_list), plan.request.info_from, plan.request.info_to)
        problems += request_problems(scope, requested)
    return problems


def _individual_problems(p: Plan, inp: ReleaseInput) -> list[str]:
    problems, p.own_copy = recipients.individual_problems(p.patient, p.request, inp.recipient_name)
    return problems


def _address_problems(p: Plan, inp: ReleaseInput) -> list[str]:
    p.address = (inp.recipient_address or "").strip() or None
    if p.address is None and p.own_copy:
        p.address = recipients.postal_address(p.patient)
    if inp.method == "mail" and p.address is None:
        return ["mail needs an address: give --address" + (" (the patient has no complete address on file)"
                                                            if p.own_copy else "")]
    return []


def _resolve_request(s: Session, inp: ReleaseInput, patient: Patient, problems: list[str]) -> Request | None:
    if inp.request_id is None:
        return None
    req = lookup.request(s, inp.request_id)
    if req.patient_id != patient.id:
        problems.append(f"request #{req.id} is for another patient")
    if req.status != "open":
        problems.append(f"request #{req.id} is {req.status}")
    return req


def plan(s: Session, inp: ReleaseInput, today: date) -> Plan:
    """Check everything; raise RefusedError (all reasons) or return the plan to record."""
    patient = lookup.patient_by_mrn(s, inp.mrn)
    problems: list[str] = []
    req = _resolve_request(s, inp, patient, problems)
    basis = inp.basis or (req.basis if req else None)
    if basis not in BASES:
        raise InputError("give the legal basis with --basis", hint=f"one of {', '.join(BASES)}")
    if inp.method not in METHODS:
        raise InputError(f"unknown method {inp.method!r}", hint=f"one of {', '.join(METHODS)}")
    if not inp.recipient_name.strip():
        raise InputError("the recipient (--to) is required")
    if req is not None and inp.basis and inp.basis != req.basis:
        problems.append(f"request #{req.id} was logged on the basis '{req.basis}', not '{basis}'")
    auth_id = inp.authorization_id or (req.authorization_id if req else None)
    docs = lookup.documents(s, inp.document_ids)
    p = Plan(patient, docs, basis, "", inp.legal_reference or (req.legal_reference if req else None),
             lookup.authorization(s, auth_id) if auth_id else None, req)
    problems += _document_problems(patient, inp.document_ids, docs)
    if req is not None:
        problems += recipients.request_recipient_problems(req, inp.recipient_name, inp.recipient_address)
    if basis == "authorization":
        problems += _authorization_problems(s, p, inp, today)
    elif basis == "individual":
        problems += _individual_problems(p, inp)
    elif basis == "tpo" and req is None:
        problems.append("a treatment, payment or operations release needs the logged request of the provider "
                        "or plan (--request ID; 'roi request add --basis tpo')")
    elif basis in ("legal", "other") and not p.legal_reference:
        problems.append(f"a release on a {basis} basis needs --legal-reference")
    problems += _address_problems(p, inp)
    auth_purpose = p.auth.purpose if p.auth and basis == "authorization" else None
    p.purpose = (inp.purpose or auth_purpose or DEFAULT_PURPOSE.get(basis) or "").strip()
    if not p.purpose:
        problems.append("give the purpose of the disclosure with --purpose")
    p.problems = problems
    return p


def _sources(cfg: Config, docs: list[Document]) -> list[packet.SourceRange]:
    """Each document's pages of its original, which must still match its ledger hash (else exit 7, refused)."""
    out = []
    for d in docs:
        item = d.intake_item
        verify_original(cfg, item)
        path = packet.resolve_source(cfg.home, item.stored_path, d.id)
        out.append(packet.SourceRange(d.id, path, packet.kind_of(path, item.kind), d.first_page, d.last_page))
    return out


def _sender(cfg: Config, p: Plan) -> cover.Sender:
    """The office profile; without one, the discloser the authorization names, or a generic label."""
    office = cfg.office
    if office.name:
        return cover.Sender(office.name, office.address, office.phone, office.fax)
    return cover.Sender((p.auth.discloser if p.auth and p.basis == "authorization" else None) or DEFAULT_SENDER)


def _cover(cfg: Config, p: Plan, inp: ReleaseInput, reference: str, today: date, record_pages: int) -> cover.Cover:
    auth_ref = None
    if p.auth is not None and p.basis == "authorization":
        signed = p.auth.signed_on.isoformat() if p.auth.signed_on else "undated"
        auth_ref = f"authorization #{p.auth.id}, signed {signed}"
    return cover.Cover(reference=reference, released_on=today.isoformat(), sender=_sender(cfg, p),
                       recipient_name=inp.recipient_name.strip(), recipient_address=p.address,
                       method=inp.method, purpose=p.purpose, basis=BASIS_LABELS[p.basis],
                       authorization_ref=auth_ref, legal_reference=p.legal_reference,
                       record_pages=record_pages, documents=len(p.docs), own_copy=p.own_copy)


def new_reference(today: date) -> str:
    """A release reference printed on the cover, e.g. ``R20250301-7F3A9C``."""
    return f"R{today:%Y%m%d}-{secrets.token_hex(3).upper()}"


def _record(s: Session, cfg: Config, p: Plan, inp: ReleaseInput, actor: str,
            today: date) -> tuple[Release, packet.Packet, Path]:
    reference = new_reference(today)
    sources = _sources(cfg, p.docs)
    record_pages = sum(src.pages for src in sources)
    pkt = packet.build(_cover(cfg, p, inp, reference, today, record_pages), sources)
    if inp.output is None:
        cfg.exports_dir.mkdir(parents=True, exist_ok=True)  # the data home's own exports folder
    target = (inp.output or cfg.exports_dir / f"roi-{reference}.pdf").resolve()
    rel = Release(
        reference=reference, kind="release", patient_id=p.patient.id,
        request_id=p.request.id if p.request else None,
        authorization_id=p.auth.id if p.auth and p.basis == "authorization" else None,
        basis=p.basis, legal_reference=p.legal_reference, recipient_name=inp.recipient_name.strip(),
        recipient_address=p.address, method=inp.method,
        purpose=p.purpose, description=describe(_doc_facts(p.docs), record_pages), page_count=record_pages,
        packet_sha256=pkt.sha256, packet_path=str(target), released_on=today, released_by=actor,
        documents=[ReleaseDocument(document_id=d.id, first_page=d.first_page, last_page=d.last_page,
                                   doc_type=d.doc_type, doc_date=d.doc_date) for d in p.docs],
    )
    s.add(rel)
    s.flush()
    if p.request is not None:
        p.request.status, p.request.closed_on = "fulfilled", today
        p.request.close_reason = f"release {rel.id}"
    audit(s, actor=actor, action="C", event_type="roi.release", patient_mrn=p.patient.mrn,
          document_ids=[d.id for d in p.docs],
          detail=f"release {rel.id} ({reference}): basis {p.basis}, method {inp.method}, "
                 f"{plural(record_pages, 'page')}, sha256 {pkt.sha256}")
    return rel, pkt, target


def _audit_refusal(db: Database, inp: ReleaseInput, actor: str, reason: str) -> None:
    with db.transaction() as s:
        audit(s, actor=actor, action="C", event_type="roi.release", patient_mrn=inp.mrn.strip().upper(),
              document_ids=inp.document_ids, outcome="failure", detail=reason)


def release(db: Database, inp: ReleaseInput, *, actor: str, today: date) -> Outcome:
    """Check, record and write one release; refusals are audited and raised."""
    staged: Path | None = None
    try:
        with db.transaction() as s:
            p = plan(s, inp, today)
            if p.problems:
                raise RefusedError("release refused: " + "; ".join(p.problems))
            rel, pkt, target = _record(s, db.cfg, p, inp, actor, today)
            staged = packet.stage(pkt.data, target)
            outcome = Outcome(rel.id, rel.reference, target, pkt.sha256, pkt.record_pages, pkt.total_pages)
    except (RefusedError, OriginalDamaged) as exc:
        if staged is not None:
            packet.discard(staged)
        _audit_refusal(db, inp, actor, exc.message)
        log.info("release refused (documents %s)", ",".join(map(str, inp.document_ids)))
        raise
    except BaseException:
        if staged is not None:
            packet.discard(staged)
        raise
    packet.publish(staged, outcome.path)
    log.info("release %s recorded: %d record pages", outcome.release_id, outcome.record_pages)
    return outcome


@dataclass
class Correction:
    """Changes a correction entry makes to an earlier release (``None`` = unchanged)."""

    reason: str
    recipient_name: str | None = None
    recipient_address: str | None = None
    method: str | None = None
    purpose: str | None = None
    void: bool = False  # the earlier entry was recorded in error: nothing was disclosed


def superseded_ids(s: Session) -> set[int]:
    """Ids of releases that a later correction replaces."""
    ids = s.scalars(select(Release.corrects_release_id).where(Release.corrects_release_id.is_not(None)))
    return {i for i in ids if i is not None}


def correct(s: Session, ident: int, change: Correction, *, actor: str) -> Release:
    """Append a correction entry superseding release ``ident`` (which stays as it was)."""
    orig = lookup.release(s, ident)
    if ident in superseded_ids(s):
        raise RefusedError(f"release #{ident} was already corrected", hint="correct the latest entry instead")
    if orig.voided:
        raise RefusedError(f"release #{ident} is a voiding entry; nothing left to correct")
    if not change.reason.strip():
        raise InputError("a correction needs --reason")
    if change.method is not None and change.method not in METHODS:
        raise InputError(f"unknown method {change.method!r}", hint=f"one of {', '.join(METHODS)}")
    if change.recipient_name is not None:
        problems = recipients.correction_problems(s, orig, change.recipient_name, change.recipient_address)
        if problems:
            raise RefusedError("correction refused: " + "; ".join(problems),
                               hint="A disclosure to someone else is a new release, not a correction.")
    fix = Release(
        reference=new_reference(orig.released_on), kind="correction", corrects_release_id=orig.id,
        correction_reason=change.reason.strip(), voided=change.void, patient_id=orig.patient_id,
        request_id=orig.request_id, authorization_id=orig.authorization_id, basis=orig.basis,
        legal_reference=orig.legal_reference, recipient_name=change.recipient_name or orig.recipient_name,
        recipient_address=change.recipient_address or orig.recipient_address,
        method=change.method or orig.method, purpose=change.purpose or orig.purpose,
        description=orig.description, page_count=orig.page_count, packet_sha256=orig.packet_sha256,
        packet_path=orig.packet_path, released_on=orig.released_on, released_by=actor,
        documents=[ReleaseDocument(document_id=d.document_id, first_page=d.first_page, last_page=d.last_page,
                                   doc_type=d.doc_type, doc_date=d.doc_date) for d in orig.documents],
    )
    s.add(fix)
    s.flush()
    audit(s, actor=actor, action="C", event_type="roi.release.correct", patient_mrn=lookup.mrn_of(s, orig.patient_id),
          document_ids=[d.document_id for d in orig.documents],
          detail=f"release {fix.id} corrects release {orig.id}{' (void)' if change.void else ''}")
    return fix


def list_releases(s: Session, *, mrn: str | None = None) -> list[Release]:
    """Release entries (corrections included), newest first."""
    query = select(Release).order_by(Release.id.desc())
    if mrn:
        query = query.where(Release.patient_id == lookup.patient_by_mrn(s, mrn).id)
    return list(s.scalars(query))
