"""CLI contract of ``chartfile search``, ``chartfile index ...`` and ``chartfile patients show``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from indexer.audit.context import os_login
from indexer.audit.ids import decode
from indexer.db.models import AuditEvent

from .conftest import Clinic, _close, _open, add_records


@pytest.fixture
def practice(home: Path) -> Iterator[Clinic]:
    c = _open(home)
    add_records(c)
    yield c
    _close(c)


def last_event(c: Clinic, event_type: str) -> AuditEvent:
    with c.db.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                       .order_by(AuditEvent.seq.desc())).first()
        assert ev is not None, event_type
        return ev


def test_search_json_and_its_audit_event(practice: Clinic, chartfile: Callable[..., Any]) -> None:
    r = chartfile("--user", "clerk7", "search", "hemoglobin", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["total"] == 2 and data["hits"][0]["doc_id"] == practice.docs["smith_lab"]
    assert data["hits"][0]["page"] == 1 and data["hits"][0]["highlights"]
    ev = last_event(practice, "search")
    assert (ev.actor, ev.acting_for, ev.action, ev.channel, ev.role) == (os_login(), "clerk7", "E", "cli", "admin")
    assert json.loads(ev.detail) == {"query": "hemoglobin", "results": 2}
    assert ev.document_ids == ",".join(str(i) for i in sorted([practice.docs["smith_lab"],
                                                               practice.docs["smithers_lab"]]))


def test_search_table_with_pages_facets_and_notes(practice: Clinic, chartfile: Callable[..., Any]) -> None:
    r = chartfile("search", "studies")
    assert r.code == 0, r.err
    assert "1 documents" in r.out and "John Smith" in r.out and "page 3 of 3" in r.out and "studies" in r.out
    assert all(len(line) <= 80 for line in r.out.splitlines())
    assert "type: imaging_report 1" in r.out and "sender: Salem Cardiology 1" in r.out
    r = chartfile("search", "jhon", "smiht")
    assert "similar name" in r.out and "CF100001" in r.out
    assert chartfile("search", "zzzyzzx").out.strip().endswith("No documents found.")


def test_search_options(practice: Clinic, chartfile: Callable[..., Any]) -> None:
    r = chartfile("search", "-status:rejected", "--limit", "2", "--page", "2", "--sort", "oldest", "--json")
    data = json.loads(r.out)
    assert (data["page"], data["page_size"], data["pages"], data["sort"], len(data["hits"])) == (2, 2, 4, "oldest", 2)


@pytest.mark.parametrize("args, message", [
    (("dob:someday",), "dob: could not read"),
    (('patient:"smith',), "unclosed quote"),
    (("paitent:smith",), "Did you mean 'patient:'"),
    (("type:lab", "--page", "999"), "beyond the first"),
])
def test_malformed_searches_exit_3_with_a_message_not_a_traceback(practice: Clinic, chartfile: Callable[..., Any],
                                                                  args: tuple[str, ...], message: str) -> None:
    r = chartfile("search", *args)
    assert r.code == 3 and message in r.err and "Hint:" in r.err and "Traceback" not in r.err + r.out


def test_query_text_never_reaches_the_logs(practice: Clinic, chartfile: Callable[..., Any],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert chartfile("-vv", "search", 'patient:"john smith"', "dob:03/04/1961").code == 0
    assert chartfile("-vv", "patients", "show", "CF100001").code == 0
    text = "\n".join(r.getMessage() for r in caplog.records).lower()
    for phi in ("john", "smith", "1961", "cf100001"):
        assert phi not in text


def test_patients_show_groups_newest_first_and_is_audited(practice: Clinic, chartfile: Callable[..., Any]) -> None:
    practice.document("CF100001", ["Older lab"], doc_date=practice_date(2025, 6, 1), sender="Quest Diagnostics")
    r = chartfile("--user", "clerk2", "patients", "show", "cf100001", "--json")
    assert r.code == 0, r.err
    chart = json.loads(r.out)
    assert (chart["mrn"], chart["name"], chart["dob"], chart["total"]) == ("CF100001", "Smith, John", "1961-03-04", 3)
    assert [g["doc_type"] for g in chart["groups"]] == ["lab_result", "imaging_report"]  # by newest document
    labs = chart["groups"][0]["documents"]
    assert [d["doc_date"] for d in labs] == ["2026-03-20", "2025-06-01"]
    assert labs[0]["sender"] == "Quest Diagnostics" and labs[0]["pages"] == 2
    ev = last_event(practice, "patient.chart_view")
    assert (ev.acting_for, ev.action, ev.patient_mrn) == ("clerk2", "R", "CF100001")
    assert len(decode(ev.document_ids)) == 3
    text = chartfile("patients", "show", "CF100002").out
    assert "O'Brien-Jones, Zoë" in text and "referral (1)" in text and "URGENT" in text
    assert chartfile("patients", "show", "CF999999").code == 4


def practice_date(y: int, m: int, d: int):  # type: ignore[no-untyped-def]
    from datetime import date

    return date(y, m, d)


def test_index_check_repair_and_rebuild(practice: Clinic, chartfile: Callable[..., Any]) -> None:
    assert chartfile("index", "check").code == 0
    practice.index.delete([practice.docs["miller_rx"]])
    r = chartfile("index", "check")
    assert r.code == 7 and "1 missing from the index" in r.out and str(practice.docs["miller_rx"]) in r.out
    assert "--repair" in r.out
    r = chartfile("index", "check", "--json")
    assert r.code == 7 and json.loads(r.out)["before"]["missing"] == [practice.docs["miller_rx"]]
    r = chartfile("index", "check", "--repair")
    assert r.code == 0 and "Repaired: 1 re-indexed" in r.out and "now agree" in r.out
    assert last_event(practice, "index.repair").outcome == "success"
    assert chartfile("index", "check").code == 0
    r = chartfile("index", "rebuild")
    assert r.code == 0 and "Index rebuilt: 7 documents." in r.out
    assert last_event(practice, "index.rebuild").action == "E"
    assert "segments merged into 1" in chartfile("index", "optimize").out
    assert json.loads(chartfile("search", "lisinopril", "--json").out)["total"] == 1
