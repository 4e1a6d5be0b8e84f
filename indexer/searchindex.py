"""The Whoosh full-text index: schema, records, and writes from the single writer process.

The index is derived from the database and can always be rebuilt from it.
Owns the schema (with a version stored beside the index; a changed version
means a rebuild), turning a database document into an :class:`IndexRecord`,
incremental upserts after each commit (:func:`index_pending`) and full
rebuilds into a staging directory that is swapped in atomically
(:func:`rebuild`, :func:`rebuild_online`).  Only the writer process (the
intake service, or an admin command) calls the write functions; searching
lives in :mod:`search.engine`, consistency checks in :mod:`indexer.searchcheck`.

The index never deletes or recreates itself on an error: a lock timeout or an
unreadable index raises :class:`~intake.errors.IntegrityError` with a hint to
rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from whoosh import index as windex
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import BOOLEAN, DATETIME, ID, STORED, TEXT, Schema
from whoosh.writing import IndexWriter

from indexer.db.engine import Database
from indexer.db.models import Document, Page, PatientAlias, utcnow
from indexer.searchtext import content_analyzer, name_index_text, org_index_text
from intake.config import Config
from intake.errors import IntegrityError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
PAGE_BREAK = "\n\f\n"
LOCK_TIMEOUT = 30.0  # seconds a writer waits for the index lock before giving up
SMALL_BATCH = 200  # commits of at most this many documents skip merging ...
MAX_SEGMENTS = 12  # ... unless the index already has this many segments
BATCH = 1000  # documents read from the database per batch during a rebuild
REBUILD_MARGIN = timedelta(seconds=60)  # changes this close to a rebuild's start are re-indexed after it
REBUILD_HINT = ("Run 'chartfile index rebuild': the database is intact and the index is rebuilt from it.")
CORRUPTION_ERRORS: tuple[type[BaseException], ...] = (
    windex.IndexError, OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
    ValueError, KeyError, IndexError,
)


def build_schema() -> Schema:
    """Explicit analyzers per field: stemming for content, exact for identifiers, variants for names."""
    words = SpaceSeparatedTokenizer()  # name/org text is normalised in indexer.searchtext first
    return Schema(
        doc_id=ID(stored=True, unique=True, sortable=True),
        content=TEXT(analyzer=content_analyzer(), phrase=True),
        body=STORED,  # zlib-compressed page texts joined by PAGE_BREAK, for snippets
        name=TEXT(analyzer=words, phrase=False, field_boost=2.0),
        name_phon=TEXT(analyzer=words, phrase=False),
        name_gram=TEXT(analyzer=words, phrase=False),
        patient_name=STORED,
        patient_mrn=ID(stored=True),
        dob=ID(stored=True),
        doc_type=ID(stored=True, sortable=True),
        doc_date=STORED,  # ISO date or None, for display
        date=DATETIME(sortable=True),  # document date, else received date: date: ranges and sorting
        received=DATETIME(stored=True, sortable=True),
        sender=STORED,
        sender_text=TEXT(analyzer=words, phrase=False),
        sender_facet=ID(sortable=True),
        provider=STORED,
        provider_text=TEXT(analyzer=words, phrase=False),
        status=ID(stored=True, sortable=True),
        urgent=BOOLEAN(stored=True),
        pages=STORED,
        first_page=STORED,
        source=STORED,
        fp=ID(sortable=True),  # fingerprint of the metadata, for consistency checks
    )


@dataclass
class IndexRecord:
    """One document as the index sees it."""

    doc_id: int
    content: str
    patient_name: str
    patient_mrn: str
    dob: str
    doc_type: str
    doc_date: date | None
    received: datetime
    sender: str
    provider: str
    status: str
    urgent: bool
    pages: int
    source: str
    first_page: int
    aliases: tuple[str, ...] = field(default=())

    def fingerprint(self) -> str:
        """Hash of everything but the text: a changed status, patient or date changes it."""
        meta = [self.doc_id, self.patient_name, self.patient_mrn, self.dob, self.doc_type,
                self.doc_date.isoformat() if self.doc_date else "", self.received.isoformat(),
                self.sender, self.provider, self.status, self.urgent, self.pages, self.source,
                self.first_page, sorted(self.aliases)]
        return hashlib.sha1(json.dumps(meta).encode()).hexdigest()[:16]

    def fields(self) -> dict[str, object]:
        """Keyword arguments for Whoosh's add/update_document."""
        names, phon, grams = name_index_text([self.patient_name, *self.aliases])
        when = self.doc_date or self.received.date()
        return {
            "doc_id": str(self.doc_id),
            "content": self.content,
            "body": zlib.compress(self.content.encode("utf-8"), 6),
            "name": names,
            "name_phon": phon,
            "name_gram": grams,
            "patient_name": self.patient_name,
            "patient_mrn": self.patient_mrn,
            "dob": self.dob,
            "doc_type": self.doc_type,
            "doc_date": self.doc_date.isoformat() if self.doc_date else None,
            "date": datetime(when.year, when.month, when.day),
            "received": self.received,
            "sender": self.sender,
            "sender_text": org_index_text(self.sender),
            "sender_facet": self.sender,
            "provider": self.provider,
            "provider_text": org_index_text(self.provider),
            "status": self.status,
            "urgent": self.urgent,
            "pages": self.pages,
            "first_page": self.first_page,
            "source": self.source,
            "fp": self.fingerprint(),
        }


def decode_body(stored: bytes | str | None) -> list[str]:
    """Page texts of a stored ``body`` value."""
    if not stored:
        return [""]
    text = stored if isinstance(stored, str) else zlib.decompress(stored).decode("utf-8")
    return text.split(PAGE_BREAK)


