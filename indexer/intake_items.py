"""What the intake service keeps: one :class:`ItemState` per owned item, its workers, and its counters.

Owns the in-memory side of an intake item while the service works on it —
where it is in :data:`intake.steps.STEPS`, whether it waits for capacity, is
held behind an earlier file with the same content, has worker tasks out,
or has a timer (a retry with backoff) — in one object instead of parallel
dictionaries.  The database row (:class:`indexer.db.models.IntakeItem`) stays
the truth; this is rebuilt from it after a restart by :mod:`indexer.recovery`.
:class:`Workers` is the service's worker pool, restarted with the new names
when the roster changes, and the roster the matcher uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer import failures
from indexer.db.engine import Database
from indexer.filing import load_roster
from indexer.matching import Roster
from indexer.patients import roster_lexicon, roster_version
from intake import workers
from intake.config import Config
from intake.model import Entities, PageText
from intake.pool import WorkerPool
from intake.steps import StepName

log = logging.getLogger(__name__)

ROSTER_CHECK_SECONDS = 5.0
INDEX_EVERY_SECONDS = 0.5
INDEX_POLL_SECONDS = 2.0  # also drain documents other processes marked pending (review decisions, ...)


@dataclass
class Task:
    """A worker task out for an item: its step, page (for read_pages) and time limit."""

    step: StepName
    page: int | None
    timeout: float


@dataclass
class ItemState:
    """One owned intake item, from the moment the service knows it until it is settled."""

    item_id: int
    step: StepName = StepName.DUPLICATE
    waiting: bool = False  # queued for capacity
    held_by: int | None = None  # an earlier item with the same content, still in flight
    path: Path | None = None  # the spooled file, once the item is in flight
    kind: str = ""
    size: int = 0
    started: float | None = None  # set when work starts (the item is "in flight")
    jobs: list[Any] = field(default_factory=list)  # page jobs from the plan
    pages: dict[int, PageText] = field(default_factory=dict)
    entities: Entities | None = None
    segments: list[Any] | None = None  # the match step's result, recorded by commit
    tasks: dict[int, Task] = field(default_factory=dict)  # worker task id -> what it does
    due: float | None = None  # a timer: run ``later`` at this monotonic time
    later: Callable[[], None] | None = None
    writer_failures: int = 0  # database/disk trouble in this process, in a row
    outcome: str = ""  # set when the item is settled early (duplicate, quarantined)

    @property
    def in_flight(self) -> bool:
        return self.started is not None

    def pages_in_order(self) -> list[PageText]:
        return [self.pages[n] for n in sorted(self.pages)]

    def pages_outstanding(self) -> int:
        """Worker capacity this item uses: pages not yet read (at least one while in flight)."""
        return max(len(self.jobs) - len(self.pages), 1)

    def start(self, path: Path, kind: str) -> None:
        self.path, self.kind, self.started = path, kind, time.monotonic()
        self.jobs, self.pages, self.entities, self.segments, self.tasks = [], {}, None, None, {}

    def stop_work(self) -> None:
        """Forget the work in hand (the item goes back to received, or is settled)."""
        self.started, self.tasks, self.jobs, self.pages, self.entities, self.segments = None, {}, [], {}, None, None

    def schedule(self, delay: float, action: Callable[[], None]) -> None:
        self.due, self.later = time.monotonic() + delay, action


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


class Workers:
    """The worker pool (started on first use) and the roster, both renewed when the roster changes."""

    def __init__(self, cfg: Config, db: Database, hook: str | None = None) -> None:
        self.cfg, self.db, self.hook = cfg, db, hook
        self.pool: WorkerPool | None = None
        self._roster: Roster | None = None
        self._version: tuple[int, str] | None = None
        self._checked = 0.0

    def ensure(self) -> WorkerPool:
        now = time.monotonic()
        if self.pool is not None and now - self._checked < ROSTER_CHECK_SECONDS:
            return self.pool
        self._checked = now
        version = roster_version(self.db)
        if self.pool is None:
            self._version = version
            self.pool = WorkerPool(self.cfg.worker_count, workers.init_worker,
                                   (self.cfg, roster_lexicon(self.cfg, self.db)), hook=self.hook)
        elif version != self._version:
            log.info("roster changed; workers restart with the new names")
            self._version = version
            self._roster = None
            self.pool.reinit((self.cfg, roster_lexicon(self.cfg, self.db)))
        return self.pool

    def roster(self) -> Roster:
        if self._roster is None:
            with self.db.session() as s:
                self._roster = load_roster(s)
        return self._roster

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class IndexCadence:
    """When the service has the index writer drain: soon after a commit, else every few seconds."""

    def __init__(self, hook: Callable[[], int | None] | None) -> None:
        self.hook = hook  # writes pending documents to the search index; None = nobody here
        self.dirty = True
        self._last = 0.0

    def maybe(self, busy: bool) -> None:
        """Drain if a commit is waiting (at once when no work is in flight) or the poll period passed."""
        since = time.monotonic() - self._last
        if (self.dirty and (since >= INDEX_EVERY_SECONDS or not busy)) or since >= INDEX_POLL_SECONDS:
            self.now()

    def now(self) -> int:
        """Drain now; a failure or a busy writer is retried later.  Returns documents written."""
        self._last = time.monotonic()
        if self.hook is None:
            self.dirty = False
            return 0
        try:
            n = self.hook()
        except Exception as exc:  # noqa: BLE001 - the database is the truth; the index catches up
            log.error("search index update failed (%s); will retry", failures.describe(exc))
            return 0
        if n is None:  # the writer lock is held elsewhere (a rebuild, a clerk's command): try again soon
            return 0
        self.dirty = False
        return n
