"""The patient chart view: every document of one patient, newest first, grouped by type.

Owns reading a chart from the database (the source of truth, not the index)
and the audit event of viewing it.  Used by ``chartfile patients show`` and,
later, the web UI.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.audit import record as audit
from indexer.db.models import Document, Patient
from intake.errors import NotFoundError


@dataclass
class ChartDocument:
    """One document in a chart."""

    document_id: int
    doc_type: str
    doc_date: str | None
    received: str
    sender: str
    provider: str
    status: str
    urgent: bool
    pages: int
    source: str
    source_pages: list[int]  # first and last page in the received file


@dataclass
class Chart:
    """A patient and their documents grouped by type (groups ordered by their newest document)."""

    mrn: str
    name: str
    dob: str | None
    groups: list[tuple[str, list[ChartDocument]]] = field(default_factory=list)

    @property
    def documents(self) -> list[ChartDocument]:
        return [d for _, docs in self.groups for d in docs]

    def to_dict(self) -> dict[str, Any]:
        return {"mrn": self.mrn, "name": self.name, "dob": self.dob, "total": len(self.documents),
                "groups": [{"doc_type": t, "count": len(docs), "documents": [asdict(d) for d in docs]}
                           for t, docs in self.groups]}


def _when(doc: Document) -> tuple[date, Any, int]:
    received = doc.intake_item.received_at
    return (doc.doc_date or received.date(), received, doc.id)


def _entry(doc: Document) -> ChartDocument:
    item = doc.intake_item
    return ChartDocument(
        document_id=doc.id, doc_type=doc.doc_type, doc_date=doc.doc_date.isoformat() if doc.doc_date else None,
        received=item.received_at.isoformat(timespec="minutes"), sender=doc.sender_org or "",
        provider=doc.provider or "", status=doc.status, urgent=bool(doc.urgent),
        pages=doc.last_page - doc.first_page + 1, source=item.original_name,
        source_pages=[doc.first_page, doc.last_page])


def load_chart(session: Session, mrn: str) -> Chart:
    """The chart of the patient with this MRN; raises NotFoundError when there is none."""
    key = "".join(mrn.split()).upper()
    patient = session.scalars(select(Patient).where(Patient.mrn == key)).first()
    if patient is None:
        raise NotFoundError(f"No patient with MRN {key}.", hint="Search with patient:NAME to find the MRN.")
    docs = list(session.scalars(select(Document).where(Document.patient_id == patient.id)
                                .options(selectinload(Document.intake_item))))
    docs.sort(key=_when, reverse=True)
    groups: dict[str, list[ChartDocument]] = {}
    for d in docs:
        groups.setdefault(d.doc_type, []).append(_entry(d))
    return Chart(mrn=patient.mrn, name=patient.display_name,
                 dob=patient.dob.isoformat() if patient.dob else None, groups=list(groups.items()))


def record_chart_view(session: Session, actor: str, chart: Chart, client: str | None = None) -> None:
    """Audit the viewing of a chart (a read of every document listed)."""
    audit(session, actor=actor, action="R", event_type="patient.chart_view", patient_mrn=chart.mrn,
          document_ids=[d.document_id for d in chart.documents],
          detail=json.dumps({"documents": len(chart.documents)}), client=client)


def format_chart(chart: Chart) -> list[str]:
    """The chart as lines of text for a terminal."""
    lines = [f"{chart.name}  MRN {chart.mrn}  DOB {chart.dob or 'unknown'}  — {len(chart.documents)} documents"]
    if not chart.groups:
        lines.append("  (no documents filed to this patient)")
    for doc_type, docs in chart.groups:
        lines.append("")
        lines.append(f"{doc_type.replace('_', ' ')} ({len(docs)})")
        for d in docs:
            flags = ("  URGENT" if d.urgent else "") + ("" if d.status == "filed" else f"  [{d.status}]")
            when = d.doc_date or f"{d.received[:10]} (received)"
            lines.append(f"  #{d.document_id:<7} {when:<23} {d.pages:>2} p.  {d.sender or '-'}{flags}")
    return lines