def record_for(doc: Document, pages: Sequence[Page], aliases: Sequence[str] = ()) -> IndexRecord:
    """Build the index record of a database document (its pages given in order)."""
    patient = doc.patient
    texts = [p.text for p in pages if doc.first_page <= p.number <= doc.last_page]
    name = ""
    if patient is not None:
        name = " ".join(x for x in (patient.given_name, patient.middle_name, patient.family_name) if x)
    return IndexRecord(
        doc_id=doc.id,
        content=PAGE_BREAK.join(texts),
        patient_name=name,
        patient_mrn=patient.mrn if patient else "",
        dob=patient.dob.isoformat() if patient and patient.dob else "",
        doc_type=doc.doc_type,
        doc_date=doc.doc_date,
        received=doc.intake_item.received_at,
        sender=doc.sender_org or "",
        provider=doc.provider or "",
        status=doc.status,
        urgent=bool(doc.urgent),
        pages=doc.last_page - doc.first_page + 1,
        source=doc.intake_item.original_name,
        first_page=doc.first_page,
        aliases=tuple(aliases),
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
    except CORRUPTION_ERRORS as exc:
        log.error("search index unreadable during %s: %s", what, type(exc).__name__)
        raise IntegrityError(f"The search index is damaged or unreadable ({what}: {type(exc).__name__}).",
                             hint=REBUILD_HINT) from exc


class SearchIndex:
    """The Whoosh index in the data home (or in ``directory``)."""

    def __init__(self, cfg: Config, directory: Path | None = None) -> None:
        self.dir: Path = directory or cfg.index_dir
        self._ix: windex.Index | None = None

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

    def open(self) -> windex.Index:
        """The index for reading or writing; created only when there is nothing at all yet."""
        if self._ix is not None:
            return self._ix
        if self.is_blank():
            _make_empty(self.dir)
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
        with guarded("lock"):
            return self.open().writer(timeout=LOCK_TIMEOUT)

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
        with guarded("optimize"):
            self.open().optimize()

    def segment_count(self) -> int:
        with guarded("read"), self.open().reader() as reader:
            return len(list(reader.leaf_readers()))

    def indexed_state(self) -> dict[int, str]:
        """Document id → metadata fingerprint of every live entry (read from columns, fast)."""
        out: dict[int, str] = {}
        with guarded("read"), self.open().searcher() as searcher:
            for leaf, base in searcher.reader().leaf_readers():
                ids = leaf.column_reader("doc_id")
                fps = leaf.column_reader("fp")
                for n in range(leaf.doc_count_all()):
                    if not leaf.is_deleted(n):
                        out[int(_text(ids[n]))] = _text(fps[n])
        del base
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
            storage = windex.FileStorage(str(self.dir))
            lock = storage.lock("WRITELOCK")
            if not lock.acquire(blocking=True):  # pragma: no cover - blocking acquire waits
                raise IntegrityError("Could not lock the search index for replacement.", hint=REBUILD_HINT)
            self.dir.rename(old)
        staging.rename(self.dir)
        if lock is not None:
            lock.release()
        shutil.rmtree(old, ignore_errors=True)


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


def _documents(session: Session) -> select:  # type: ignore[valid-type]
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


def pending_condition():  # type: ignore[no-untyped-def]
    """Documents the index must (re)write: never indexed, or changed since."""
    return or_(Document.indexed_at.is_(None), Document.indexed_at < Document.updated_at)


def index_pending(session: Session, index: SearchIndex, limit: int | None = None) -> int:
    """Index every new or changed document, then mark it indexed (caller commits)."""
    stmt = _documents(session).where(pending_condition()).order_by(Document.id)
    if limit:
        stmt = stmt.limit(limit)
    docs = list(session.scalars(stmt))
    if not docs:
        return 0
    index.upsert(load_records(session, docs))
    now = utcnow()
    mark_indexed(session, [d.id for d in docs], now)
    for d in docs:
        set_committed_value(d, "indexed_at", now)
    log.debug("indexed %d documents (ids %d..%d)", len(docs), docs[0].id, docs[-1].id)
    return len(docs)


# ----- full rebuilds ---------------------------------------------------------
ReadBatch = Callable[[int], list[IndexRecord]]  # records of documents with id > last id, in id order


def _session_batches(session: Session) -> ReadBatch:
    def read(after: int) -> list[IndexRecord]:
        docs = list(session.scalars(_documents(session).where(Document.id > after)
                                    .order_by(Document.id).limit(BATCH)))
        return load_records(session, docs)
    return read


def _build_staging(index: SearchIndex, read: ReadBatch, progress: Callable[[int], None] | None) -> int:
    """Write every document into a fresh staging index; returns the count."""
    staging = _staging_dir(index.dir)
    ix = _make_empty(staging)
    writer = ix.writer(limitmb=256)
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
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        ix.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ix.close()
    index._swap_in(staging)
    return total


def _mark_after_rebuild(session: Session, started: datetime) -> None:
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
    total = _build_staging(index, _session_batches(session), progress)
    _mark_after_rebuild(session, started)
    session.expire_all()
    log.info("index rebuilt: %d documents", total)
    return total


def rebuild_online(db: Database, index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild in short read transactions so intake keeps running; catches up on changes made meanwhile."""
    started = utcnow() - REBUILD_MARGIN

    def read(after: int) -> list[IndexRecord]:
        with db.session() as s:
            return _session_batches(s)(after)

    total = _build_staging(index, read, progress)
    with db.transaction() as s:
        _mark_after_rebuild(s, started)
    with db.transaction() as s:
        caught_up = index_pending(s, index)
    from indexer.searchcheck import check_index, repair

    with db.transaction() as s:
        report = check_index(s, index)
        if not report.ok:
            repair(s, index, report)
    log.info("index rebuilt online: %d documents, %d caught up", total, caught_up)
    return total
