"""The intake ledger: taking ownership of source files and recording their fate.

Owns the state machine of ``intake_items``
(receiving → received → processing → processed | quarantined | duplicate)
and the file moves that go with each transition.  The ledger row is
committed *before* the file is moved and before any work starts, so a crash
between any two lines leaves a state that :func:`recover` can finish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import IntakeItem, utcnow
from intake.config import Config
from intake.spool import (
    copy_durably,
    item_file_name,
    move_atomic,
    reason_sidecar,
    sha256_file,
    write_text_atomic,
)

log = logging.getLogger(__name__)

FINAL_STATES = ("processed", "quarantined", "duplicate")


@dataclass
class Claimed:
    """A file now owned by Chartfile, ready for work."""

    item_id: int
    path: Path  # absolute path of the spooled copy
    original_name: str


def _rel(cfg: Config, path: Path) -> str:
    return str(path.resolve().relative_to(cfg.home.resolve()))


def item_path(cfg: Config, item: IntakeItem) -> Path | None:
    """Absolute path of the item's stored file (None when it has not been stored)."""
    return (cfg.home / item.stored_path) if item.stored_path else None


def claim(db: Database, cfg: Config, src: Path, origin: str = "watch") -> Claimed:
    """Take ownership of ``src``: ledger row first, then the atomic move (watch) or copy (ingest)."""
    with db.transaction() as s:
        item = IntakeItem(original_name=src.name, origin=origin, state="receiving", size=src.stat().st_size)
        s.add(item)
        s.flush()
        dest = cfg.spool_dir / item_file_name(item.id, src.name)
        item.stored_path = str(Path("spool") / dest.name)
        item_id = item.id
    if origin == "watch":
        move_atomic(src, dest)
    else:
        copy_durably(src, dest)
    digest = sha256_file(dest)
    with db.transaction() as s:
        item = s.get_one(IntakeItem, item_id)
        item.sha256 = digest
        item.size = dest.stat().st_size
        item.state = "received"
        audit(s, actor="system", action="C", event_type="intake.received", detail=f"item {item_id}")
    log.info("intake item %s received (%s bytes)", item_id, dest.stat().st_size)
    return Claimed(item_id, dest, src.name)


def find_original(s: Session, item: IntakeItem) -> IntakeItem | None:
    """The earlier item with the same content that was processed (exact re-send)."""
    if not item.sha256:
        return None
    return s.scalars(
        select(IntakeItem)
        .where(IntakeItem.sha256 == item.sha256, IntakeItem.id != item.id, IntakeItem.state == "processed")
        .order_by(IntakeItem.id)
        .limit(1)
    ).first()


def move_item_file(cfg: Config, item: IntakeItem, folder: Path) -> None:
    """Move the item's stored file into ``folder`` (archive, quarantine) and update its path."""
    current = item_path(cfg, item)
    if current is None:
        return
    dest = folder / current.name
    if current.exists():
        move_atomic(current, dest)
    if dest.exists():
        item.stored_path = _rel(cfg, dest)


def quarantine(s: Session, cfg: Config, item: IntakeItem, reason: str) -> None:
    """Move the item to quarantine/ with a readable sidecar and record why (caller commits)."""
    move_item_file(cfg, item, cfg.quarantine_dir)
    stored = item_path(cfg, item)
    if stored is not None:
        write_text_atomic(
            reason_sidecar(stored),
            f"File: {item.original_name}\nIntake item: {item.id}\nReceived: {item.received_at:%Y-%m-%d %H:%M} UTC\n"
            f"Reason: {reason}\n\nTo process it again after fixing the cause: chartfile intake retry {item.id}\n",
        )
    item.state = "quarantined"
    item.reason = reason
    item.finished_at = utcnow()
    audit(s, actor="system", action="E", event_type="intake.quarantined", outcome="failure",
          detail=f"item {item.id}")
    log.warning("intake item %s quarantined", item.id)


def mark_duplicate(s: Session, cfg: Config, item: IntakeItem, original: IntakeItem) -> None:
    """Record an exact re-send; its file is kept in archive/duplicates, never silently deleted."""
    move_item_file(cfg, item, cfg.archive_dir / "duplicates")
    item.state = "duplicate"
    item.duplicate_of_id = original.id
    item.reason = f"Exact duplicate of intake item {original.id} ({original.original_name})"
    item.finished_at = utcnow()
    audit(s, actor="system", action="E", event_type="intake.duplicate", detail=f"item {item.id} of {original.id}")


def unfinished(db: Database) -> list[int]:
    """Ids of items that were received but have no outcome yet (resume after a crash)."""
    with db.session() as s:
        return list(
            s.scalars(
                select(IntakeItem.id)
                .where(IntakeItem.state.in_(("received", "processing")))
                .order_by(IntakeItem.id)
            )
        )


def recover(db: Database, cfg: Config) -> list[int]:
    """Finish interrupted claims and return the items to (re)process, oldest first.

    A ``receiving`` row whose file reached the spool becomes ``received``; one
    whose file never left the inbox is dropped (the watcher will take the file
    again).  Spool files with no ledger row are registered.
    """
    with db.transaction() as s:
        for item in s.scalars(select(IntakeItem).where(IntakeItem.state == "receiving")):
            path = item_path(cfg, item)
            if path is not None and path.exists():
                item.sha256 = sha256_file(path)
                item.size = path.stat().st_size
                item.state = "received"
            else:
                item.state = "quarantined"
                item.reason = "Interrupted before the file was taken from the inbox; it will be taken again."
                item.finished_at = utcnow()
        known = {Path(p).name for p in s.scalars(select(IntakeItem.stored_path)) if p}
    if cfg.spool_dir.exists():
        for orphan in sorted(cfg.spool_dir.iterdir()):
            if orphan.is_file() and not orphan.name.startswith(".") and orphan.name not in known:
                log.warning("registering orphan spool file as a new item")
                claim(db, cfg, orphan, origin="recovered")
                orphan.unlink(missing_ok=True)
    return unfinished(db)
