"""Whole-home consistency: the intake ledger, the files in the data home and the search index agree.

Owns putting the two halves of ``chartfile intake check`` together: the
ledger and file checks of :mod:`indexer.intake_check` and the index side of
:func:`search.maint.index_problems` (the index's definition of what must be
there is :data:`search.schema.INDEXED_STATUSES`).
"""

from __future__ import annotations

from indexer.db.engine import Database
from indexer.intake_check import CheckReport, check_ledger
from intake.config import Config
from search.maint import index_problems
from search.store import SearchIndex

__all__ = ["CheckReport", "check"]


def check(cfg: Config, db: Database, index: SearchIndex | None = None) -> CheckReport:
    """Run every check; ``problems`` lists each inconsistency with item/document ids only."""
    report = check_ledger(cfg, db)
    report.indexed, problems = index_problems(db, index or SearchIndex(cfg))
    report.problems.extend(problems)
    return report
