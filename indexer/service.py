"""The intake service: runs the steps of :mod:`intake.steps` for every owned file.

This process is the single writer: it owns the ledger, the database and the
index.  Work is fanned out to a pool of worker processes page by page, so
pages of every file in flight keep all cores busy.  Completed work comes back
through a queue and is applied here, one file per transaction.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.db.engine import Database
from indexer.db.models import IntakeItem, utcnow
from indexer.filing import load_roster, record_extracted
from indexer.ledger import find_original, item_path, mark_duplicate, move_item_file, quarantine
from indexer.matching import Roster
from indexer.patients import gazetteer, roster_version
from indexer.searchindex import SearchIndex, index_pending
from intake import workers
from intake.config import Config
from intake.errors import FileRejected
from intake.model import ExtractedFile, PageText
from intake.sniff import sniff_file

log = logging.getLogger(__name__)


@dataclass
class InFlight:
    """A file being worked on."""

    item_id: int
    path: Path
    kind: str
    started: float
    jobs: list[Any] = field(default_factory=list)
    pages: dict[int, PageText] = field(default_factory=dict)
    stage: str = "plan"


@dataclass
class Stats:
    """Counters for status reporting."""

    files_done: int = 0
    pages_done: int = 0
    quarantined: int = 0
    duplicates: int = 0
    started: float = field(default_factory=time.monotonic)

    def pages_per_minute(self) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return self.pages_done * 60.0 / elapsed


class IntakeService:
    """Drives owned intake items through the pipeline with a worker pool."""

    def __init__(self, cfg: Config, db: Database, index: SearchIndex | None = None,
                 on_outcome: Callable[[int, str], None] | None = None) -> None:
        self.cfg = cfg
        self.db = db
        self.index = index or SearchIndex(cfg)
        self.on_outcome = on_outcome
        self.stats = Stats()
        self._events: queue.Queue[tuple[int, str, Future[Any]]] = queue.Queue()
        self._inflight: dict[int, InFlight] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._roster: Roster | None = None
        self._roster_version: tuple[int, str] | None = None
        self._roster_checked = 0.0

    # ----- pool and roster -------------------------------------------------
    def _ensure_pool(self) -> ProcessPoolExecutor:
        now = time.monotonic()
        if self._pool is not None and now - self._roster_checked < 5.0:
            return self._pool
        self._roster_checked = now
        version = roster_version(self.db)
        if self._pool is not None and version != self._roster_version:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._pool is None:
            self._roster_version = version
            self._roster = None
            self._pool = ProcessPoolExecutor(
                max_workers=self.cfg.worker_count,
                initializer=workers.init_worker,
                initargs=(self.cfg, gazetteer(self.db)),
            )
        return self._pool

    def roster(self) -> Roster:
        if self._roster is None:
            with self.db.session() as s:
                self._roster = load_roster(s)
        return self._roster

    # ----- submitting ------------------------------------------------------
    @property
    def inflight_pages(self) -> int:
        return sum(max(len(f.jobs) - len(f.pages), 1) for f in self._inflight.values())

    def has_capacity(self) -> bool:
        return self.inflight_pages < 4 * self.cfg.worker_count

    def idle(self) -> bool:
        return not self._inflight and self._events.empty()

    def submit(self, item_id: int) -> None:
        """Start work on a received item (duplicate and sniff checks happen here)."""
        pool = self._ensure_pool()
        with self.db.transaction() as s:
            item = s.get_one(IntakeItem, item_id)
            path = item_path(self.cfg, item)
            original = find_original(s, item)
            if original is not None:
                mark_duplicate(s, self.cfg, item, original)
                self._outcome(item_id, "duplicate")
                return
            if path is None or not path.exists():
                quarantine(s, self.cfg, item, "The stored file is missing; it may have been removed by hand.")
                self._outcome(item_id, "quarantined")
                return
            try:
                kind = sniff_file(path, self.cfg, item.original_name)
            except FileRejected as exc:
                quarantine(s, self.cfg, item, exc.reason)
                self._outcome(item_id, "quarantined")
                return
            item.kind = kind
            item.state = "processing"
            item.attempts += 1
        flight = InFlight(item_id, path, kind, time.monotonic())
        self._inflight[item_id] = flight
        self._submit(pool, item_id, "plan", workers.plan_file, str(path), kind)

    def _submit(self, pool: ProcessPoolExecutor, item_id: int, stage: str, fn: Callable[..., Any],
                *args: Any) -> None:
        fut = pool.submit(fn, *args)
        fut.add_done_callback(lambda f: self._events.put((item_id, stage, f)))

    # ----- completing ------------------------------------------------------
    def pump(self, timeout: float = 0.2) -> int:
        """Apply finished work; returns the number of events handled."""
        handled = 0
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                item_id, stage, fut = self._events.get(timeout=max(remaining, 0.0) if handled == 0 else 0.0)
            except queue.Empty:
                break
            handled += 1
            self._handle(item_id, stage, fut)
        if handled:
            self._index_new()
        return handled

    def _handle(self, item_id: int, stage: str, fut: Future[Any]) -> None:
        flight = self._inflight.get(item_id)
        if flight is None:
            return
        try:
            result = fut.result()
        except FileRejected as exc:
            self._fail(item_id, exc.reason, final=True)
            return
        except BrokenProcessPool:
            self._pool = None
            self._fail(item_id, "The OCR worker crashed while reading this file.", final=False)
            return
        except Exception as exc:  # noqa: BLE001 - any worker failure becomes a recorded outcome
            log.exception("item %s failed in stage %s", item_id, stage)
            self._fail(item_id, f"Processing failed ({type(exc).__name__}); the file was kept.", final=False)
            return
        pool = self._ensure_pool()
        if stage == "plan":
            flight.jobs = list(result)
            flight.stage = "pages"
            for job in flight.jobs:
                self._submit(pool, item_id, "page", workers.read_one_page, job)
        elif stage == "page":
            flight.pages[result.number] = result
            if len(flight.pages) == len(flight.jobs):
                flight.stage = "entities"
                ordered = [flight.pages[n] for n in sorted(flight.pages)]
                self._submit(pool, item_id, "entities", workers.extract_entities, ordered)
        elif stage == "entities":
            ordered = [flight.pages[n] for n in sorted(flight.pages)]
            extracted = ExtractedFile(item_id, ordered, result, time.monotonic() - flight.started)
            self._finish(flight, extracted)

    def _finish(self, flight: InFlight, extracted: ExtractedFile) -> None:
        roster = self.roster()
        with self.db.transaction() as s:
            item = s.get_one(IntakeItem, flight.item_id)
            record_extracted(s, self.cfg, item, extracted, roster)
            archive = self.cfg.archive_dir / utcnow().strftime("%Y/%m")
            move_item_file(self.cfg, item, archive)
        del self._inflight[flight.item_id]
        self.stats.files_done += 1
        self.stats.pages_done += len(extracted.pages)
        self._outcome(flight.item_id, "processed")

    def _fail(self, item_id: int, reason: str, final: bool) -> None:
        self._inflight.pop(item_id, None)
        with self.db.transaction() as s:
            item = s.get_one(IntakeItem, item_id)
            item.last_error = reason
            if final or item.attempts >= self.cfg.intake.max_attempts:
                quarantine(s, self.cfg, item, reason)
                outcome = "quarantined"
            else:
                item.state = "received"
                outcome = "retry"
        if outcome == "retry":
            self.submit(item_id)
        else:
            self.stats.quarantined += 1
            self._outcome(item_id, outcome)

    def _index_new(self) -> None:
        with self.db.transaction() as s:
            index_pending(s, self.index)

    def _outcome(self, item_id: int, outcome: str) -> None:
        if outcome == "duplicate":
            self.stats.duplicates += 1
        if self.on_outcome is not None:
            self.on_outcome(item_id, outcome)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
