"""The one writer of the search index: it drains documents marked pending in the database.

Owns every write to the Whoosh index.  Nothing else writes it: a command that
changes a document only marks it pending in the database (``indexed_at =
NULL``, :func:`mark_pending`) in its own transaction; :func:`drain` then
writes every pending document — upserting those whose status is indexed
(:data:`search.schema.INDEXED_STATUSES`) and removing the others (rejected
split parents, for example) — and marks them indexed.  Only one process
drains at a time: :func:`writer_lock` is an exclusive lock beside the index.
The long-running service (``watch``) drains after every commit and every few
seconds; a one-shot command drains after its own commit only when it gets
the lock without waiting (otherwise the running service picks its documents
up).  Also here: turning database documents into index records in batches
(:func:`load_records`), re-indexing given ids, and full rebuilds from the
database (:func:`rebuild`; :func:`search.maint.rebuild_online` for a live
system).  The on-disk index is :mod:`search.store`; searching is
:mod:`search.engine`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from indexer.db.engine import Database
from indexer.db.models import Document, Page, PatientAlias, utcnow
from search.schema import INDEXED_STATUSES, PAGE_BREAK, SCHEMA_VERSION, IndexRecord, decode_body, record_for
from search.store import ReadBatch, SearchIndex, build_staging, guarded, leaves

log = logging.getLogger(__name__)

__all__ = ["PAGE_BREAK", "SCHEMA_VERSION", "IndexRecord", "SearchIndex", "decode_body", "drain", "guarded",
           "index_pending", "leaves", "mark_pending", "rebuild", "record_for", "writer_lock"]

BATCH = 1000  # documents read from the database per batch during a rebuild
SWEEP_SECONDS = 300.0  # how often index_pending also looks for documents changed without clearing indexed_at


LOCK_NAME = "index.lock"  # beside the index folder (a rebuild swaps the folder itself)
_THREAD_LOCKS: dict[Path, threading.RLock] = {}
_HELD: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth) in this process
_GUARD = threading.Lock()


def lock_path(index: SearchIndex) -> Path:
    return index.dir.with_name(LOCK_NAME)


@contextmanager
def writer_lock(index: SearchIndex, wait: bool = True) -> Iterator[bool]:
    """Hold the index writer lock (re-entrant in a thread); yields False when ``wait`` is off and it is busy."""
    path = lock_path(index).resolve()
    with _GUARD:
        rlock = _THREAD_LOCKS.setdefault(path, threading.RLock())
    if not rlock.acquire(blocking=wait):
        yield False
        return
    try:
        with _GUARD:
            held = _HELD.get(path)
        if held is None:
            fd = _flock(path, wait)
            if fd is None:
                yield False
                return
            with _GUARD:
                _HELD[path] = (fd, 1)
        else:
            with _GUARD:
                _HELD[path] = (held[0], held[1] + 1)
        try:
            yield True
        finally:
            with _GUARD:
                fd, depth = _HELD[path]
                if depth == 1:
                    del _HELD[path]
                    os.close(fd)  # releases the flock
                else:
                    _HELD[path] = (fd, depth - 1)
    finally:
        rlock.release()


def _flock(path: Path, wait: bool) -> int | None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: the thread lock and Whoosh's own lock remain
        return os.open(os.devnull, os.O_RDONLY)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def mark_pending(session: Session, doc_ids: Iterable[int]) -> None:
    """Ask the writer to (re)write or remove these documents (caller commits; then :func:`drain`)."""
    for chunk in _chunks(sorted(set(doc_ids)), 500):
        session.execute(update(Document).where(Document.id.in_(chunk))
                        .values(indexed_at=None, updated_at=Document.updated_at)
                        .execution_options(synchronize_session=False))


def drain(db: Database, index: SearchIndex, wait: bool = True) -> int | None:
    """Write every pending document under the writer lock; None when ``wait`` is off and the lock is busy."""
    with writer_lock(index, wait=wait) as held:
        if not held:
            log.debug("index writer busy; pending documents are left to it")
            return None
        if not _work_possible(db, index):
            return 0  # (checked in a read: no write transaction when there is nothing to do)
        with db.transaction() as s:
            return index_pending(s, index)


def _work_possible(db: Database, index: SearchIndex) -> bool:
    """Documents never indexed exist, the periodic sweep is due, or the index must be (re)filled."""
    if index.last_sweep is None or time.monotonic() - index.last_sweep >= SWEEP_SECONDS or not index.exists():
        return True
    with db.read() as s:
        return s.scalar(select(Document.id).where(Document.indexed_at.is_(None)).limit(1)) is not None


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
    _write(index, session, docs)
    now = utcnow()
    mark_indexed(session, [d.id for d in docs], now)
    for d in docs:
        set_committed_value(d, "indexed_at", now)
    log.debug("indexed %d documents (ids %d..%d)", len(docs), docs[0].id, docs[-1].id)
    return len(docs)


def _write(index: SearchIndex, session: Session, docs: Sequence[Document]) -> None:
    """Upsert the documents whose status is indexed; remove the others' entries."""
    keep = [d for d in docs if d.status in INDEXED_STATUSES]
    gone = [d.id for d in docs if d.status not in INDEXED_STATUSES]
    with writer_lock(index):
        if keep:
            index.upsert(load_records(session, keep))
        if gone:
            index.delete(gone)


def remove_ids(index: SearchIndex, doc_ids: Iterable[int]) -> int:
    """Remove index entries (orphans of documents no longer in the database, or no longer indexed)."""
    with writer_lock(index):
        return index.delete(doc_ids)


def optimize(index: SearchIndex) -> tuple[int, int]:
    """Merge the index into one segment under the writer lock; returns (segments before, after)."""
    with writer_lock(index):
        before = index.segment_count()
        index.optimize()
        return before, index.segment_count()


def reindex_ids(session: Session, index: SearchIndex, doc_ids: Iterable[int]) -> int:
    """(Re)write the given documents to the index and mark them indexed (caller commits)."""
    ids = sorted(set(doc_ids))
    done = 0
    for chunk in _chunks(ids, BATCH):
        docs = list(session.scalars(_documents().where(Document.id.in_(chunk)).order_by(Document.id)))
        _write(index, session, docs)
        now = utcnow()
        mark_indexed(session, [d.id for d in docs], now)
        for d in docs:
            set_committed_value(d, "indexed_at", now)
        done += len(docs)
    return done


# ----- full rebuilds ---------------------------------------------------------
def session_batches(session: Session) -> ReadBatch:
    def read(after: int) -> list[IndexRecord]:
        docs = list(session.scalars(_documents().where(Document.id > after,
                                                       Document.status.in_(INDEXED_STATUSES))
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
    with writer_lock(index):
        total = build_staging(index, session_batches(session), progress, expected)
    mark_after_rebuild(session, started)
    session.expire_all()
    log.info("index rebuilt: %d documents", total)
    return total
