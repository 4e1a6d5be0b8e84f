"""The intake ledger: taking ownership of source files, their state machine, and where their files live.

Owns ``intake_items`` states and every change of them::

    receiving ──> received ──> processing ──> processed
        ^            │  ^          │ │
        │            │  └──────────┘ └──────> quarantined ──> received (clerk retry)
        │            ├──> duplicate
        │            └──> quarantined
        └─── received, processing: the sender changed the file after it was taken
             (the claim is abandoned; the file is taken again, whole, into the same item)

A change is only made through :func:`transition`, which checks it against
:data:`TRANSITIONS`.  The database is changed *first* and committed; the file
is then moved to where the new state says it belongs (:func:`place_file`), and
the new location recorded.  A crash between any two steps therefore leaves
either the old location (the state says where the file should go) or a stale
path (the file is found by :func:`locate`); :mod:`indexer.recovery` finishes
both at the next start.
"""

from __future__ import annotations

import errno
import logging
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import IntakeItem, utcnow
from indexer.states import IntakeState
from intake.claim import Digest, Other, SameContent, digest, take
from intake.claim import same_content as decide_same_content
from intake.config import Config
from intake.errors import IntegrityError
from intake.spool import (
    Copied,
    Fingerprint,
    NotRegularFile,
    display_name,
    item_file_name,
    move_atomic,
    reason_sidecar,
    write_text_atomic,
)

log = logging.getLogger(__name__)

S = IntakeState
STATES: tuple[IntakeState, ...] = tuple(IntakeState)
FINAL_STATES = (S.PROCESSED, S.QUARANTINED, S.DUPLICATE)
UNFINISHED_STATES = (S.RECEIVED, S.PROCESSING)
TRANSITIONS: dict[IntakeState, frozenset[IntakeState]] = {
    S.RECEIVING: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.PROCESSING, S.DUPLICATE, S.QUARANTINED, S.RECEIVING}),  # receiving = abandoned
    S.PROCESSING: frozenset({S.PROCESSED, S.QUARANTINED, S.RECEIVED, S.RECEIVING}),  # received = retry
    S.QUARANTINED: frozenset({S.RECEIVED}),  # a clerk re-queues it
    S.PROCESSED: frozenset(),
    S.DUPLICATE: frozenset(),
}


class IllegalTransition(IntegrityError):
    """A state change the intake state machine does not allow (a bug, never a user error)."""


def check_transition(old: str, new: str) -> None:
    """Raise :class:`IllegalTransition` unless ``old → new`` is allowed."""
    if new not in TRANSITIONS.get(old, frozenset()):  # type: ignore[call-overload]  # (StrEnum keys hash as str)
        raise IllegalTransition(f"intake item state cannot change from {old!r} to {new!r}")


def transition(item: IntakeItem, new: IntakeState) -> None:
    """Change ``item.state`` after checking the transition table (caller commits): the only state setter."""
    check_transition(item.state, new)
    log.debug("intake item %s: %s -> %s", item.id, item.state, new)
    item.state = IntakeState(new).value


@dataclass
class Claimed:
    """A file now owned by Chartfile, ready for work."""

    item_id: int
    path: Path  # absolute path of the spooled copy
    original_name: str
    source: Fingerprint | None = None  # the inbox file copied (``watch``), which stays until the outcome


# ----------------------------------------------------------------------------- where files live
def _rel(cfg: Config, path: Path) -> str:
    return path.resolve().relative_to(cfg.home.resolve()).as_posix()


def stored_name(item: IntakeItem) -> str:
    """File name of the item inside the data home (the same in every folder)."""
    if item.stored_path:
        return Path(item.stored_path).name
    return item_file_name(item.id, item.original_name)


def item_path(cfg: Config, item: IntakeItem) -> Path | None:
    """Absolute path the ledger records for the item's file (None when it has not been stored)."""
    return (cfg.home / item.stored_path) if item.stored_path else None


def archive_month(cfg: Config, when: datetime | None) -> Path:
    return cfg.archive_dir / (when or utcnow()).strftime("%Y/%m")


def home_folder(cfg: Config, item: IntakeItem) -> Path:
    """The folder where the item's file belongs in its current state."""
    if item.state == S.PROCESSED:
        return archive_month(cfg, item.finished_at)
    if item.state == S.DUPLICATE:
        return cfg.archive_dir / "duplicates"
    if item.state == S.QUARANTINED:
        return cfg.quarantine_dir
    return cfg.spool_dir


def locate(cfg: Config, item: IntakeItem) -> Path | None:
    """Find the item's file wherever an interrupted move may have left it."""
    name = stored_name(item)
    candidates = [item_path(cfg, item), cfg.spool_dir / name, cfg.quarantine_dir / name,
                  cfg.archive_dir / "duplicates" / name, archive_month(cfg, item.finished_at) / name]
    for path in candidates:
        if path is not None and path.is_file() and not path.is_symlink():
            return path
    if cfg.archive_dir.is_dir():
        for path in sorted(cfg.archive_dir.glob(f"*/*/{name}")):
            if path.is_file():
                return path
    return None


