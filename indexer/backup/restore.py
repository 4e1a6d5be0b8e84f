"""``chartfile restore DIR``: a backup back into an empty data home, then proven sound.

Owns the restore order, which never writes anything before the backup is
known intact and never overwrites a home that holds anything:

1. the manifest is read and every file in the backup is checked against its
   size and SHA-256 (a damaged backup is refused, exit 7, nothing written);
2. the target home must be new or empty, and its database empty;
3. the files are copied in (private, hash-checked again as written) and the
   database is loaded, then migrated to this version's schema;
4. the restored home is then migrated and verified by the service layer
   (:func:`chartfile.service.storage.restore`): the search index is rebuilt
   (it is derived), and ``intake check``, the archive scrub and ``audit
   verify`` (anchored at the chain head the backup recorded) must all pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from indexer.backup import dbcopy, manifest
from indexer.backup.manifest import HOME_DIR, Manifest
from indexer.db.engine import Database
from intake.config import load_config
from intake.errors import IntegrityError, RefusedError
from intake.spool import copy_hashing, make_private_dir

log = logging.getLogger(__name__)

@dataclass
class RestoreResult:
    home: Path
    manifest: Manifest
    files: int = 0
    problems: list[str] = field(default_factory=list)  # from the verification of the restored home

    @property
    def ok(self) -> bool:
        return not self.problems


def check_backup(folder: Path) -> Manifest:
    """Read the manifest and check every file of the backup; IntegrityError (exit 7) when damaged."""
    man = manifest.read(folder)
    problems = manifest.verify_files(folder, man)
    if problems:
        raise IntegrityError(f"the backup in {folder} is damaged: {len(problems)} files differ from its "
                             f"manifest (first: {problems[0]})", hint="Use another backup; nothing was restored.")
    return man


def _empty_home(home: Path) -> None:
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise RefusedError(f"{home} is not empty", hint="Restore into a new or empty folder, e.g. --home ./restored; "
                                                        "a restore never overwrites a data home.")


def _copy_files(folder: Path, home: Path, man: Manifest) -> int:
    n = 0
    prefix = f"{HOME_DIR}/"
    for entry in man.files:
        if not entry.path.startswith(prefix):
            continue
        rel = manifest.safe_relative(entry.path[len(prefix):])
        copied = copy_hashing(folder / manifest.safe_relative(entry.path), home / rel)
        if copied.sha256 != entry.sha256:
            raise IntegrityError(f"{entry.path} changed while it was being restored",
                                 hint="Keep the backup folder unchanged during a restore, then restore again "
                                      "into a new folder.")
        n += 1
    return n


def restore_files(folder: Path, home: Path, environ: dict[str, str] | None = None) -> RestoreResult:
    """Restore the backup in ``folder`` into the empty data home ``home``: files, then the database copy.

    The database is left at the backup's schema; the caller migrates it
    (:func:`chartfile.service.office.upgrade`) and verifies the result.
    """
    man = check_backup(folder)
    _empty_home(home)
    make_private_dir(home)
    files = _copy_files(folder, home, man)
    cfg = load_config(home, environ=environ)
    db = Database(cfg)
    try:
        dbcopy.load(db, folder / manifest.safe_relative(man.database_file), man.database)
    finally:
        db.dispose()
    for sub in (cfg.spool_dir, cfg.archive_dir, cfg.quarantine_dir, cfg.exports_dir):
        make_private_dir(sub)
    log.info("restored %d files and the database from a backup of %s", files, man.created)
    return RestoreResult(home, man, files)
