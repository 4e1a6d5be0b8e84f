"""Regression gate: a fixed slice of the independent evaluation corpus is filed with 0 misfiles.

``tests/eval_slice/`` holds 34 inbox files (49 pages: fine and standard faxes,
scanned and text PDFs, a photo, a screenshot, multi-patient faxes, packets,
must-review documents, bad inputs, an exact duplicate) drawn at random within
strata from ``../shared/eval/dev-s11`` by ``python -m benchmarks.make_slice``,
with their truth lines, the whole 600-patient roster and a copy of the corpus
scorer (``score.py``, unchanged from ``shared/eval/score.py``).  The slice runs
as a new office would — fresh home, default settings, ``init``, ``patients
import``, ``ingest``, both exports — with real tesseract, and the scorer's
numbers must hold: not one misfile, every must-review document in review,
nothing lost, bad inputs quarantined, the duplicate recorded, and at least the
share of fileable documents filed that the product reached when the slice was
cut (raise it as filing improves; never lower it to let a change land).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_chartfile

SLICE = Path(__file__).resolve().parents[1] / "eval_slice"
MIN_FILED_CORRECT = 0.90  # fileable documents auto-filed to the right patient (30 / 31 when the slice was cut)
MIN_WORDS_FOUND = 0.85  # 1 - truth words missing from the OCR text (0.888 when the slice was cut)


@pytest.mark.slow
def test_eval_slice_files_with_no_misfile(tmp_path: Path) -> None:
    home = tmp_path / "office"
    assert run_chartfile(home, "init").code == 0
    imported = run_chartfile(home, "patients", "import", str(SLICE / "roster.csv"))
    assert imported.code == 0, imported.err
    assert "MRN format learned from 600 roster MRNs: 8 digits" in imported.out
    drop = tmp_path / "drop"
    shutil.copytree(SLICE / "inbox", drop)
    ingested = run_chartfile(home, "ingest", str(drop))
    assert ingested.code == 0, ingested.err
    docs, intake = tmp_path / "docs.jsonl", tmp_path / "intake.jsonl"
    for what, path in (("documents", docs), ("intake", intake)):
        out = run_chartfile(home, what, "export", "--format", "jsonl")
        assert out.code == 0, out.err
        path.write_text(out.out, encoding="utf-8")
    metrics_path = tmp_path / "metrics.json"
    scored = subprocess.run([sys.executable, str(SLICE / "score.py"), str(SLICE), str(docs), str(intake), "-v",
                             "--json", str(metrics_path)], capture_output=True, text=True, timeout=300)
    assert scored.returncode == 0, scored.stderr
    m = json.loads(metrics_path.read_text(encoding="utf-8"))
    report = scored.stdout[-6000:]
    assert m["misfiled"] == 0, report
    assert m["lost"] == [], report
    assert m["review_correct"] == m["review_total"], report
    assert m["filed_correct"] >= MIN_FILED_CORRECT * m["filed_total"], report
    assert m["bad_inputs"][0] == m["bad_inputs"][1], report
    assert m["duplicates"][0] == m["duplicates"][1], report
    assert m["words_missing"] <= 1 - MIN_WORDS_FOUND, report
