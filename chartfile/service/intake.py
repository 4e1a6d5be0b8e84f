"""Intake commands and queries: ingest, watch, the ledger list and export, retry, the consistency check.

Owns what the front ends may ask of intake: running the pipeline once over
given files or as the hot-folder service (both in :mod:`chartfile.service.runner`,
with the search index's writer as their index hook), the audited list and
export of the ledger (the export is a disclosure: audited first, written
atomically), re-queueing a quarantined file, and the whole-home check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.checks import CheckReport, check
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from chartfile.service.runner import WatchLoop, expand_paths, ingest
from indexer.db.models import Document, IntakeItem
from indexer.exports import intake_record, iter_intake
from indexer.ledger import STATES, place_file, requeue, stored_digest
from indexer.states import IntakeState
from intake.errors import InputError, NotFoundError, RefusedError, UsageError

__all__ = ["STATES", "IngestRun", "IntakeRow", "check_home", "export_intake", "ingest_paths", "intake_list",
           "retry", "watch_loop"]


@dataclass
class IngestRun:
    """The files an ingest took, the outcome of each it claimed, and entries in folders it left alone."""

    files: list[Path]
    outcomes: dict[int, str]
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (path, what it is): not regular files


def ingest_paths(office: Office, actor: Actor, paths: list[Path],
                 on_outcome: Callable[[int, str], None] | None = None,
                 stop_event: threading.Event | None = None, before: Callable[[int], None] | None = None) -> IngestRun:
    """Process files and folders once through the same pipeline as ``watch`` (originals are copied).

    ``before`` is told how many files were found before processing starts (a progress bar's total).
    """
    require(actor, Action.INGEST)
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise InputError(f"not found: {', '.join(missing)}")
    files, refused = expand_paths(paths)
    named = [(p, kind) for p, kind in refused if p in paths]
    if named:
        raise InputError("not a regular file: " + ", ".join(f"{p} is a {kind}" for p, kind in named),
                         hint="Chartfile takes only regular files: never what a link points to, never pipes or "
                              "devices. Give the file itself.")
    if before is not None:
        before(len(files))
    outcomes = ingest(office.cfg, office.db, files, on_outcome=on_outcome, stop_event=stop_event)
    return IngestRun(files, outcomes, [(p, str(kind)) for p, kind in refused])


def watch_loop(office: Office, actor: Actor, inbox: Path | None = None) -> WatchLoop:
    """The hot-folder service for this office (call ``run()``; ``request_stop()`` from a signal handler)."""
    require(actor, Action.WATCH)
    if inbox is not None:
        office.cfg.intake.inbox = str(inbox)
    return WatchLoop(office.cfg, office.db, inbox)


@dataclass
class IntakeRow:
    """One received file as ``intake list`` shows it."""

    id: int
    state: str
    received: str
    attempts: int
    name: str
    note: str
    record: dict[str, Any]


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(item: IntakeItem) -> IntakeRow:
    note = item.reason or ""
    if item.state == IntakeState.DUPLICATE and item.duplicate_of_id:
        note = f"duplicate of item {item.duplicate_of_id}"
    elif item.state in (IntakeState.RECEIVED, IntakeState.PROCESSING) and item.last_error:
        note = f"retrying: {item.last_error}"
    record = intake_record(item)
    record["state"] = item.state
    return IntakeRow(item.id, item.state, f"{item.received_at:%Y-%m-%d %H:%M}", item.attempts,
                     _short(item.original_name, 70), _short(note, 160), record)


def intake_list(office: Office, actor: Actor, states: tuple[str, ...] = (),
                limit: int = 50) -> tuple[list[IntakeRow], int]:
    """Received files, newest first (at most ``limit``), and how many match in all (audited)."""
    require(actor, Action.INTAKE_LIST)
    unknown = [st for st in states if st not in STATES]
    if unknown:
        raise UsageError(f"unknown intake state {unknown[0]!r}; use one of {', '.join(STATES)}")
    stmt = select(IntakeItem).order_by(IntakeItem.id.desc()).limit(limit)
    count = select(func.count()).select_from(IntakeItem)
    if states:
        stmt = stmt.where(IntakeItem.state.in_(states))
        count = count.where(IntakeItem.state.in_(states))
    with office.db.read() as s:
        rows = [_row(item) for item in s.scalars(stmt)]
        total = s.scalar(count) or 0
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "intake.list", "R", detail=f"{len(rows)} items, states {','.join(states) or 'all'}"))
    return rows, total


def export_intake(office: Office, actor: Actor, target: disclosure.Target, fmt: str = "jsonl") -> int:
    """One JSON object per received file (README format); audited before the first line; returns how many."""
    require(actor, Action.INTAKE_EXPORT)
    if fmt != "jsonl":
        raise UsageError(f"unknown export format {fmt!r}; use jsonl")
    with office.db.read() as s:
        n_items = s.scalar(select(func.count()).select_from(IntakeItem)) or 0
        doc_ids = list(s.scalars(select(Document.id)))
    d = disclosure.Disclosure("export.intake", "E", doc_ids, detail=f"{n_items} items, {fmt}")

    def write(out: disclosure.TextIO) -> int:
        with office.db.read() as s:
            return disclosure.write_json_lines(iter_intake(s), out)

    return disclosure.disclose(office, actor, d, target, write)


def retry(office: Office, actor: Actor, item_id: int) -> None:
    """Queue a quarantined item again; the next ingest or the running watch processes it.

    The hash and size are computed again from the stored file as it is now,
    so duplicates are judged, and the archive verified, on the bytes that
    will be processed.
    """
    require(actor, Action.INTAKE_RETRY)
    with office.db.session() as s:
        item = s.get(IntakeItem, item_id)
        stored = stored_digest(office.cfg, item) if item is not None else None
    with office.db.transaction() as s:
        item = s.get(IntakeItem, item_id)
        if item is None:
            raise NotFoundError(f"no intake item {item_id}")
        if item.state != IntakeState.QUARANTINED:
            raise RefusedError(f"intake item {item_id} is {item.state}, not quarantined")
        requeue(s, item, actor=actor.audit_name, stored=stored)
    place_file(office.db, office.cfg, item_id)  # quarantine/ -> spool/; recovery finishes it if interrupted


def check_home(office: Office, actor: Actor) -> CheckReport:
    """Ledger, data-home files and search index agree (the report lists every problem)."""
    require(actor, Action.INTAKE_CHECK)
    return check(office.cfg, office.db, office.search_index())
