"""``chartfile audit export``: filters, sorting, streaming, CSV safety, FHIR validity; the export is audited."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from indexer.audit import formats, trail
from indexer.audit.context import os_login
from indexer.audit.query import SORT_FIELDS, EventFilter, stream_events
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import clone_home, events, open_db

# (ts, actor, action, event_type, patient_mrn, document_ids, outcome, detail)
FIXTURE = [
    ("2026-03-01T08:00:00.000000Z", "alice", "R", "patient.chart_view", "CF000001", [1], "success", "1 documents"),
    ("2026-03-01T12:00:00.000000Z", "bob", "E", "search", None, [1, 2], "success", '{"query": "x", "results": 2}'),
    ("2026-03-02T09:00:00.000000Z", "alice", "E", "export.documents", None, [], "success", "3 documents, jsonl"),
    ("2026-03-02T23:59:59.999999Z", "carol", "R", "patient.chart_view", "CF000002", [2], "success", "1 documents"),
    ("2026-03-03T00:00:00.000000Z", "system", "C", "intake.received", None, [], "success", "item 4"),
    ("2026-03-04T10:00:00.000000Z", "=HYPERLINK(\"http://x\")", "R", "patient.chart_view", "CF000001", [1],
     "success", "+1 then -1"),
    ("2026-03-05T07:00:00.000000Z", "alice", "E", "intake.quarantined", None, [], "failure", "item 5"),
]


@pytest.fixture(scope="module")
def trail_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home whose trail holds FIXTURE (seq 1..7) with controlled timestamps (built once)."""
    home = tmp_path_factory.mktemp("audit-export") / "home"
    home.mkdir()
    db = open_db(home)
    clock = iter(f[0] for f in FIXTURE)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(trail, "now_iso", lambda: next(clock))
        with db.transaction() as s:
            for _ts, actor, action, etype, mrn, docs, outcome, detail in FIXTURE:
                trail.record(s, actor=actor, action=action, event_type=etype, patient_mrn=mrn,
                             document_ids=docs, outcome=outcome, detail=detail)
    db.dispose()
    return home


