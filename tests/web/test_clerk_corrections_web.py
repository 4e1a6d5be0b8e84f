"""The clerk's guarded filing and corrections on the web and the API, and who the audit trail says acted.

A referral for Samuel Garcia (M, no DOB) waits in the queue; his twin
sister Jessica has the same DOB and address.  Filing it to Jessica's chart is
refused with each reason shown and the override form offered; filing anyway
needs a reason, which is kept and audited.  Type, date and sender are
corrected from the review page, the document page and the API, each recorded
with the logged-in clerk, the channel and the role.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from chartfile.service import users
from chartfile.service.actor import Role
from indexer.db.models import AuditEvent, Document, DocumentCorrection, Filing
from tests.conftest import run_chartfile
from tests.integration.test_clerk_actions_cli import ROSTER, referral
from tests.integration.test_review_queue import pdf
from tests.web.conftest import ADMIN, login, make_app, make_cfg, office_of

SAMUEL, JESSICA = "CF986947", "CF828448"


@pytest.fixture
def clerk_app(tmp_path: Path) -> Iterator[Any]:
    """A home with the twins' roster and Samuel's referral in the review queue; a clerk and a provider."""
    home = tmp_path / "home"
    (tmp_path / "r.csv").write_text(ROSTER)
    drop = tmp_path / "drop"
    drop.mkdir()
    pdf(drop / "samuel.pdf", [referral("Samuel Garcia", None, "M")])  # no DOB: reviewed
    for args in (("init",), ("patients", "import", str(tmp_path / "r.csv")), ("ingest", str(drop))):
        done = run_chartfile(home, *args)
        assert done.code == 0, done.err
    app = make_app(make_cfg(home))
    for role in (Role.CLERK, Role.PROVIDER):
        users.add_user(office_of(app), ADMIN, f"{role.value}1", role, "correct horse battery staple")
    yield app
    office_of(app).close()


def _events(app: Any, event_type: str) -> list[AuditEvent]:
    with office_of(app).db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                              .order_by(AuditEvent.seq)))


def _item(app: Any) -> tuple[int, int]:
    from indexer.db.models import ReviewItem

    with office_of(app).db.read() as s:
        row = s.execute(select(ReviewItem.id, ReviewItem.document_id).where(ReviewItem.state == "open")).one()
    return int(row[0]), int(row[1])


def _clerk(app: Any) -> tuple[TestClient, str]:
    client = TestClient(app)
    csrf = login(client, "clerk1")
    assert csrf
    return client, csrf


def test_a_refused_filing_shows_every_reason_and_files_only_with_a_reason(clerk_app: Any) -> None:
    item_id, doc_id = _item(clerk_app)
    client, csrf = _clerk(clerk_app)
    refused = client.post(f"/review/{item_id}/file", data={"mrn": JESSICA, "csrf_token": csrf})
    assert refused.status_code == 409
    page = refused.text
    assert f"does not fit chart {JESSICA}" in page
    assert "name differs: the document says Samuel Garcia, the chart says Jessica Garcia" in page
    assert "sex differs: the document says M, the chart says F" in page
    assert 'name="override_reason"' in page and 'id="override-form"' in page
    with office_of(clerk_app).db.read() as s:
        assert s.get(Document, doc_id).status == "review"  # type: ignore[union-attr]
    [failed] = _events(clerk_app, "review.file")
    assert (failed.outcome, failed.actor, failed.channel, failed.role) == ("failure", "clerk1", "web", "clerk")

    blank = client.post(f"/review/{item_id}/file", data={"mrn": JESSICA, "override_reason": "  ",
                                                         "csrf_token": csrf})
    assert blank.status_code == 400 and "override reason must say why" in blank.text

    forced = client.post(f"/review/{item_id}/file", data={"mrn": JESSICA, "csrf_token": csrf,
                                                          "override_reason": "sender confirmed by phone"},
                         follow_redirects=False)
    assert forced.status_code == 303
    with office_of(clerk_app).db.read() as s:
        assert s.scalars(select(Filing.override_reason).where(Filing.document_id == doc_id,
                                                              Filing.action == "review")).one() == \
            "sender confirmed by phone"
    filed = _events(clerk_app, "review.file")[-1]
    assert (filed.outcome, filed.actor, filed.channel, filed.role) == ("success", "clerk1", "web", "clerk")
    assert "override of name, sex" in filed.detail and "Samuel" not in filed.detail


def test_the_right_chart_files_without_an_override(clerk_app: Any) -> None:
    item_id, doc_id = _item(clerk_app)
    client, csrf = _clerk(clerk_app)
    done = client.post(f"/review/{item_id}/file", data={"mrn": SAMUEL, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and "done=filed" in done.headers["location"]
    [event] = _events(clerk_app, "review.file")
    assert (event.outcome, event.actor, event.channel, event.role, event.patient_mrn) == \
        ("success", "clerk1", "web", "clerk", SAMUEL)
    assert event.os_login  # the server process's OS account, beside the logged-in user


def test_corrections_from_the_review_page_and_the_document_page(clerk_app: Any) -> None:
    item_id, doc_id = _item(clerk_app)
    client, csrf = _clerk(clerk_app)
    item = client.get(f"/review/{item_id}")
    assert 'id="correct-box"' in item.text and f'action="/review/{item_id}/correct"' in item.text
    assert 'aria-keyshortcuts="c"' in item.text
    sent = (date.today() - timedelta(days=3)).isoformat()
    done = client.post(f"/review/{item_id}/correct", data={
        "doc_type": "lab_result", "doc_date": sent, "sender": "Lakeside Behavioral Health",
        "reason": "cover sheet says lab", "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/review/{item_id}?done=corrected"
    shown = client.get(done.headers["location"])
    assert "Corrections saved." in shown.text and "lab result" in shown.text and sent in shown.text

    page = client.post(f"/documents/{doc_id}/correct", data={"doc_type": "referral", "reason": "it is a referral",
                                                            "csrf_token": csrf}, follow_redirects=False)
    assert page.status_code == 303
    doc = client.get(page.headers["location"])
    assert "Corrections saved." in doc.text and "it is a referral" in doc.text and "cover sheet says lab" in doc.text
    with office_of(clerk_app).db.read() as s:
        d = s.get(Document, doc_id)
        assert d is not None and (d.doc_type, d.doc_date, d.sender_org) == \
            ("referral", date.fromisoformat(sent), "Lakeside Behavioral Health")
        fields = list(s.scalars(select(DocumentCorrection.field).where(DocumentCorrection.document_id == doc_id)))
    assert sorted(fields) == ["doc_date", "doc_type", "doc_type", "sender_org"]
    events = _events(clerk_app, "document.correct")
    assert len(events) == 2 and all((e.actor, e.channel, e.role) == ("clerk1", "web", "clerk") for e in events)


@pytest.mark.parametrize(("form", "status", "says"), [
    ({"doc_type": "lab_result"}, 400, "a reason is required"),
    ({"doc_type": "poem", "reason": "x"}, 400, "unknown document type"),
    ({"doc_date": (date.today() + timedelta(days=2)).isoformat(), "reason": "x"}, 400, "in the future"),
    ({"doc_date": "20/20/2020", "reason": "x"}, 400, "is not a date"),
    ({"reason": "x"}, 400, "nothing to correct"),
])
def test_a_bad_correction_is_explained_on_the_page(clerk_app: Any, form: dict[str, str], status: int,
                                                   says: str) -> None:
    item_id, doc_id = _item(clerk_app)
    client, csrf = _clerk(clerk_app)
    for url in (f"/review/{item_id}/correct", f"/documents/{doc_id}/correct"):
        resp = client.post(url, data={**form, "csrf_token": csrf})
        assert resp.status_code == status and says in resp.text, (url, resp.status_code, resp.text[-600:])
    assert _events(clerk_app, "document.correct") == []


def test_only_clerks_see_and_use_the_correct_form(clerk_app: Any) -> None:
    _item_id, doc_id = _item(clerk_app)
    client = TestClient(clerk_app)
    csrf = login(client, "provider1")
    assert 'id="correct-box"' not in client.get(f"/documents/{doc_id}").text
    refused = client.post(f"/documents/{doc_id}/correct", data={"doc_type": "referral", "reason": "x",
                                                               "csrf_token": csrf})
    assert refused.status_code == 403
    no_csrf = _clerk(clerk_app)[0].post(f"/documents/{doc_id}/correct", data={"doc_type": "referral", "reason": "x"})
    assert no_csrf.status_code == 403


def test_api_correct_file_with_override_and_search_record_the_token_user(clerk_app: Any) -> None:
    item_id, doc_id = _item(clerk_app)
    token = users.issue_token(office_of(clerk_app), ADMIN, "clerk1")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(clerk_app) as client:
        ok = client.post(f"/api/documents/{doc_id}/correct", headers=auth,
                         json={"reason": "sender on the cover sheet", "sender": "Lakeside Behavioral Health"})
        assert ok.status_code == 200, ok.text
        [change] = ok.json()["changes"]
        assert (change["field"], change["new"]) == ("sender_org", "Lakeside Behavioral Health")
        again = client.post(f"/api/documents/{doc_id}/correct", headers=auth,
                            json={"reason": "again", "sender": "Lakeside Behavioral Health"})
        assert again.status_code == 400 and again.json()["error"]
        assert client.post("/api/documents/999999/correct", headers=auth,
                           json={"reason": "x", "doc_type": "referral"}).status_code == 404
        refused = client.post(f"/api/review/{item_id}/file", headers=auth, json={"mrn": JESSICA})
        assert refused.status_code == 409 and "sex differs" in refused.json()["error"]
        assert "override" in refused.json()["hint"]
        forced = client.post(f"/api/review/{item_id}/file", headers=auth,
                             json={"mrn": JESSICA, "override_reason": "confirmed with the sender"})
        assert forced.status_code == 200, forced.text
        found = client.get("/api/search", headers=auth, params={"q": "referral"})
        assert found.status_code == 200
    for kind in ("document.correct", "review.file", "search"):
        event = _events(clerk_app, kind)[-1]
        assert (event.actor, event.channel, event.role) == ("clerk1", "api", "clerk"), kind


def test_logins_and_logouts_record_channel_and_role(clerk_app: Any) -> None:
    assert login(TestClient(clerk_app), "clerk1", password="not the password") == ""
    client, csrf = _clerk(clerk_app)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    failed, ok = _events(clerk_app, "auth.login")
    assert (failed.actor, failed.channel, failed.role, failed.outcome) == ("clerk1", "web", None, "failure")
    assert (ok.actor, ok.channel, ok.role, ok.outcome) == ("clerk1", "web", "clerk", "success")
    [logout] = _events(clerk_app, "auth.logout")
    assert (logout.actor, logout.channel, logout.role) == ("clerk1", "web", "clerk")
