"""``chartfile backup DIR``: a consistent, verifiable copy of a data home.

Owns what goes into a backup and in which order, so that the copy is the
state of one moment even while ``watch`` keeps working:

1. the backup is recorded in the audit trail (it is a copy of PHI);
2. the database is copied (:func:`indexer.backup.dbcopy.dump`) and the
   ledger *of that copy* is read;
3. every intake item's file is copied to the path that ledger records
   (found wherever a move since then put it), hashed while copied; an
   original that no longer matches its ledger hash is listed as damaged;
4. every other file of the home (settings, audit anchors and keys, release
   packets and other exports) is copied; derived or transient things are
   not (the search index is rebuilt at restore; locks, temporaries, spool
   files of items newer than the copy);
5. ``manifest.json`` with each file's size and SHA-256 is written last:
   a folder without it is an interrupted backup.

The backup folder and everything in it is private (0700/0600).  It must be
new or empty and lie outside the data home.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.audit.trail import head
from indexer.backup import dbcopy, manifest
from indexer.backup.manifest import DATABASE_DIR, HOME_DIR, FileEntry, Manifest
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from intake.config import CONFIG_FILE, Config
from intake.errors import RefusedError
from intake.spool import NotRegularFile, SourceChanged, copy_hashing, make_private_dir, sha256_file

log = logging.getLogger(__name__)

LEDGER_FOLDERS = ("spool", "archive", "quarantine")  # copied by the ledger, not wholesale
SKIPPED_TOP = {"index", "tmp", "intake.lock", "watch.json", "chartfile.db", "chartfile.db-wal",
               "chartfile.db-shm", "chartfile.db-journal"}
NOTE_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class LedgerRow:
    item_id: int
    state: str
    stored_path: str | None
    sha256: str | None


@dataclass
class Snapshot:
    """What the database copy says."""

    rows: list[LedgerRow]
    audit_head: tuple[int, str]
    revision: str


@dataclass
class BackupResult:
    folder: Path
    manifest: Manifest
    missing: list[int] = field(default_factory=list)  # items whose file was not found

    @property
    def ok(self) -> bool:
        return not (self.manifest.damaged or self.missing)


def _read_snapshot(session: Session) -> Snapshot:
    rows = [LedgerRow(i.id, i.state, i.stored_path, i.sha256)
            for i in session.scalars(select(IntakeItem).order_by(IntakeItem.id))]
    revision = "+".join(sorted(str(r) for r in session.execute(text("SELECT version_num FROM alembic_version"))
                               .scalars()))
    return Snapshot(rows, head(session), revision)


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_target(folder: Path, home: Path) -> None:
    """A backup goes into a new or empty folder outside the data home."""
    target, data = folder.resolve(), home.resolve()
    if _inside(target, data) or _inside(data, target):
        raise RefusedError(f"the backup folder {target} and the data home {data} overlap",
                           hint="Write the backup outside the data home (another disk is best).")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RefusedError(f"{target} is not an empty folder", hint="Give a new or empty folder for each backup.")


def _find(cfg: Config, rel: str) -> Path | None:
    """The item's file at its recorded place, or wherever a later move put it (found by its unique name)."""
    recorded = cfg.home / rel
    if recorded.is_file() and not recorded.is_symlink():
        return recorded
    name = PurePosixPath(rel).name
    places = [cfg.spool_dir / name, cfg.quarantine_dir / name, cfg.archive_dir / "duplicates" / name]
    places += sorted(cfg.archive_dir.glob(f"*/*/{name}")) if cfg.archive_dir.is_dir() else []
    for path in places:
        if path.is_file() and not path.is_symlink():
            return path
    return None


class _Writer:
    """Copies files into the backup, recording each in the manifest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: list[FileEntry] = []
        self.taken: set[str] = set()

    def copy(self, src: Path, rel: str) -> str:
        """Copy ``src`` to ``HOME_DIR/rel``; returns the SHA-256 of what was written."""
        dest_rel = f"{HOME_DIR}/{rel}"
        for attempt in range(3):
            try:
                copied = copy_hashing(src, self.folder / dest_rel)
                break
            except SourceChanged:
                if attempt == 2:
                    raise  # a file written to all the time; the backup is incomplete, say so
        self.entries.append(FileEntry(dest_rel, copied.size, copied.sha256))
        self.taken.add(rel)
        return copied.sha256

    def add_existing(self, rel: str) -> None:
        path = self.folder / rel
        self.entries.append(FileEntry(rel, path.stat().st_size, sha256_file(path)))


def _copy_ledger_files(cfg: Config, snap: Snapshot, out: _Writer, result: BackupResult,
                       damaged: list[int]) -> None:
    for row in snap.rows:
        if not row.stored_path:
            continue
        src = _find(cfg, row.stored_path)
        if src is None:
            if row.state != "receiving":
                result.missing.append(row.item_id)
            continue
        try:
            digest = out.copy(src, row.stored_path)
        except (FileNotFoundError, NotRegularFile):
            result.missing.append(row.item_id)
            continue
        if row.sha256 and digest != row.sha256:
            damaged.append(row.item_id)
        note = src.with_name(src.name + NOTE_SUFFIX)
        if row.state == "quarantined" and note.is_file():
            out.copy(note, str(PurePosixPath(row.stored_path).with_name(note.name)))


def _copy_other_files(cfg: Config, out: _Writer) -> None:
    home = cfg.home
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        top = rel.parts[0]
        if top in SKIPPED_TOP or top in LEDGER_FOLDERS or path.is_symlink() or not path.is_file():
            continue
        if any(part.startswith(".") and part.endswith(".part") for part in rel.parts):
            continue
        if rel.as_posix() not in out.taken:
            out.copy(path, rel.as_posix())


def create_backup(cfg: Config, db: Database, folder: Path, actor: str) -> BackupResult:
    """Write a backup of the data home into ``folder`` (see the module docstring for what and in which order)."""
    check_target(folder, cfg.home)
    with db.transaction() as s:
        audit(s, actor=actor, action="E", event_type="backup.create", detail="backup of the data home written")
    make_private_dir(folder)
    db_file, snap = dbcopy.dump(db, folder / DATABASE_DIR, _read_snapshot)
    out = _Writer(folder)
    out.add_existing(f"{DATABASE_DIR}/{db_file}")
    damaged: list[int] = []
    man = Manifest(created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), database=dbcopy.kind(db),
                   database_file=f"{DATABASE_DIR}/{db_file}", schema_revision=snap.revision,
                   audit_head=snap.audit_head, items=dict(Counter(r.state for r in snap.rows)))
    result = BackupResult(folder, man)
    _copy_ledger_files(cfg, snap, out, result, damaged)
    _copy_other_files(cfg, out)
    if not (cfg.home / CONFIG_FILE).exists():
        log.info("the data home has no %s; defaults apply after a restore", CONFIG_FILE)
    man.damaged = sorted(damaged)
    man.missing = sorted(result.missing)
    man.files = out.entries
    manifest.write(folder, man)
    log.info("backup written: %d files, %d items, audit head %d", len(man.files), len(snap.rows), snap.audit_head[0])
    if not result.ok:
        log.error("backup: %d originals damaged, %d missing", len(man.damaged), len(result.missing))
    return result
