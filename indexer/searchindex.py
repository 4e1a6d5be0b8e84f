"""The Whoosh full-text index: schema, records, and writes from the single writer process.

The index is derived from the database and can always be rebuilt from it.
Owns the schema (with a version stored beside the index; a changed version
means a rebuild), turning a database document into an :class:`IndexRecord`,
incremental upserts after each commit (:func:`index_pending`) and full
rebuilds into a staging directory that is swapped in atomically
(:func:`rebuild`; :func:`indexer.searchmaint.rebuild_online` for a live system).  Only the writer process (the
intake service, or an admin command) calls the write functions; searching
lives in :mod:`search.engine`, consistency checks in :mod:`indexer.searchmaint`.

The index never deletes or recreates itself on an error: a lock timeout or an
unreadable index raises :class:`~intake.errors.IntegrityError` with a hint to
rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import struct
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import IndexWriter

from indexer.db.models import Document, Page, PatientAlias, utcnow
from indexer.searchschema import (
    PAGE_BREAK,
    SCHEMA_VERSION,
    IndexRecord,
    build_schema,
    decode_body,
    record_for,
)
from intake.config import Config
from intake.errors import IntegrityError

log = logging.getLogger(__name__)

__all__ = ["PAGE_BREAK", "SCHEMA_VERSION", "IndexRecord", "SearchIndex", "decode_body", "index_pending", "leaves",
           "rebuild", "record_for"]

LOCK_TIMEOUT = 30.0  # seconds a writer waits for the index lock before giving up
SMALL_BATCH = 200  # commits of at most this many documents skip merging ...
MAX_SEGMENTS = 20  # ... unless the index already has this many segments (then small ones are merged)
BATCH = 1000  # documents read from the database per batch during a rebuild
REBUILD_PROCS = max(1, min(4, os.cpu_count() or 1))  # writer processes for a full rebuild
SWEEP_SECONDS = 300.0  # how often index_pending also looks for documents changed without clearing indexed_at
WRITE_LOCK = f"{windex._DEF_INDEX_NAME}_WRITELOCK"  # the file lock Whoosh's writers take
REBUILD_HINT = ("Run 'chartfile index rebuild': the database is intact and the index is rebuilt from it.")
CORRUPTION_ERRORS: tuple[type[BaseException], ...] = (
    windex.IndexError, OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
)


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Turn a lock timeout or an unreadable index into IntegrityError (never a silent reset)."""
    try:
        yield
    except windex.LockError as exc:
        raise IntegrityError(f"The search index is locked by another writer ({what}).",
                             hint="Only the intake service writes the index; wait and retry. "
                                  + REBUILD_HINT) from exc
    except Exception as exc:
        if not _is_index_failure(exc):
            raise
        log.error("search index unreadable during %s: %s", what, type(exc).__name__)
        raise IntegrityError(f"The search index is damaged or unreadable ({what}: {type(exc).__name__}).",
                             hint=REBUILD_HINT) from exc


def _is_index_failure(exc: BaseException) -> bool:
    """Errors that mean the index files are damaged: reading them failed, or Whoosh failed on their contents.

    Anything else raised in a guarded block (a bug in Chartfile) is not disguised as damage.
    """
    if isinstance(exc, CORRUPTION_ERRORS) or type(exc).__module__.startswith("whoosh"):
        return True
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and f"{os.sep}whoosh{os.sep}" in frames[-1].filename


