"""Searches never wait for intake: a search issued while a large batch is being indexed returns at once."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from indexer.db.engine import Database
from intake.config import load_config
from search.writer import IndexRecord, SearchIndex, index_pending

from .conftest import Clinic

BATCH = 300  # documents in the one big commit


def _write_batch(home: str, lock_held: Any) -> None:
    """Child process: the intake service indexing a large batch in one commit."""
    cfg = load_config(Path(home), environ={})
    db = Database(cfg)
    index = SearchIndex(cfg)
    upsert = index.upsert

    def signalling_upsert(records: Iterable[IndexRecord]) -> int:
        def stream():  # type: ignore[no-untyped-def]
            for i, rec in enumerate(records):
                if i == 1:
                    lock_held.set()  # the writer holds the index lock and is adding documents
                yield rec
        return upsert(stream())

    index.upsert = signalling_upsert  # type: ignore[method-assign]
    with db.transaction() as s:
        index_pending(s, index)
    db.dispose()


def test_search_during_a_large_ingest_returns(clinic: Clinic) -> None:
    clinic.patient("CF100001", "John", "Smith", date(1961, 3, 4))
    clinic.document("CF100001", ["Hemoglobin A1c 7.2 before the batch"], doc_date=date(2026, 3, 1))
    clinic.auto_index = False
    for i in range(BATCH):
        clinic.document("CF100001", [f"Batch page {i}: hemoglobin normal, lipid panel, " + "filler text " * 60,
                                     "Second page with more hemoglobin " + "words " * 80])
    engine = clinic.engine()
    assert engine.search("hemoglobin").total == 1  # a reader is open before the writer starts

    ctx = mp.get_context("spawn")
    lock_held = ctx.Event()
    writer = ctx.Process(target=_write_batch, args=(str(clinic.cfg.home), lock_held))
    writer.start()
    try:
        assert lock_held.wait(120), "writer never started"
        during: list[tuple[float, int]] = []
        while writer.is_alive():
            t = time.perf_counter()
            total = engine.search("hemoglobin").total
            if writer.is_alive():
                during.append((time.perf_counter() - t, total))
        writer.join(120)
    finally:
        if writer.is_alive():
            writer.kill()
    assert writer.exitcode == 0
    before_commit = [seconds for seconds, total in during if total == 1]
    assert len(before_commit) >= 3, f"only {len(before_commit)} searches finished while the batch was written"
    assert {total for _, total in during} <= {1, BATCH + 1}  # the last commit or the new one, never half a batch
    assert max(seconds for seconds, _ in during) < 5.0
    assert engine.search("hemoglobin").total == BATCH + 1  # and the new commit once it lands
    engine.close()
