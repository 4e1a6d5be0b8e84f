"""Issue 18: a clerk's filing is refused when the document contradicts the chosen chart (rules level)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from indexer import guard
from indexer.db.models import Document, Patient
from indexer.matching.identity import IdField
from intake.errors import InputError
from intake.model import Entities, NameMention, ValueMention
from tests.integration.test_roi_support import Home, make_home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = make_home(tmp_path)
    with h.db.transaction() as s:  # the demo's twins: same family name, DOB and address
        s.add_all([Patient(mrn="CF986947", family_name="Garcia", given_name="Samuel", dob=date(1983, 10, 20),
                           sex="M"),
                   Patient(mrn="CF828448", family_name="Garcia", given_name="Jessica", dob=date(1983, 10, 20),
                           sex="F")])
    return h


def _doc(home: Home, entities: Entities) -> int:
    with home.db.transaction() as s:
        item = s.get_one(Document, home.docs["lab"]).intake_item
        doc = Document(intake_item=item, first_page=1, last_page=1, status="review", doc_type="referral",
                       entities_json=json.dumps(entities.to_dict()))
        s.add(doc)
        s.flush()
        return doc.id


SAMUEL = Entities(patient_names=[NameMention(family="Garcia", given="Samuel", source="label")],
                  dobs=[ValueMention("1983-10-20", label="DOB")], sex="M")


def _check(home: Home, doc_id: int, mrn: str, override: str | None = None) -> guard.Guarded:
    with home.db.transaction() as s:
        doc = s.get_one(Document, doc_id)
        patient = s.query(Patient).filter_by(mrn=mrn).one()
        return guard.check(s, doc, patient, override)


def test_samuels_referral_cannot_go_into_jessicas_chart(home: Home) -> None:
    doc_id = _doc(home, SAMUEL)
    with pytest.raises(guard.FilingRefused) as refused:
        _check(home, doc_id, "CF828448")
    err = refused.value
    assert err.exit_code == 6 and [c.field for c in err.found] == [IdField.NAME, IdField.SEX]
    assert str(err) == (f"document {doc_id} does not fit chart CF828448:\n"
                        "  - name differs: the document says Samuel Garcia, the chart says Jessica Garcia\n"
                        "  - sex differs: the document says M, the chart says F")
    assert "--override-reason" in err.hint
    ok = _check(home, doc_id, "CF986947")
    assert ok.contradictions == [] and ok.may_teach_alias


def test_an_override_is_allowed_with_a_reason_and_never_teaches(home: Home) -> None:
    doc_id = _doc(home, SAMUEL)
    g = _check(home, doc_id, "CF828448", "the sender confirmed by phone it is Jessica's referral")
    assert g.overridden and not g.may_teach_alias
    assert g.audit_note == "; override of name, sex contradiction"
    with pytest.raises(InputError, match="must say why"):
        _check(home, doc_id, "CF828448", "  ")