class SearchIndex:
    """The Whoosh index in the data home (or in ``directory``)."""

    def __init__(self, cfg: Config, directory: Path | None = None) -> None:
        self.dir: Path = directory or cfg.index_dir
        self._ix: windex.Index | None = None
        self.fresh = False  # created empty by open(): every document must be (re)indexed
        self.last_sweep = -SWEEP_SECONDS  # monotonic time index_pending last looked for changed documents

    @property
    def version_file(self) -> Path:
        return self.dir / "schema_version.json"

    def exists(self) -> bool:
        return self.dir.exists() and windex.exists_in(str(self.dir))

    def is_blank(self) -> bool:
        """No index and nothing that could be a damaged one (safe to create in place)."""
        return not self.dir.exists() or not any(self.dir.iterdir())

    def stored_version(self) -> int | None:
        try:
            return int(json.loads(self.version_file.read_text())["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def needs_rebuild(self) -> bool:
        return not self.exists() or self.stored_version() != SCHEMA_VERSION

    def create(self) -> windex.Index:
        """Create an empty index with the current schema, replacing any old one (explicit reset)."""
        staging = _staging_dir(self.dir)
        _make_empty(staging)
        self._swap_in(staging)
        return self.open()

    def open(self, create: bool = True) -> windex.Index:
        """The index for reading or writing; created (if ``create``) only when there is nothing at all yet."""
        if self._ix is not None:
            return self._ix
        if self.is_blank():
            if not create:
                raise IntegrityError("The search index does not exist yet.",
                                     hint="Run 'chartfile init' or 'chartfile index rebuild'.")
            _make_empty(self.dir)
            self.fresh = True
        if not self.exists():
            raise IntegrityError("The search index folder exists but holds no readable index.",
                                 hint=REBUILD_HINT)
        if self.stored_version() != SCHEMA_VERSION:
            raise IntegrityError(
                f"The search index has schema version {self.stored_version()}; "
                f"this Chartfile needs {SCHEMA_VERSION}.", hint=REBUILD_HINT)
        with guarded("open"):
            self._ix = windex.open_dir(str(self.dir))
        return self._ix

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def writer(self) -> IndexWriter:
        """A writer holding the index lock.

        Segments are written as separate files, not one compound file: Whoosh
        copies a compound file's parts into memory whenever a reader opens it,
        which made each small commit (and each new searcher) cost tens of
        milliseconds per segment at 100,000 documents.
        """
        with guarded("lock"):
            return self.open().writer(timeout=LOCK_TIMEOUT, compound=False)

    def upsert(self, records: Iterable[IndexRecord]) -> int:
        """Write or replace records in one commit; small commits skip merging; returns how many."""
        writer = self.writer()
        n = 0
        try:
            with guarded("write"):
                for rec in records:
                    writer.update_document(**rec.fields())
                    n += 1
        except BaseException:
            writer.cancel()
            raise
        merge = n > SMALL_BATCH or len(getattr(writer, "segments", ())) >= MAX_SEGMENTS
        with guarded("commit"):
            writer.commit(merge=merge)
        return n

    def delete(self, doc_ids: Iterable[int]) -> int:
        """Remove documents from the index; returns how many entries were deleted."""
        writer = self.writer()
        n = 0
        try:
            with guarded("delete"):
                for doc_id in doc_ids:
                    n += writer.delete_by_term("doc_id", str(doc_id))
        except BaseException:
            writer.cancel()
            raise
        with guarded("commit"):
            writer.commit(merge=False)
        return n

    def optimize(self) -> None:
        """Merge every segment into one (faster searches; run occasionally, e.g. nightly)."""
        writer = self.writer()
        with guarded("optimize"):
            writer.commit(optimize=True)

    def segment_count(self) -> int:
        with guarded("read"), self.open().reader() as reader:
            return len(leaves(reader))

    def indexed_state(self) -> dict[int, str]:
        """Document id → metadata fingerprint of every live entry (read from columns, fast)."""
        out: dict[int, str] = {}
        with guarded("read"), self.open().searcher() as searcher:
            for leaf, _base in leaves(searcher.reader()):
                ids = leaf.column_reader("doc_id")
                fps = leaf.column_reader("fp")
                for n in range(leaf.doc_count_all()):
                    if not leaf.is_deleted(n):
                        out[int(_text(ids[n]))] = _text(fps[n])
        return out

    def indexed_ids(self) -> set[int]:
        return set(self.indexed_state())

    # ----- atomic replacement --------------------------------------------
    def _swap_in(self, staging: Path) -> None:
        """Replace the live index by a finished one, holding the live lock while renaming."""
        self.close()
        old = self.dir.with_name(self.dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        lock = None
        if self.dir.exists():
            lock = FileStorage(str(self.dir)).lock(WRITE_LOCK)
            if not _acquire(lock, LOCK_TIMEOUT):
                raise IntegrityError("The search index is locked by another writer; it was not replaced.",
                                     hint="Wait for the writer to finish and retry.")
            self.dir.rename(old)
        staging.rename(self.dir)
        if lock is not None:
            lock.release()
        shutil.rmtree(old, ignore_errors=True)


def leaves(reader: Any) -> list[tuple[Any, int]]:
    """(segment reader, first document number) of every non-empty segment."""
    return [(leaf, base) for leaf, base in reader.leaf_readers() if leaf.doc_count_all() > 0]


def _acquire(lock: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _staging_dir(live: Path) -> Path:
    staging = live.with_name(live.name + ".rebuild")
    shutil.rmtree(staging, ignore_errors=True)  # left over from an interrupted rebuild
    return staging


def _make_empty(directory: Path) -> windex.Index:
    directory.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(directory), build_schema())
    (directory / "schema_version.json").write_text(json.dumps({"version": SCHEMA_VERSION}))
    return ix


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
    sweep = time.monotonic() - index.last_sweep >= SWEEP_SECONDS
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
ReadBatch = Callable[[int], list[IndexRecord]]  # records of documents with id > last id, in id order


def session_batches(session: Session) -> ReadBatch:
    def read(after: int) -> list[IndexRecord]:
        docs = list(session.scalars(_documents().where(Document.id > after)
                                    .order_by(Document.id).limit(BATCH)))
        return load_records(session, docs)
    return read


def build_staging(index: SearchIndex, read: ReadBatch, progress: Callable[[int], None] | None) -> int:
    """Write every document into a fresh staging index; returns the count."""
    staging = _staging_dir(index.dir)
    ix = _make_empty(staging)
    if REBUILD_PROCS > 1:  # one analysing process per core; the segments are left unmerged
        writer = ix.writer(procs=REBUILD_PROCS, limitmb=128, multisegment=True, compound=False)
    else:
        writer = ix.writer(limitmb=256, compound=False)
    total, last = 0, 0
    try:
        while True:
            records = read(last)
            if not records:
                break
            for rec in records:
                writer.add_document(**rec.fields())
            total += len(records)
            last = records[-1].doc_id
            if progress is not None:
                progress(total)
        writer.commit()
    except BaseException:
        writer.cancel()
        ix.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ix.close()
    index._swap_in(staging)
    return total


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
    total = build_staging(index, session_batches(session), progress)
    mark_after_rebuild(session, started)
    session.expire_all()
    log.info("index rebuilt: %d documents", total)
    return total
