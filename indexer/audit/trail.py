"""Appending to and reading the audit trail in the database.

Owns the only code path that writes ``audit_events`` (inserts only: there is
no update or delete of audit rows anywhere in Chartfile).  An append runs in
the caller's transaction, so an audit write failure fails the action it
records: there is no unaudited access.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit.chain import GENESIS, event_hash
from indexer.db.models import AuditEvent

ACTIONS = {"C", "R", "U", "D", "E"}  # create, read, update, delete, execute (FHIR AuditEvent.action)
_HOST = socket.gethostname()


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_source(client: str | None = None) -> str:
    """Host, process id and (web) client address of the event."""
    base = f"{_HOST}/pid{os.getpid()}"
    return f"{base}/{client}" if client else base


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest event, (0, GENESIS) for an empty trail."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    event_type: str,
    patient_mrn: str | None = None,
    document_ids: Iterable[int] = (),
    outcome: str = "success",
    detail: str = "",
    client: str | None = None,
) -> AuditEvent:
    """Append one chained event inside the caller's transaction and return it."""
    if action not in ACTIONS:
        raise ValueError(f"audit action must be one of {sorted(ACTIONS)}")
    seq, prev = head(session)
    fields: dict[str, object] = {
        "seq": seq + 1,
        "ts": _now_iso(),
        "actor": actor,
        "action": action,
        "event_type": event_type,
        "patient_mrn": patient_mrn,
        "document_ids": ",".join(str(d) for d in sorted(set(document_ids))),
        "outcome": outcome,
        "source": default_source(client),
        "detail": detail[:2000],
    }
    event = AuditEvent(**fields, prev_hash=prev, hash=event_hash(fields, prev))  # type: ignore[arg-type]
    session.add(event)
    session.flush()
    return event


def iter_events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    """All events in chain order, streamed in batches."""
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
