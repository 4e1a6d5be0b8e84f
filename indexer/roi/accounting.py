"""Accounting of disclosures (45 CFR 164.528) and the full disclosure report.

Owns which releases a patient's accounting lists: by default the six years
before the day it is produced, excluding the categories the rule exempts
(treatment/payment/operations, disclosures to the individual or the designee
of their written request, disclosures pursuant to an authorization) — judged
from each release's facts by :func:`indexer.roi.recipients.exemption`, never
from its basis label alone; ``include_all`` keeps them, labelled with the
reason, for the office's full disclosure report.  Entries superseded by a correction are
replaced by the correction; voided entries are left out.  Each entry gives
the date, recipient and address, a brief description and the purpose —
and nothing else about the patient (minimum necessary).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.db.models import Patient
from indexer.roi.models import BASIS_LABELS, Release, Request
from indexer.roi.recipients import exemption
from indexer.roi.releases import superseded_ids

ACCOUNTING_YEARS = 6  # 164.528(a)(3)
FIELDS = ("date", "recipient", "recipient_address", "description", "purpose", "basis", "legal_reference",
          "release_id", "corrects_release_id", "accountable", "exempt_because")


def years_before(d: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 Feb for 29 Feb)."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def default_window(today: date) -> tuple[date, date]:
    """The six years before ``today``, both ends inclusive."""
    return years_before(today, ACCOUNTING_YEARS), today


@dataclass(frozen=True)
class Entry:
    """One disclosure as the accounting shows it."""

    date: str
    recipient: str
    recipient_address: str
    description: str
    purpose: str
    basis: str
    legal_reference: str
    release_id: int
    corrects_release_id: int | None
    accountable: bool
    exempt_because: str


def _entry(r: Release, exempt_because: str) -> Entry:
    return Entry(date=r.released_on.isoformat(), recipient=r.recipient_name,
                 recipient_address=r.recipient_address or "", description=r.description, purpose=r.purpose,
                 basis=BASIS_LABELS.get(r.basis, r.basis), legal_reference=r.legal_reference or "",
                 release_id=r.id, corrects_release_id=r.corrects_release_id,
                 accountable=not exempt_because, exempt_because=exempt_because)


def entries(s: Session, patient_id: int, start: date, end: date, *, include_all: bool = False) -> list[Entry]:
    """Effective disclosures of one patient dated ``start``..``end``, oldest first."""
    rows = s.scalars(select(Release).where(Release.patient_id == patient_id, Release.released_on >= start,
                                           Release.released_on <= end)
                     .order_by(Release.released_on, Release.id))
    replaced = superseded_ids(s)
    patient = s.get(Patient, patient_id)
    out = []
    for r in rows:
        if r.id in replaced or r.voided:
            continue
        reason = exemption(r, patient, s.get(Request, r.request_id) if r.request_id else None)
        if include_all or not reason:
            out.append(_entry(r, reason))
    return out


def document_ids(s: Session, found: list[Entry]) -> list[int]:
    """Ids of the documents behind the listed entries (for the audit event)."""
    ids = {e.release_id for e in found}
    if not ids:
        return []
    rels = s.scalars(select(Release).where(Release.id.in_(ids)))
    return sorted({d.document_id for r in rels for d in r.documents})


def render_text(mrn: str, start: date, end: date, found: list[Entry], *, include_all: bool,
                today: date) -> str:
    """Human-readable accounting (or full report)."""
    title = "FULL DISCLOSURE REPORT" if include_all else "ACCOUNTING OF DISCLOSURES (45 CFR 164.528)"
    lines = [title, f"Patient MRN: {mrn}", f"Period: {start.isoformat()} to {end.isoformat()}",
             f"Produced: {today.isoformat()}", ""]
    if not found:
        lines.append("No disclosures to report for this period.")
    for e in found:
        lines.append(f"{e.date}  to {e.recipient}" + (f", {e.recipient_address}" if e.recipient_address else ""))
        lines.append(f"    What: {e.description}")
        lines.append(f"    Purpose: {e.purpose}")
        basis = e.basis + (f" ({e.legal_reference})" if e.legal_reference else "")
        lines.append(f"    Basis: {basis}")
        if e.corrects_release_id:
            lines.append(f"    (corrected entry; replaces release #{e.corrects_release_id})")
        if not e.accountable:
            lines.append(f"    Not accountable: {e.exempt_because}")
        lines.append("")
    if not include_all:
        lines.append("Not listed (exempt under 164.528(a)(1)): disclosures for treatment, payment or "
                     "health care operations, to the individual, and pursuant to an authorization.")
    return "\n".join(lines).rstrip() + "\n"


def _csv_safe(value: object) -> object:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csv(found: list[Entry]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    for e in found:
        writer.writerow({k: _csv_safe(v) for k, v in asdict(e).items()})
    return buf.getvalue()


def render_json(mrn: str, start: date, end: date, found: list[Entry], *, include_all: bool) -> str:
    return json.dumps({"mrn": mrn, "from": start.isoformat(), "to": end.isoformat(), "all": include_all,
                       "disclosures": [asdict(e) for e in found]}, indent=2) + "\n"


def render(fmt: str, mrn: str, start: date, end: date, found: list[Entry], *, include_all: bool,
           today: date) -> str:
    """The report in ``text``, ``csv`` or ``json``."""
    if fmt == "csv":
        return render_csv(found)
    if fmt == "json":
        return render_json(mrn, start, end, found, include_all=include_all)
    return render_text(mrn, start, end, found, include_all=include_all, today=today)
