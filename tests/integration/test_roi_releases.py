"""Releases: refusals (exit 6) naming each reason, the packet, immutability, corrections."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from indexer.roi import lookup, releases
from indexer.roi.models import Authorization, Release
from indexer.roi.releases import Correction, ReleaseInput
from intake.errors import RefusedError
from tests.integration.test_roi_support import (
    ADDRESS,
    MRN,
    RECIPIENT,
    Home,
    add_authorization,
    audit_events,
    make_home,
    run_cli,
)

TODAY = date(2025, 3, 1)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _inp(home: Home, auth_id: int | None, *docs: str, **changes: Any) -> ReleaseInput:
    base: dict[str, Any] = dict(mrn=MRN, document_ids=[home.docs[d] for d in docs], recipient_name=RECIPIENT,
                                recipient_address=ADDRESS, method="mail", basis="authorization",
                                authorization_id=auth_id)
    base.update(changes)
    return ReleaseInput(**base)


def _refusal(home: Home, inp: ReleaseInput, today: date = TODAY) -> str:
    with pytest.raises(RefusedError) as info:
        releases.release(home.db, inp, actor="clerk1", today=today)
    with home.db.session() as s:
        assert s.scalars(select(Release)).first() is None  # nothing recorded
    assert not list((home.path / "exports").glob("*.pdf")) if (home.path / "exports").exists() else True
    return info.value.message


def test_release_writes_packet_with_cover_and_exact_pages(home: Home) -> None:
    auth_id = add_authorization(home, TODAY)
    inp = _inp(home, auth_id, "note", "lab", recipient_name="VALLEY CARDIOLOGY, P.C.")
    out = releases.release(home.db, inp, actor="clerk1", today=TODAY)
    assert out.path.parent == (home.path / "exports").resolve() and out.path.name.startswith("roi-R20250301-")
    data = out.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == out.sha256
    reader = PdfReader(out.path)
    assert len(reader.pages) == 1 + 4 == out.total_pages
    cover = reader.pages[0].extract_text()
    for needle in ("VALLEY CARDIOLOGY, P.C.", "Continuity of care", f"authorization #{auth_id}",
                   "PROHIBITION ON REDISCLOSURE", "4 page(s) of records in 2 document(s)"):
        assert needle in cover
    assert "Testperson" not in cover and MRN not in cover  # no patient identifiers on the cover
    assert [reader.pages[i].extract_text().splitlines()[0] for i in range(1, 5)] == [
        "SRC1 page 3", "SRC1 page 4", "SRC1 page 1", "SRC1 page 2"]  # in the order asked
    assert [reader.pages[i].extract_text().splitlines()[-1] for i in range(5)] == [
        f"{out.reference} - page {i} of 5" for i in range(1, 6)]  # every page stamped
    with home.db.session() as s:
        rel = lookup.release(s, out.release_id)
        assert rel.packet_sha256 == out.sha256 and rel.page_count == 4 and rel.released_on == TODAY
        assert [d.document_id for d in rel.documents] == [home.docs["note"], home.docs["lab"]]
        assert rel.description == "2 documents (clinical note, lab result), dated 2024-05-01 to 2024-06-01, 4 pages"
    event = audit_events(home)[-1]
    assert (event.event_type, event.patient_mrn, event.outcome) == ("roi.release", MRN, "success")
    assert event.document_ids == f"{home.docs['lab']},{home.docs['note']}" and out.sha256 in event.detail


def test_image_sources_render_one_pdf_page_per_frame(home: Home, tmp_path: Path) -> None:
    target = tmp_path / "chosen" / "packet.pdf"
    target.parent.mkdir()  # a packet goes into a folder that exists; nothing creates folders
    out = releases.release(home.db, _inp(home, None, "imaging", "old_note", basis="legal",
                                         legal_reference="Subpoena 25-CV-0042", recipient_name="County Court",
                                         output=target), actor="clerk1", today=TODAY)
    assert out.path == target.resolve() and out.record_pages == 3
    reader = PdfReader(target)
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages[1:]]
    assert sizes == [(612, 792), (612, 792), (432, 576)]  # TIFF frames 2-3 (100 dpi), PNG (100 dpi)
    assert not list((home.path / "exports").glob("*.pdf")) if (home.path / "exports").exists() else True


def test_existing_output_never_overwritten(home: Home, tmp_path: Path) -> None:
    target = tmp_path / "exists.pdf"
    target.write_bytes(b"keep")
    inp = _inp(home, None, "lab", basis="legal", legal_reference="Order 1", output=target)
    assert "already exists" in _refusal(home, inp)
    assert target.read_bytes() == b"keep"


@pytest.mark.parametrize(("changes", "docs", "expected"), [
    (dict(purpose=None), ("lab",), "missing purpose of the disclosure"),
    (dict(statements=["revocation", "conditioning"]), ("lab",),
     "missing statement that disclosed information may be redisclosed"),
    (dict(expires_on=TODAY), ("lab",), "expired on 2025-03-01"),
    (dict(expires_on=TODAY + timedelta(days=1)), ("bob_lab",), "document #5 is not filed to patient CF100001"),
    (dict(), ("imaging",), "is of type imaging_report, not covered by the authorization"),
    (dict(), ("old_note",), "dated 2015-01-01 is outside the authorized range 2023-01-01 to 2024-12-31"),
])
def test_refusals_name_the_reason(home: Home, changes: dict[str, Any], docs: tuple[str, ...],
                                  expected: str) -> None:
    auth_id = add_authorization(home, date(2025, 1, 15), **changes)
    message = _refusal(home, _inp(home, auth_id, *docs))
    assert message.startswith("release refused: ") and expected in message


def test_refused_for_other_recipient_and_audited(home: Home) -> None:
    auth_id = add_authorization(home, TODAY)
    message = _refusal(home, _inp(home, auth_id, "lab", recipient_name="Acme Life Insurance",
                                  recipient_address=None))
    assert "recipient 'Acme Life Insurance' is not the recipient the authorization names" in message
    event = audit_events(home)[-1]
    assert (event.event_type, event.outcome, event.patient_mrn) == ("roi.release", "failure", MRN)
    assert "Acme Life Insurance" in event.detail


def test_refused_after_revocation_received(home: Home) -> None:
    from indexer.roi import authorizations as auths

    auth_id = add_authorization(home, TODAY)
    with home.db.transaction() as s:
        auths.revoke(s, auth_id, received_on=date(2025, 3, 10), actor="clerk1", today=date(2025, 3, 10))
    out = releases.release(home.db, _inp(home, auth_id, "lab"), actor="clerk1", today=date(2025, 3, 9))
    assert out.release_id  # released before the revocation reached the office: stands
    message = _refusal_after(home, _inp(home, auth_id, "note"), date(2025, 3, 10))
    assert "revoked in writing, received 2025-03-10" in message


def _refusal_after(home: Home, inp: ReleaseInput, today: date) -> str:
    with pytest.raises(RefusedError) as info:
        releases.release(home.db, inp, actor="clerk1", today=today)
    return info.value.message


def test_refused_on_expiry_event(home: Home) -> None:
    from indexer.roi import authorizations as auths

    auth_id = add_authorization(home, TODAY, expires_on=None, expiration_event="upon settlement of the claim")
    with home.db.transaction() as s:
        auths.record_event(s, auth_id, occurred_on=TODAY, actor="clerk1", today=TODAY)
    assert "expiration event occurred on 2025-03-01" in _refusal(home, _inp(home, auth_id, "lab"))


def test_draft_never_releasable_even_when_complete(home: Home) -> None:
    auth_id = add_authorization(home, TODAY)
    with home.db.transaction() as s:
        s.get(Authorization, auth_id).status = "draft"  # type: ignore[union-attr]
    message = _refusal(home, _inp(home, auth_id, "lab"))
    assert f"authorization #{auth_id} draft from a scanned form" in message


def test_words_only_authorization_must_be_completed(home: Home) -> None:
    auth_id = add_authorization(home, TODAY, doc_types=[], info_from=None, info_to=None,
                                description="records about my heart")
    assert "describes the information only in words" in _refusal(home, _inp(home, auth_id, "lab"))


def test_releases_are_immutable_and_corrected_by_new_entries(home: Home) -> None:
    out = releases.release(home.db, _inp(home, None, "lab", basis="legal", legal_reference="Order 7",
                                         recipient_name="County Court", recipient_address="1 Court St"),
                           actor="clerk1", today=TODAY)
    with pytest.raises(RefusedError), home.db.transaction() as s:
        lookup.release(s, out.release_id).recipient_name = "Someone else"
    with pytest.raises(RefusedError), home.db.transaction() as s:
        s.delete(lookup.release(s, out.release_id))
    with home.db.transaction() as s:
        fix = releases.correct(s, out.release_id, Correction(reason="wrong address", recipient_address="100 Court St"),
                               actor="clerk2")
        fix_id = fix.id
    with home.db.session() as s:
        orig, fix = lookup.release(s, out.release_id), lookup.release(s, fix_id)
        assert orig.recipient_address == "1 Court St"  # unchanged
        assert (fix.kind, fix.corrects_release_id, fix.recipient_address) == ("correction", orig.id, "100 Court St")
        assert fix.released_on == orig.released_on and fix.released_by == "clerk2"
    with pytest.raises(RefusedError), home.db.transaction() as s:
        releases.correct(s, out.release_id, Correction(reason="again"), actor="clerk2")
    assert audit_events(home)[-1].event_type == "roi.release.correct"


def test_release_fulfils_request(home: Home) -> None:
    from indexer.roi import requests
    from indexer.roi.requests import RequestFields

    auth_id = add_authorization(home, TODAY)
    with home.db.transaction() as s:
        req = requests.add(s, mrn=MRN, fields=RequestFields(
            received_on=TODAY, channel="fax", requester=RECIPIENT, recipient_name=RECIPIENT, basis="authorization",
            authorization_id=auth_id, doc_types=["imaging_report"]), actor="clerk1", today=TODAY)
        req_id = req.id
    message = _refusal(home, _inp(home, None, "lab", basis=None, request_id=req_id))
    assert "the request asks for imaging_report, not covered by the authorization" in message
    with home.db.transaction() as s:
        req = lookup.request(s, req_id)
        req.doc_types = "lab_result"
    out = releases.release(home.db, _inp(home, None, "lab", basis=None, request_id=req_id), actor="c", today=TODAY)
    with home.db.session() as s:
        req = lookup.request(s, req_id)
        assert (req.status, req.closed_on) == ("fulfilled", TODAY)
        assert lookup.release(s, out.release_id).authorization_id == auth_id


def test_cli_release_and_refusal_exit_codes(home: Home, capsys: Any, tmp_path: Path) -> None:
    today = date.today()
    auth_id = add_authorization(home, today, signed_on=today, expires_on=today + timedelta(days=30))
    code, _, err = run_cli(home, capsys, "roi", "release", "--mrn", MRN, "--documents", str(home.docs["imaging"]),
                           "--recipient", RECIPIENT, "--method", "fax", "--basis", "authorization",
                           "--authorization", str(auth_id))
    assert code == 6 and "imaging_report, not covered" in err and "Hint:" in err
    target = tmp_path / "out.pdf"
    code, out, err = run_cli(home, capsys, "roi", "release", "--mrn", MRN, "--documents",
                             f"{home.docs['lab']},{home.docs['note']}", "--recipient", RECIPIENT, "--address", ADDRESS,
                             "--method", "mail", "--basis", "authorization", "--authorization", str(auth_id),
                             "--output", str(target))
    assert code == 0, err
    assert "4 pages + cover" in out and str(target) in out and target.exists()
    code, out, _ = run_cli(home, capsys, "roi", "releases", "--mrn", MRN)
    assert code == 0 and f"documents {home.docs['lab']},{home.docs['note']}; 4 pages" in out
    code, out, _ = run_cli(home, capsys, "roi", "correct-release", "1", "--reason", "sent in error", "--void")
    assert code == 0 and "voided" in out
