"""Per-patient evidence of bulk exports: every export names the documents (compactly) and shows per patient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.audit.ids import decode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import events
from tests.integration.test_roi_support import MRN, OTHER_MRN, make_home


def test_documents_export_appears_in_each_patients_access_report(tmp_path: Path) -> None:
    root = tmp_path
    assert run_chartfile(root / "home", "init").code == 0
    home = make_home(root)  # Alice (CF100001) has four documents, Bob (CF100002) one
    home.db.dispose()
    out = run_chartfile(root / "home", "documents", "export", "-o", str(root / "all.jsonl"))
    assert out.code == 0, out.err
    export = [e for e in events(root / "home") if e["event_type"] == "export.documents"][-1]
    assert decode(export["document_ids"]) == set(home.docs.values())
    assert export["outcome"] == "success" and MRN in export["detail"] and OTHER_MRN in export["detail"]
    for mrn, docs in ((MRN, {"lab", "note", "imaging", "old_note"}), (OTHER_MRN, {"bob_lab"})):
        r = run_chartfile(root / "home", "audit", "access-report", mrn, "--format", "jsonl")
        rows = [json.loads(line) for line in r.out.splitlines()][:-1]
        [seen] = [row for row in rows if row["event_type"] == "export.documents"]
        assert seen["via"] == "documents" and decode(seen["document_ids"]) == {home.docs[d] for d in docs}


def test_a_failed_export_is_recorded_as_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path
    assert run_chartfile(root / "home", "init").code == 0
    home = make_home(root)
    home.db.dispose()
    (root / "all.jsonl").mkdir()  # the target is a folder: writing must fail
    r = run_chartfile(root / "home", "documents", "export", "-o", str(root / "all.jsonl"))
    assert r.code == 2 and "is a folder" in r.err  # refused before anything is disclosed
    assert not [e for e in events(root / "home") if e["event_type"] == "export.documents"]
    def disk_full(rows: object, out: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("chartfile.service.disclosure.write_json_lines", disk_full)
    r = run_chartfile(root / "home", "documents", "export", "-o", str(root / "x.jsonl"))
    assert r.code == 3 and "No space left on device" in r.err and "Traceback" not in r.err
    assert not (root / "x.jsonl").exists() and not list(root.glob(".x.jsonl.*"))
    exports = [e for e in events(root / "home") if e["event_type"] == "export.documents"]
    assert [e["outcome"] for e in exports] == ["success", "failure"]  # recorded before, and its failure after
