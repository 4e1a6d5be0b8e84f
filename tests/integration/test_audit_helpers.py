"""Shared helpers of the audit integration tests (no tests here): databases, raw SQL, fixtures."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from indexer.audit import record
from indexer.db.engine import Database
from indexer.db.models import Document, Filing, IntakeItem, Patient
from intake.config import load_config

GUARD_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")


def open_db(home: Path) -> Database:
    """The data home's database, migrated."""
    db = Database(load_config(home, environ={}))
    db.migrate()
    return db


@contextmanager
def raw(home: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection — what someone editing the database file by hand would use."""
    conn = sqlite3.connect(home / "chartfile.db", isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def clone_home(template: Path, dest: Path) -> Path:
    """A copy of a prepared data home (database closed and checkpointed, anchors, settings)."""
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return dest


def drop_guards(home: Path) -> None:
    """Remove the append-only triggers, as a determined tamperer would."""
    with raw(home) as conn:
        for name in GUARD_TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def events(home: Path) -> list[dict[str, Any]]:
    """Every stored audit event, in chain order."""
    with raw(home) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM audit_events ORDER BY seq")]


def event_types(home: Path) -> list[str]:
    return [e["event_type"] for e in events(home)]


def add_events(db: Database, n: int, **kw: Any) -> None:
    """Append ``n`` simple events (one transaction)."""
    with db.transaction() as s:
        for i in range(n):
            record(s, actor=kw.get("actor", f"user{i % 3}"), action=kw.get("action", "R"),
                   event_type=kw.get("event_type", "patient.chart_view"),
                   patient_mrn=kw.get("patient_mrn", f"CF{100000 + i}"), document_ids=kw.get("document_ids", [i]),
                   detail=kw.get("detail", f"event {i}"))


def add_patient(db: Database, mrn: str, family: str = "Testperson", given: str = "Pat") -> int:
    with db.transaction() as s:
        p = Patient(mrn=mrn, family_name=family, given_name=given)
        s.add(p)
        s.flush()
        return p.id


def add_document(db: Database, patient_id: int | None, *, filed_to: int | None = None) -> int:
    """A filed document (and its intake item); ``filed_to`` adds a filing-history row for another patient."""
    with db.transaction() as s:
        item = IntakeItem(original_name="synthetic.pdf", state="processed")
        s.add(item)
        s.flush()
        doc = Document(intake_item_id=item.id, first_page=1, last_page=1, status="filed", patient_id=patient_id)
        s.add(doc)
        s.flush()
        if filed_to is not None:
            s.add(Filing(document_id=doc.id, patient_id=filed_to, action="auto", actor="system"))
        return doc.id
