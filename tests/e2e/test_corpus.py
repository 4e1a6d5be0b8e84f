"""Every file of the shared odd-file corpus is processed or quarantined with a reason; none stops the service.

The corpus (``../shared/corpus``: encrypted, malformed and fuzzed PDFs,
decompression bombs, hostile TIFFs, HEIC, scans, forms, and the text/JSON
files beside them) goes through ``ingest`` with two OCR workers.  Limits are
set a little tighter than the defaults (fewer pages, fewer pixels, lower OCR
resolution) so the run stays short; they are the same knobs an office can set.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from chartfile.service.checks import check
from chartfile.service.runner import ingest
from indexer.db.models import IntakeItem
from intake.spool import reason_sidecar
from tests.e2e.helpers import CORPUS, make_home


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_every_corpus_file_is_processed_or_quarantined_with_a_reason(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present beside the repository")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    cfg, db = make_home(tmp_path, max_pages=12, max_page_pixels=40_000_000, page_timeout_seconds=45.0)
    cfg.ocr.target_dpi = 150  # robustness, not OCR accuracy, is under test here: keep pages cheap
    started = time.monotonic()
    outcomes = ingest(cfg, db, files)
    seconds = time.monotonic() - started
    assert len(outcomes) == len(files), "some corpus files got no outcome"

    copies = Counter(_sha(p) for p in files)
    with db.session() as s:
        items = list(s.scalars(select(IntakeItem).order_by(IntakeItem.id)))
    assert len(items) == len(files)
    reasons: Counter[str] = Counter()
    for path, item in zip(files, items, strict=True):
        assert item.original_name == path.name
        if item.state == "duplicate":
            assert copies[item.sha256 or ""] > 1, f"{path.name}: duplicate of nothing in the corpus"
            continue
        assert item.state in ("processed", "quarantined"), (path.name, item.state)
        if item.state == "quarantined":
            assert item.reason, path.name
            assert reason_sidecar(cfg.home / (item.stored_path or "")).is_file(), path.name
            reasons[item.reason.split(".")[0][:60]] += 1
    report = check(cfg, db)
    assert report.ok and report.unfinished == 0, report.problems
    states = Counter(i.state for i in items)
    print(f"\ncorpus: {len(files)} files in {seconds:.0f} s: {dict(states)}")
    for reason, n in reasons.most_common():
        print(f"  {n:4d}  {reason}")
