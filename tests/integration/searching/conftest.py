"""Fixtures for search tests: a data home with patients and documents inserted as database rows.

Documents are built directly (Patient, IntakeItem, Page, Document) and indexed
with ``index_pending`` — no OCR involved.  All names are fictional.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from indexer.db.engine import Database
from indexer.db.models import Document, IntakeItem, Page, Patient
from intake.config import Config, load_config
from search.engine import SearchEngine
from search.writer import SearchIndex, index_pending

TODAY = date(2026, 4, 15)


@dataclass
class Clinic:
    """A data home plus helpers to add patients and documents."""

    cfg: Config
    db: Database
    index: SearchIndex
    patients: dict[str, int] = field(default_factory=dict)  # mrn -> id
    docs: dict[str, int] = field(default_factory=dict)  # label -> document id
    auto_index: bool = True  # index each document as it is added (as the intake service does)

    def patient(self, mrn: str, given: str, family: str, dob: date | None = None, middle: str | None = None) -> int:
        with self.db.transaction() as s:
            p = Patient(mrn=mrn, given_name=given, family_name=family, dob=dob, middle_name=middle)
            s.add(p)
            s.flush()
            self.patients[mrn] = p.id
            return p.id

    def document(self, mrn: str | None, pages: list[str], *, doc_type: str = "lab_result",
                 doc_date: date | None = None, sender: str = "", provider: str = "", status: str | None = None,
                 received: datetime | None = None, urgent: bool = False, index: bool | None = None) -> int:
        with self.db.transaction() as s:
            item = IntakeItem(original_name=f"fax-{len(pages)}p.pdf", state="processed",
                              received_at=received or datetime(2026, 4, 1, 9, 30), page_count=len(pages))
            s.add(item)
            s.flush()
            s.add_all(Page(intake_item_id=item.id, number=n, text=t, source="ocr") for n, t in enumerate(pages, 1))
            doc = Document(intake_item_id=item.id, first_page=1, last_page=len(pages), doc_type=doc_type,
                           status=status or ("filed" if mrn else "review"),
                           patient_id=self.patients[mrn] if mrn else None, doc_date=doc_date,
                           sender_org=sender or None, provider=provider or None, urgent=urgent)
            s.add(doc)
            s.flush()
            doc_id = doc.id
            if index if index is not None else self.auto_index:
                index_pending(s, self.index)
        return doc_id

    def engine(self) -> SearchEngine:
        return SearchEngine(self.cfg, today=lambda: TODAY)


def _open(home: Path) -> Clinic:
    cfg = load_config(home, environ={})
    db = Database(cfg)
    db.migrate()
    return Clinic(cfg, db, SearchIndex(cfg))


def _close(c: Clinic) -> None:
    c.index.close()
    c.db.dispose()


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """An empty data home."""
    c = _open(tmp_path / "home")
    yield c
    _close(c)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """The small practice of :func:`add_records`, shared by a module's read-only tests."""
    c = _open(tmp_path_factory.mktemp("records") / "home")
    add_records(c)
    yield c
    _close(c)


@pytest.fixture
def fresh_records(clinic: Clinic) -> Clinic:
    """The same practice in a home of its own, for tests that change it."""
    add_records(clinic)
    return clinic


def add_records(clinic: Clinic) -> None:
    """A small practice: sound-alike names, several senders, types and dates (indexed in one commit)."""
    clinic.patient("CF100001", "John", "Smith", date(1961, 3, 4))
    clinic.patient("CF100002", "Zoë", "O'Brien-Jones", date(1975, 7, 1))
    clinic.patient("CF100003", "Robert", "Miller", date(1961, 11, 30), middle="James")
    clinic.patient("CF100004", "Katherine", "Nguyen", date(1990, 1, 2))
    clinic.patient("CF100005", "Johanna", "Smithers", date(1984, 5, 6))
    clinic.auto_index = False
    d = clinic.docs
    d["smith_lab"] = clinic.document("CF100001", [
        "QUEST DIAGNOSTICS\nPatient: SMITH, JOHN  DOB 03/04/1961\nHemoglobin A1c 7.2 H",
        "Comment: glucose elevated; repeat hemoglobin A1c in 3 months"],
                    doc_type="lab_result", doc_date=date(2026, 3, 20), sender="Quest Diagnostics")
    d["smith_echo"] = clinic.document("CF100001", [
        "SALEM CARDIOLOGY\nEchocardiogram report", "Impression: chest pain, normal LV",
        "Plan: follow up with cardiology studies"],
                    doc_type="imaging_report", doc_date=date(2026, 1, 10), sender="Salem Cardiology",
                    provider="Dr. Priya Patel")
    d["obrien_referral"] = clinic.document("CF100002", [
        "Referral letter for Zoe O'Brien-Jones: knee pain, please evaluate"],
                    doc_type="referral", doc_date=date(2025, 12, 5), sender="Cascade Orthopedics", urgent=True)
    d["miller_rx"] = clinic.document("CF100003", ["Prescription refill request: lisinopril 10 mg for Robert Miller"],
                    doc_type="prescription_request", doc_date=date(2026, 4, 14), sender="Valley Pharmacy")
    d["nguyen_discharge"] = clinic.document("CF100004", [
        "Discharge summary. Chest pain ruled out. Blood pressure 140/90."],
                    doc_type="discharge_summary", doc_date=date(2026, 3, 2), sender="Salem Hospital")
    d["smithers_lab"] = clinic.document("CF100005", ["Lab results: hemoglobin normal"], doc_type="lab_result",
                    doc_date=date(2026, 2, 11), sender="Quest Diagnostics")
    d["unmatched"] = clinic.document(None, ["Unreadable fax about a patient named Jon Smyth; pain in chest"],
                    doc_type="correspondence", received=datetime(2026, 4, 10, 8, 0))
    with clinic.db.transaction() as s:
        index_pending(s, clinic.index)
    clinic.auto_index = True
