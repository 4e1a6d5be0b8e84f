"""The whole office on PostgreSQL: init, roster, intake with real tesseract, review, search, exports, checks.

The same commands a clerk runs on SQLite, with ``database_url`` pointing at a
real PostgreSQL server (tests/pgcluster.py starts a private one on a Unix
socket).  Proves the schema, migrations, the single-writer paths, the audit
chain and the integrity checks are portable, not just the audit table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_chartfile
from tests.integration.test_pipeline_e2e import LAB_LINES, ROSTER, make_fax_tiff, make_text_pdf

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract binary not installed")


def test_office_runs_on_postgresql(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTFILE_DATABASE_URL", pg_url)
    home = tmp_path / "home"

    def chartfile(*args: str) -> CliResult:
        return run_chartfile(home, *args)

    (tmp_path / "roster.csv").write_text(ROSTER)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "roster.csv")).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    make_fax_tiff(drop / "echo.tif", LAB_LINES)
    # a letter naming a patient without any identifier the roster can confirm: review, never a guess
    make_text_pdf(drop / "letter.pdf", ["CONSULTATION NOTE", "Patient: Chidi", "Seen today for follow-up.",
                                        "Plan: continue current medication."])
    (drop / "broken.pdf").write_text("<html>not a pdf</html>")
    r = chartfile("ingest", str(drop))
    assert r.code == 0, r.err

    intake = {row["source"]: row for row in chartfile("intake", "export").json_lines()}
    assert [intake[n]["status"] for n in ("echo.tif", "letter.pdf", "broken.pdf")] == \
        ["processed", "processed", "quarantined"]
    docs = {row["source"]: row for row in chartfile("documents", "export").json_lines()}
    assert docs["echo.tif"]["status"] == "filed" and docs["echo.tif"]["patient_mrn"] == "CF104233"
    assert docs["letter.pdf"]["status"] == "review"

    items = json.loads(chartfile("review", "list", "--json").out)
    assert len(items) == 1
    filed = chartfile("review", "file", str(items[0]["review_id"]), "--mrn", "CF200417")
    assert filed.code == 0, filed.err
    assert json.loads(chartfile("review", "list", "--json").out) == []

    hits = json.loads(chartfile("search", "patient:okonkwo", "--json").out)["hits"]
    assert [h["doc_id"] for h in hits] == [docs["letter.pdf"]["document_id"]]
    shown = chartfile("patients", "show", "CF104233", "--json")
    assert shown.code == 0 and str(docs["echo.tif"]["document_id"]) in shown.out

    check = chartfile("intake", "check")
    assert check.code == 0, check.out + check.err
    verify = chartfile("audit", "verify")
    assert verify.code == 0, verify.out + verify.err
    # the data home holds no SQLite database: everything went to PostgreSQL
    assert chartfile("status").code == 0
    assert not (home / "chartfile.db").exists()
