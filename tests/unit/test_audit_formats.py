"""Export formats: spreadsheet-safe CSV, JSON Lines trailer, FHIR R4 AuditEvent validity; option parsing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest

from indexer.audit import fhir
from indexer.audit.formats import (
    CHAIN_HEAD_LABEL,
    ChainHead,
    CsvEventWriter,
    FhirBundleWriter,
    JsonlEventWriter,
    neutralise,
)
from indexer.audit.query import EVENT_COLUMNS, parse_bound, parse_sort
from intake.errors import UsageError

R4B = pytest.importorskip("fhir.resources.R4B.bundle")
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent  # noqa: E402
from fhir.resources.R4B.bundle import Bundle as FhirBundle  # noqa: E402

HEAD = ChainHead(7, "ab" * 32, "2026-03-02T10:00:00.000000Z")


@dataclass
class Row:
    seq: int = 1
    ts: str = "2026-03-01T09:30:00.123456Z"
    actor: str = "alice"
    action: str = "R"
    event_type: str = "patient.chart_view"
    patient_mrn: str | None = "CF104233"
    document_ids: str = "12,15"
    outcome: str = "success"
    source: str = "frontdesk/pid42/10.0.0.7"
    detail: str = "2 documents"
    os_login: str | None = "chartfile"
    acting_for: str | None = "alice"
    channel: str | None = "cli"
    role: str | None = "clerk"
    key_id: str | None = "0123456789abcdef"
    prev_hash: str = "0" * 64
    hash: str = "cd" * 32


@pytest.mark.parametrize("raw", ["=1+1", "+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd", "  =HYPERLINK(\"x\")",
                                 "\uff1dcmd"])
def test_formula_cells_are_neutralised(raw: str) -> None:
    assert neutralise(raw) == "'" + raw


@pytest.mark.parametrize("raw", ["alice", "patient.chart_view", "12,15", "a=b", "", "CF104233"])
def test_ordinary_cells_are_unchanged(raw: str) -> None:
    assert neutralise(raw) == raw


def test_none_and_numbers_become_plain_text() -> None:
    assert neutralise(None) == "" and neutralise(42) == "42"


def test_csv_has_header_rows_and_chain_head_row() -> None:
    out = io.StringIO()
    w = CsvEventWriter(out)
    w.begin(HEAD)
    w.write(Row(actor="=cmd|'/c calc'!A0", detail="-1+1"))
    w.write(Row(seq=2, detail='multi\nline, "quoted"'))
    w.end(2)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(EVENT_COLUMNS)
    assert rows[1][EVENT_COLUMNS.index("actor")] == "'=cmd|'/c calc'!A0"
    assert rows[1][EVENT_COLUMNS.index("detail")] == "'-1+1"
    assert rows[2][EVENT_COLUMNS.index("detail")] == 'multi\nline, "quoted"'
    assert rows[3][:5] == [CHAIN_HEAD_LABEL, "7", "ab" * 32, HEAD.generated, "2 events"]
    assert all(len(r) == len(EVENT_COLUMNS) for r in rows)
    assert out.getvalue().endswith("\r\n")


def test_jsonl_lines_then_chain_head() -> None:
    out = io.StringIO()
    w = JsonlEventWriter(out)
    w.begin(HEAD)
    w.write(Row())
    w.end(1)
    first, last = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first["seq"] == 1 and first["patient_mrn"] == "CF104233" and first["hash"] == "cd" * 32
    assert last == {"chain_head": {"seq": 7, "hash": "ab" * 32}, "generated": HEAD.generated, "events": 1}


@pytest.mark.parametrize("row", [
    Row(),
    Row(actor="system", patient_mrn=None, document_ids="", source="host/pid1", action="C",
        event_type="intake.received", detail="item 3"),
    Row(outcome="failure", event_type="intake.quarantined", action="E", detail="item 9"),
    Row(event_type="search", action="E", patient_mrn=None, detail='{"query": "garcia", "results": 2}'),
    Row(event_type="audit.stop", action="U", detail=""),
])
def test_each_event_is_a_valid_r4_audit_event(row: Row) -> None:
    resource = fhir.audit_event(row)
    parsed = FhirAuditEvent.model_validate(resource)
    assert parsed.action == row.action
    assert parsed.recorded is not None and parsed.recorded.isoformat().replace("+00:00", "Z") == row.ts
    subtypes = [c.code for c in parsed.subtype or []]
    assert subtypes == [row.event_type]
    chain = [e for e in parsed.entity or [] if e.what and e.what.identifier
             and e.what.identifier.system == fhir.CHAIN_SYSTEM]
    assert {d.type: d.valueString for d in chain[0].detail or []}["hash"] == row.hash
    if row.patient_mrn:
        assert any(e.what.identifier.value == row.patient_mrn for e in parsed.entity or []
                   if e.what and e.what.identifier and e.what.identifier.system == fhir.MRN_SYSTEM)
    assert parsed.agent[0].requestor is (row.actor != "system")


def test_client_address_goes_to_agent_network() -> None:
    resource = fhir.audit_event(Row(source="frontdesk/pid42/10.0.0.7"))
    assert resource["agent"][0]["network"] == {"address": "10.0.0.7", "type": "2"}
    assert resource["source"]["site"] == "frontdesk"
    assert "network" not in fhir.audit_event(Row(source="frontdesk/pid42"))["agent"][0]


def test_event_type_codes() -> None:
    assert fhir.event_type_coding("search")["code"] == "110112"
    assert fhir.event_type_coding("export.audit")["code"] == "110106"
    assert fhir.event_type_coding("audit.stop")["code"] == "110100"
    assert fhir.event_type_coding("audit.verify")["code"] == "110101"
    assert fhir.event_type_coding("patient.chart_view")["code"] == "110110"
    assert fhir.event_type_coding("something.new")["code"] == "110100"


@pytest.mark.parametrize("n", [0, 1, 3])
def test_streamed_bundle_is_a_valid_r4_bundle(n: int) -> None:
    out = io.StringIO()
    w = FhirBundleWriter(out)
    w.begin(HEAD)
    for i in range(1, n + 1):
        w.write(Row(seq=i, hash=f"{i:064x}"))
    w.end(n)
    bundle = FhirBundle.model_validate(json.loads(out.getvalue()))
    assert bundle.type == "collection"
    assert bundle.identifier is not None and bundle.identifier.value == f"7:{'ab' * 32}"
    assert len(bundle.entry or []) == n
    assert len({e.fullUrl for e in bundle.entry or []}) == n


def test_parse_bound_dates_include_the_whole_last_day() -> None:
    assert parse_bound("2026-03-01", end=False) == "2026-03-01T00:00:00.000000Z"
    assert parse_bound("2026-03-01", end=True) == "2026-03-02T00:00:00.000000Z"
    assert parse_bound("2026-12-31", end=True) == "2027-01-01T00:00:00.000000Z"


def test_parse_bound_times_are_exact_and_converted_to_utc() -> None:
    assert parse_bound("2026-03-01T09:30", end=False) == "2026-03-01T09:30:00.000000Z"
    assert parse_bound("2026-03-01T09:30:00Z", end=True) == "2026-03-01T09:30:00.000001Z"
    assert parse_bound("2026-03-01T09:30:00-05:00", end=False) == "2026-03-01T14:30:00.000000Z"


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "03/01/2026"])
def test_parse_bound_rejects_garbage(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_bound(bad, end=False)


def test_parse_sort() -> None:
    assert parse_sort("ts") == ("ts", False)
    assert parse_sort("-actor") == ("actor", True)
    with pytest.raises(UsageError):
        parse_sort("detail")
