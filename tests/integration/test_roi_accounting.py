"""Accounting of disclosures: six-year window, exempt categories, corrections, formats, audit."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from indexer.roi import accounting, lookup, releases, requests
from indexer.roi.recipients import EXEMPT
from indexer.roi.releases import Correction, ReleaseInput
from indexer.roi.requests import RequestFields
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


def _request(home: Home, on: date, basis: str, recipient: str, requester: str | None = None,
             channel: str = "mail") -> int:
    fields = RequestFields(received_on=on, channel=channel, requester=requester or recipient,
                           recipient_name=recipient, basis=basis)
    with home.db.transaction() as s:
        return requests.add(s, mrn=MRN, fields=fields, actor="clerk1", today=on).id


def _release(home: Home, on: date, basis: str, recipient: str, doc: str = "lab", **extra: Any) -> int:
    if basis in ("individual", "tpo") and "request_id" not in extra:
        extra["request_id"] = _request(home, on, basis, recipient)
    extra.setdefault("method", "mail" if extra.get("recipient_address") else "fax")
    inp = ReleaseInput(mrn=MRN, document_ids=[home.docs[doc]], recipient_name=recipient, basis=basis, **extra)
    return releases.release(home.db, inp, actor="clerk1", today=on).release_id


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """Releases of every kind around the six-year boundary (today = 2025-03-01)."""
    h = make_home(tmp_path)
    auth_id = add_authorization(h, date(2025, 1, 10))
    ids = {
        "too_old": _release(h, date(2019, 2, 28), "legal", "County Court", legal_reference="Subpoena 19-1"),
        "boundary": _release(h, date(2019, 3, 1), "legal", "County Court", legal_reference="Subpoena 19-2"),
        "public_health": _release(h, date(2022, 6, 1), "other", "State Health Dept",
                                  legal_reference="ORS 433.004 disease reporting", purpose="Public health reporting",
                                  recipient_address="800 NE Oregon St, Portland"),
        "tpo": _release(h, date(2023, 1, 1), "tpo", "Beacon Health Plan", purpose="Payment"),
        "individual": _release(h, date(2024, 1, 1), "individual", "Alice Testperson"),
        "authorized": _release(h, date(2025, 1, 15), "authorization", RECIPIENT, recipient_address=ADDRESS,
                               authorization_id=auth_id),
        "voided": _release(h, date(2024, 6, 1), "legal", "County Court", legal_reference="Order 24-9"),
        "corrected": _release(h, date(2024, 7, 1), "other", "Workers Comp Board", legal_reference="ORS 656.360",
                              purpose="Workers' compensation claim", recipient_address="1 Wrong St"),
    }
    with h.db.transaction() as s:
        releases.correct(s, ids["voided"], Correction(reason="never sent", void=True), actor="clerk2")
        fix = releases.correct(s, ids["corrected"], Correction(reason="address typo",
                                                                recipient_address="350 Winter St NE, Salem"),
                               actor="clerk2")
        ids["correction"] = fix.id
    h.docs.update({f"release:{k}": v for k, v in ids.items()})
    return h


def _entries(home: Home, include_all: bool, today: date = TODAY) -> list[accounting.Entry]:
    start, end = accounting.default_window(today)
    with home.db.session() as s:
        return accounting.entries(s, lookup.patient_by_mrn(s, MRN).id, start, end, include_all=include_all)


def test_accounting_lists_only_accountable_disclosures_in_six_years(home: Home) -> None:
    found = _entries(home, include_all=False)
    assert [(e.date, e.recipient) for e in found] == [
        ("2019-03-01", "County Court"), ("2022-06-01", "State Health Dept"), ("2024-07-01", "Workers Comp Board")]
    corrected = found[-1]
    assert corrected.recipient_address == "350 Winter St NE, Salem"
    assert corrected.corrects_release_id == home.docs["release:corrected"]
    assert found[1].purpose == "Public health reporting"
    assert found[1].description == "1 document (lab result), dated 2024-05-01, 2 pages"


def test_full_report_includes_exempt_categories_labelled(home: Home) -> None:
    found = _entries(home, include_all=True)
    assert [e.date for e in found] == ["2019-03-01", "2022-06-01", "2023-01-01", "2024-01-01", "2024-07-01",
                                       "2025-01-15"]
    exempt = {e.date: e.exempt_because for e in found if not e.accountable}
    assert exempt == {"2023-01-01": EXEMPT["tpo"], "2024-01-01": EXEMPT["individual"],
                      "2025-01-15": EXEMPT["authorization"]}


def test_window_moves_with_today(home: Home) -> None:
    assert [e.date for e in _entries(home, False, date(2025, 3, 2))][0] == "2022-06-01"
    assert [e.date for e in _entries(home, False, date(2025, 2, 28))][0] == "2019-02-28"


def test_cli_formats_and_audit(home: Home, capsys: Any, tmp_path: Path) -> None:
    code, out, err = run_cli(home, capsys, "roi", "accounting", MRN, "--from", "2019-03-01", "--to", "2025-03-01")
    assert code == 0, err
    assert out.startswith("ACCOUNTING OF DISCLOSURES (45 CFR 164.528)\nPatient MRN: CF100001\n")
    assert "2022-06-01  to State Health Dept, 800 NE Oregon St, Portland" in out
    assert "Alice" not in out and "Testperson" not in out and "1970" not in out
    code, out, _ = run_cli(home, capsys, "roi", "accounting", MRN, "--from", "2019-03-01", "--to", "2025-03-01",
                           "--all", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 6 and rows[0]["legal_reference"] == "Subpoena 19-2"
    target = tmp_path / "acct.json"
    code, out, _ = run_cli(home, capsys, "roi", "accounting", MRN.lower(), "--from", "2019-03-01", "--to",
                           "2025-03-01", "--format", "json", "--output", str(target))
    assert code == 0 and out.strip() == f"3 entries written to {target}"
    data = json.loads(target.read_text())
    assert data["mrn"] == MRN and len(data["disclosures"]) == 3 and target.stat().st_mode & 0o077 == 0
    code, _, err = run_cli(home, capsys, "roi", "accounting", MRN, "--output", str(target))
    assert code == 6 and "already exists" in err
    events = [e for e in audit_events(home) if e.event_type == "roi.accounting"]
    assert len(events) == 3 and all(e.patient_mrn == MRN and e.action == "R" for e in events)
    assert events[0].document_ids == str(home.docs["lab"])


def test_cli_default_window_is_six_years_to_today(home: Home, capsys: Any) -> None:
    today = date.today()
    code, out, _ = run_cli(home, capsys, "roi", "accounting", MRN, "--format", "json")
    data = json.loads(out)
    assert code == 0 and (data["from"], data["to"]) == (accounting.years_before(today, 6).isoformat(),
                                                        today.isoformat())
    expected = [e.date for e in _entries(home, False, today)]
    assert [d["date"] for d in data["disclosures"]] == expected
    assert all(d["date"] >= data["from"] for d in data["disclosures"])
