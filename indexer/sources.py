"""The inbox files intake items were copied from: kept until the outcome is committed, found again after a crash.

Owns the rule "a source is removed only after its result is committed" for
the watched inbox.  ``watch`` copies a stable inbox file into the spool
(:func:`indexer.ledger.claim`) and leaves it in the inbox, its identity and
version (:class:`intake.spool.Fingerprint`: device, inode, size, mtime)
recorded in ``intake_items.source_print``.  While the item is processed the
watcher *holds* the file (never offers it again) and notices any change:

* the file is unchanged when the outcome is committed: it is removed from
  the inbox (:func:`remove_source`), then its record cleared;
* the sender wrote to it, truncated or replaced it before the outcome: the
  claim is abandoned (:func:`indexer.ledger.abandon`) and the file taken
  again, whole, into the same item once it is stable again — never two
  items for one fax, never the hash of bytes that were not processed;
* the sender removed it: the copy is what there is; processing goes on.

After a crash, :func:`reconcile` finds each recorded source in the inbox by
its device and inode and says which files to hold again, which to take
again, and removes the sources of items whose outcome was committed.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from indexer.ledger import FINAL_STATES, UNFINISHED_STATES, abandon, source_removed
from indexer.states import IntakeState
from intake.spool import Fingerprint

log = logging.getLogger(__name__)

InboxFiles = dict[tuple[int, int], tuple[Path, Fingerprint]]


@dataclass
class Reconciled:
    """What the watch loop does with the recorded sources found in the inbox at start."""

    hold: dict[Path, tuple[int, Fingerprint]] = field(default_factory=dict)  # unchanged, item still in work
    retake: dict[Path, int] = field(default_factory=dict)  # changed (or an abandoned claim): take again whole
    removed: int = 0  # sources of finished items removed now


def inbox_files(inbox: Path) -> InboxFiles:
    """Regular files directly in the inbox by (device, inode)."""
    out: InboxFiles = {}
    try:
        entries = list(os.scandir(inbox))
    except OSError:
        return out
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            fp = Fingerprint.of(st)
            out[(fp.dev, fp.ino)] = (Path(entry.path), fp)
    return out


def find_source(files: InboxFiles, recorded: str | None) -> tuple[Path, Fingerprint] | None:
    """The inbox file a recorded source fingerprint names (same device and inode), whatever its version."""
    fp = Fingerprint.parse(recorded)
    return files.get((fp.dev, fp.ino)) if fp is not None else None


def remove_source(path: Path, taken: Fingerprint) -> bool:
    """Remove the inbox file if it is still exactly the version taken; False (and kept) otherwise."""
    now = Fingerprint.of_path(path)
    if now is None:
        return True
    if now != taken:
        log.warning("an inbox file changed after its outcome was recorded; it is left and taken as a new file")
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    return True


def reconcile(db: Database, inbox: Path) -> Reconciled:
    """At start: hold, take again, or remove each recorded source found in the inbox; forget the others."""
    files = inbox_files(inbox)
    out = Reconciled()
    with db.session() as s:
        rows = [(i.id, IntakeState(i.state), i.source_print, bool(i.sha256))
                for i in s.scalars(select(IntakeItem).where(IntakeItem.source_print.is_not(None)))]
    for item_id, state, recorded, hashed in rows:
        found = find_source(files, recorded)
        taken = Fingerprint.parse(recorded)
        if state in FINAL_STATES:
            if found is None or taken is None or remove_source(found[0], taken):
                source_removed(db, item_id)
                out.removed += found is not None
        elif found is None:
            if state in UNFINISHED_STATES or (state == IntakeState.RECEIVING and hashed):
                source_removed(db, item_id)  # the sender removed it: the copy is what there is
        elif state in UNFINISHED_STATES and found[1] == taken:
            out.hold[found[0]] = (item_id, found[1])
        elif state in UNFINISHED_STATES:
            if abandon(db, item_id):
                out.retake[found[0]] = item_id
        elif state == IntakeState.RECEIVING and hashed:
            out.retake[found[0]] = item_id
    if out.hold or out.retake or out.removed:
        log.warning("inbox sources: %d held again, %d to take again, %d removed after their outcome",
                    len(out.hold), len(out.retake), out.removed)
    return out
