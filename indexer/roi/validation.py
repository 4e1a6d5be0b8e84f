"""Pure 45 CFR 164.508 checks of one authorization against an injectable "today".

Owns the list of core elements (164.508(c)(1)) and required statements
(164.508(c)(2)), and the rules that make an authorization defective
(164.508(b)(2)): expired by date or by a recorded event, not filled out
completely, revoked in writing (effective from the day the office received
the revocation), material information known to be false; plus this office's
rule that a draft parsed from a scan is never usable until a clerk confirms it.

Expiry is worked out by :mod:`indexer.roi.expiry`: a duration ("one year from
the date signed") counts from the signature date, even when an older row
stored it as an event; an expiry that cannot be worked out, or an event read
from a scan that no clerk entered, keeps the authorization invalid.  Each
result carries one :class:`AuthStatus` (draft, valid, expired, revoked,
invalid) next to the reasons.

Validity is always computed for a given date; nothing here reads the clock,
so an authorization that expires today is invalid today without anyone
touching its row.  No database access here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from indexer.roi.expiry import ExpiryKind, interpret
from indexer.roi.scope import names_person


class AuthStatus(StrEnum):
    """The one status shown for an authorization on a given day."""

    DRAFT = "draft"  # parsed from a scan, not yet confirmed by a clerk
    VALID = "valid"
    EXPIRED = "expired"  # by date or by a recorded event
    REVOKED = "revoked"  # written revocation received
    INVALID = "invalid"  # any other reason (missing elements, unknown expiry, false information ...)


@dataclass(frozen=True)
class Element:
    """One required element of a valid authorization."""

    code: str
    citation: str
    label: str


ELEMENTS: tuple[Element, ...] = (
    Element("description", "164.508(c)(1)(i)",
            "description of the information to be disclosed (document types, date range or text)"),
    Element("discloser", "164.508(c)(1)(ii)", "who may make the disclosure"),
    Element("recipient", "164.508(c)(1)(iii)", "recipient (person or class of persons) to whom it may be made"),
    Element("purpose", "164.508(c)(1)(iv)", "purpose of the disclosure ('at the request of the individual' "
                                            "suffices)"),
    Element("expiration", "164.508(c)(1)(v)", "expiration date or expiration event"),
    Element("signature", "164.508(c)(1)(vi)", "signature of the individual (signer)"),
    Element("signature_date", "164.508(c)(1)(vi)", "date of the signature"),
    Element("representative_authority", "164.508(c)(1)(vi)",
            "description of the personal representative's authority to act for the individual"),
    Element("revocation_statement", "164.508(c)(2)(i)",
            "statement of the right to revoke in writing and how (or a reference to the notice)"),
    Element("conditioning_statement", "164.508(c)(2)(ii)",
            "statement on conditioning treatment, payment, enrollment or eligibility on signing"),
    Element("redisclosure_statement", "164.508(c)(2)(iii)",
            "statement that disclosed information may be redisclosed and no longer protected"),
)
ELEMENTS_BY_CODE = {e.code: e for e in ELEMENTS}


class AuthorizationFacts(Protocol):
    """What validation needs of an authorization (the ORM row satisfies it)."""

    status: str
    patient_id: int | None
    discloser: str | None
    recipient_name: str | None
    description: str | None
    doc_types: str
    info_from: date | None
    info_to: date | None
    purpose: str | None
    expires_on: date | None
    expiration_event: str | None
    expiry_phrase: str | None
    expiry_entered_by: str | None
    event_occurred_on: date | None
    signed_on: date | None
    signer_name: str | None
    signed_by_representative: bool
    representative_authority: str | None
    stmt_revocation: bool
    stmt_conditioning: bool
    stmt_redisclosure: bool
    revoked_on: date | None
    known_false: bool
    known_false_reason: str | None


@dataclass
class Validation:
    """Outcome of validating one authorization on one day."""

    as_of: str  # ISO date the result holds for
    valid: bool
    missing: list[str] = field(default_factory=list)  # element codes
    problems: list[str] = field(default_factory=list)  # clerk-readable reasons, missing ones first
    status: str = AuthStatus.INVALID.value  # an AuthStatus value
    expires_on: str | None = None  # ISO date the authorization stops being valid, as worked out

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @property
    def summary(self) -> str:
        return "valid" if self.valid else f"{self.status.upper()}: " + "; ".join(self.problems)


@dataclass(frozen=True)
class ExpiryFacts:
    """The expiry of one authorization as it stands: a date, an event, or why neither is usable."""

    on: date | None
    event: str | None
    problems: tuple[str, ...] = ()


def expiry_facts(a: AuthorizationFacts, today: date) -> ExpiryFacts:
    """Work out the expiry; a duration stored as an event (before issue 18) still counts from the signature."""
    on, event, problems = a.expires_on, a.expiration_event, []
    if event:
        read = interpret(event, signed_on=a.signed_on, today=today)
        if read.kind is not ExpiryKind.EVENT:  # "one year from the date signed" is not an event
            on, event = on or read.on, read.event
            if read.on is None and on is None:
                problems.append(f"expiry '{read.phrase}': {read.problem}")
    if on is None and event is None and a.expiry_phrase:
        read = interpret(a.expiry_phrase, signed_on=a.signed_on, today=today)
        on, event = read.on, read.event
        if on is None and event is None:
            problems.append(f"expiry cannot be worked out: {read.problem} "
                            "('roi authorization expiry ID --expires DATE')")
    if event and on is None and not a.expiry_entered_by:
        problems.append(f"expiry event '{event}' was read from the scanned form: a clerk must enter it "
                        "('roi authorization expiry ID --expiry-event TEXT' or '--expires DATE')")
    return ExpiryFacts(on, event, tuple(problems))


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def missing_elements(a: AuthorizationFacts) -> list[str]:
    """Codes of every 164.508(c) element or statement that is absent, in rule order."""
    present = {
        "description": not _blank(a.description) or bool(a.doc_types.strip())
        or a.info_from is not None or a.info_to is not None,
        "discloser": not _blank(a.discloser),
        "recipient": not _blank(a.recipient_name),
        "purpose": not _blank(a.purpose),
        "expiration": a.expires_on is not None or not _blank(a.expiration_event) or not _blank(a.expiry_phrase),
        "signature": not _blank(a.signer_name),
        "signature_date": a.signed_on is not None,
        "representative_authority": not a.signed_by_representative or not _blank(a.representative_authority),
        "revocation_statement": a.stmt_revocation,
        "conditioning_statement": a.stmt_conditioning,
        "redisclosure_statement": a.stmt_redisclosure,
    }
    return [e.code for e in ELEMENTS if not present[e.code]]


def _missing_text(code: str) -> str:
    element = ELEMENTS_BY_CODE[code]
    return f"missing {element.label} [{element.citation}]"


def _lapsed(a: AuthorizationFacts, expiry: ExpiryFacts, today: date) -> list[str]:
    """Why the authorization has run out on ``today`` (expired by date or by a recorded event)."""
    out: list[str] = []
    if expiry.on is not None and today >= expiry.on:
        out.append(f"expired on {expiry.on.isoformat()} [164.508(b)(2)(i)]")
    if a.event_occurred_on is not None and today >= a.event_occurred_on:
        out.append(f"expiration event occurred on {a.event_occurred_on.isoformat()} [164.508(b)(2)(i)]")
    return out


def _revoked(a: AuthorizationFacts, today: date) -> list[str]:
    if a.revoked_on is not None and today >= a.revoked_on:
        return [f"revoked in writing, received {a.revoked_on.isoformat()} [164.508(b)(5)]"]
    return []


def _other_problems(a: AuthorizationFacts, today: date) -> list[str]:
    problems: list[str] = []
    if a.known_false:
        reason = f": {a.known_false_reason}" if a.known_false_reason else ""
        problems.append(f"material information known to be false{reason} [164.508(b)(2)(v)]")
    if a.signed_on is not None and a.signed_on > today:
        problems.append(f"signature date {a.signed_on.isoformat()} is in the future")
    if a.info_from and a.info_to and a.info_from > a.info_to:
        problems.append("information date range ends before it starts")
    return problems


DRAFT_PROBLEM = "draft from a scanned form: a clerk must confirm it before any release"


def state_problems(a: AuthorizationFacts, today: date) -> list[str]:
    """Reasons other than missing elements why the authorization cannot be used on ``today``."""
    expiry = expiry_facts(a, today)
    problems = [DRAFT_PROBLEM] if a.status != "active" else []
    if a.patient_id is None:
        problems.append("no patient linked")
    return problems + list(expiry.problems) + _lapsed(a, expiry, today) + _revoked(a, today) \
        + _other_problems(a, today)


def status_of(a: AuthorizationFacts, today: date, problems: list[str]) -> AuthStatus:
    """The one status: draft, then revoked, then expired, then invalid (any other problem), else valid."""
    if a.status != "active":
        return AuthStatus.DRAFT
    if _revoked(a, today):
        return AuthStatus.REVOKED
    if _lapsed(a, expiry_facts(a, today), today):
        return AuthStatus.EXPIRED
    return AuthStatus.INVALID if problems else AuthStatus.VALID


def validate(a: AuthorizationFacts, today: date) -> Validation:
    """Validate ``a`` as of ``today`` (164.508(b)(2) and (c))."""
    missing = missing_elements(a)
    problems = [_missing_text(code) for code in missing] + state_problems(a, today)
    expires = expiry_facts(a, today).on
    return Validation(as_of=today.isoformat(), valid=not problems, missing=missing, problems=problems,
                      status=status_of(a, today, problems).value, expires_on=expires.isoformat() if expires else None)


def load_stored(validation_json: str) -> Validation | None:
    """The stored result, or None when nothing was stored yet."""
    data = json.loads(validation_json or "{}")
    if not data:
        return None
    known = set(Validation.__dataclass_fields__)
    return Validation(**{k: v for k, v in data.items() if k in known})


class PersonName(Protocol):
    """The patient's name as the roster holds it (the ORM Patient satisfies it)."""

    given_name: str
    family_name: str
    middle_name: str | None


def check_signer(result: Validation, a: AuthorizationFacts, patient: PersonName | None) -> Validation:
    """164.508(c)(1)(vi): a form signed by someone other than the patient needs the representative's authority.

    Applied after :func:`validate` (which cannot see the patient's name): a
    signer who is not the patient, with no authority recorded, makes the
    authorization invalid, reported as the missing representative authority.
    """
    if patient is None or _blank(a.signer_name) or not _blank(a.representative_authority):
        return result
    if names_person(a.signer_name, patient.given_name, patient.family_name, patient.middle_name):
        return result
    code = "representative_authority"
    problem = (f"signed by '{a.signer_name}', who is not the patient, and no personal representative's "
               f"authority is recorded [{ELEMENTS_BY_CODE[code].citation}]")
    if code not in result.missing:
        result.missing.append(code)
    result.problems.append(problem)
    result.valid = False
    if result.status == AuthStatus.VALID:
        result.status = AuthStatus.INVALID.value
    return result
