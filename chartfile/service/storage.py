"""Storage integrity commands: archive verify, backup, restore, and the permission doctor.

Owns putting the storage checks of :mod:`indexer.archive_verify`,
:mod:`indexer.backup` and :mod:`indexer.filemodes` together with the index
(:mod:`search`) and the audit trail for the front ends.  All of them are
administrators' commands (:class:`~chartfile.service.permissions.Action`):

* :func:`archive_verify` — rehash every stored original against the ledger
  (the cron scrub; exit 7 on a mismatch, audited either way);
* :func:`backup` — a consistent copy of the data home with a manifest of hashes;
* :func:`restore` — a backup into a new, empty home, migrated, then proven
  sound (:func:`restore_checks`: index rebuilt, ``intake check``, the archive
  scrub and ``audit verify`` at the chain head the backup recorded);
* :func:`doctor` — what in the data home other local users can access, and
  making it private.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from chartfile.service.actor import Actor
from chartfile.service.checks import check
from chartfile.service.office import Office, open_office, upgrade
from chartfile.service.permissions import Action, require
from indexer.archive_verify import ArchiveReport, verify_archive
from indexer.audit import record as audit
from indexer.audit import verify_trail
from indexer.backup.create import BackupResult, create_backup
from indexer.backup.manifest import Manifest
from indexer.backup.restore import RestoreResult, restore_files
from indexer.db.engine import Database
from indexer.filemodes import LoosePath, loose_paths, tighten
from intake.config import Config, load_config
from intake.errors import IntegrityError
from search.store import SearchIndex
from search.writer import rebuild

__all__ = ["ArchiveReport", "BackupResult", "DoctorReport", "RestoreResult", "archive_verify", "backup", "doctor",
           "restore", "restore_checks"]

log = logging.getLogger(__name__)

RESTORE_HINT = ("Do not use the restored home; keep the backup, and restore an older backup into another new "
                "folder (docs/storage.md).")


def archive_verify(office: Office, actor: Actor) -> ArchiveReport:
    """Rehash every stored original; IntegrityError (exit 7) naming the items when any fails (audited first)."""
    require(actor, Action.ARCHIVE_VERIFY)
    report = verify_archive(office.cfg, office.db)
    with office.db.transaction() as s:
        audit(s, actor=actor.audit_name, action="E", event_type="archive.verify",
              outcome="success" if report.ok else "failure",
              detail=f"{report.checked} originals, {len(report.mismatched)} altered, {len(report.missing)} missing")
    return report


def raise_if_damaged(report: ArchiveReport) -> None:
    """Exit 7 for a scrub that found altered or missing originals."""
    if not report.ok:
        raise IntegrityError("; ".join(report.problems()),
                             hint="Restore the originals from the last good backup and tell the privacy officer "
                                  "(docs/storage.md, 'Verified archive').")


def backup(office: Office, actor: Actor, folder: Path) -> BackupResult:
    """Write a backup into ``folder`` (new or empty, outside the home); exit 7 when an original is damaged."""
    require(actor, Action.BACKUP)
    result = create_backup(office.cfg, office.db, folder, actor.audit_name)
    if not result.ok:
        raise IntegrityError(f"backup written to {folder}, but {len(result.manifest.damaged)} originals no longer "
                             f"match their hash (items {result.manifest.damaged[:20]}) and "
                             f"{len(result.missing)} are missing (items {result.missing[:20]})",
                             hint="Keep an older backup too; restore those originals from it (docs/storage.md).")
    return result


def restore(cfg: Config, login: str, folder: Path, environ: dict[str, str] | None = None) -> RestoreResult:
    """Restore a backup into the new or empty home ``cfg.home``, migrate it, verify it; exit 7 if it fails.

    Like ``init`` it needs no existing office: whoever creates the new home
    restores into it.  The audit key is not in a backup (it lives outside the
    data home by design): the restored trail verifies with the practice's key.
    """
    result = restore_files(folder, cfg.home, environ)
    restored = load_config(cfg.home, environ=environ)
    upgrade(restored)
    office = open_office(restored, login)
    try:
        result.problems = restore_checks(restored, office.db, result.manifest)
        with office.db.transaction() as s:
            audit(s, actor=login, action="C", event_type="backup.restore",
                  outcome="success" if result.ok else "failure",
                  detail=f"backup of {result.manifest.created}: {result.files} files, "
                         f"{len(result.problems)} problems")
    finally:
        office.close()
    if not result.ok:
        raise IntegrityError(f"the restored home failed its checks: {'; '.join(result.problems[:5])}",
                             hint=RESTORE_HINT)
    return result


def restore_checks(cfg: Config, db: Database, man: Manifest) -> list[str]:
    """Rebuild the index; then intake check, the archive scrub and audit verify must pass."""
    index = SearchIndex(cfg)
    with db.transaction() as s:
        rebuild(s, index)
    problems = list(check(cfg, db, index).problems)
    trail = verify_trail(db, None, [man.audit_head])
    if not trail.ok:
        problems.append(f"audit trail: {trail.problem}")
    return problems


@dataclass
class DoctorReport:
    """What ``chartfile doctor`` found: paths others can access, and (with ``--fix``) what was changed."""

    home: Path
    loose: list[LoosePath] = field(default_factory=list)
    changed: int = 0
    failed: list[LoosePath] = field(default_factory=list)


def doctor(office: Office, actor: Actor, fix: bool = False) -> DoctorReport:
    """List folders and files in the data home other local users can access; ``fix`` makes them private."""
    require(actor, Action.DOCTOR)
    report = DoctorReport(office.home, loose_paths(office.home))
    if fix and report.loose:
        report.changed, report.failed = tighten(office.home)
        with office.db.transaction() as s:
            audit(s, actor=actor.audit_name, action="U", event_type="home.permissions",
                  detail=f"{report.changed} paths made private, {len(report.failed)} could not be changed")
    return report
