"""The search index's schema and records: what a document looks like to the index.

Owns the Whoosh schema (explicit analyzers per field; its version is stored
beside the index and a change means a rebuild), :class:`IndexRecord` (one
document as the index sees it, with a metadata fingerprint for consistency
checks) and :func:`record_for`, which turns a database document into one.
It also owns the one definition of *what is indexed*
(:data:`INDEXED_STATUSES`).  Pure: no index or database I/O here (that is
:mod:`search.writer`).
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, null, select
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from indexer.db.models import Document, IntakeItem, Page, Patient
from search.text import (
    content_analyzer,
    content_pairs,
    day_number,
    day_terms,
    name_index_text,
    org_index_text,
)

#: Document statuses that are in the search index (the one definition).  Filed and review documents,
#: and rejected ones — kept for administrators (``search --include-rejected``), left out of every other
#: search (:data:`search.fields.REJECTED`); a split parent is replaced by its parts and is not in the index.
INDEXED_STATUSES: tuple[str, ...] = ("filed", "review", "rejected")


def is_indexed(status: str) -> bool:
    """True when a document with this status belongs in the search index."""
    return status in INDEXED_STATUSES


SCHEMA_VERSION = 5  # 5: documents not filed are found by the names, DOBs and MRNs read from them
PAGE_BREAK = "\n\f\n"


def build_schema() -> Schema:
    """Explicit analyzers per field: stemming for content, exact for identifiers, variants for names."""
    words = SpaceSeparatedTokenizer()  # name/org text is normalised in search.text first
    return Schema(
        doc_id=ID(stored=True, unique=True, sortable=True),
        content=TEXT(analyzer=content_analyzer(), phrase=True),
        content_pairs=TEXT(analyzer=words, phrase=False),  # consecutive term pairs: 2-word phrases, fast
        body=STORED,  # zlib-compressed page texts joined by PAGE_BREAK, for snippets
        name=TEXT(analyzer=words, phrase=False, field_boost=2.0),
        name_phon=TEXT(analyzer=words, phrase=False),
        patient_name=STORED,
        patient_mrn=ID(stored=True),
        dob=ID(stored=True),
        read_names=STORED,  # names read from a document not (yet) filed, for display
        read_dob=KEYWORD,  # DOBs and MRNs read from it (searched with dob: and mrn:)
        read_mrn=KEYWORD,
        doc_type=ID(stored=True, sortable=True),
        doc_date=STORED,  # ISO date or None, for display
        date=COLUMN(NumericColumn("i")),  # document date, else received date: day number, for sorting
        date_terms=KEYWORD,  # the same date as year/month/day terms, for date: ranges
        received=STORED,
        received_terms=KEYWORD,
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
    read: ReadIdentifiers = field(default_factory=lambda: ReadIdentifiers())

    def fingerprint(self) -> str:
        """Hash of everything but the text: a changed status, patient or date changes it."""
        meta = [self.doc_id, self.patient_name, self.patient_mrn, self.dob, self.doc_type,
                self.doc_date.isoformat() if self.doc_date else "", self.received.isoformat(),
                self.sender, self.provider, self.status, self.urgent, self.pages, self.source,
                self.first_page, sorted(self.aliases)]
        if self.read:
            meta.append([list(self.read.names), list(self.read.dobs), list(self.read.mrns)])
        return hashlib.sha1(json.dumps(meta).encode()).hexdigest()[:16]

    def fields(self) -> dict[str, object]:
        """Keyword arguments for Whoosh's add/update_document."""
        names, phon = name_index_text([self.patient_name, *self.aliases, *self.read.names])
        when = self.doc_date or self.received.date()
        return {
            "doc_id": str(self.doc_id),
            "content": self.content,
            "content_pairs": content_pairs(self.content.split(PAGE_BREAK)),
            "body": zlib.compress(self.content.encode("utf-8"), 6),
            "name": names,
            "name_phon": phon,
            "patient_name": self.patient_name,
            "patient_mrn": self.patient_mrn,
            "dob": self.dob,
            "read_names": list(self.read.names),
            "read_dob": " ".join(self.read.dobs),
            "read_mrn": " ".join(self.read.mrns),
            "doc_type": self.doc_type,
            "doc_date": self.doc_date.isoformat() if self.doc_date else None,
            "date": day_number(when),
            "date_terms": day_terms(when),
            "received": self.received,
            "received_terms": day_terms(self.received.date()),
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


@dataclass(frozen=True)
class ReadIdentifiers:
    """Names, DOBs and MRNs read from a document that is not filed (so a clerk finds it by patient)."""

    names: tuple[str, ...] = ()
    dobs: tuple[str, ...] = ()
    mrns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.dobs or self.mrns)

    @classmethod
    def from_entities(cls, entities_json: str | None) -> ReadIdentifiers:
        """From a document's stored entities (``None`` for a filed document: its chart says who it is)."""
        if not entities_json:
            return cls()
        data = json.loads(entities_json)
        names = (" ".join(str(n.get(k) or "") for k in ("given", "middle", "family")).split()
                 for n in data.get("patient_names", []))
        return cls(names=tuple(dict.fromkeys(" ".join(n) for n in names if n)),
                   dobs=tuple(dict.fromkeys(str(v["value"]) for v in data.get("dobs", []) if v.get("value"))),
                   mrns=tuple(dict.fromkeys(re.sub(r"[^A-Z0-9]", "", str(v["value"]).upper())
                                            for v in data.get("mrns", []) if v.get("value"))))


