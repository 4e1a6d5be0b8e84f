"""Start-up recovery of the intake ledger: finish whatever a crash or kill -9 interrupted.

Owns the one promise "no file lost, nothing done twice" across restarts.  At
start, before any new file is taken, :func:`recover`:

1. removes hidden ``.*.part`` temporaries of interrupted copies and the
   page images killed workers left in the scratch folder;
2. finishes interrupted claims (:func:`finish_claims`): a ``receiving`` row
   whose copy reached the spool and whose inbox source is gone becomes
   ``received``; one whose source is still in the inbox is dropped, so the
   watcher takes the file again (the inbox sources of items in work are
   reconciled before, by :func:`indexer.sources.reconcile`);
3. registers spool files that have no ledger row (never deleted);
4. returns ``processing`` items to ``received`` (their work is redone);
5. puts every file where its item's state says it belongs (spool, archive,
   archive/duplicates, quarantine + reason sidecar) and fixes recorded paths;

and returns the unfinished items, oldest first.  Each step is idempotent, so a
crash during recovery is recovered by the next start.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from indexer.ledger import (
    FINAL_STATES,
    UNFINISHED_STATES,
    claim,
    finish_claim,
    home_folder,
    item_path,
    locate,
    place_file,
    stored_digest,
    stored_name,
    transition,
    unfinished,
)
from indexer.sources import find_source, inbox_files
from indexer.states import IntakeState
from intake.config import Config
from intake.inbox import recorded_inbox
from intake.spool import is_temp_name, sha256_file
from intake.workers import scratch_dir

log = logging.getLogger(__name__)

_ID_PREFIX = re.compile(r"^(\d{8,})-")


def recover(db: Database, cfg: Config, inbox: Path | None = None) -> list[int]:
    """Make the data home and the ledger agree again; return the items to (re)process."""
    remove_temporaries(cfg)
    finish_claims(db, cfg, inbox)
    register_orphans(db, cfg)
    reset_interrupted(db)
    settle_files(db, cfg)
    return unfinished(db)


def _folders(cfg: Config) -> list[Path]:
    folders = [cfg.spool_dir, cfg.quarantine_dir, cfg.archive_dir / "duplicates"]
    if cfg.archive_dir.is_dir():
        folders += sorted(p for p in cfg.archive_dir.glob("*/*") if p.is_dir())
    return [f for f in folders if f.is_dir()]


def remove_temporaries(cfg: Config) -> int:
    """Delete ``.name.part`` files of interrupted copies and the workers' leftover page images."""
    n = 0
    for folder in _folders(cfg):
        for path in folder.iterdir():
            if is_temp_name(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                n += 1
    scratch = scratch_dir(cfg)
    if scratch.is_dir():
        for path in scratch.iterdir():
            if path.is_file() or path.is_symlink():
                path.unlink(missing_ok=True)
                n += 1
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                n += 1
    if n:
        log.warning("removed %d interrupted temporary files", n)
    return n


def finish_claims(db: Database, cfg: Config, inbox: Path | None, busy: Collection[int] = ()) -> None:
    """Complete or undo every claim that was interrupted (state ``receiving``), except the ``busy`` ones.

    * never finished (no hash yet) and its inbox source still there: the
      copy and the row are removed; the watcher takes the file again;
    * never finished, no source left: a complete copy in the spool is
      hashed and becomes ``received``; without one the row is dropped;
    * an abandoned claim whose source is gone: its last copy is processed
      (nothing is lost); one whose source is still there is left for
      ``watch`` to take again.

    ``inbox`` defaults to the one ``watch`` last recorded; a claim whose
    source cannot be looked for is left as it is.  The watch loop runs this
    in its periodic sweep too (a claim a full disk interrupted).
    """
    inbox = inbox or recorded_inbox(cfg.home)
    files = inbox_files(inbox) if inbox is not None else None
    with db.session() as s:
        rows = [(i.id, i.origin, i.original_name, item_path(cfg, i), i.source_print, i.sha256, stored_digest(cfg, i))
                for i in s.scalars(select(IntakeItem).where(IntakeItem.state == IntakeState.RECEIVING))]
    for item_id, origin, name, path, recorded, sha, last_copy in rows:
        if item_id in busy or (recorded and files is None):
            continue
        source = find_source(files, recorded) if files is not None else None
        if sha:
            if source is None:
                finish_claim(db, item_id, last_copy)
                log.warning("intake item %s: its changed file was removed from the inbox; the last copy is "
                            "processed", item_id)
            continue
        if source is None and path is not None and path.is_file():
            finish_claim(db, item_id, last_copy)
            if origin == "watch" and inbox is not None and not recorded:
                _drop_inbox_copy(inbox / name, path)
            log.warning("intake item %s: interrupted claim completed", item_id)
            continue
        if path is not None:
            path.unlink(missing_ok=True)  # a copy whose source is still in the inbox: it is taken again
        with db.transaction() as s:
            item = s.get(IntakeItem, item_id)
            if item is not None and item.state == IntakeState.RECEIVING and not item.sha256:
                s.delete(item)
        log.warning("intake item %s: claim interrupted before it was recorded; dropped (the file is taken again)",
                    item_id)


def _drop_inbox_copy(candidate: Path, spooled: Path) -> None:
    """A cross-device move copies, then unlinks the source: finish the unlink if it was missed."""
    try:
        if (candidate.is_file() and not candidate.is_symlink()
                and candidate.stat().st_size == spooled.stat().st_size
                and sha256_file(candidate) == sha256_file(spooled)):
            candidate.unlink()
            log.warning("removed the inbox copy of a file already taken into the spool")
    except OSError as exc:
        log.warning("could not check an inbox copy (%s)", exc.strerror)


def _owner_id(name: str) -> int | None:
    m = _ID_PREFIX.match(name)
    return int(m.group(1)) if m else None


def register_orphans(db: Database, cfg: Config) -> list[int]:
    """Spool files no ledger row owns become new items (origin ``recovered``); nothing is deleted."""
    if not cfg.spool_dir.is_dir():
        return []
    found: list[int] = []
    for path in sorted(cfg.spool_dir.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name.endswith(".reason.txt"):
            continue
        owner = _owner_id(path.name)
        with db.session() as s:
            item = s.get(IntakeItem, owner) if owner is not None else None
            owned = item is not None and stored_name(item) == path.name
        if owned:
            continue
        log.warning("registering a spool file without a ledger row as a new item")
        claimed = claim(db, cfg, path, origin="recovered")
        path.unlink(missing_ok=True)
        found.append(claimed.item_id)
    return found


def reset_interrupted(db: Database) -> list[int]:
    """``processing`` items lost their workers with the old process: back to ``received``."""
    with db.transaction() as s:
        items = list(s.scalars(select(IntakeItem).where(IntakeItem.state == IntakeState.PROCESSING)))
        for item in items:
            transition(item, IntakeState.RECEIVED)
            item.last_error = "interrupted (service stopped or crashed); processed again"
        if items:
            audit(s, actor="system", action="U", event_type="intake.resumed",
                  detail=f"{len(items)} items: {', '.join(str(i.id) for i in items[:50])}")
        return [i.id for i in items]


def misplaced(db: Database, cfg: Config) -> list[int]:
    """Items whose file may not be where their state says: the only ones worth checking."""
    ids: set[int] = set()
    with db.session() as s:
        ids |= set(s.scalars(select(IntakeItem.id).where(IntakeItem.state.in_(UNFINISHED_STATES))))
        ids |= set(s.scalars(select(IntakeItem.id).where(
            IntakeItem.state.in_(FINAL_STATES), IntakeItem.stored_path.startswith("spool/", autoescape=True))))
    if cfg.spool_dir.is_dir():
        ids |= {i for i in (_owner_id(p.name) for p in cfg.spool_dir.iterdir()) if i is not None}
    return sorted(ids)


def settle_files(db: Database, cfg: Config) -> int:
    """Move every misplaced file to the folder its item's state calls for; returns how many were checked."""
    checked = 0
    for item_id in misplaced(db, cfg):
        with db.session() as s:
            item = s.get(IntakeItem, item_id)
            if item is None or item.state == IntakeState.RECEIVING:
                continue
            where = locate(cfg, item)
            in_place = where is not None and where == item_path(cfg, item) and where.parent == home_folder(cfg, item)
        checked += 1
        if not in_place or item.state in FINAL_STATES:
            try:
                place_file(db, cfg, item_id)
            except OSError as exc:
                log.error("intake item %s: cannot move its file (%s); will retry", item_id, exc.strerror)
    return checked
