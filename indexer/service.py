"""The intake service: runs the steps of :mod:`intake.steps` for every owned file.

This process is the single writer: it owns the ledger, the database and the
index.  Work is fanned out page by page to a :class:`~intake.pool.WorkerPool`
(compute only, per-task deadlines), so pages of every file in flight keep all
cores busy.  Results are applied here, one file per transaction; the file is
then moved to where its new state says (:func:`indexer.ledger.place_file`).

Failures follow :mod:`indexer.failures`: rejected files are quarantined at
once, crashes/timeouts/transient errors are retried with backoff up to
``intake.max_attempts``.  A re-send whose original is still in flight waits
for it (then becomes a duplicate, or is processed if the original failed).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer import failures
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from indexer.filing import load_roster, record_extracted
from indexer.ledger import (
    UNFINISHED_STATES,
    check_transition,
    locate,
    mark_duplicate,
    mark_quarantined,
    place_file,
    same_content,
    transition,
    unfinished,
)
from indexer.matching import Roster
from indexer.patients import roster_lexicon, roster_version
from indexer.searchindex import SearchIndex, index_pending
from intake import workers
from intake.config import Config
from intake.errors import DependencyError, FileRejected
from intake.model import ExtractedFile, PageText
from intake.pool import TaskResult, WorkerPool
from intake.sniff import sniff_file

log = logging.getLogger(__name__)

ROSTER_CHECK_SECONDS = 5.0
INDEX_EVERY_SECONDS = 0.5
CAPACITY_PER_WORKER = 4  # pages in flight per worker before new files wait
PLAN_MB_PER_TIMEOUT = 10.0  # opening a file may take one more page timeout per this many MB
ENTITY_PAGES_PER_TIMEOUT = 20.0  # entity extraction may take one page timeout per this many pages


@dataclass
class InFlight:
    """A file being worked on."""

    item_id: int
    path: Path
    kind: str
    started: float
    jobs: list[Any] = field(default_factory=list)
    pages: dict[int, PageText] = field(default_factory=dict)
    stage: str = "file"


@dataclass
class Stats:
    """Counters for status reporting."""

    files_done: int = 0
    pages_done: int = 0
    quarantined: int = 0
    duplicates: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)

    def pages_per_minute(self) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return self.pages_done * 60.0 / elapsed


class IntakeService:
    """Drives owned intake items through the pipeline with a worker pool."""

    def __init__(self, cfg: Config, db: Database, index: SearchIndex | None = None,
                 on_outcome: Callable[[int, str], None] | None = None, worker_hook: str | None = None) -> None:
        self.cfg = cfg
        self.db = db
        self.index = index or SearchIndex(cfg)
        self.on_outcome = on_outcome
        self.worker_hook = worker_hook
        self.stats = Stats()
        self.feeding = True
        self._pool: WorkerPool | None = None
        self._tasks: dict[int, tuple[int, str, int | None, float]] = {}  # task -> (item, stage, page, timeout)
        self._inflight: dict[int, InFlight] = {}
        self._waiting: deque[int] = deque()  # received items waiting for capacity
        self._held: dict[int, int] = {}  # item -> earlier item with the same content still in flight
        self._later: dict[int, tuple[float, Callable[[], None]]] = {}  # item -> (due, action)
        self._writer_failures: dict[int, int] = {}
        self._roster: Roster | None = None
        self._roster_version: tuple[int, str] | None = None
        self._roster_checked = 0.0
        self._index_dirty = True
        self._last_index = 0.0

    # ----- pool and roster -------------------------------------------------
    def _ensure_pool(self) -> WorkerPool:
        now = time.monotonic()
        if self._pool is not None and now - self._roster_checked < ROSTER_CHECK_SECONDS:
            return self._pool
        self._roster_checked = now
        version = roster_version(self.db)
        if self._pool is None:
            self._roster_version = version
            self._pool = WorkerPool(self.cfg.worker_count, workers.init_worker,
                                    (self.cfg, roster_lexicon(self.cfg, self.db)), hook=self.worker_hook)
        elif version != self._roster_version:
            log.info("roster changed; workers restart with the new names")
            self._roster_version = version
            self._roster = None
            self._pool.reinit((self.cfg, roster_lexicon(self.cfg, self.db)))
        return self._pool

    def start(self) -> None:
        """Start the workers now (they take a few seconds to be ready) rather than at the first file."""
        self._ensure_pool()

    def roster(self) -> Roster:
        if self._roster is None:
            with self.db.session() as s:
                self._roster = load_roster(s)
        return self._roster

    # ----- queueing --------------------------------------------------------
    @property
    def inflight_pages(self) -> int:
        return sum(max(len(f.jobs) - len(f.pages), 1) for f in self._inflight.values())

    def _limit(self) -> int:
        return CAPACITY_PER_WORKER * self.cfg.worker_count

    def has_capacity(self) -> bool:
        """True when a newly claimed file would start soon (callers claim only then)."""
        return self.feeding and self.inflight_pages + len(self._waiting) < self._limit()

    def known(self, item_id: int) -> bool:
        return (item_id in self._inflight or item_id in self._held or item_id in self._later
                or item_id in self._waiting)

    def idle(self) -> bool:
        return not (self._inflight or self._waiting or self._held or self._later)

    def enqueue(self, item_id: int) -> None:
        """Process a received item when there is capacity."""
        if not self.known(item_id):
            self._waiting.append(item_id)

    def requeue_unfinished(self) -> int:
        """Pick up unfinished items this service does not know (a clerk's retry, a released hold)."""
        n = 0
        for item_id in unfinished(self.db):
            if not self.known(item_id):
                self.enqueue(item_id)
                n += 1
        return n

    def stop_feeding(self) -> None:
        """Start nothing new (graceful stop); waiting, held and retrying items stay received.

        Work in hand (including a commit waiting to be retried) is finished.
        """
        self.feeding = False
        self._waiting.clear()
        self._held.clear()
        self._later = {i: later for i, later in self._later.items() if i in self._inflight}

    def _feed(self) -> None:
        while self.feeding and self._waiting and self.inflight_pages < self._limit():
            self.submit(self._waiting.popleft())

    # ----- starting an item -------------------------------------------------
    def submit(self, item_id: int) -> None:
        """Start work on a received item (duplicate and sniff checks happen here).

        A pool that cannot start is the service's problem, not the file's: that
        error propagates and the item stays received.
        """
        pool = self._ensure_pool()
        try:
            self._start(pool, item_id)
        except Exception as exc:  # noqa: BLE001 - transient or not, the item must not be lost
            self._writer_trouble(item_id, exc, lambda: self.submit(item_id))

    def _start(self, pool: WorkerPool, item_id: int) -> None:
        kind, size = "", 0
        with self.db.transaction() as s:
            item = s.get(IntakeItem, item_id)
            if item is None or item.state != "received":
                return
            other = same_content(s, item)
            if other is not None and other.state in UNFINISHED_STATES:
                self._held[item_id] = other.id
                log.info("intake item %s waits for item %s with the same content", item_id, other.id)
                return
            path = locate(self.cfg, item)
            if other is not None:
                mark_duplicate(s, item, other)
                outcome = "duplicate"
            elif path is None:
                mark_quarantined(s, item, "The stored file is missing; it may have been removed by hand.")
                outcome = "quarantined"
            else:
                try:
                    kind = sniff_file(path, self.cfg, item.original_name)
                except FileRejected as exc:
                    mark_quarantined(s, item, exc.reason)
                    outcome = "quarantined"
                else:
                    item.kind, size = kind, item.size or 0
                    transition(item, "processing")
                    item.attempts += 1
                    outcome = ""
        self._writer_failures.pop(item_id, None)
        if outcome:
            self._settled(item_id, outcome)
            return
        assert path is not None
        self._inflight[item_id] = InFlight(item_id, path, kind, time.monotonic())
        # plan, and for a one-page file also read + entities, in one task: one limit for open + 1 page
        self._submit_task(pool, item_id, "file", None, workers.read_file, str(path), kind,
                          weight=2.0 + size / 1_048_576 / PLAN_MB_PER_TIMEOUT)

    def _submit_task(self, pool: WorkerPool, item_id: int, stage: str, page: int | None,
                     fn: Callable[..., Any], *args: Any, weight: float = 1.0) -> None:
        timeout = self.cfg.intake.page_timeout_seconds * weight
        task_id = pool.submit(fn, *args, tag=item_id, timeout=timeout)
        self._tasks[task_id] = (item_id, stage, page, timeout)

    # ----- completing ------------------------------------------------------
    def pump(self, timeout: float = 0.2) -> int:
        """Start waiting items, apply finished work, run due retries; returns results handled."""
        self._run_due()
        self._feed()
        handled = 0
        if self._pool is not None and not self._pool.idle():
            for result in self._pool.poll(timeout):
                handled += 1
                self._handle(result)
        elif timeout > 0:
            time.sleep(min(timeout, self._next_due()))
        self._run_due()
        self._feed()
        self._maybe_index()
        return handled

    def _handle(self, result: TaskResult) -> None:
        item_id, stage, page, timeout = self._tasks.pop(result.task_id, (-1, "?", None, 0.0))
        flight = self._inflight.get(item_id)
        if flight is None:
            return
        if not result.ok:
            assert result.error is not None
            if isinstance(result.error, DependencyError):
                raise result.error  # tesseract missing: the installation's fault, not the file's
            self._failed(item_id, failures.classify(result.error, stage, page, timeout))
            return
        pool = self._ensure_pool()
        if stage == "file":
            work: workers.FileWork = result.value
            flight.jobs = list(work.jobs)
            if work.pages is not None and work.entities is not None:
                flight.pages = {p.number: p for p in work.pages}
                extracted = ExtractedFile(item_id, work.pages, work.entities, time.monotonic() - flight.started)
                self._commit(flight, extracted)
                return
            flight.stage = "pages"
            for job in flight.jobs:
                self._submit_task(pool, item_id, "page", job.number, workers.read_one_page, job)
        elif stage == "page":
            flight.pages[result.value.number] = result.value
            if len(flight.pages) == len(flight.jobs):
                flight.stage = "entities"
                ordered = [flight.pages[n] for n in sorted(flight.pages)]
                self._submit_task(pool, item_id, "entities", None, workers.extract_entities, ordered,
                                  weight=max(1.0, len(ordered) / ENTITY_PAGES_PER_TIMEOUT))
        elif stage == "entities":
            ordered = [flight.pages[n] for n in sorted(flight.pages)]
            extracted = ExtractedFile(item_id, ordered, result.value, time.monotonic() - flight.started)
            self._commit(flight, extracted)

    def _commit(self, flight: InFlight, extracted: ExtractedFile) -> None:
        try:
            roster = self.roster()
            with self.db.transaction() as s:
                item = s.get_one(IntakeItem, flight.item_id)
                check_transition(item.state, "processed")
                record_extracted(s, self.cfg, item, extracted, roster)
        except Exception as exc:  # noqa: BLE001 - keep the result and try again later
            if failures.is_transient(exc):
                self._writer_trouble(flight.item_id, exc, lambda: self._commit(flight, extracted))
            else:
                log.exception("intake item %s: recording the results failed", flight.item_id)
                self._failed(flight.item_id, failures.Verdict(
                    f"Recording the results failed ({type(exc).__name__}); the file was kept.", False))
            return
        self._inflight.pop(flight.item_id, None)
        self._writer_failures.pop(flight.item_id, None)
        self.stats.files_done += 1
        self.stats.pages_done += len(extracted.pages)
        self._index_dirty = True
        self._settled(flight.item_id, "processed")

    def _failed(self, item_id: int, verdict: failures.Verdict) -> None:
        """A worker-side failure: quarantine now or after the last attempt, else retry with backoff."""
        self._forget_tasks(item_id)
        try:
            with self.db.transaction() as s:
                item = s.get_one(IntakeItem, item_id)
                item.last_error = verdict.reason
                attempts = item.attempts
                if verdict.final or attempts >= self.cfg.intake.max_attempts:
                    mark_quarantined(s, item, failures.final_reason(verdict, attempts))
                    outcome = "quarantined"
                else:
                    transition(item, "received")
                    outcome = "retry"
        except Exception as exc:  # noqa: BLE001 - recorded at the next start at the latest
            log.error("intake item %s: could not record a failure (%s); left for the next start",
                      item_id, failures.describe(exc))
            return
        if outcome == "retry":
            delay = failures.backoff(attempts)
            self.stats.retries += 1
            log.warning("intake item %s: attempt %d failed; retrying in %.0f s", item_id, attempts, delay)
            self._later[item_id] = (time.monotonic() + delay, lambda: self.enqueue(item_id))
        else:
            self._settled(item_id, outcome)

    def _writer_trouble(self, item_id: int, exc: Exception, again: Callable[[], None]) -> None:
        """A database or disk problem in this process: retry with backoff, a bounded number of times."""
        n = self._writer_failures.get(item_id, 0) + 1
        self._writer_failures[item_id] = n
        transient = failures.is_transient(exc)
        if not transient:
            log.exception("intake item %s: unexpected error in the writer", item_id)
        if n > failures.WRITER_RETRIES or not transient:
            self._writer_failures.pop(item_id, None)
            self._give_up(item_id, f"Chartfile could not handle the file ({failures.describe(exc)}).")
            return
        delay = failures.backoff(n)
        log.warning("intake item %s: %s; retrying in %.0f s", item_id, failures.describe(exc), delay)
        self._later[item_id] = (time.monotonic() + delay, again)

    def _forget_tasks(self, item_id: int) -> None:
        self._inflight.pop(item_id, None)
        if self._pool is not None:
            self._pool.cancel(item_id)
        for task_id in [t for t, v in self._tasks.items() if v[0] == item_id]:
            del self._tasks[task_id]

    def _give_up(self, item_id: int, reason: str) -> None:
        """Quarantine after repeated writer-side trouble; if even that fails, leave it for the next start."""
        self._forget_tasks(item_id)
        try:
            with self.db.transaction() as s:
                item = s.get_one(IntakeItem, item_id)
                if item.state not in UNFINISHED_STATES:
                    return
                mark_quarantined(s, item, reason)
        except Exception as exc:  # noqa: BLE001
            log.error("intake item %s: giving up for now (%s); it is resumed at the next start",
                      item_id, failures.describe(exc))
            return
        self._settled(item_id, "quarantined")

    def _settled(self, item_id: int, outcome: str) -> None:
        """The item has its outcome in the database: move its file, tell the caller, release waiters."""
        try:
            place_file(self.db, self.cfg, item_id)
        except Exception as exc:  # noqa: BLE001 - recovery moves it at the next start
            log.error("intake item %s: file not moved yet (%s)", item_id, failures.describe(exc))
        if outcome == "quarantined":
            self.stats.quarantined += 1
        elif outcome == "duplicate":
            self.stats.duplicates += 1
        for waiter in [w for w, original in self._held.items() if original == item_id]:
            del self._held[waiter]
            self.enqueue(waiter)
        if self.on_outcome is not None:
            self.on_outcome(item_id, outcome)

    # ----- timers and index --------------------------------------------------
    def _next_due(self) -> float:
        if not self._later:
            return 0.2
        return max(0.0, min(due for due, _ in self._later.values()) - time.monotonic())

    def _run_due(self) -> None:
        now = time.monotonic()
        for item_id, (due, action) in sorted(self._later.items(), key=lambda kv: kv[1][0]):
            if due <= now and (self.feeding or item_id in self._inflight):
                del self._later[item_id]
                action()

    def _maybe_index(self) -> None:
        now = time.monotonic()
        if not self._index_dirty or (now - self._last_index < INDEX_EVERY_SECONDS and self._inflight):
            return
        self.index_now()

    def index_now(self) -> int:
        """Write documents not yet in the search index; a failure is retried at the next pump."""
        self._last_index = time.monotonic()
        try:
            with self.db.transaction() as s:
                n = index_pending(s, self.index)
        except Exception as exc:  # noqa: BLE001 - the database is the truth; the index catches up
            log.error("search index update failed (%s); will retry", failures.describe(exc))
            return 0
        self._index_dirty = False
        return n

    def close(self) -> None:
        """Stop the workers; items still in flight stay 'processing' and are resumed at the next start."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
