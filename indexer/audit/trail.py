"""Appending to the audit trail in the database: the one write path of ``audit_events``.

Owns :func:`record` — inserts only: there is no update or delete of audit rows
anywhere in Chartfile, and the ORM refuses one (see the mapper guards at the
end of this module; migration 0003 adds database triggers as well).  An append
runs in the caller's transaction, so an audit write failure fails the action it
records: there is no unaudited access.

Every event is authenticated with the audit key (HMAC-SHA256; see
:mod:`indexer.audit.keys`) and carries the OS account of the process
(``os_login``) besides the acting user; when the transaction commits, its new
head is published as a signed checkpoint (:mod:`indexer.audit.context`).

The persisted audit switch (``settings['audit.enabled']``) is read here, inside
the same transaction; on PostgreSQL that read also locks the row, which
serialises appends so two writers never compute the same ``seq``.  (SQLite
gets the same guarantee from ``BEGIN IMMEDIATE``, see ``indexer.db.engine``.)
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, object_session

from indexer.audit import context, ids
from indexer.audit.chain import GENESIS, event_hash
from indexer.audit.context import now_iso
from indexer.db.models import AuditEvent, Setting
from intake.config import bad_text

log = logging.getLogger(__name__)

ACTIONS = frozenset({"C", "R", "U", "D", "E"})  # create, read, update, delete, execute (FHIR codes)
OUTCOMES = frozenset({"success", "failure"})
SYSTEM_ACTOR = "system"
SWITCH_KEY = "audit.enabled"
AUDIT_STOP = "audit.stop"
AUDIT_START = "audit.start"
SWITCH_EVENTS = frozenset({AUDIT_STOP, AUDIT_START})
ALWAYS_RECORDED = SWITCH_EVENTS | {"audit.verify"}  # recorded even while auditing is off

MAX_ACTOR = 80
CHANNELS = frozenset({"cli", "web", "api", "system"})
MAX_EVENT_TYPE = 60
MAX_SOURCE = 200
MAX_DETAIL = 2000

_HOST = socket.gethostname()


def default_source(client: str | None = None) -> str:
    """Host, process id and (web) client address of the event: ``host/pid123[/client]``."""
    base = f"{_HOST}/pid{os.getpid()}"
    return (f"{base}/{client}" if client else base)[:MAX_SOURCE]


_HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_SWITCH = select(Setting.value).where(Setting.key == SWITCH_KEY)
_INSERT = insert(AuditEvent)


@dataclass(frozen=True)
class AuditRecord:
    """What :func:`record` appended (the row itself is written with Core, not the ORM)."""

    seq: int
    ts: str
    event_type: str
    hash: str
    prev_hash: str


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest event, (0, GENESIS) for an empty trail."""
    row = session.connection().execute(_HEAD).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def switch_state(session: Session, lock: bool = False) -> bool:
    """True when auditing is on (the default, also when the switch was never set).

    ``lock`` takes a row lock on PostgreSQL (``FOR UPDATE``; a no-op on SQLite)
    so concurrent appends queue instead of racing for the same ``seq``.
    """
    stmt = _SWITCH.with_for_update() if lock else _SWITCH
    value = session.connection().execute(stmt).scalar_one_or_none()
    return value is None or str(value).strip().lower() != "false"


def _check(actor: str, action: str, event_type: str, outcome: str) -> None:
    """Reject calls that would store a malformed event (programming errors: entrypoints validate names)."""
    if action not in ACTIONS:
        raise ValueError(f"audit action must be one of {sorted(ACTIONS)}, got {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {sorted(OUTCOMES)}, got {outcome!r}")
    if not event_type or len(event_type) > MAX_EVENT_TYPE:
        raise ValueError(f"audit event_type must be 1..{MAX_EVENT_TYPE} characters")
    if not actor:
        raise ValueError("audit actor must not be empty (use 'system' for automatic actions)")
    if bad_text(actor):
        raise ValueError("audit actor must not contain control or bidirectional characters")


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
    acting_for: str | None = None,
    channel: str | None = None,
    role: str | None = None,
) -> AuditRecord | None:
    """Append one authenticated, chained event inside the caller's transaction and return it.

    ``acting_for``/``channel``/``role`` default to what the entrypoint put in
    the session (``context.IDENTITY_INFO``).  Returns None (and writes nothing)
    while auditing is switched off, except for ``audit.verify`` and the
    ``audit.stop``/``audit.start`` events themselves.  Any failure propagates, so the
    caller's transaction — the audited action — rolls back; a missing audit key
    is a ConfigError before anything is written.
    """
    _check(actor, action, event_type, outcome)
    ctx = context.for_session(session)
    enabled = switch_state(session, lock=True)
    if not enabled and event_type not in ALWAYS_RECORDED:
        return None
    who = {} if actor == SYSTEM_ACTOR else context.identity(session)  # automatic work acts for nobody
    seq, prev = head(session)
    fields: dict[str, object] = {
        "seq": seq + 1,
        "ts": now_iso(),
        "actor": actor[:MAX_ACTOR],
        "action": action,
        "event_type": event_type,
        "patient_mrn": patient_mrn or None,
        "document_ids": ids.encode(document_ids),
        "outcome": outcome,
        "source": default_source(client),
        "detail": (detail or "")[:MAX_DETAIL],
        "os_login": context.os_login(),
        "acting_for": (acting_for or who.get("acting_for") or None),
        "channel": channel or who.get("channel") or ("system" if actor == SYSTEM_ACTOR else None),
        "role": role or who.get("role") or None,
        "key_id": ctx.key.key_id,
    }
    digest = event_hash(fields, prev, ctx.key.mac_key)
    # Core insert on the session's connection: same transaction, a fraction of an ORM flush's cost.
    session.connection().execute(_INSERT, {**fields, "prev_hash": prev, "hash": digest})
    switch = event_type in SWITCH_EVENTS
    context.mark_pending(session, ctx, seq + 1, digest, reason=event_type if switch else "commit", durable=switch)
    log.debug("audit event %d %s", seq + 1, event_type)
    return AuditRecord(seq + 1, str(fields["ts"]), event_type, digest, prev)


def iter_events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    """All events in chain order, streamed in batches (one session; see ``verify`` for long walks)."""
    last: int | None = None
    while True:
        stmt = select(AuditEvent).order_by(AuditEvent.seq).limit(batch)
        if last is not None:
            stmt = stmt.where(AuditEvent.seq > last)
        rows = session.scalars(stmt).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to update or delete an audit event through the ORM."""


def _refuse_update(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    session = object_session(target)
    if session is None or session.is_modified(target, include_collections=False):
        raise AppendOnlyViolation(f"audit event seq {target.seq} is append-only; it cannot be changed")


def _refuse_delete(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AppendOnlyViolation(f"audit event seq {target.seq} is append-only; it cannot be deleted")


# Declarative guards on the AuditEvent mapper (no I/O): the ORM never flushes an
# UPDATE or DELETE of an audit row.
event.listen(AuditEvent, "before_update", _refuse_update)
event.listen(AuditEvent, "before_delete", _refuse_delete)
# Publish the committed head of every transaction that appended events (no I/O until a commit).
event.listen(Session, "after_commit", context.after_commit)
event.listen(Session, "after_rollback", context.after_rollback)