def sidecar_text(item: IntakeItem) -> str:
    """What a clerk reads in ``<file>.reason.txt``."""
    received = f"{item.received_at:%Y-%m-%d %H:%M} UTC" if item.received_at else "unknown"
    return (f"File: {display_name(item.original_name)}\nIntake item: {item.id}\nReceived: {received}\n"
            f"Attempts: {item.attempts}\nReason: {item.reason or 'not recorded'}\n\n"
            f"To process it again after fixing the cause: chartfile intake retry {item.id}\n")


def place_file(db: Database, cfg: Config, item_id: int) -> Path | None:
    """Move the item's file to the folder its (committed) state calls for, and record the new path.

    The item is read in a short session and the moves happen outside any
    transaction, so no database lock is held during file I/O.
    """
    with db.session() as s:
        item = s.get(IntakeItem, item_id)
    if item is None:
        return None
    current = locate(cfg, item)
    folder = home_folder(cfg, item)
    if current is None:
        log.warning("intake item %s: file not found in the data home", item_id)
        if item.state == S.QUARANTINED:
            write_text_atomic(reason_sidecar(folder / stored_name(item)), sidecar_text(item))
        return None
    dest = folder / current.name
    if current != dest:
        move_atomic(current, dest)
        reason_sidecar(current).unlink(missing_ok=True)
    if item.state == S.QUARANTINED:
        if not reason_sidecar(dest).exists():
            write_text_atomic(reason_sidecar(dest), sidecar_text(item))
    else:
        reason_sidecar(dest).unlink(missing_ok=True)
    rel = _rel(cfg, dest)
    if item.stored_path != rel:
        with db.transaction() as s:
            s.get_one(IntakeItem, item_id).stored_path = rel
    return dest


# ----------------------------------------------------------------------------- claiming
def claim(db: Database, cfg: Config, src: Path, origin: str = "watch") -> Claimed:
    """Take ownership of ``src``: ledger row first, then a copy into the spool hashed as it is written.

    A watched inbox's file (``origin="watch"``) stays in the inbox, recorded
    as the item's source, until the item's outcome is committed
    (:mod:`indexer.sources`); a file given to ``ingest`` is left alone.  If
    the copy fails (the file is not a regular file, changed while it was
    read, the disk is full) the row is removed again and the error raised:
    the file was never taken and stays where it was.
    """
    name = display_name(src.name)
    st = src.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(errno.EINVAL, "not a regular file")
    seen = Fingerprint.of(st)
    held = origin == "watch"
    with db.transaction() as s:
        item = IntakeItem(original_name=name, origin=origin, state=S.RECEIVING.value, size=seen.size,
                          source_print=seen.text() if held else None)
        s.add(item)
        s.flush()
        dest = cfg.spool_dir / item_file_name(item.id, name)
        item.stored_path = _rel_spool(dest)
        item_id = item.id
    try:
        copied = take(src, dest)
        finish_claim(db, item_id, copied, held)
    except Exception:  # a kill at this point is finished by recovery instead
        dest.unlink(missing_ok=True)  # the source is still where it was: nothing is lost
        _forget_claim(db, item_id)
        raise
    log.info("intake item %s received (%s bytes)", item_id, copied.size)
    return Claimed(item_id, dest, name, copied.source if held else None)


def retake(db: Database, cfg: Config, item_id: int, src: Path) -> Claimed:
    """Take the inbox file of an abandoned claim again, whole, into the same item (its old copy is replaced)."""
    with db.session() as s:
        item = s.get_one(IntakeItem, item_id)
        if item.state != S.RECEIVING:
            raise IllegalTransition(f"intake item {item_id} is {item.state}; only an abandoned claim is taken again")
        dest, name = cfg.home / (item.stored_path or _rel_spool(cfg.spool_dir / stored_name(item))), item.original_name
    copied = take(src, dest)
    finish_claim(db, item_id, copied, True)
    log.info("intake item %s taken again (%s bytes)", item_id, copied.size)
    return Claimed(item_id, dest, name, copied.source)


def _rel_spool(dest: Path) -> str:
    return f"spool/{dest.name}"


def _forget_claim(db: Database, item_id: int) -> None:
    try:
        with db.transaction() as s:
            item = s.get(IntakeItem, item_id)
            if item is not None and item.state == S.RECEIVING and not item.sha256:
                s.delete(item)
    except Exception:  # noqa: BLE001 - the watch loop's sweep (or recovery) removes it later
        log.exception("could not remove the unfinished claim of intake item %s", item_id)


