"""Request log: due dates, the one 30-day extension, listing open requests by age."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from indexer.roi import requests
from indexer.roi.requests import RequestFields
from intake.errors import InputError, RefusedError
from tests.integration.test_roi_support import (
    MRN,
    OTHER_MRN,
    Home,
    add_authorization,
    audit_events,
    make_home,
    run_cli,
)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _add(home: Home, received: date, basis: str = "individual", mrn: str = MRN, today: date | None = None,
         **extra: Any) -> int:
    fields = RequestFields(received_on=received, channel="mail", requester="the patient",
                           recipient_name="the patient", basis=basis, **extra)
    with home.db.transaction() as s:
        return requests.add(s, mrn=mrn, fields=fields, actor="clerk1", today=today or received).id


def test_access_request_due_in_30_days_and_extended_once(home: Home) -> None:
    req_id = _add(home, date(2025, 1, 10))
    with home.db.transaction() as s:
        req = requests.extend(s, req_id, reason="records in off-site storage", actor="clerk1",
                              today=date(2025, 2, 9))  # the last day before the first deadline passes
        assert (req.original_due_on, req.due_on, req.extended_on) == (date(2025, 2, 9), date(2025, 3, 11),
                                                                       date(2025, 2, 9))
    with home.db.transaction() as s, pytest.raises(RefusedError, match="only one extension"):
        requests.extend(s, req_id, reason="again", actor="clerk1", today=date(2025, 2, 10))
    assert [e.event_type for e in audit_events(home)] == ["roi.request.add", "roi.request.extend"]


def test_extension_refused_after_first_deadline(home: Home) -> None:
    req_id = _add(home, date(2025, 1, 10))
    with home.db.transaction() as s, pytest.raises(RefusedError, match="was due 2025-02-09"):
        requests.extend(s, req_id, reason="late", actor="clerk1", today=date(2025, 2, 10))


def test_extension_only_for_access_requests(home: Home) -> None:
    req_id = _add(home, date(2025, 1, 10), basis="legal", legal_reference="Subpoena 25-1")
    with home.db.transaction() as s, pytest.raises(RefusedError, match="not an individual's access request"):
        requests.extend(s, req_id, reason="x", actor="clerk1", today=date(2025, 1, 11))


def test_basis_requirements(home: Home) -> None:
    with pytest.raises(InputError, match="--legal-reference"):
        _add(home, date(2025, 1, 10), basis="legal")
    with pytest.raises(InputError, match="--authorization"):
        _add(home, date(2025, 1, 10), basis="authorization")
    auth_id = add_authorization(home, date(2025, 1, 10))
    with pytest.raises(RefusedError, match="another patient"):
        _add(home, date(2025, 1, 10), basis="authorization", mrn=OTHER_MRN, authorization_id=auth_id)
    with pytest.raises(InputError, match="in the future"):
        _add(home, date(2025, 1, 10), today=date(2025, 1, 9))


def test_open_requests_listed_oldest_first_with_days_left(home: Home) -> None:
    newer = _add(home, date(2025, 2, 1))
    older = _add(home, date(2025, 1, 1))
    closed = _add(home, date(2024, 12, 1))
    legal = _add(home, date(2025, 1, 15), basis="legal", legal_reference="Order 9")
    with home.db.transaction() as s:
        requests.close(s, closed, status="withdrawn", reason="patient withdrew", actor="clerk1",
                       today=date(2025, 1, 5))
    with home.db.session() as s:
        found = requests.list_requests(s, today=date(2025, 2, 5))
        rows = [(o.request.id, o.age_days, o.days_left, o.overdue) for o in found]
    assert rows == [(older, 35, -5, True), (legal, 21, None, False), (newer, 4, 26, False)]
    with home.db.session() as s:
        assert len(requests.list_requests(s, today=date(2025, 2, 5), include_closed=True)) == 4


def test_cli_request_flow(home: Home, capsys: Any) -> None:
    today = date.today()
    received = today - timedelta(days=3)
    code, out, err = run_cli(home, capsys, "roi", "request", "add", "--mrn", MRN, "--received", received.isoformat(),
                             "--channel", "portal", "--requester", "Alice Testperson", "--recipient",
                             "Alice Testperson", "--basis", "individual", "--records", "all lab results",
                             "--types", "lab_result")
    assert code == 0, err
    assert out.strip() == f"request #1 logged for {MRN}: individual, due {received + timedelta(days=30)}"
    code, out, _ = run_cli(home, capsys, "roi", "request", "list")
    assert code == 0 and out.startswith("#1        3 days old") and "(27 days left)" in out
    code, out, _ = run_cli(home, capsys, "roi", "request", "extend", "1", "--reason", "records archived off-site")
    assert code == 0 and f"to {received + timedelta(days=60)}" in out
    code, _, err = run_cli(home, capsys, "roi", "request", "extend", "1", "--reason", "again")
    assert code == 6 and "only one extension" in err
    code, out, _ = run_cli(home, capsys, "roi", "request", "list", "--json")
    [row] = json.loads(out)
    assert row["days_left"] == 57 and row["extension_reason"] == "records archived off-site"
