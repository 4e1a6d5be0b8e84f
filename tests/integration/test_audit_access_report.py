"""``chartfile audit access-report MRN``: direct and document-resolved access, periods, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from indexer.audit import trail
from indexer.audit.context import os_login
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import add_document, add_patient, events, open_db


@pytest.fixture
def clinic(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two patients, their documents (one refiled away from Maria), and a trail touching both."""
    db = open_db(home)
    maria = add_patient(db, "CF104233", "Garcia", "Maria")
    chidi = add_patient(db, "CF200417", "Okonkwo", "Chidi")
    d_maria = add_document(db, maria)
    d_chidi = add_document(db, chidi)
    d_refiled = add_document(db, chidi, filed_to=maria)  # once filed to Maria, now Chidi's
    plan = [
        ("2026-04-01T09:00:00.000000Z", "clerk1", "R", "patient.chart_view", "CF104233", [d_maria], ""),
        ("2026-04-01T10:00:00.000000Z", "clerk2", "E", "search", None, [d_maria, d_chidi],
         '{"query": "echo", "results": 2}'),
        ("2026-04-02T10:00:00.000000Z", "clerk2", "E", "search", None, [d_chidi], '{"query": "okonkwo", "results": 1}'),
        ("2026-04-03T11:00:00.000000Z", "clerk3", "R", "patient.chart_view", "CF200417", [d_chidi, d_refiled], ""),
        ("2026-04-04T12:00:00.000000Z", "system", "C", "document.filed", "CF104233", [d_maria], "auto-filed"),
        ("2026-04-05T08:00:00.000000Z", "roi1", "E", "export.documents", None, [], "12 documents, jsonl"),
    ]
    clock = iter(p[0] for p in plan)
    with monkeypatch.context() as m:
        m.setattr(trail, "now_iso", lambda: next(clock))
        with db.transaction() as s:
            for _ts, actor, action, etype, mrn, docs, detail in plan:
                trail.record(s, actor=actor, action=action, event_type=etype, patient_mrn=mrn,
                             document_ids=docs, detail=detail)
    db.dispose()
    return {"home": home, "d_maria": d_maria, "d_chidi": d_chidi, "d_refiled": d_refiled}


def report(home: Path, mrn: str, *args: str) -> list[dict[str, Any]]:
    r = run_chartfile(home, "--user", "privacy1", "audit", "access-report", mrn, "--format", "jsonl", *args)
    assert r.code == 0, r.err
    return [json.loads(x) for x in r.out.splitlines()]


def test_direct_and_search_access_are_reported(clinic: dict[str, Any]) -> None:
    rows = report(clinic["home"], "cf104233", "--to", "2026-04-30")
    body, trailer = rows[:-1], rows[-1]
    assert [(r["seq"], r["actor"], r["via"]) for r in body] == [
        (1, "clerk1", "mrn"), (2, "clerk2", "documents"), (4, "clerk3", "documents"), (5, "system", "mrn")]
    search = body[1]
    assert search["document_ids"] == str(clinic["d_maria"])  # only Maria's documents are listed
    assert json.loads(search["detail"])["query"] == "echo"
    assert body[2]["document_ids"] == str(clinic["d_refiled"])  # a document once filed to her counts
    assert trailer["events"] == 4


def test_other_patients_access_is_not_in_the_report(clinic: dict[str, Any]) -> None:
    rows = report(clinic["home"], "CF200417", "--to", "2026-04-30")
    assert [r["seq"] for r in rows[:-1]] == [2, 3, 4]


def test_period_limits_the_report(clinic: dict[str, Any]) -> None:
    rows = report(clinic["home"], "CF104233", "--from", "2026-04-02", "--to", "2026-04-04")
    assert [r["seq"] for r in rows[:-1]] == [4, 5]


def test_the_report_is_itself_audited_and_appears_in_later_reports(clinic: dict[str, Any]) -> None:
    home = clinic["home"]
    report(home, "CF104233")
    own = events(home)[-1]
    assert (own["event_type"], own["actor"], own["acting_for"], own["action"], own["patient_mrn"]) == \
        ("audit.access_report", os_login(), "privacy1", "R", "CF104233")
    rows = report(home, "CF104233")
    assert [r["event_type"] for r in rows[:-1]][-2:] == ["audit.access_report", "audit.access_report"]


def test_text_report_summarises_people(clinic: dict[str, Any]) -> None:
    r = run_chartfile(clinic["home"], "audit", "access-report", "CF104233", "--to", "2026-04-30")
    assert r.code == 0, r.err
    assert "Access report for MRN CF104233 (Garcia, Maria)" in r.out
    assert "4 events by 4 actors" in r.out
    assert "clerk2" in r.out and "search x1" in r.out and "via documents" in r.out


def test_csv_report(clinic: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    r = run_chartfile(clinic["home"], "audit", "access-report", "CF104233", "--to", "2026-04-30",
                      "--format", "csv", "-o", str(out))
    assert r.code == 0, r.err
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["seq", "ts", "actor"] and len(rows) == 6 and rows[-1][0] == "# chain head"


def test_unknown_patient_is_not_found(clinic: dict[str, Any]) -> None:
    r = run_chartfile(clinic["home"], "audit", "access-report", "CF999999")
    assert r.code == ExitCode.NOT_FOUND
