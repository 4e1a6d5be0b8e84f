"""Reading the audit trail: filters, time bounds and sorted streaming in batches.

Owns :class:`EventFilter` and the read queries behind verify, export and the
access report.  Long reads never hold one transaction open (on SQLite every
transaction takes the write lock): each batch is its own short session, and
keyset pagination on (sort key, seq) keeps the order stable.  Reads are bounded
by ``max_seq`` — the head when the read started — so appends made meanwhile
do not leak into a result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from indexer.db.engine import Database
from indexer.db.models import AuditEvent
from intake.errors import UsageError

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EVENT_COLUMNS = (
    "seq", "ts", "actor", "action", "event_type", "patient_mrn", "document_ids",
    "outcome", "source", "detail", "os_login", "acting_for", "channel", "role", "key_id", "prev_hash", "hash",
)


class EventRow(NamedTuple):
    """One stored event as plain values (attribute access on a tuple: fast enough to walk millions)."""

    seq: int
    ts: str
    actor: str
    action: str
    event_type: str
    patient_mrn: str | None
    document_ids: str
    outcome: str
    source: str
    detail: str
    os_login: str | None
    acting_for: str | None
    channel: str | None
    role: str | None
    key_id: str | None
    prev_hash: str
    hash: str


assert EventRow._fields == EVENT_COLUMNS


SORT_FIELDS = ("seq", "ts", "actor", "action", "event_type", "patient_mrn", "outcome")
DEFAULT_BATCH = 2000


def parse_bound(text: str, *, end: bool) -> str:
    """A ``--from``/``--to`` value → the stored ``ts`` form.

    A date (``2026-03-01``) means the whole day: ``--to`` includes it.  A
    date-time (``2026-03-01T09:30``, optional offset; naive = UTC) is exact.
    The returned bound is inclusive for a start and exclusive for an end.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day) + (timedelta(days=1) if end else timedelta())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            moment = parsed + (timedelta(microseconds=1) if end else timedelta())
    except ValueError:
        raise UsageError(f"not a date or date-time: {text!r}",
                         hint="Use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC unless an offset is given).") from None
    return moment.strftime(TS_FORMAT)


@dataclass(frozen=True)
class EventFilter:
    """Which events to read.  ``until`` is exclusive; ``types`` entries ending in ``*`` are prefixes."""

    since: str | None = None
    until: str | None = None
    patient: str | None = None
    user: str | None = None
    types: tuple[str, ...] = ()
    max_seq: int | None = None
    or_with_documents: bool = False  # with ``patient``: also events that name any document ids


    def describe(self) -> str:
        """Short, PHI-free description for the audit event of an export."""
        parts = [f"{k}={v}" for k, v in (("from", self.since), ("to", self.until), ("patient", self.patient),
                                          ("user", self.user)) if v]
        if self.types:
            parts.append("type=" + "|".join(self.types))
        return ", ".join(parts) or "all events"


def _type_condition(types: tuple[str, ...]) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    for t in types:
        if t.endswith("*"):
            conds.append(AuditEvent.event_type.startswith(t.rstrip("*"), autoescape=True))
        else:
            conds.append(AuditEvent.event_type == t)
    return or_(*conds)


def conditions(flt: EventFilter) -> list[ColumnElement[bool]]:
    """SQL conditions of a filter."""
    conds: list[ColumnElement[bool]] = []
    if flt.since:
        conds.append(AuditEvent.ts >= flt.since)
    if flt.until:
        conds.append(AuditEvent.ts < flt.until)
    if flt.patient and flt.or_with_documents:
        conds.append(or_(AuditEvent.patient_mrn == flt.patient, AuditEvent.document_ids != ""))
    elif flt.patient:
        conds.append(AuditEvent.patient_mrn == flt.patient)
    if flt.user:  # the actor, or the person a CLI user named with --user
        conds.append(or_(AuditEvent.actor == flt.user, AuditEvent.acting_for == flt.user))
    if flt.types:
        conds.append(_type_condition(flt.types))
    if flt.max_seq is not None:
        conds.append(AuditEvent.seq <= flt.max_seq)
    return conds


def count_events(session: Session, flt: EventFilter) -> int:
    """How many events the filter selects."""
    return int(session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions(flt))) or 0)


def parse_sort(text: str) -> tuple[str, bool]:
    """``field`` or ``-field`` (descending) → (field, descending)."""
    descending = text.startswith("-")
    name = text.lstrip("-+")
    if name not in SORT_FIELDS:
        raise UsageError(f"cannot sort by {name!r}", hint="Sort by one of: " + ", ".join(SORT_FIELDS)
                         + " (prefix '-' for descending).")
    return name, descending


def _sort_key(name: str) -> ColumnElement[Any]:
    column = getattr(AuditEvent, name)
    return func.coalesce(column, "") if name == "patient_mrn" else column  # type: ignore[no-any-return]


def _page(stmt: Select[Any], key: ColumnElement[Any], descending: bool,
          after: tuple[Any, int] | None) -> Select[Any]:
    """Keyset pagination on (key, seq): the rows strictly after ``after`` in sort order."""
    seq = AuditEvent.seq
    if after is not None:
        last_key, last_seq = after
        if descending:
            stmt = stmt.where(or_(key < last_key, and_(key == last_key, seq < last_seq)))
        else:
            stmt = stmt.where(or_(key > last_key, and_(key == last_key, seq > last_seq)))
    order = (key.desc(), seq.desc()) if descending else (key.asc(), seq.asc())
    return stmt.order_by(*order)


def stream_events(db: Database, flt: EventFilter = EventFilter(), sort: str = "seq",
                batch: int = DEFAULT_BATCH) -> Iterator[Row[Any]]:
    """Matching events in sort order, one short session per batch.

    Rows have the attributes of :data:`EVENT_COLUMNS` plus ``sort_key``.
    """
    name, descending = parse_sort(sort)
    key = _sort_key(name)
    columns = [getattr(AuditEvent, c) for c in EVENT_COLUMNS]
    base = select(*columns, key.label("sort_key")).where(*conditions(flt))
    after: tuple[Any, int] | None = None
    while True:
        with db.read() as s:
            rows = s.execute(_page(base, key, descending, after).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = (rows[-1].sort_key, rows[-1].seq)
        if len(rows) < batch:
            return


def stream_chain(db: Database, batch: int = 5000) -> Iterator[EventRow]:
    """Every event in seq order — what ``verify`` walks (no upper bound: appends are fine)."""
    columns = [getattr(AuditEvent, c) for c in EVENT_COLUMNS]
    last: int | None = None
    while True:
        stmt = select(*columns).order_by(AuditEvent.seq).limit(batch)
        if last is not None:
            stmt = stmt.where(AuditEvent.seq > last)
        with db.read() as s:
            rows = [EventRow._make(r) for r in s.execute(stmt)]
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        if len(rows) < batch:
            return