def finish_claim(db: Database, item_id: int, stored: Copied | Digest, held: bool = False) -> None:
    """The file is in the spool: record the hash and size of the stored bytes and mark the item received.

    ``held``: the inbox source stays until the outcome (its fingerprint is
    recorded); otherwise none is recorded.  Taking an abandoned claim again
    records the new copy's hash in the same item.
    """
    with db.transaction() as s:
        item = s.get_one(IntakeItem, item_id)
        again = bool(item.sha256)
        item.sha256 = stored.sha256
        item.size = stored.size
        item.source_print = stored.source.text() if held and isinstance(stored, Copied) else None
        transition(item, S.RECEIVED)
        audit(s, actor="system", action="C", event_type="intake.received",
              detail=f"item {item_id}" + (" taken again" if again else ""))


def abandon(db: Database, item_id: int) -> bool:
    """The sender changed the file after it was taken: drop the claim's work; the file is taken again whole.

    The item goes back to ``receiving`` (its old copy stays in the spool until
    the new one replaces it).  Returns False when the item already has its
    outcome (then nothing is abandoned).
    """
    with db.transaction() as s:
        item = s.get(IntakeItem, item_id)
        if item is None or item.state not in UNFINISHED_STATES:
            return False
        transition(item, S.RECEIVING)
        item.attempts = 0
        item.last_error = None
        audit(s, actor="system", action="E", event_type="intake.abandoned",
              detail=f"item {item_id}: the sender changed the file after it was taken; it is taken again whole")
    log.warning("intake item %s: the file changed after it was taken; claim abandoned, taken again when complete",
                item_id)
    return True


def stored_digest(cfg: Config, item: IntakeItem) -> Digest:
    """The hash and size of the item's stored file now (the recorded ones when the file is missing)."""
    path = item_path(cfg, item)
    if path is not None and path.is_file():
        return digest(path)
    return Digest(item.sha256 or "", item.size or 0)


def source_removed(db: Database, item_id: int) -> None:
    """The item's inbox source is gone (removed after the outcome, or by its sender): forget it."""
    with db.transaction() as s:
        item = s.get(IntakeItem, item_id)
        if item is not None:
            item.source_print = None


# ----------------------------------------------------------------------------- outcomes
def same_content(s: Session, item: IntakeItem) -> IntakeItem | None:
    """Another item with the same sha256 that decides this one's fate.

    A processed one (any id) makes this a duplicate; otherwise an earlier one
    still in flight (received/processing) means: wait for it.
    """
    if not item.sha256:
        return None
    others = {o.id: o for o in s.scalars(
        select(IntakeItem)
        .where(IntakeItem.sha256 == item.sha256, IntakeItem.id != item.id,
               IntakeItem.state.in_((S.PROCESSED, *UNFINISHED_STATES)))
    )}
    verdict, other_id = decide_same_content(item.id, [Other(o.id, o.state == S.PROCESSED) for o in others.values()])
    return others[other_id] if verdict != SameContent.NONE and other_id is not None else None


def mark_quarantined(s: Session, item: IntakeItem, reason: str) -> None:
    """Record that the item is quarantined and why (caller commits, then :func:`place_file`)."""
    transition(item, S.QUARANTINED)
    item.reason = reason
    item.finished_at = utcnow()
    audit(s, actor="system", action="E", event_type="intake.quarantined", outcome="failure",
          detail=f"item {item.id}")
    log.warning("intake item %s quarantined", item.id)


def mark_duplicate(s: Session, item: IntakeItem, original: IntakeItem) -> None:
    """Record an exact re-send; its file is kept in archive/duplicates, never silently deleted."""
    transition(item, S.DUPLICATE)
    item.duplicate_of_id = original.id
    item.reason = f"Exact duplicate of intake item {original.id} ({original.original_name})"
    item.finished_at = utcnow()
    audit(s, actor="system", action="E", event_type="intake.duplicate", detail=f"item {item.id} of {original.id}")
    log.info("intake item %s is a duplicate of %s", item.id, original.id)


def requeue(s: Session, item: IntakeItem, actor: str, stored: Digest | None = None) -> None:
    """A clerk asks for a quarantined item to be processed again (caller commits, then places).

    ``stored``: the hash and size of the quarantined file as it is now — the
    ledger records them, so the item is judged (duplicates) and verified on
    the bytes that will be processed.
    """
    transition(item, S.RECEIVED)
    item.attempts = 0
    item.reason = None
    item.last_error = None
    item.finished_at = None
    changed = stored is not None and stored.sha256 != item.sha256
    if stored is not None:
        item.sha256, item.size = stored.sha256, stored.size
    audit(s, actor=actor, action="U", event_type="intake.retry",
          detail=f"item {item.id}" + ("; its stored file differs from the recorded hash, hash recomputed"
                                      if changed else ""))


def unfinished(db: Database) -> list[int]:
    """Ids of items that were received but have no outcome yet, oldest first."""
    with db.session() as s:
        return list(s.scalars(
            select(IntakeItem.id).where(IntakeItem.state.in_(UNFINISHED_STATES)).order_by(IntakeItem.id)
        ))

