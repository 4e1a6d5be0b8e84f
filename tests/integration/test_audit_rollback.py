"""No unaudited access: when the audit event cannot be written, the action it records does not happen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from indexer.db.models import Document, IntakeItem, Page, Patient
from indexer.filing import load_roster, record_extracted
from intake.model import Entities, ExtractedFile, NameMention, PageText, ValueMention
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import events, open_db, raw

ROSTER = (
    "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
    "CF104233,Garcia,Maria,L,1961-03-04,F,,,,,\n"
)


def break_audit_store(home: Path) -> None:
    """Make every audit insert fail, as a full disk or a broken table would."""
    with raw(home) as conn:
        conn.execute("CREATE TRIGGER audit_down BEFORE INSERT ON audit_events "
                     "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END")


def repair_audit_store(home: Path) -> None:
    with raw(home) as conn:
        conn.execute("DROP TRIGGER audit_down")


def count(home: Path, table: str) -> int:
    with raw(home) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_roster_import_is_rolled_back(home: Path, tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert run_chartfile(home, "init").code == 0
    break_audit_store(home)
    r = run_chartfile(home, "patients", "import", str(tmp_path / "roster.csv"))
    assert r.code != 0 and "created" not in r.out
    assert count(home, "patients") == 0
    repair_audit_store(home)
    assert run_chartfile(home, "patients", "import", str(tmp_path / "roster.csv")).code == 0
    assert count(home, "patients") == 1 and events(home)[-1]["event_type"] == "patients.import"


def test_chart_is_not_shown_when_the_view_cannot_be_audited(home: Path, tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert run_chartfile(home, "init").code == 0
    assert run_chartfile(home, "patients", "import", str(tmp_path / "roster.csv")).code == 0
    break_audit_store(home)
    r = run_chartfile(home, "patients", "show", "CF104233")
    assert r.code != 0
    assert "Garcia" not in r.out and "1961" not in r.out  # nothing disclosed without its audit event


def test_audit_export_discloses_nothing_when_it_cannot_be_audited(home: Path) -> None:
    assert run_chartfile(home, "init").code == 0
    assert run_chartfile(home, "index", "rebuild").code == 0
    break_audit_store(home)
    r = run_chartfile(home, "audit", "export", "--format", "jsonl")
    assert r.code != 0 and r.out == ""


def test_filing_a_processed_file_is_rolled_back(home: Path) -> None:
    db = open_db(home)
    with db.transaction() as s:
        s.add(Patient(mrn="CF104233", family_name="Garcia", given_name="Maria", dob=date(1961, 3, 4)))
        item = IntakeItem(original_name="lab.pdf", state="processing")
        s.add(item)
        s.flush()
        item_id = item.id
    break_audit_store(home)
    entities = Entities(patient_names=[NameMention(family="Garcia", given="Maria")],
                        dobs=[ValueMention(value="1961-03-04")], mrns=[ValueMention(value="CF104233", scheme="own")])
    with pytest.raises(Exception, match="audit store unavailable"):
        with db.transaction() as s:
            item = s.get_one(IntakeItem, item_id)
            record_extracted(s, db.cfg, item, ExtractedFile(item_id, [PageText(1, "x", "text_layer")], entities),
                             load_roster(s))
    with db.session() as s:
        assert s.get_one(IntakeItem, item_id).state == "processing"
        assert s.query(Document).count() == 0 and s.query(Page).count() == 0
    db.dispose()
    assert events(home) == []
