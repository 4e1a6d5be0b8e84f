"""Keeping the search index in step with the database, the source of truth.

Owns turning database documents into index records in batches
(:func:`load_records`), the incremental update the intake service runs after
each commit (:func:`index_pending`: new documents, documents whose
``indexed_at`` was cleared, and — at most every :data:`SWEEP_SECONDS` —
documents changed without clearing it), re-indexing given ids, and full
rebuilds from the database (:func:`rebuild` inside the caller's transaction;
:func:`indexer.searchmaint.rebuild_online` for a live system).  Only the
writer process (the intake service, or an admin command) calls these.  The
on-disk index is :mod:`indexer.searchstore`; searching is :mod:`search.engine`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from indexer.db.models import Document, Page, PatientAlias, utcnow
from indexer.searchschema import PAGE_BREAK, SCHEMA_VERSION, IndexRecord, decode_body, record_for
from indexer.searchstore import ReadBatch, SearchIndex, build_staging, guarded, leaves

log = logging.getLogger(__name__)

__all__ = ["PAGE_BREAK", "SCHEMA_VERSION", "IndexRecord", "SearchIndex", "decode_body", "guarded", "index_pending",
           "leaves", "rebuild", "record_for"]

BATCH = 1000  # documents read from the database per batch during a rebuild
SWEEP_SECONDS = 300.0  # how often index_pending also looks for documents changed without clearing indexed_at


# ----- reading documents from the database ---------------------------------
def load_records(session: Session, docs: Sequence[Document]) -> list[IndexRecord]:
    """Index records of already-loaded documents (pages and aliases fetched in two queries)."""
    if not docs:
        return []
    item_ids = {d.intake_item_id for d in docs}
    pages: dict[int, list[Page]] = {}
    stmt = select(Page).where(Page.intake_item_id.in_(item_ids)).order_by(Page.intake_item_id, Page.number)
    for page in session.scalars(stmt):
        pages.setdefault(page.intake_item_id, []).append(page)
    aliases = load_aliases(session, {d.patient_id for d in docs if d.patient_id is not None})
    return [record_for(d, pages.get(d.intake_item_id, []), aliases.get(d.patient_id or 0, ()))
            for d in docs]


def load_aliases(session: Session, patient_ids: set[int]) -> dict[int, list[str]]:
    """Patient id → confirmed alias names (maiden names, nicknames), searchable like the name."""
    out: dict[int, list[str]] = {}
    if not patient_ids:
        return out
    rows = session.execute(select(PatientAlias.patient_id, PatientAlias.given_name, PatientAlias.family_name)
                           .where(PatientAlias.patient_id.in_(patient_ids)))
    for pid, given, family in rows:
        out.setdefault(pid, []).append(f"{given} {family}")
    return out


def _documents() -> Select[Document]:
    return select(Document).options(selectinload(Document.patient), selectinload(Document.intake_item))


def mark_indexed(session: Session, doc_ids: Sequence[int], when: datetime) -> None:
    """Set ``indexed_at`` without touching ``updated_at`` (an ORM update would bump it)."""
    for chunk in _chunks(list(doc_ids), 500):
        session.execute(update(Document).where(Document.id.in_(chunk))
                        .values(indexed_at=when, updated_at=Document.updated_at)
                        .execution_options(synchronize_session=False))


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def pending_condition(sweep: bool = True) -> ColumnElement[bool]:
    """Documents the index must (re)write: never indexed (cheap, indexed), or (sweep) changed since."""
    never = Document.indexed_at.is_(None)
    return or_(never, Document.indexed_at < Document.updated_at) if sweep else never


def _refill_if_fresh(session: Session, index: SearchIndex) -> None:
    """The index folder was empty: the database is the truth, so every document is pending again."""
    index.open()
    if not index.fresh:
        return
    index.fresh = False
    indexed = session.scalar(select(func.count()).select_from(Document).where(Document.indexed_at.is_not(None)))
    if indexed:
        log.warning("search index was missing; re-indexing all %d documents", indexed)
        session.execute(update(Document).values(indexed_at=None, updated_at=Document.updated_at)
                        .execution_options(synchronize_session=False))


def index_pending(session: Session, index: SearchIndex, limit: int | None = None) -> int:
    """Index every new or changed document, then mark it indexed (caller commits).

    Documents whose ``indexed_at`` was cleared are found through an index on
    that column; documents changed without clearing it (``updated_at`` later
    than ``indexed_at``) need a table scan, done at most every
    :data:`SWEEP_SECONDS` per :class:`SearchIndex` (and at its first use).
    """
    _refill_if_fresh(session, index)
    sweep = index.last_sweep is None or time.monotonic() - index.last_sweep >= SWEEP_SECONDS
    stmt = _documents().where(pending_condition(sweep)).order_by(Document.id)
    if limit:
        stmt = stmt.limit(limit)
    docs = list(session.scalars(stmt))
    if sweep and not limit:
        index.last_sweep = time.monotonic()
    if not docs:
        return 0
    index.upsert(load_records(session, docs))
    now = utcnow()
    mark_indexed(session, [d.id for d in docs], now)
    for d in docs:
        set_committed_value(d, "indexed_at", now)
    log.debug("indexed %d documents (ids %d..%d)", len(docs), docs[0].id, docs[-1].id)
    return len(docs)


def reindex_ids(session: Session, index: SearchIndex, doc_ids: Iterable[int]) -> int:
    """(Re)write the given documents to the index and mark them indexed (caller commits)."""
    ids = sorted(set(doc_ids))
    done = 0
    for chunk in _chunks(ids, BATCH):
        docs = list(session.scalars(_documents().where(Document.id.in_(chunk)).order_by(Document.id)))
        index.upsert(load_records(session, docs))
        now = utcnow()
        mark_indexed(session, [d.id for d in docs], now)
        for d in docs:
            set_committed_value(d, "indexed_at", now)
        done += len(docs)
    return done


# ----- full rebuilds ---------------------------------------------------------
def session_batches(session: Session) -> ReadBatch:
    def read(after: int) -> list[IndexRecord]:
        docs = list(session.scalars(_documents().where(Document.id > after)
                                    .order_by(Document.id).limit(BATCH)))
        return load_records(session, docs)
    return read


def mark_after_rebuild(session: Session, started: datetime) -> None:
    """Documents unchanged since the rebuild began are indexed; later changes are pending again."""
    session.execute(update(Document).where(Document.updated_at <= started)
                    .values(indexed_at=started, updated_at=Document.updated_at)
                    .execution_options(synchronize_session=False))
    session.execute(update(Document).where(Document.updated_at > started)
                    .values(indexed_at=None, updated_at=Document.updated_at)
                    .execution_options(synchronize_session=False))


def rebuild(session: Session, index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """Recreate the index from the database inside the caller's transaction; returns documents indexed.

    The new index is built beside the live one and swapped in when complete,
    so searches keep working and a failed rebuild leaves the old index as it was.
    """
    started = utcnow()
    expected = session.scalar(select(func.count()).select_from(Document)) or 0
    total = build_staging(index, session_batches(session), progress, expected)
    mark_after_rebuild(session, started)
    session.expire_all()
    log.info("index rebuilt: %d documents", total)
    return total
