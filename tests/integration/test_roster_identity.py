"""A roster re-import never silently rewrites who a patient is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from chartfile.service.runner import ingest
from indexer.db.models import AuditEvent, Document, Patient
from indexer.patients import import_csv
from tests.e2e.helpers import make_home, patient_pdf_bytes

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_identity_changes_are_held_unless_accepted_then_audited_per_patient(tmp_path: Path) -> None:
    cfg, db = make_home(tmp_path)
    import_csv(db, _csv(tmp_path / "a.csv", "CF000301,Lindqvist,Marta,,1970-01-02,F,,,,,",
                        "CF000302,Other,Olive,,1980-05-05,F,,,,,"))
    src = tmp_path / "lab.pdf"
    src.write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000301"))
    assert list(ingest(cfg, db, [src]).values()) == ["processed"]
    with db.session() as s:
        doc = s.scalars(select(Document)).one()
        assert doc.status == "filed" and doc.indexed_at is not None

    reimport = _csv(tmp_path / "b.csv", "CF000301,Smith,Jane,,1971-01-02,F,555-0100,,,,",
                    "CF000302,OTHER,Olive,,1980-05-05,F,,,,,")  # case only: not an identity change
    held = import_csv(db, reimport, actor="clerk")
    assert {(c.mrn, c.field) for c in held.identity_held} == {("CF000301", "family_name"),
                                                              ("CF000301", "given_name"), ("CF000301", "dob")}
    assert "MRN CF000301: family name 'Lindqvist' -> 'Smith'" in [c.describe() for c in held.identity_held]
    assert held.identity_applied == [] and held.reindex == []
    with db.session() as s:
        p = s.scalars(select(Patient).where(Patient.mrn == "CF000301")).one()
        assert (p.family_name, p.given_name, str(p.dob), p.phone) == ("Lindqvist", "Marta", "1970-01-02",
                                                                      "555-0100")  # the rest applied
        assert s.scalars(select(Patient).where(Patient.mrn == "CF000302")).one().family_name == "OTHER"

    accepted = import_csv(db, reimport, actor="clerk", accept_identity_changes=True)
    assert len(accepted.identity_applied) == 3 and accepted.reindex == [doc.id]
    with db.session() as s:
        p = s.scalars(select(Patient).where(Patient.mrn == "CF000301")).one()
        assert (p.family_name, p.given_name, str(p.dob)) == ("Smith", "Jane", "1971-01-02")
        assert s.get_one(Document, doc.id).indexed_at is None  # the index must write it again
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == "patients.identity_change")))
    assert len(events) == 1 and events[0].patient_mrn == "CF000301" and events[0].actor == "clerk"
    assert "'Lindqvist' -> 'Smith'" in events[0].detail and "'1970-01-02' -> '1971-01-02'" in events[0].detail
