"""Audit export: an audited, anchored, streamed copy of the trail for the privacy officer.

Owns the order of an export, which makes it audited *before* anything is
disclosed: (1) one transaction records the ``export.audit`` event (its commit
publishes the head as a signed checkpoint); (2) that head is printed in the
export; (3) the matching events up to that head are streamed in batches.  If
streaming fails, an ``export.audit`` failure event is recorded too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TextIO

from indexer.audit.formats import FORMATS, ChainHead, make_writer
from indexer.audit.query import DEFAULT_BATCH, EventFilter, count_events, parse_sort, stream_events
from indexer.audit.trail import head, now_iso, record
from indexer.db.engine import Database
from intake.errors import UsageError

log = logging.getLogger(__name__)

EXPORT_EVENT = "export.audit"


@dataclass
class ExportPlan:
    """What an export will write: the head it is taken at and how many events match."""

    head: ChainHead
    total: int
    flt: EventFilter


def start_export(db: Database, flt: EventFilter, fmt: str, sort: str, *,
                 actor: str, client: str | None = None) -> ExportPlan:
    """Record the export event (its commit checkpoints the head) and count what will be written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    parse_sort(sort)
    with db.transaction() as s:
        record(s, actor=actor, action="E", event_type=EXPORT_EVENT, patient_mrn=flt.patient,
               detail=f"format {fmt}, sort {sort}, {flt.describe()}", client=client)
        seq, digest = head(s)
        bounded = replace(flt, max_seq=seq)
        total = count_events(s, bounded)
    log.info("audit export at head seq %d: %d events, %s", seq, total, fmt)
    return ExportPlan(ChainHead(seq, digest, now_iso()), total, bounded)


def write_export(db: Database, plan: ExportPlan, fmt: str, sort: str, out: TextIO, *,
                 on_progress: Callable[[int], None] | None = None, batch: int = DEFAULT_BATCH) -> int:
    """Stream the planned events to ``out`` in ``fmt``; returns how many were written."""
    writer = make_writer(fmt, out)
    writer.begin(plan.head)
    n = 0
    for row in stream_events(db, plan.flt, sort, batch):
        writer.write(row)
        n += 1
        if on_progress is not None and n % 500 == 0:
            on_progress(500)
    if on_progress is not None and n % 500:
        on_progress(n % 500)
    writer.end(n)
    return n


def record_failure(db: Database, plan: ExportPlan | None, exc: BaseException, *, actor: str,
                   event_type: str = EXPORT_EVENT, patient_mrn: str | None = None) -> None:
    """Record that an export or report did not complete (never masks the original error)."""
    where = f"at head seq {plan.head.seq}" if plan else "before start"
    try:
        with db.transaction() as s:
            record(s, actor=actor, action="E", event_type=event_type, patient_mrn=patient_mrn,
                   outcome="failure", detail=f"did not complete {where}: {type(exc).__name__}")
    except Exception:  # noqa: BLE001 - the original error is what the user must see
        log.exception("could not record the failed %s", event_type)
