"""Per-patient access report: everyone who viewed, searched for, released or changed a patient's records.

Owns the rule of what counts as access to one patient: an event naming the
patient's MRN, or an event naming any document that is — or ever was — filed
to the patient (so a search whose results included the patient's documents
counts, although a search event carries no MRN).  Documents are resolved to
the patient at report time from ``documents`` and the ``filings`` history,
plus the faxes they were split from (:mod:`indexer.lineage`): reads of a fax
while it waited in review count for every patient whose part it held.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import ids
from indexer.audit.formats import ChainHead, csv_writer, write_csv_row
from indexer.audit.query import DEFAULT_BATCH, EventFilter, stream_events
from indexer.db.engine import Database
from indexer.db.models import Document, Filing, Patient
from indexer.lineage import ancestors
from intake.config import one_line
from intake.errors import NotFoundError

REPORT_EVENT = "audit.access_report"
COLUMNS = ("seq", "ts", "actor", "acting_for", "os_login", "action", "event_type", "outcome", "via", "document_ids",
           "detail", "source")
ACTION_NAMES = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "execute"}


@dataclass
class AccessEntry:
    """One event that touched the patient, and how it was tied to them."""

    seq: int
    ts: str
    actor: str
    action: str
    event_type: str
    outcome: str
    via: str  # "mrn" | "documents"
    document_ids: str  # only this patient's documents
    detail: str
    source: str
    acting_for: str | None = None  # the --user named on the command line, when not the actor
    os_login: str | None = None  # the OS account of the process

    @property
    def who(self) -> str:
        """The actor as the text report names them: ``alice``, ``chartfile for clerk1``."""
        return one_line(self.actor + (f" for {self.acting_for}" if self.acting_for else ""))


@dataclass
class ActorSummary:
    """Per person: how many events of which type, first and last time."""

    actor: str
    events: int = 0
    first: str = ""
    last: str = ""
    by_type: dict[str, int] = field(default_factory=dict)

    def add(self, entry: AccessEntry) -> None:
        self.events += 1
        self.first = min(self.first or entry.ts, entry.ts)
        self.last = max(self.last, entry.ts)
        self.by_type[entry.event_type] = self.by_type.get(entry.event_type, 0) + 1


def find_patient(session: Session, mrn: str) -> Patient:
    """The patient with this MRN, or :class:`NotFoundError`."""
    patient = session.scalars(select(Patient).where(Patient.mrn == mrn.strip().upper())).first()
    if patient is None:
        raise NotFoundError(f"no patient with MRN {mrn}")
    return patient


def patient_document_ids(session: Session, patient_id: int) -> set[int]:
    """Documents filed to the patient now or at any time, and the faxes they were split from."""
    now = set(session.scalars(select(Document.id).where(Document.patient_id == patient_id)))
    ever = set(session.scalars(select(Filing.document_id).where(Filing.patient_id == patient_id)))
    return now | ever | ancestors(session, now | ever)


def access_entries(db: Database, mrn: str, doc_ids: set[int], flt: EventFilter,
                   batch: int = DEFAULT_BATCH) -> Iterator[AccessEntry]:
    """Events in the filter's time range that name the MRN or one of ``doc_ids``, in seq order."""
    query = EventFilter(since=flt.since, until=flt.until, max_seq=flt.max_seq, patient=mrn,
                        or_with_documents=True)
    for row in stream_events(db, query, "seq", batch):
        mine = ids.decode(row.document_ids) & doc_ids
        if row.patient_mrn != mrn and not mine:
            continue
        yield AccessEntry(
            seq=row.seq, ts=row.ts, actor=row.actor, action=row.action, event_type=row.event_type,
            outcome=row.outcome, via="mrn" if row.patient_mrn == mrn else "documents",
            document_ids=ids.encode(mine), detail=row.detail, source=row.source,
            acting_for=row.acting_for, os_login=row.os_login,
        )


def summarise(entries: Iterable[AccessEntry]) -> list[ActorSummary]:
    """Per-actor summaries, most active first."""
    out: dict[str, ActorSummary] = {}
    for e in entries:
        out.setdefault(e.who, ActorSummary(e.who)).add(e)
    return sorted(out.values(), key=lambda a: (-a.events, a.actor))


def write_text(out: TextIO, entries: list[AccessEntry], *, mrn: str, name: str, period: str,
               head: ChainHead) -> None:
    """Human-readable report: who, how often, then every event (one line each, whatever the fields hold)."""
    out.write(f"Access report for MRN {mrn} ({name})\n")
    out.write(f"Period: {period}\nGenerated: {head.generated}; audit chain head seq {head.seq} "
              f"sha256 {head.hash}\n\n")
    if not entries:
        out.write("No recorded access in this period.\n")
        return
    actors = summarise(entries)
    out.write(f"{len(entries)} events by {len(actors)} actor{'s' if len(actors) != 1 else ''}:\n")
    for a in actors:
        types = ", ".join(f"{t} x{n}" for t, n in sorted(a.by_type.items()))
        out.write(f"  {a.actor:<20} {a.events:>5}  {a.first[:19]} .. {a.last[:19]}  {types}\n")
    out.write("\nEvents:\n")
    for e in entries:
        docs = f" docs {e.document_ids}" if e.document_ids else ""
        flag = "" if e.outcome == "success" else " FAILED"
        out.write(f"  #{e.seq:<7} {e.ts[:19]}Z  {e.who:<16} {ACTION_NAMES.get(e.action, e.action):<7} "
                  f"{one_line(e.event_type):<22} via {e.via}{docs}{flag}  {one_line(e.detail)}\n")


def write_csv(out: TextIO, entries: list[AccessEntry], head: ChainHead) -> None:
    """Spreadsheet-safe CSV, with the chain head as the last row."""
    w = csv_writer(out)
    write_csv_row(w, COLUMNS)
    for e in entries:
        d = asdict(e)
        write_csv_row(w, (d[c] for c in COLUMNS))
    write_csv_row(w, ["# chain head", head.seq, head.hash, head.generated, f"{len(entries)} events"]
                  + [""] * (len(COLUMNS) - 5))


def write_jsonl(out: TextIO, entries: list[AccessEntry], head: ChainHead) -> None:
    """One JSON object per event, then the chain head."""
    for e in entries:
        out.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
    trailer: dict[str, Any] = {"chain_head": {"seq": head.seq, "hash": head.hash},
                               "generated": head.generated, "events": len(entries)}
    out.write(json.dumps(trailer) + "\n")