def decode_body(stored: bytes | str | None) -> list[str]:
    """Page texts of a stored ``body`` value."""
    if not stored:
        return [""]
    text = stored if isinstance(stored, str) else zlib.decompress(stored).decode("utf-8")
    return text.split(PAGE_BREAK)


def record_for(doc: Document, pages: Sequence[Page], aliases: Sequence[str] = ()) -> IndexRecord:
    """Build the index record of a database document (its pages given in order)."""
    texts = [p.text for p in pages if doc.first_page <= p.number <= doc.last_page]
    return record_from(record_values(doc), PAGE_BREAK.join(texts), aliases)


def record_values(doc: Document) -> tuple[Any, ...]:
    """The values :func:`record_from` takes, from a loaded document (same order as :func:`record_columns`)."""
    p, item = doc.patient, doc.intake_item
    return (doc.id, doc.first_page, doc.last_page, doc.doc_type, doc.doc_date, doc.sender_org, doc.provider,
            doc.status, doc.urgent, item.received_at, item.original_name,
            p.mrn if p else None, p.given_name if p else None, p.middle_name if p else None,
            p.family_name if p else None, p.dob if p else None,
            doc.entities_json if doc.status != "filed" else None)


def record_columns() -> Select[*tuple[Any, ...]]:
    """The same values for many documents in one query (no ORM objects): documents ⨝ items ⟕ patients."""
    return (select(Document.id, Document.first_page, Document.last_page, Document.doc_type, Document.doc_date,
                   Document.sender_org, Document.provider, Document.status, Document.urgent,
                   IntakeItem.received_at, IntakeItem.original_name, Patient.mrn, Patient.given_name,
                   Patient.middle_name, Patient.family_name, Patient.dob,
                   case((Document.status != "filed", Document.entities_json), else_=null()))
            .join(IntakeItem, IntakeItem.id == Document.intake_item_id)
            .outerjoin(Patient, Patient.id == Document.patient_id))


def record_from(values: Sequence[Any], content: str, aliases: Sequence[str] = ()) -> IndexRecord:
    """An index record from :func:`record_values` / :func:`record_columns` values and the page texts."""
    (doc_id, first, last, doc_type, doc_date, sender, provider, status, urgent, received, source,
     mrn, given, middle, family, dob, entities_json) = values
    return IndexRecord(
        doc_id=doc_id,
        content=content,
        patient_name=" ".join(x for x in (given, middle, family) if x),
        patient_mrn=mrn or "",
        dob=dob.isoformat() if dob else "",
        doc_type=doc_type,
        doc_date=doc_date,
        received=received,
        sender=sender or "",
        provider=provider or "",
        status=status,
        urgent=bool(urgent),
        pages=last - first + 1,
        source=source,
        first_page=first,
        aliases=tuple(aliases),
        read=ReadIdentifiers.from_entities(entities_json),
    )
