"""Who a disclosure may go to, and whether it is exempt from the accounting: the rules without side doors.

Owns the recipient rules shared by releases, corrections and the accounting
of disclosures:

- a release that fulfils a logged request goes to that request's recipient;
- a release on the individual's right of access (164.524) goes to the
  patient, or to the person the patient designated in a written request
  (164.524(c)(3)(ii)) — a request the patient made, not by phone;
- a correction cannot re-route a disclosure to someone these rules (or the
  authorization) would not allow;
- the accounting (164.528) exempts a disclosure only when its facts fit the
  exemption — "to the individual" only when it went to the patient or their
  designee, whatever basis label a row carries.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from indexer.db.models import Patient
from indexer.roi.models import Authorization, Release, Request
from indexer.roi.scope import names_person, normalize_party

EXEMPT = {
    "tpo": "treatment, payment or health care operations [164.528(a)(1)(i)]",
    "individual": "to the individual [164.528(a)(1)(ii)]",
    "designee": "to a person the individual designated in writing [164.524(c)(3)(ii); 164.528(a)(1)(ii)]",
    "authorization": "pursuant to an authorization [164.528(a)(1)(iv)]",
}


def is_patient(name: str | None, patient: Patient) -> bool:
    """Whether ``name`` names the patient (given and family name; middle name or title allowed)."""
    return names_person(name, patient.given_name, patient.family_name, patient.middle_name)


def postal_address(patient: Patient) -> str | None:
    """The patient's address on file as one line, or None when it is incomplete."""
    if not (patient.address and patient.city):
        return None
    region = " ".join(part for part in (patient.state, patient.postal_code) if part)
    return ", ".join(part for part in (patient.address, patient.city, region) if part)


def _same(a: str | None, b: str | None) -> bool:
    return normalize_party(a) == normalize_party(b)


def request_recipient_problems(req: Request, name: str, address: str | None) -> list[str]:
    """A release that fulfils a request goes to that request's recipient (and address, when both are given)."""
    if not _same(req.recipient_name, name):
        return [f"request #{req.id} asks for the records to go to '{req.recipient_name}', not '{name.strip()}'"]
    if req.recipient_address and address and not _same(req.recipient_address, address):
        return [f"request #{req.id} gives the address '{req.recipient_address}', not '{address}'"]
    return []


def individual_problems(patient: Patient, req: Request | None, recipient: str) -> tuple[list[str], bool]:
    """Reasons a right-of-access release may not go to ``recipient``, and whether it is the patient's own copy."""
    if req is None:
        return ["a release on the individual's right of access needs the logged request (--request ID; "
                "'roi request add --basis individual')"], False
    if is_patient(recipient, patient):
        return [], True
    problems = []
    if not is_patient(req.requester, patient):
        problems.append(f"only the patient can direct a copy to someone else, but request #{req.id} was made by "
                        f"'{req.requester}' [164.524(c)(3)(ii)]")
    if req.channel == "phone":
        problems.append(f"a copy for '{recipient.strip()}' needs the patient's written request naming them; "
                        f"request #{req.id} came by phone [164.524(c)(3)(ii)]")
    return problems, False


def correction_problems(s: Session, orig: Release, name: str, address: str | None) -> list[str]:
    """Reasons a correction may not name ``name`` as the recipient of release ``orig``."""
    patient = s.get(Patient, orig.patient_id)
    req = s.get(Request, orig.request_id) if orig.request_id else None
    assert patient is not None
    problems = request_recipient_problems(req, name, address) if req is not None else []
    if orig.basis == "individual" and not is_patient(name, patient) and req is None:
        problems.append("a right-of-access release can only go to the patient or the designee of their request")
    if orig.basis == "authorization" and orig.authorization_id:
        auth = s.get(Authorization, orig.authorization_id)
        if auth is not None and not _same(auth.recipient_name, name):
            problems.append(f"authorization #{auth.id} names '{auth.recipient_name}', not '{name.strip()}'")
    return problems


def exemption(r: Release, patient: Patient | None, req: Request | None) -> str:
    """Why 164.528 exempts this disclosure from the accounting ("" when it must be listed)."""
    if r.basis == "tpo":
        return EXEMPT["tpo"]
    if r.basis == "authorization" and r.authorization_id is not None:
        return EXEMPT["authorization"]
    if r.basis == "individual" and patient is not None:
        if is_patient(r.recipient_name, patient):
            return EXEMPT["individual"]
        if req is not None and req.basis == "individual" and _same(req.recipient_name, r.recipient_name) \
                and is_patient(req.requester, patient) and req.channel != "phone":
            return EXEMPT["designee"]
    return ""
