"""The Whoosh index on disk: opening it without ever resetting it, locked writes, atomic replacement.

Owns the index folder in the data home: creating it only when there is
nothing there, refusing (with :class:`~intake.errors.IntegrityError` and a
hint to rebuild) when it is locked by another writer, damaged or of another
schema version — never deleting or recreating it on an error — upserts and
deletes under Whoosh's write lock with a short merge policy, and building a
complete new index beside the live one to swap in atomically.  What goes into
the index is :mod:`search.schema`; keeping it in step with the database
is :mod:`search.writer`.
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import IndexWriter

from intake.config import Config
from intake.errors import IntegrityError
from search.schema import SCHEMA_VERSION, IndexRecord, build_schema

log = logging.getLogger(__name__)

LOCK_TIMEOUT = 30.0  # seconds a writer waits for the index lock before giving up
SMALL_BATCH = 200  # commits of at most this many documents skip merging ...
MAX_SEGMENTS = 20  # ... unless the index already has this many segments (then small ones are merged)
REBUILD_PROCS = max(1, min(4, os.cpu_count() or 1))  # writer processes for a full rebuild ...
PARALLEL_FROM = 2000  # ... of at least this many documents
WRITE_LOCK = f"{windex._DEF_INDEX_NAME}_WRITELOCK"  # the file lock Whoosh's writers take
REBUILD_HINT = ("Run 'chartfile index rebuild': the database is intact and the index is rebuilt from it.")
CORRUPTION_ERRORS: tuple[type[BaseException], ...] = (
    windex.IndexError, OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
)
ReadBatch = Callable[[int], list[IndexRecord]]  # records of documents with id > last id, in id order


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
        self.last_sweep: float | None = None  # when index_pending last looked for changed documents

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
        """Write or replace records in one commit; small commits skip merging; returns how many.

        Every existing entry of a document is deleted first (Whoosh's own
        ``update_document`` replaces only one, so it could not repair a
        document indexed twice).
        """
        writer = self.writer()
        n = 0
        try:
            with guarded("write"), writer.searcher() as existing:
                for rec in records:
                    writer.delete_by_term("doc_id", str(rec.doc_id), searcher=existing)
                    writer.add_document(**rec.fields())
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
        return self.indexed_entries()[0]

    def indexed_entries(self) -> tuple[dict[int, str], set[int]]:
        """(document id → fingerprint, ids that have more than one live entry)."""
        out: dict[int, str] = {}
        doubled: set[int] = set()
        with guarded("read"), self.open().searcher() as searcher:
            for leaf, _base in leaves(searcher.reader()):
                ids = leaf.column_reader("doc_id")
                fps = leaf.column_reader("fp")
                for n in range(leaf.doc_count_all()):
                    if not leaf.is_deleted(n):
                        doc_id = int(_text(ids[n]))
                        if doc_id in out:
                            doubled.add(doc_id)
                        out[doc_id] = _text(fps[n])
        return out, doubled

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


def build_staging(index: SearchIndex, read: ReadBatch, progress: Callable[[int], None] | None,
                  expected: int = 0) -> int:
    """Write every document into a fresh staging index, swap it in; returns the count.

    ``expected`` (the number of documents, if known) decides whether starting
    one writer process per core is worth it.
    """
    staging = _staging_dir(index.dir)
    ix = _make_empty(staging)
    if REBUILD_PROCS > 1 and expected >= PARALLEL_FROM:  # the writers' segments are left unmerged
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
