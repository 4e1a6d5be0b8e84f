"""Whole-home consistency: the intake ledger, the files in the data home, the archive and the search index agree.

Owns putting the parts of ``chartfile intake check`` together: the ledger
and file checks of :mod:`indexer.intake_check`, the archive scrub of
:mod:`indexer.archive_verify` (every stored original rehashed against the
ledger), the index side of :func:`search.maint.index_problems` (the index's
definition of what must be there is :data:`search.schema.INDEXED_STATUSES`),
the watched inbox (entries that are never taken: links, pipes, folders) and,
as warnings, anything in the data home other local users could read
(:mod:`indexer.filemodes`).
"""

from __future__ import annotations

from pathlib import Path

from indexer.archive_verify import verify_archive
from indexer.db.engine import Database
from indexer.filemodes import loose_paths
from indexer.intake_check import CheckReport, check_ledger
from intake.config import Config
from intake.inbox import InboxReport, recorded_inbox, scan_inbox
from search.maint import index_problems
from search.store import SearchIndex

__all__ = ["CheckReport", "check", "inbox_line", "permission_warnings"]

MAX_LISTED = 20


def check(cfg: Config, db: Database, index: SearchIndex | None = None, inbox: Path | None = None) -> CheckReport:
    """Run every check; ``problems`` lists each inconsistency with item/document ids only.

    ``inbox`` defaults to the one ``watch`` last recorded in the data home.
    """
    report = check_ledger(cfg, db)
    report.indexed, problems = index_problems(db, index or SearchIndex(cfg))
    report.problems.extend(problems)
    scrub = verify_archive(cfg, db)
    report.archive = scrub
    report.problems.extend(scrub.problems())
    box = inbox or recorded_inbox(cfg.home)
    if box is not None:
        seen = scan_inbox(box)
        report.inbox = seen
        report.problems.extend(seen.problems())
    report.warnings.extend(permission_warnings(cfg.home))
    return report


def permission_warnings(home: Path) -> list[str]:
    """What in the data home other local users can access (at most MAX_LISTED named, then a count)."""
    loose = loose_paths(home)
    out = [p.describe() for p in loose[:MAX_LISTED]]
    if len(loose) > MAX_LISTED:
        out.append(f"... and {len(loose) - MAX_LISTED} more")
    if loose:
        out.append("others can read PHI there: run 'chartfile doctor --fix' to make the data home private")
    return out


def inbox_line(seen: InboxReport) -> str:
    """The watched inbox in one line: files waiting, empty ones, entries never taken."""
    if seen.missing:
        return f"Inbox {seen.inbox}: missing"
    parts = [f"{seen.waiting} file{'s' if seen.waiting != 1 else ''} waiting"]
    if seen.empty:
        parts.append(f"{len(seen.empty)} empty (not written yet; never taken while empty)")
    if seen.refused:
        parts.append(f"{len(seen.refused)} never taken (not regular files: " +
                     ", ".join(f"{r.name!r} is a {r.kind}" for r in seen.refused[:5]) + ")")
    return "Inbox: " + "; ".join(parts)
