"""Storage integrity commands: archive verify, backup, restore, and the permission doctor.

Owns putting the storage checks of :mod:`indexer.archive_verify`,
:mod:`indexer.backup` and :mod:`indexer.filemodes` together with the index
(:mod:`search`) and the audit trail for the front ends.
"""

from __future__ import annotations

from chartfile.service.checks import check
from indexer.archive_verify import verify_archive
from indexer.audit import verify_trail
from indexer.backup.manifest import Manifest
from indexer.db.engine import Database
from intake.config import Config
from search.store import SearchIndex
from search.writer import rebuild


def restore_checks(cfg: Config, db: Database, man: Manifest) -> list[str]:
    """Rebuild the index; then intake check, the archive scrub and audit verify must pass."""
    index = SearchIndex(cfg)
    with db.transaction() as s:
        rebuild(s, index)
    problems = list(check(cfg, db, index).problems)
    problems += verify_archive(cfg, db).problems()
    trail = verify_trail(db, None, [man.audit_head])
    if not trail.ok:
        problems.append(f"audit trail: {trail.problem}")
    return problems
