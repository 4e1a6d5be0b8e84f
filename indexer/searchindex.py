"""The Whoosh full-text index: schema, and writes from the single writer process.

The index is derived from the database and can always be rebuilt from it.
Owns the schema (with a version stored beside the index; a changed version
means a rebuild), turning a database document into an index record, and
batch upserts/deletes.  Only the writer process calls the write functions.
Searching lives in :mod:`search.engine`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as windex
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from indexer.db.models import Document, Page, utcnow
from intake.config import Config

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PAGE_BREAK = "\n\f\n"


def build_schema() -> Schema:
    """Field-by-field analyzers: stemming for content, exact for identifiers."""
    name_analyzer = RegexTokenizer(r"[\w'-]+") | LowercaseFilter()
    return Schema(
        doc_id=ID(stored=True, unique=True),
        content=TEXT(analyzer=StemmingAnalyzer(), stored=True, phrase=True),
        patient_name=TEXT(analyzer=name_analyzer, stored=True, field_boost=2.0),
        patient_mrn=ID(stored=True),
        dob=ID(stored=True),
        doc_type=ID(stored=True),
        doc_date=DATETIME(stored=True, sortable=True),
        received=DATETIME(stored=True, sortable=True),
        sender=TEXT(analyzer=name_analyzer, stored=True),
        provider=TEXT(analyzer=name_analyzer, stored=True),
        sender_facet=KEYWORD(stored=False, lowercase=False, commas=True),
        status=ID(stored=True),
        urgent=BOOLEAN(stored=True),
        pages=NUMERIC(stored=True),
        source=STORED,
        first_page=STORED,
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

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "doc_id": str(self.doc_id),
            "content": self.content,
            "patient_name": self.patient_name,
            "patient_mrn": self.patient_mrn,
            "dob": self.dob,
            "doc_type": self.doc_type,
            "received": self.received,
            "sender": self.sender,
            "provider": self.provider,
            "sender_facet": self.sender,
            "status": self.status,
            "urgent": self.urgent,
            "pages": self.pages,
            "source": self.source,
            "first_page": self.first_page,
        }
        if self.doc_date is not None:
            out["doc_date"] = datetime(self.doc_date.year, self.doc_date.month, self.doc_date.day)
        return out


def record_for(doc: Document, pages: Sequence[Page]) -> IndexRecord:
    """Build the index record of a database document (its pages given in order)."""
    patient = doc.patient
    texts = [p.text for p in pages if doc.first_page <= p.number <= doc.last_page]
    return IndexRecord(
        doc_id=doc.id,
        content=PAGE_BREAK.join(texts),
        patient_name=f"{patient.given_name} {patient.middle_name or ''} {patient.family_name}".strip()
        if patient
        else "",
        patient_mrn=patient.mrn if patient else "",
        dob=patient.dob.isoformat() if patient and patient.dob else "",
        doc_type=doc.doc_type,
        doc_date=doc.doc_date,
        received=doc.intake_item.received_at,
        sender=doc.sender_org or "",
        provider=doc.provider or "",
        status=doc.status,
        urgent=doc.urgent,
        pages=doc.last_page - doc.first_page + 1,
        source=doc.intake_item.original_name,
        first_page=doc.first_page,
    )


class SearchIndex:
    """Opens (or creates) the Whoosh index in the data home."""

    def __init__(self, cfg: Config) -> None:
        self.dir: Path = cfg.index_dir
        self._ix: windex.Index | None = None

    @property
    def version_file(self) -> Path:
        return self.dir / "schema_version.json"

    def exists(self) -> bool:
        return self.dir.exists() and windex.exists_in(str(self.dir))

    def stored_version(self) -> int | None:
        try:
            return int(json.loads(self.version_file.read_text())["version"])
        except (OSError, ValueError, KeyError):
            return None

    def needs_rebuild(self) -> bool:
        return not self.exists() or self.stored_version() != SCHEMA_VERSION

    def create(self) -> windex.Index:
        """Create an empty index with the current schema (drops any old one)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._ix = windex.create_in(str(self.dir), build_schema())
        self.version_file.write_text(json.dumps({"version": SCHEMA_VERSION}))
        return self._ix

    def open(self) -> windex.Index:
        if self._ix is None:
            if not self.exists():
                return self.create()
            self._ix = windex.open_dir(str(self.dir))
        return self._ix

    def upsert(self, records: Iterable[IndexRecord]) -> int:
        """Write or replace records in one commit; returns how many."""
        ix = self.open()
        n = 0
        writer = ix.writer(timeout=30.0)
        try:
            for rec in records:
                writer.update_document(**rec.fields())
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return n

    def delete(self, doc_ids: Iterable[int]) -> None:
        ix = self.open()
        writer = ix.writer(timeout=30.0)
        for doc_id in doc_ids:
            writer.delete_by_term("doc_id", str(doc_id))
        writer.commit()

    def indexed_ids(self) -> set[int]:
        ix = self.open()
        with ix.searcher() as searcher:
            return {int(f["doc_id"]) for f in searcher.all_stored_fields()}


def index_pending(session: Session, index: SearchIndex, limit: int | None = None) -> int:
    """Index every document whose ``indexed_at`` is null, then mark it indexed (caller commits)."""
    stmt = (
        select(Document)
        .where(Document.indexed_at.is_(None))
        .options(selectinload(Document.patient), selectinload(Document.intake_item))
        .order_by(Document.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    docs = list(session.scalars(stmt))
    if not docs:
        return 0
    item_ids = {d.intake_item_id for d in docs}
    pages: dict[int, list[Page]] = {}
    for page in session.scalars(select(Page).where(Page.intake_item_id.in_(item_ids)).order_by(Page.number)):
        pages.setdefault(page.intake_item_id, []).append(page)
    index.upsert(record_for(d, pages.get(d.intake_item_id, [])) for d in docs)
    now = utcnow()
    for d in docs:
        d.indexed_at = now
    log.debug("indexed %d documents", len(docs))
    return len(docs)


def rebuild(session: Session, index: SearchIndex) -> int:
    """Recreate the index from the database (the source of truth); returns documents indexed."""
    from sqlalchemy import update

    index.create()
    session.execute(update(Document).values(indexed_at=None))
    total = 0
    while True:
        n = index_pending(session, index, limit=2000)
        if not n:
            return total
        total += n