@pytest.fixture
def trail_home(trail_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template for one test."""
    return clone_home(trail_template, tmp_path / "home")


def export_jsonl(home: Path, *args: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    r = run_chartfile(home, "--user", "privacy1", "audit", "export", "--format", "jsonl", *args)
    assert r.code == 0, r.err
    lines = [json.loads(x) for x in r.out.splitlines()]
    return lines[:-1], lines[-1]


def seqs(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["seq"]) for r in rows]


@pytest.mark.parametrize(("args", "expected"), [
    (("--from", "2026-03-02", "--to", "2026-03-02"), [3, 4]),
    (("--from", "2026-03-01T12:00", "--to", "2026-03-02T09:00"), [2, 3]),
    (("--from", "2026-03-01T07:00:00-05:00", "--to", "2026-03-04"), [2, 3, 4, 5, 6]),
    (("--to", "2026-03-05", "--user", "alice"), [1, 3, 7]),
    (("--to", "2026-03-05", "--type", "intake.*"), [5, 7]),
    (("--to", "2026-03-05", "--type", "search", "--type", "export.documents"), [2, 3]),
    (("--to", "2026-03-05", "--patient", "cf000001"), [1, 6]),
    (("--to", "2026-03-05", "--patient", "CF000001", "--user", "alice"), [1]),
])
def test_filters(trail_home: Path, args: tuple[str, ...], expected: list[int]) -> None:
    rows, trailer = export_jsonl(trail_home, *args)
    assert seqs(rows) == expected
    assert trailer["events"] == len(expected)


def test_the_export_is_itself_audited_anchored_and_included(trail_home: Path) -> None:
    rows, trailer = export_jsonl(trail_home, "--patient", "CF000001")
    own = events(trail_home)[-1]
    assert (own["event_type"], own["actor"], own["acting_for"], own["action"], own["patient_mrn"]) == \
        ("export.audit", os_login(), "privacy1", "E", "CF000001")
    assert "format jsonl" in own["detail"] and "patient=CF000001" in own["detail"]
    assert seqs(rows) == [1, 6, own["seq"]]
    assert trailer["chain_head"] == {"seq": own["seq"], "hash": own["hash"]}
    from indexer.audit.checkpoints import parse

    last = parse((trail_home / "audit" / "checkpoints.log").read_text().splitlines()[-1])
    assert last is not None and (last.seq, last.hash) == (own["seq"], own["hash"])


@pytest.mark.parametrize("sort", ["actor", "-ts", "patient_mrn", "-event_type", "outcome", "-seq"])
def test_sorting(trail_home: Path, sort: str) -> None:
    rows, _ = export_jsonl(trail_home, "--to", "2026-03-05", "--sort", sort)
    field, desc = sort.lstrip("-"), sort.startswith("-")
    expected = sorted(FIXTURE_ROWS(), key=lambda r: ((r[field] or ""), r["seq"]), reverse=desc)
    assert seqs(rows) == [r["seq"] for r in expected]


def FIXTURE_ROWS() -> list[dict[str, Any]]:  # noqa: N802 - reads like the constant it derives from
    keys = ("ts", "actor", "action", "event_type", "patient_mrn", "document_ids", "outcome", "detail")
    return [dict(zip(keys, f, strict=True), seq=i) for i, f in enumerate(FIXTURE, start=1)]


def test_bad_sort_field_is_a_usage_error(trail_home: Path) -> None:
    r = run_chartfile(trail_home, "audit", "export", "--sort", "detail")
    assert r.code == ExitCode.USAGE and "Sort by one of" in r.err


@pytest.mark.parametrize("sort", [*SORT_FIELDS, *(f"-{f}" for f in SORT_FIELDS)])
def test_batched_streaming_matches_one_batch(trail_home: Path, sort: str) -> None:
    db = open_db(trail_home)
    flt = EventFilter(max_seq=7)
    small = [r.seq for r in stream_events(db, flt, sort, batch=2)]
    whole = [r.seq for r in stream_events(db, flt, sort, batch=1000)]
    db.dispose()
    assert small == whole and sorted(small) == list(range(1, 8))


def test_csv_opens_cleanly_and_neutralises_formulas(trail_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    r = run_chartfile(trail_home, "audit", "export", "--to", "2026-03-05", "--format", "csv", "--output", str(out))
    assert r.code == 0, r.err
    raw_bytes = out.read_bytes()
    assert raw_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for spreadsheets
    rows = list(csv.reader(io.StringIO(raw_bytes.decode("utf-8-sig"))))
    header, body, last = rows[0], rows[1:-1], rows[-1]
    assert header[:3] == ["seq", "ts", "actor"] and len(body) == 7
    evil = body[5]
    assert evil[header.index("actor")] == "'=HYPERLINK(\"http://x\")"
    assert evil[header.index("detail")] == "'+1 then -1"
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in formats.FORMULA_STARTS
    assert last[0] == "# chain head" and int(last[1]) == events(trail_home)[-1]["seq"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))


def test_fhir_bundle_validates(trail_home: Path, tmp_path: Path) -> None:
    bundle_mod = pytest.importorskip("fhir.resources.R4B.bundle")
    out = tmp_path / "audit.json"
    r = run_chartfile(trail_home, "audit", "export", "--format", "fhir", "-o", str(out))
    assert r.code == 0, r.err
    bundle = bundle_mod.Bundle.model_validate_json(out.read_text())
    own = events(trail_home)[-1]
    assert bundle.identifier.value == f"{own['seq']}:{own['hash']}"
    entries = bundle.entry or []
    assert len(entries) == 8
    codes = [e.resource.subtype[0].code for e in entries]
    assert codes[:2] == ["patient.chart_view", "search"] and codes[-1] == "export.audit"
    failed = entries[6].resource
    assert failed.outcome == "4" and failed.outcomeDesc == "item 5"


def test_failure_while_streaming_is_audited_and_leaves_no_file(trail_home: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object, row: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(formats.JsonlEventWriter, "write", boom)
    out = tmp_path / "audit.jsonl"
    r = run_chartfile(trail_home, "audit", "export", "--format", "jsonl", "-o", str(out))
    assert r.code != 0
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
    tail = events(trail_home)[-2:]
    assert [e["event_type"] for e in tail] == ["export.audit", "export.audit"]
    assert [e["outcome"] for e in tail] == ["success", "failure"]
    assert "OSError" in tail[1]["detail"]


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("stdout_tty", "stderr_tty", "to_file", "shown"), [
    (False, False, True, False),  # cron / pipes: never
    (True, True, True, True),  # a terminal, data to a file: bar on stderr
    (True, True, False, False),  # data to the terminal itself: no bar over it
    (False, True, False, True),  # data piped on, stderr still the terminal
])
def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, stdout_tty: bool, stderr_tty: bool,
                                         to_file: bool, shown: bool) -> None:
    from chartfile.cli import audit as audit_cli

    monkeypatch.setattr(audit_cli.sys, "stdout", _Stream(stdout_tty))
    monkeypatch.setattr(audit_cli.sys, "stderr", _Stream(stderr_tty))
    assert audit_cli._show_progress(Path("x.csv") if to_file else None) is shown
