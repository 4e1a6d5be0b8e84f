"""The intake service: executes the steps of :mod:`intake.steps`, in their order, for every owned file.

This process is the single writer of the ledger and intake's rows; the
search index's one writer (``search.writer``) is injected as ``index_hook``
and called after each commit and every few seconds.  Work is fanned out page
by page to a :class:`~intake.pool.WorkerPool` (compute only, per-task
deadlines).  Results are applied here, one file per transaction; the file is
then moved to where its new state says (:func:`indexer.ledger.place_file`).

What the service knows of each file is one
:class:`~indexer.intake_items.ItemState`; it runs one handler per step from
:data:`intake.steps.SERVICE_ENTRY` on, in the order of :data:`intake.steps.STEPS`.
Every change of an item's state goes through the ledger (:mod:`indexer.ledger`).

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
from typing import Any

from indexer import failures
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from indexer.filing import record_extracted
from indexer.intake_items import IndexCadence, ItemState, Stats, Task, Workers
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
from indexer.matching import split_and_match
from indexer.states import IntakeState
from intake import claim, workers
from intake.config import Config
from intake.errors import DependencyError
from intake.model import ExtractedFile
from intake.pool import TaskResult
from intake.steps import SERVICE_STEPS, Go, StepName, following

log = logging.getLogger(__name__)

CAPACITY_PER_WORKER = 4  # pages in flight per worker before new files wait
PLAN_MB_PER_TIMEOUT = 10.0  # opening a file may take one more page timeout per this many MB
ENTITY_PAGES_PER_TIMEOUT = 20.0  # entity extraction may take one page timeout per this many pages
_STAGE = {StepName.PLAN: "file", StepName.READ_PAGES: "page", StepName.ENTITIES: "entities"}  # failure wording
_RECORDING = (StepName.MATCH, StepName.COMMIT)  # writer steps on a worker result: retried, or the file kept
_OUTCOMES = (StepName.DUPLICATE, StepName.SNIFF, StepName.COMMIT)  # steps that may record an item's outcome


class IntakeService:
    """Drives owned intake items through the pipeline with a worker pool."""

    def __init__(self, cfg: Config, db: Database, index_hook: Callable[[], int | None] | None = None,
                 on_outcome: Callable[[int, str], None] | None = None, worker_hook: str | None = None,
                 source_unchanged: Callable[[int], bool] | None = None) -> None:
        self.cfg = cfg
        self.db = db
        self.index_hook = index_hook  # writes pending documents to the search index; None = nobody here
        self.on_outcome = on_outcome
        # asked before an outcome is recorded: is the item's inbox file still the version taken? (watch)
        self.source_unchanged = source_unchanged
        self.worker_hook = worker_hook
        self.stats = Stats()
        self.feeding = True
        self._workers = Workers(cfg, db, worker_hook)
        self._items: dict[int, ItemState] = {}  # every item the service knows, one state object each
        self._queue: deque[int] = deque()  # items waiting for capacity, in order
        self._indexing = IndexCadence(index_hook)
        self._steps: dict[StepName, Callable[[ItemState], Go]] = {
            StepName.DUPLICATE: self._duplicate, StepName.SNIFF: self._sniff, StepName.PLAN: self._plan,
            StepName.READ_PAGES: self._read_pages, StepName.ENTITIES: self._entities,
            StepName.MATCH: self._match, StepName.COMMIT: self._commit, StepName.ARCHIVE: self._archive,
            StepName.INDEX: self._index,
        }
        assert tuple(self._steps) == SERVICE_STEPS, "one handler per service step, in the order of STEPS"

    def start(self) -> None:
        """Start the workers now (they take a few seconds to be ready) rather than at the first file."""
        self._workers.ensure()

    # ----- queueing --------------------------------------------------------
    @property
    def inflight_pages(self) -> int:
        return sum(st.pages_outstanding() for st in self._items.values() if st.in_flight)

    def _limit(self) -> int:
        return CAPACITY_PER_WORKER * self.cfg.worker_count

    def has_capacity(self) -> bool:
        """True when a newly claimed file would start soon (callers claim only then)."""
        return self.feeding and self.inflight_pages + len(self._queue) < self._limit()

    def known(self, item_id: int) -> bool:
        return item_id in self._items

    def idle(self) -> bool:
        return not self._items

    def enqueue(self, item_id: int) -> None:
        """Process a received item when there is capacity."""
        if item_id not in self._items:
            self._wait_for_capacity(ItemState(item_id))

    def _wait_for_capacity(self, st: ItemState) -> None:
        st.step, st.waiting, st.held_by = StepName.DUPLICATE, True, None
        self._items[st.item_id] = st
        self._queue.append(st.item_id)

    def requeue_unfinished(self) -> int:
        """Pick up unfinished items this service does not know (a clerk's retry, a released hold)."""
        n = 0
        for item_id in unfinished(self.db):
            if not self.known(item_id):
                self.enqueue(item_id)
                n += 1
        return n

    def forget(self, item_id: int) -> None:
        """Drop an item and its work in hand (its claim was abandoned); items waiting for it go on."""
        st = self._items.pop(item_id, None)
        if st is not None:
            self._forget_tasks(st)
        if item_id in self._queue:
            self._queue.remove(item_id)
        for waiter in [w for w in self._items.values() if w.held_by == item_id]:
            self._wait_for_capacity(waiter)

    def _source_changed(self, st: ItemState) -> bool:
        """The sender changed the file since it was taken: drop the work, record no outcome (watch retakes it)."""
        if self.source_unchanged is None or self.source_unchanged(st.item_id):
            return False
        self._forget_tasks(st)
        return True

    def stop_feeding(self) -> None:
        """Start nothing new (graceful stop); waiting, held and retrying items stay received.

        Work in hand (including a commit waiting to be retried) is finished.
        """
        self.feeding = False
        self._queue.clear()
        self._items = {i: st for i, st in self._items.items() if st.in_flight}

    def _feed(self) -> None:
        while self.feeding and self._queue and self.inflight_pages < self._limit():
            st = self._items.get(self._queue.popleft())
            if st is not None and st.waiting:
                st.waiting = False
                self.submit(st.item_id)

    # ----- walking the steps -------------------------------------------------
    def submit(self, item_id: int) -> None:
        """Start work on a received item: its steps from the duplicate check on.

        A pool that cannot start is the service's problem, not the file's: that
        error propagates and the item stays received.
        """
        self._workers.ensure()  # (outside the try below: a pool that cannot start stops the service)
        st = self._items.setdefault(item_id, ItemState(item_id))
        st.step = StepName.DUPLICATE
        try:
            self._walk(st)
        except Exception as exc:  # noqa: BLE001 - transient or not, the item must not be lost
            self._writer_trouble(st, exc, lambda: self.submit(item_id))

    def _walk(self, st: ItemState) -> None:
        """Run the item's steps in order until one waits (a worker task, a hold) or the last is done."""
        step: StepName | None = st.step
        while step is not None:
            st.step = step
            if step in _OUTCOMES and self._source_changed(st):
                return  # no outcome for bytes the sender has since changed: the watch loop abandons the claim
            go = self._steps[step](st)
            if go is Go.WAIT:
                return
            if go is Go.DROP:
                self._items.pop(st.item_id, None)
                return
            step = StepName.ARCHIVE if go is Go.SETTLE else following(step)

    def _resume(self, st: ItemState) -> None:
        """Continue after a worker result; recording trouble is retried, or the file kept (quarantined)."""
        try:
            self._walk(st)
        except Exception as exc:  # noqa: BLE001 - keep the result and try again later
            if st.step not in _RECORDING:
                raise
            if failures.is_transient(exc):
                self._writer_trouble(st, exc, lambda: self._resume(st))
            else:
                log.exception("intake item %s: recording the results failed", st.item_id)
                self._failed(st, failures.Verdict(
                    f"Recording the results failed ({type(exc).__name__}); the file was kept.", False))

    # ----- the steps -----------------------------------------------------------
    def _duplicate(self, st: ItemState) -> Go:
        with self.db.transaction() as s:
            item = s.get(IntakeItem, st.item_id)
            if item is None or item.state != IntakeState.RECEIVED:
                return Go.DROP
            other = same_content(s, item)
            if other is not None and other.state in UNFINISHED_STATES:
                st.held_by = other.id
                log.info("intake item %s waits for item %s with the same content", st.item_id, other.id)
                return Go.WAIT
            if other is not None:
                mark_duplicate(s, item, other)
                st.outcome = IntakeState.DUPLICATE
        st.writer_failures = 0
        return Go.SETTLE if st.outcome else Go.NEXT

    def _sniff(self, st: ItemState) -> Go:
        with self.db.transaction() as s:
            item = s.get_one(IntakeItem, st.item_id)
            path = locate(self.cfg, item)
            sniffed = claim.sniff(path, self.cfg, item.original_name) if path is not None else None
            if path is None or sniffed is None:
                mark_quarantined(s, item, "The stored file is missing; it may have been removed by hand.")
            elif sniffed.kind is None:
                mark_quarantined(s, item, sniffed.reason or "The file's type could not be recognised.")
            else:
                item.kind = sniffed.kind
                transition(item, IntakeState.PROCESSING)
                item.attempts += 1
                st.start(path, sniffed.kind)
                st.size = item.size or 0
        st.writer_failures = 0
        if not st.in_flight:
            st.outcome = IntakeState.QUARANTINED
            return Go.SETTLE
        return Go.NEXT

    def _plan(self, st: ItemState) -> Go:
        # plan, and for a one-page file also read + entities, in one task: one limit for open + 1 page
        self._submit_task(st, StepName.PLAN, None, workers.read_file, str(st.path), st.kind,
                          weight=2.0 + st.size / 1_048_576 / PLAN_MB_PER_TIMEOUT)
        return Go.WAIT

    def _read_pages(self, st: ItemState) -> Go:
        if st.entities is not None:  # the plan task read the only page and found its entities
            return Go.NEXT
        if len(st.pages) < len(st.jobs):
            if not st.tasks:
                for job in st.jobs:
                    self._submit_task(st, StepName.READ_PAGES, job.number, workers.read_one_page, job)
            return Go.WAIT
        return Go.NEXT

    def _entities(self, st: ItemState) -> Go:
        if st.entities is not None:
            return Go.NEXT
        ordered = st.pages_in_order()
        self._submit_task(st, StepName.ENTITIES, None, workers.extract_entities, ordered,
                          weight=max(1.0, len(ordered) / ENTITY_PAGES_PER_TIMEOUT))
        return Go.WAIT

    def _match(self, st: ItemState) -> Go:
        assert st.entities is not None
        st.segments, _certain = split_and_match(st.entities, self._workers.roster(), self.cfg.match)
        return Go.NEXT

    def _commit(self, st: ItemState) -> Go:
        assert st.entities is not None and st.started is not None
        extracted = ExtractedFile(st.item_id, st.pages_in_order(), st.entities, time.monotonic() - st.started)
        with self.db.transaction() as s:
            item = s.get_one(IntakeItem, st.item_id)
            check_transition(item.state, IntakeState.PROCESSED)
            record_extracted(s, self.cfg, item, extracted, self._workers.roster(), segments=st.segments)
        st.writer_failures = 0
        self.stats.files_done += 1
        self.stats.pages_done += len(extracted.pages)
        st.outcome = IntakeState.PROCESSED
        st.stop_work()
        return Go.NEXT

    def _archive(self, st: ItemState) -> Go:
        """The item has its outcome in the database: move its file, release waiters, tell the caller."""
        self._items.pop(st.item_id, None)
        try:
            place_file(self.db, self.cfg, st.item_id)
        except Exception as exc:  # noqa: BLE001 - recovery moves it at the next start
            log.error("intake item %s: file not moved yet (%s)", st.item_id, failures.describe(exc))
        if st.outcome == IntakeState.QUARANTINED:
            self.stats.quarantined += 1
        elif st.outcome == IntakeState.DUPLICATE:
            self.stats.duplicates += 1
        for waiter in [w for w in self._items.values() if w.held_by == st.item_id]:
            self._wait_for_capacity(waiter)
        if self.on_outcome is not None:
            self.on_outcome(st.item_id, st.outcome)
        return Go.NEXT

    def _index(self, st: ItemState) -> Go:
        if st.outcome == IntakeState.PROCESSED:
            self._indexing.dirty = True  # the index writer runs at the end of this pump (IndexCadence.maybe)
        return Go.DROP

    # ----- worker tasks and their results ------------------------------------------
    def _submit_task(self, st: ItemState, step: StepName, page: int | None, fn: Callable[..., Any], *args: Any,
                     weight: float = 1.0) -> None:
        timeout = self.cfg.intake.page_timeout_seconds * weight
        task_id = self._workers.ensure().submit(fn, *args, tag=st.item_id, timeout=timeout)
        st.tasks[task_id] = Task(step, page, timeout)

    def pump(self, timeout: float = 0.2) -> int:
        """Start waiting items, apply finished work, run due retries; returns results handled."""
        self._run_due()
        self._feed()
        handled = 0
        pool = self._workers.pool
        if pool is not None and not pool.idle():
            for result in pool.poll(timeout):
                handled += 1
                self._handle(result)
        elif timeout > 0:
            time.sleep(min(timeout, self._next_due()))
        self._run_due()
        self._feed()
        self._indexing.maybe(any(st.in_flight for st in self._items.values()))
        return handled

    def _handle(self, result: TaskResult) -> None:
        st = self._items.get(result.tag)  # type: ignore[call-overload]  # (the tag is the item id)
        task = st.tasks.pop(result.task_id, None) if st is not None and st.in_flight else None
        if st is None or task is None:
            return
        if not result.ok:
            assert result.error is not None
            if isinstance(result.error, DependencyError):
                raise result.error  # tesseract missing: the installation's fault, not the file's
            self._failed(st, failures.classify(result.error, _STAGE[task.step], task.page, task.timeout))
            return
        self._workers.ensure()
        if task.step == StepName.PLAN:
            work: workers.FileWork = result.value
            st.jobs = list(work.jobs)
            if work.pages is not None and work.entities is not None:
                st.pages = {p.number: p for p in work.pages}
                st.entities = work.entities
            st.step = StepName.READ_PAGES
        elif task.step == StepName.READ_PAGES:
            st.pages[result.value.number] = result.value
            st.step = StepName.READ_PAGES
        else:
            st.entities = result.value
            st.step = StepName.MATCH
        self._resume(st)

    # ----- failures --------------------------------------------------------------
    def _failed(self, st: ItemState, verdict: failures.Verdict) -> None:
        """A worker-side failure: quarantine now or after the last attempt, else retry with backoff."""
        self._forget_tasks(st)
        if self._source_changed(st):
            return
        try:
            with self.db.transaction() as s:
                item = s.get_one(IntakeItem, st.item_id)
                item.last_error = verdict.reason
                attempts = item.attempts
                if verdict.final or attempts >= self.cfg.intake.max_attempts:
                    mark_quarantined(s, item, failures.final_reason(verdict, attempts))
                    retry = False
                else:
                    transition(item, IntakeState.RECEIVED)
                    retry = True
        except Exception as exc:  # noqa: BLE001 - recorded at the next start at the latest
            log.error("intake item %s: could not record a failure (%s); left for the next start",
                      st.item_id, failures.describe(exc))
            self._items.pop(st.item_id, None)
            return
        if retry:
            delay = failures.backoff(attempts)
            self.stats.retries += 1
            log.warning("intake item %s: attempt %d failed; retrying in %.0f s", st.item_id, attempts, delay)
            st.schedule(delay, lambda: self._wait_for_capacity(st))
        else:
            self._settle(st, IntakeState.QUARANTINED)

    def _settle(self, st: ItemState, outcome: IntakeState) -> None:
        st.outcome = outcome
        st.step = StepName.ARCHIVE
        self._walk(st)

    def _writer_trouble(self, st: ItemState, exc: Exception, again: Callable[[], None]) -> None:
        """A database or disk problem in this process: retry with backoff, a bounded number of times."""
        st.writer_failures += 1
        transient = failures.is_transient(exc)
        if not transient:
            log.exception("intake item %s: unexpected error in the writer", st.item_id)
        if st.writer_failures > failures.WRITER_RETRIES or not transient:
            st.writer_failures = 0
            self._give_up(st, f"Chartfile could not handle the file ({failures.describe(exc)}).")
            return
        delay = failures.backoff(st.writer_failures)
        log.warning("intake item %s: %s; retrying in %.0f s", st.item_id, failures.describe(exc), delay)
        self._items[st.item_id] = st
        st.schedule(delay, again)

    def _forget_tasks(self, st: ItemState) -> None:
        st.stop_work()
        if self._workers.pool is not None:
            self._workers.pool.cancel(st.item_id)

    def _give_up(self, st: ItemState, reason: str) -> None:
        """Quarantine after repeated writer-side trouble; if even that fails, leave it for the next start."""
        self._forget_tasks(st)
        try:
            with self.db.transaction() as s:
                item = s.get_one(IntakeItem, st.item_id)
                if item.state not in UNFINISHED_STATES:
                    self._items.pop(st.item_id, None)
                    return
                mark_quarantined(s, item, reason)
        except Exception as exc:  # noqa: BLE001
            log.error("intake item %s: giving up for now (%s); it is resumed at the next start",
                      st.item_id, failures.describe(exc))
            self._items.pop(st.item_id, None)
            return
        self._settle(st, IntakeState.QUARANTINED)

    # ----- timers and index --------------------------------------------------
    def _next_due(self) -> float:
        dues = [st.due for st in self._items.values() if st.due is not None]
        return max(0.0, min(dues) - time.monotonic()) if dues else 0.2

    def _run_due(self) -> None:
        now = time.monotonic()
        due = sorted((st for st in self._items.values() if st.due is not None), key=lambda st: st.due or 0.0)
        for st in due:
            if st.due is not None and st.due <= now and (self.feeding or st.in_flight) \
                    and self._items.get(st.item_id) is st:
                action, st.due, st.later = st.later, None, None
                if action is not None:
                    action()

    def index_now(self) -> int:
        """Have pending documents written to the search index; a failure or a busy writer is retried later."""
        return self._indexing.now()

    def close(self) -> None:
        """Stop the workers; items still in flight stay 'processing' and are resumed at the next start."""
        self._workers.close()
