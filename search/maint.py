"""Keeping the search index consistent with the database (the source of truth).

Owns the consistency check (ids missing or stale on either side), its
repair, and the *online* rebuild used by ``chartfile index rebuild``, which
reads the database in short transactions so the intake service is never
blocked, then catches up on whatever changed while it ran.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.db.engine import Database
from indexer.db.models import Document, PatientAlias, utcnow
from search.schema import INDEXED_STATUSES, record_columns, record_from
from search.store import SearchIndex, build_staging
from search.writer import (
    index_pending,
    load_aliases,
    mark_after_rebuild,
    reindex_ids,
    remove_ids,
    session_batches,
    writer_lock,
)

log = logging.getLogger(__name__)

CHECK_BATCH = 5000
REBUILD_MARGIN = timedelta(seconds=60)  # changes this close to a rebuild's start are re-indexed after it


@dataclass
class CheckReport:
    """Differences between the database and the index, by document id."""

    documents: int = 0  # in the database
    entries: int = 0  # in the index
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    pending: list[int] = field(default_factory=list)  # indexed_at null or older than updated_at
    stale: list[int] = field(default_factory=list)  # indexed, but status/patient/... differ from the database
    orphans: list[int] = field(default_factory=list)  # in the index, no longer in the database
    duplicates: list[int] = field(default_factory=list)  # more than one index entry for one document

    @property
    def ok(self) -> bool:
        return not (self.missing or self.pending or self.stale or self.orphans or self.duplicates)

    @property
    def to_reindex(self) -> list[int]:
        return sorted(set(self.missing) | set(self.pending) | set(self.stale) | set(self.duplicates))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "documents": self.documents, "entries": self.entries,
                "missing": self.missing, "pending": self.pending, "stale": self.stale,
                "orphans": self.orphans, "duplicates": self.duplicates}


def database_state(session: Session) -> tuple[dict[int, str], set[int]]:
    """(document id → metadata fingerprint, ids whose indexed_at is null or older than updated_at).

    Only documents whose status is indexed (:data:`search.schema.INDEXED_STATUSES`) count; the
    index entry of any other document is an orphan.
    """
    aliases = load_aliases(session, set(session.scalars(select(PatientAlias.patient_id).distinct())))
    stmt = (record_columns().add_columns(Document.patient_id, Document.indexed_at, Document.updated_at)
            .where(Document.status.in_(INDEXED_STATUSES)))
    fingerprints: dict[int, str] = {}
    pending: set[int] = set()
    for row in session.execute(stmt.execution_options(yield_per=CHECK_BATCH)):
        values, (patient_id, indexed_at, updated_at) = row[:-3], row[-3:]
        fingerprints[row[0]] = record_from(values, "", aliases.get(patient_id or 0, ())).fingerprint()
        if indexed_at is None or indexed_at < updated_at:
            pending.add(row[0])
    return fingerprints, pending


def check_index(session: Session, index: SearchIndex) -> CheckReport:
    """Compare every document in the database with its index entry."""
    in_db, pending = database_state(session)
    in_index, doubled = index.indexed_entries()
    report = CheckReport(documents=len(in_db), entries=len(in_index))
    report.duplicates = sorted(doubled & set(in_db))
    report.missing = sorted(set(in_db) - set(in_index))
    report.orphans = sorted(set(in_index) - set(in_db))  # (all their entries are deleted)
    report.pending = sorted(pending & set(in_index))
    report.stale = sorted(i for i, fp in in_index.items() if i in in_db and in_db[i] != fp and i not in pending)
    log.info("index check: %d documents, %d entries, %d missing, %d pending, %d stale, %d orphans, "
             "%d duplicated", report.documents, report.entries, len(report.missing), len(report.pending),
             len(report.stale), len(report.orphans), len(report.duplicates))
    return report


def repair(session: Session, index: SearchIndex, report: CheckReport) -> dict[str, int]:
    """Re-index missing/pending/stale documents and delete orphan entries (caller commits)."""
    with writer_lock(index):
        reindexed = reindex_ids(session, index, report.to_reindex)
        deleted = remove_ids(index, report.orphans) if report.orphans else 0
    log.info("index repaired: %d re-indexed, %d orphans deleted", reindexed, deleted)
    return {"reindexed": reindexed, "deleted": deleted}


def rebuild_online(db: Database, index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild in short read transactions so intake keeps running; catch up on changes made meanwhile.

    Documents changed after the rebuild started (less a safety margin) are
    marked pending and indexed again once the new index is in place; entries
    of documents deleted meanwhile are removed.  Returns documents indexed.
    """
    started = utcnow() - REBUILD_MARGIN

    def read(after: int) -> list[Any]:
        with db.session() as s:
            return session_batches(s)(after)

    with db.session() as s:
        expected = s.scalar(select(func.count()).select_from(Document)
                            .where(Document.status.in_(INDEXED_STATUSES))) or 0
    total = build_staging(index, read, progress, expected)  # a staging folder, swapped in under Whoosh's lock
    with writer_lock(index):
        with db.transaction() as s:
            mark_after_rebuild(s, started)
            caught_up = index_pending(s, index)
        with db.transaction() as s:
            report = check_index(s, index)
            if not report.ok:
                repair(s, index, report)
    log.info("index rebuilt online: %d documents, %d caught up", total, caught_up)
    return total


def index_counts(index: SearchIndex) -> Counter[int]:
    """How many times each document id is in the index (should be once).

    Uses :meth:`SearchIndex.indexed_ids` and the live document count; only when
    they disagree (some id is there twice) are the stored ids counted one by one.
    """
    if not index.exists():
        return Counter()
    ids = index.indexed_ids()
    with index.open().searcher() as searcher:
        live = searcher.doc_count()
        if live == len(ids):
            return Counter({i: 1 for i in ids})
        return Counter(int(f["doc_id"]) for f in searcher.all_stored_fields())


def index_problems(db: Database, index: SearchIndex) -> tuple[int, list[str]]:
    """(index entries, problems): indexed documents missing or doubled, entries of documents not indexed."""
    with db.session() as s:
        indexable = set(s.scalars(select(Document.id).where(Document.status.in_(INDEXED_STATUSES))))
    counts = index_counts(index)
    problems: list[str] = []
    twice = sorted(d for d, n in counts.items() if n > 1)
    missing = sorted(indexable - set(counts))
    extra = sorted(set(counts) - indexable)
    if twice:
        problems.append(f"documents in the index more than once: {twice[:20]}")
    if missing:
        problems.append(f"documents missing from the index: {missing[:20]}")
    if extra:
        problems.append(f"index entries without an indexed document in the database: {extra[:20]}")
    return sum(counts.values()), problems
