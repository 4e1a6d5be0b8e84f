"""Draft authorizations from scanned forms: the filing hook, review queue, never releasable, confirm."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from indexer.audit.context import os_login
from indexer.db.models import Document, IntakeItem, ReviewItem
from indexer.filing import load_roster, record_extracted
from indexer.roi import authorizations as auths
from indexer.roi import lookup, releases
from indexer.roi.authorizations import AuthorizationFields
from indexer.roi.models import Authorization
from intake.errors import InputError, RefusedError
from intake.model import Entities, ExtractedFile, NameMention, PageText, ValueMention
from tests.integration.test_roi_support import MRN, RECIPIENT, Home, audit_events, make_home, run_cli


def form_text(today: date, with_purpose: bool = True) -> str:
    signed = today - timedelta(days=2)
    lines = [
        "AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION",
        f"Patient: Testperson, Alice   DOB: 01/02/1970   MRN: {MRN}",
        "I authorize Maple Street Family Medicine, 410 Maple St, Salem, OR 97301, to disclose",
        "the information described below.",
        "Release to (recipient): Valley Cardiology, 2250 River Rd Ste 300, Salem, OR",
        "97302",
        "Information to be released:",
        "[X] Office/progress notes  [X] Lab results  [ ] Imaging reports  [ ] Entire record",
        "Dates of service: 01/01/2023 to 12/31/2024",
    ]
    if with_purpose:
        lines.append("Purpose of disclosure: Continuity of care")
    lines += [
        f"This authorization expires on: {(today + timedelta(days=180)).strftime('%m/%d/%Y')}",
        "I UNDERSTAND THAT:",
        "1. I may revoke this authorization at any time by written notice.",
        "2. Treatment will not be conditioned on whether I sign this authorization.",
        "3. Information disclosed may be redisclosed by the recipient.",
        f"Signature: /s/ Alice Testperson    Date: {signed.strftime('%m/%d/%Y')}",
    ]
    return "\n".join(lines)


def _entities() -> Entities:
    return Entities(
        patient_names=[NameMention(family="Testperson", given="Alice", raw="Testperson, Alice")],
        dobs=[ValueMention(value="1970-01-02", raw="01/02/1970", label="DOB")],
        mrns=[ValueMention(value=MRN, raw=MRN, label="MRN", scheme="own")],
        doc_type="roi_authorization", doc_type_confidence=0.9,
    )


def file_form(home: Home, text: str) -> Document:
    """Run the lead's filing service on a one-page form, as the writer does after OCR."""
    with home.db.transaction() as s:
        item = IntakeItem(original_name="roi-form.pdf", origin="ingest", stored_path="archive/fax1.pdf",
                          kind="pdf", state="processing",
                          sha256=hashlib.sha256((home.path / "archive" / "fax1.pdf").read_bytes()).hexdigest())
        s.add(item)
        s.flush()
        extracted = ExtractedFile(intake_id=item.id, pages=[PageText(1, text, "ocr", confidence=90.0)],
                                  entities=_entities())
        [doc] = record_extracted(s, home.cfg, item, extracted, load_roster(s))
        return doc


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _draft(home: Home, doc_id: int) -> Authorization:
    with home.db.session() as s:
        auth = s.scalars(select(Authorization).where(Authorization.source_document_id == doc_id)).one()
        s.expunge(auth)
        return auth


def test_filing_a_form_creates_draft_and_review_item(home: Home) -> None:
    today = date.today()
    doc = file_form(home, form_text(today, with_purpose=False))
    auth = _draft(home, doc.id)
    assert auth.status == "draft" and auth.patient_id == doc.patient_id and auth.patient_id is not None
    assert (auth.recipient_name, auth.recipient_address) == (RECIPIENT, "2250 River Rd Ste 300, Salem, OR 97302")
    assert auth.doc_type_list == ["clinical_note", "lab_result"]
    assert auth.purpose is None and auth.signed_on == today - timedelta(days=2)
    assert auth.stmt_revocation and auth.stmt_conditioning and auth.stmt_redisclosure
    stored = json.loads(auth.validation_json)
    assert stored["missing"] == ["purpose"] and not auth.valid
    with home.db.session() as s:
        [item] = s.scalars(select(ReviewItem).where(ReviewItem.kind == "roi_draft")).all()
    reasons = json.loads(item.reasons_json)
    assert item.document_id == doc.id and item.state == "open"
    assert f"roi authorization confirm {auth.id}" in reasons[0]
    assert any("missing purpose" in r for r in reasons)
    draft_events = [e for e in audit_events(home) if e.event_type == "roi.authorization.draft"]
    assert len(draft_events) == 1 and draft_events[0].patient_mrn == MRN


def test_draft_from_scan_is_never_releasable(home: Home) -> None:
    today = date.today()
    doc = file_form(home, form_text(today))  # every element present on the form
    auth = _draft(home, doc.id)
    assert json.loads(auth.validation_json)["missing"] == []
    inp = releases.ReleaseInput(mrn=MRN, document_ids=[home.docs["lab"]], recipient_name=RECIPIENT,
                                method="fax", basis="authorization", authorization_id=auth.id)
    with pytest.raises(RefusedError, match="draft from a scanned form"):
        releases.release(home.db, inp, actor="clerk1", today=today)


def test_confirm_completes_activates_and_resolves_review(home: Home, capsys: Any) -> None:
    today = date.today()
    doc = file_form(home, form_text(today, with_purpose=False))
    auth = _draft(home, doc.id)
    code, out, err = run_cli(home, capsys, "roi", "authorization", "confirm", str(auth.id),
                             "--purpose", "Continuity of care")
    assert code == 0, err
    assert f"Authorization #{auth.id}  [valid]" in out and "Status on " in out and ": VALID" in out
    with home.db.session() as s:
        assert lookup.authorization(s, auth.id).confirmed_by == os_login()  # the OS login; --user is acting_for
        [item] = s.scalars(select(ReviewItem).where(ReviewItem.kind == "roi_draft")).all()
        assert (item.state, item.resolved_by) == ("resolved", os_login())
    code, _, err = run_cli(home, capsys, "roi", "authorization", "confirm", str(auth.id))
    assert code == 6 and "already active" in err
    out_release = releases.release(home.db, releases.ReleaseInput(
        mrn=MRN, document_ids=[home.docs["lab"]], recipient_name=RECIPIENT, method="fax", basis="authorization",
        authorization_id=auth.id), actor="clerk1", today=today)
    assert out_release.record_pages == 2


def test_refiling_the_same_form_makes_no_second_draft(home: Home) -> None:
    from indexer.roi.drafts import draft_from_document

    doc = file_form(home, form_text(date.today()))
    with home.db.transaction() as s:
        again = draft_from_document(s, s.get(Document, doc.id), _entities(), ["text"])  # type: ignore[arg-type]
        assert again is None
        assert len(s.scalars(select(Authorization)).all()) == 1


def test_confirm_unlinked_draft_needs_patient(home: Home) -> None:
    doc = file_form(home, form_text(date.today()))
    auth = _draft(home, doc.id)
    with home.db.transaction() as s:
        row = lookup.authorization(s, auth.id)
        row.patient_id = None
        s.get(Document, doc.id).patient_id = None  # type: ignore[union-attr]
    with home.db.transaction() as s, pytest.raises(InputError, match="has no patient"):
        auths.confirm(s, auth.id, given=AuthorizationFields(), mrn=None, actor="c", today=date.today())
    with home.db.transaction() as s:
        result = auths.confirm(s, auth.id, given=AuthorizationFields(), mrn=MRN, actor="c", today=date.today())
    assert result.valid
