"""Issue 18: corrections of type/date/sender, and learned aliases (who taught them, removal, re-matching)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from indexer import aliases, corrections
from indexer.corrections import Correctable, CorrectionRequest
from indexer.db.models import AuditEvent, Document, DocumentCorrection, Filing, Patient, PatientAlias, ReviewItem
from indexer.filing import load_roster
from indexer.roi.models import Authorization
from intake.errors import InputError, NotFoundError, RefusedError
from intake.model import Entities, NameMention, ValueMention
from tests.integration.test_roi_support import MRN, OTHER_MRN, Home, make_home

TODAY = date(2026, 12, 3)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _events(home: Home, event_type: str) -> list[AuditEvent]:
    with home.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)))


# ---------------------------------------------------------------- corrections
def test_correct_type_date_and_sender(home: Home) -> None:
    doc_id = home.docs["note"]
    req = CorrectionRequest(reason="read 10/18/2026 as 10/18/20", doc_type="discharge_summary",
                            doc_date=date(2026, 10, 18), sender="Valley Hospital")
    with home.db.transaction() as s:
        result = corrections.correct(s, doc_id, req, actor="clerk1", today=TODAY)
    assert [c.field for c in result.changes] == [Correctable.TYPE, Correctable.DATE, Correctable.SENDER]
    assert result.message == ("Document 2 corrected: doc_type clinical_note -> discharge_summary, "
                              "doc_date 2024-06-01 -> 2026-10-18, sender_org - -> Valley Hospital.")
    with home.db.session() as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.doc_type, doc.doc_date, doc.sender_org) == ("discharge_summary", date(2026, 10, 18),
                                                                "Valley Hospital")
        assert doc.indexed_at is None and doc.doc_type_confidence == 1.0
        rows = corrections.history(s, doc_id)
    assert [(r.field, r.old_value, r.new_value, r.actor) for r in rows] == [
        ("doc_type", "clinical_note", "discharge_summary", "clerk1"),
        ("doc_date", "2024-06-01", "2026-10-18", "clerk1"),
        ("sender_org", None, "Valley Hospital", "clerk1")]
    [event] = _events(home, "document.correct")
    assert event.patient_mrn == MRN and event.document_ids == str(doc_id)
    assert event.detail == "corrected doc_type, doc_date, sender_org (clinical_note -> discharge_summary)"
    assert "Valley" not in event.detail and "10/18" not in event.detail


@pytest.mark.parametrize(("req", "error"), [
    (CorrectionRequest(reason=" ", doc_type="lab_result"), "a reason is required"),
    (CorrectionRequest(reason="x"), "nothing to correct"),
    (CorrectionRequest(reason="x", doc_type="lab report"), "unknown document type"),
    (CorrectionRequest(reason="x", doc_date=date(2026, 12, 4)), "in the future"),
    (CorrectionRequest(reason="x", doc_type="lab_result", doc_date=date(2024, 5, 1)), "already has these values"),
])
def test_bad_corrections_are_refused_with_a_reason(home: Home, req: CorrectionRequest, error: str) -> None:
    with home.db.transaction() as s, pytest.raises(InputError, match=error):
        corrections.correct(s, home.docs["lab"], req, actor="clerk1", today=TODAY)
    with home.db.session() as s:
        assert s.scalars(select(DocumentCorrection)).all() == []


def test_unknown_and_split_documents(home: Home) -> None:
    with home.db.transaction() as s, pytest.raises(NotFoundError):
        corrections.correct(s, 999, CorrectionRequest(reason="x", doc_type="lab_result"), actor="c", today=TODAY)
    with home.db.transaction() as s:
        s.get_one(Document, home.docs["lab"]).status = "split"
    with home.db.transaction() as s, pytest.raises(RefusedError, match="split"):
        corrections.correct(s, home.docs["lab"], CorrectionRequest(reason="x", doc_type="referral"), actor="c",
                            today=TODAY)


def test_corrected_to_an_authorization_becomes_a_draft(home: Home) -> None:
    with home.db.transaction() as s:
        result = corrections.correct(s, home.docs["lab"], CorrectionRequest(reason="it is the ROI form",
                                                                            doc_type="roi_authorization"),
                                     actor="clerk1", today=TODAY)
    assert result.draft_authorization_id is not None
    with home.db.session() as s:
        auth = s.get_one(Authorization, result.draft_authorization_id)
        assert auth.status == "draft" and auth.source_document_id == home.docs["lab"]
        assert s.scalars(select(ReviewItem).where(ReviewItem.kind == "roi_draft")).one().document_id == \
            home.docs["lab"]


# ---------------------------------------------------------------- aliases
def _alias(home: Home, mrn: str, family: str, given: str, document: str | None = None) -> int:
    with home.db.transaction() as s:
        patient = aliases.patient_by_mrn(s, mrn)
        row = PatientAlias(patient_id=patient.id, family_name=family, given_name=given, created_by="clerk2",
                           document_id=home.docs[document] if document else None)
        s.add(row)
        s.flush()
        return row.id


def test_list_shows_who_taught_each_alias_and_when(home: Home) -> None:
    first = _alias(home, MRN, "Sample", "Bob", "lab")
    second = _alias(home, MRN, "Kowalski", "Alice")
    with home.db.session() as s:
        listed = aliases.list_aliases(s, aliases.patient_by_mrn(s, MRN))
    assert [a.id for a in listed] == [first, second]
    d = listed[0].to_dict()
    assert (d["name"], d["taught_by"], d["document_id"]) == ("Bob Sample", "clerk2", home.docs["lab"])
    assert str(d["taught_at"]).startswith(str(date.today().year))


@pytest.mark.parametrize("which", ["Bob Sample", "sample, bob", "#{id}", "{id}"])
def test_remove_by_name_or_number(home: Home, which: str) -> None:
    alias_id = _alias(home, MRN, "Sample", "Bob", "lab")
    with home.db.transaction() as s:
        removal = aliases.remove(s, aliases.patient_by_mrn(s, MRN), which.format(id=alias_id), actor="privacy1",
                                 match_cfg=home.cfg.match)
    assert removal.alias.id == alias_id
    with home.db.session() as s:
        assert s.scalars(select(PatientAlias)).all() == []
    [event] = _events(home, "patient.alias.remove")
    assert (event.actor, event.action, event.patient_mrn) == ("privacy1", "D", MRN)
    assert event.detail.startswith(f"alias #{alias_id} removed (taught by clerk2 on ")
    assert "Bob" not in event.detail


def test_remove_refuses_what_does_not_exist(home: Home) -> None:
    alias_id = _alias(home, OTHER_MRN, "Testperson", "Bobby")
    with home.db.transaction() as s:
        alice = aliases.patient_by_mrn(s, MRN)
        with pytest.raises(NotFoundError, match="no alias"):
            aliases.remove(s, alice, str(alias_id), actor="c", match_cfg=home.cfg.match)  # another patient's
        with pytest.raises(NotFoundError, match="no alias 'Nobody Here'"):
            aliases.remove(s, alice, "Nobody Here", actor="c", match_cfg=home.cfg.match)
    with home.db.transaction() as s, pytest.raises(NotFoundError, match="no patient"):
        aliases.patient_by_mrn(s, "CF000000")


def test_open_review_items_are_matched_again_after_a_removal(home: Home) -> None:
    """Issue 18: a wrong alias (Bob Sample taught as Alice) made Alice a candidate for Bob's next fax."""
    alias_id = _alias(home, MRN, "Sample", "Bob")
    entities = Entities(patient_names=[NameMention(family="Sample", given="Bob", source="label")],
                        dobs=[ValueMention("1980-03-04", label="DOB")])
    with home.db.transaction() as s:
        item = s.get_one(Document, home.docs["imaging"]).intake_item
        doc = Document(intake_item=item, first_page=1, last_page=1, status="review", doc_type="lab_result",
                       entities_json=json.dumps(entities.to_dict()))
        s.add(doc)
        s.flush()
        roster = load_roster(s)
        review = ReviewItem(document_id=doc.id, candidates_json="[]", reasons_json="[]")
        s.add(review)
        s.flush()
        aliases.rematch_open_items(s, roster, home.cfg.match)
        before = {c["mrn"] for c in json.loads(review.candidates_json)}
        review_id = review.id
    assert MRN in before  # Alice is a candidate only through the wrong alias
    with home.db.transaction() as s:
        removal = aliases.remove(s, aliases.patient_by_mrn(s, MRN), str(alias_id), actor="c",
                                 match_cfg=home.cfg.match)
    assert removal.rematched_items == [review_id]
    with home.db.session() as s:
        after = json.loads(s.get_one(ReviewItem, review_id).candidates_json)
        assert MRN not in {c["mrn"] for c in after} and after[0]["mrn"] == OTHER_MRN
        bob = s.scalars(select(Patient).where(Patient.mrn == OTHER_MRN)).one()
        assert after[0]["patient_id"] == bob.id


def test_removal_names_documents_the_matcher_filed_through_an_alias(home: Home) -> None:
    alias_id = _alias(home, MRN, "Kowalski", "Alice")
    with home.db.transaction() as s:
        doc = s.get_one(Document, home.docs["imaging"])
        doc.match_json = json.dumps({"candidates": [{"reasons": {"family_name": "alias (clerk-confirmed): exact +6"}}]})
        s.add(Filing(document_id=doc.id, patient_id=doc.patient_id, action="auto", actor="system"))
    with home.db.transaction() as s:
        removal = aliases.remove(s, aliases.patient_by_mrn(s, MRN), str(alias_id), actor="c", match_cfg=home.cfg.match)
    assert removal.filed_through_aliases == [home.docs["imaging"]]
