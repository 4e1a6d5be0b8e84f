"""Plain dict and text views of ROI rows for the CLI and (later) the web UI.

Owns what is shown about authorizations, requests and releases: ids, MRN,
parties, dates, validation — never the patient's name or date of birth.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from indexer.roi.models import BASIS_LABELS, Authorization, Release, Request
from indexer.roi.requests import OpenRequest
from indexer.roi.scope import plural
from indexer.roi.validation import DRAFT_PROBLEM, Validation
from intake.textwidth import WIDTH, fit


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def authorization_dict(a: Authorization, mrn: str | None, v: Validation) -> dict[str, Any]:
    return {
        "id": a.id, "confirmed": a.status == "active", "mrn": mrn, "source_document_id": a.source_document_id,
        "discloser": a.discloser, "recipient": a.recipient_name, "recipient_address": a.recipient_address,
        "description": a.description, "doc_types": a.doc_type_list, "from": _iso(a.info_from),
        "to": _iso(a.info_to), "purpose": a.purpose, "expires_on": v.expires_on or _iso(a.expires_on),
        "expiration_event": a.expiration_event, "expiry_phrase": a.expiry_phrase,
        "expiry_entered_by": a.expiry_entered_by, "event_occurred_on": _iso(a.event_occurred_on),
        "signed_on": _iso(a.signed_on), "signer": a.signer_name,
        "representative_authority": a.representative_authority,
        "statements": {"revocation": a.stmt_revocation, "conditioning": a.stmt_conditioning,
                       "redisclosure": a.stmt_redisclosure},
        "revoked_on": _iso(a.revoked_on), "known_false": a.known_false,
        "status": v.status, "valid": v.valid, "as_of": v.as_of, "missing": v.missing, "problems": v.problems,
    }


def _yes(flag: bool) -> str:
    return "present" if flag else "MISSING"


def authorization_lines(d: dict[str, Any]) -> list[str]:
    """Text block for ``authorization show``."""
    span = f"{d['from'] or 'any date'} to {d['to'] or 'present'}" if d["from"] or d["to"] else "-"
    st = d["statements"]
    lines = [
        f"Authorization #{d['id']}  [{d['status']}]  patient {d['mrn'] or '(not linked)'}"
        + (f"  form: document #{d['source_document_id']}" if d["source_document_id"] else ""),
        f"  Who may disclose : {d['discloser'] or '-'}",
        f"  Recipient        : {d['recipient'] or '-'}" + (f", {d['recipient_address']}" if d["recipient_address"]
                                                          else ""),
        f"  Information      : types {', '.join(d['doc_types']) or '-'}; dates {span}",
        f"  Description      : {d['description'] or '-'}",
        f"  Purpose          : {d['purpose'] or '-'}",
        f"  Expires          : {expiry_text(d)}" + (f" (occurred {d['event_occurred_on']})"
                                                     if d["event_occurred_on"] else ""),
        f"  Signed           : {d['signed_on'] or '-'} by {d['signer'] or '-'}"
        + (f" (representative: {d['representative_authority']})" if d["representative_authority"] else ""),
        f"  Statements       : revoke {_yes(st['revocation'])}, conditioning {_yes(st['conditioning'])}, "
        f"redisclosure {_yes(st['redisclosure'])}",
    ]
    if d["revoked_on"]:
        lines.append(f"  Revoked          : received {d['revoked_on']}")
    lines.append(f"  Status on {d['as_of']}: {d['status'].upper()}")
    lines += [f"    - {p}" for p in d["problems"]]
    return lines


def expiry_text(d: dict[str, Any]) -> str:
    """``2026-08-04 (one year from the date signed)``, ``event: end of treatment``, or ``-``."""
    parts = [d["expires_on"]] if d["expires_on"] else []
    if d["expiration_event"]:
        parts.append(f"{'or earlier on ' if parts else ''}event: {d['expiration_event']}")
    text = " ".join(parts) or "-"
    if d.get("expiry_phrase") and d["expiry_phrase"] != d["expiration_event"]:
        text = f"{text} (\"{d['expiry_phrase']}\")" if parts else f"not worked out from \"{d['expiry_phrase']}\""
    return text


def _reasons(problems: list[str]) -> str:
    if not problems:
        return ""
    first = problems[0].split(" [")[0]  # the citation is in 'show'
    return first + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")


def authorization_row(d: dict[str, Any]) -> str:
    """One line (at most 80 columns) for ``authorization list``: id, patient, status, then what matters."""
    head = f"#{d['id']:<4} {d['mrn'] or '-':<10} {d['status']:<8} "
    if d["status"] == "valid":
        until = d["expires_on"] or (f"event: {d['expiration_event']}" if d["expiration_event"] else "-")
        detail = f"until {until}; to {d['recipient'] or '-'}"
    elif d["status"] == "draft":
        detail = _reasons([p for p in d["problems"] if p != DRAFT_PROBLEM]) or "complete: check it, then confirm it"
    else:
        detail = _reasons(d["problems"])
    return head + fit(detail, WIDTH - len(head))


def request_dict(o: OpenRequest, mrn: str) -> dict[str, Any]:
    r: Request = o.request
    return {
        "id": r.id, "mrn": mrn, "status": r.status, "received_on": _iso(r.received_on), "channel": r.channel,
        "requester": r.requester, "recipient": r.recipient_name, "recipient_address": r.recipient_address,
        "basis": r.basis, "authorization_id": r.authorization_id, "legal_reference": r.legal_reference,
        "records_requested": r.records_requested, "doc_types": r.doc_type_list, "from": _iso(r.info_from),
        "to": _iso(r.info_to), "due_on": _iso(r.due_on), "original_due_on": _iso(r.original_due_on),
        "extended_on": _iso(r.extended_on), "extension_reason": r.extension_reason,
        "age_days": o.age_days, "days_left": o.days_left, "overdue": o.overdue,
    }


def request_row(d: dict[str, Any]) -> str:
    """One line for ``request list``."""
    if d["due_on"] is None:
        due = "no regulatory due date"
    elif d["overdue"]:
        due = f"due {d['due_on']} OVERDUE by {-d['days_left']} days"
    else:
        due = f"due {d['due_on']} ({d['days_left']} days left)"
    ext = " extended" if d["extended_on"] else ""
    return (f"#{d['id']:<5} {d['age_days']:>4} days old  {d['mrn']:<10} {d['basis']:<13} from {d['requester']}; "
            f"{due}{ext}" + ("" if d["status"] == "open" else f"  [{d['status']}]"))


def release_dict(r: Release, mrn: str) -> dict[str, Any]:
    return {
        "id": r.id, "reference": r.reference, "kind": r.kind, "corrects_release_id": r.corrects_release_id,
        "voided": r.voided, "mrn": mrn, "released_on": _iso(r.released_on), "released_by": r.released_by,
        "basis": r.basis, "basis_label": BASIS_LABELS.get(r.basis, r.basis), "authorization_id": r.authorization_id,
        "request_id": r.request_id, "legal_reference": r.legal_reference, "recipient": r.recipient_name,
        "recipient_address": r.recipient_address, "method": r.method, "purpose": r.purpose,
        "description": r.description, "document_ids": [d.document_id for d in r.documents],
        "page_count": r.page_count, "packet_sha256": r.packet_sha256, "packet_path": r.packet_path,
        "correction_reason": r.correction_reason,
    }


def release_row(d: dict[str, Any]) -> str:
    """One line for ``releases``."""
    kind = "" if d["kind"] == "release" else (
        f" [{'VOIDS' if d['voided'] else 'corrects'} #{d['corrects_release_id']}]")
    docs = ",".join(map(str, d["document_ids"]))
    return (f"#{d['id']:<5} {d['released_on']} {d['mrn']:<10} {d['basis']:<13} {d['method']:<6} to "
            f"{d['recipient']}; documents {docs}; {plural(d['page_count'], 'page')}{kind}")
