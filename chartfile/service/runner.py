"""Entry points of the intake service: the long-running watch loop and one-shot ingest.

Both run exactly the same pipeline (:class:`indexer.service.IntakeService`),
with the search index's one writer (:func:`search.writer.drain`) injected as
its index hook;
they differ only in where files come from (a watched inbox, or paths given
on the command line); both copy files into the spool.  A watched inbox's
file stays, held, until its item's outcome is committed, and is then removed
(:mod:`indexer.sources`); a change to it before then abandons the claim and
the file is taken again whole.
Both hold the data home's intake lock, so only one writer processes files at
a time, and both run :func:`indexer.recovery.recover` before taking anything
new.  A stop request starts nothing new, finishes the work in hand (bounded),
and leaves the rest to be resumed at the next start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer import failures, sources
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from indexer.ledger import Claimed, abandon, claim, finish_claim, retake, source_removed, stored_digest
from indexer.recovery import finish_claims, recover, settle_files
from indexer.service import IntakeService
from intake.config import Config
from intake.errors import RefusedError
from intake.inbox import EntryKind, classify
from intake.spool import Fingerprint, SourceChanged
from intake.stability import is_ignored
from intake.watcher import InboxWatcher
from search.writer import SearchIndex, drain

log = logging.getLogger(__name__)

LOCK_FILE = "intake.lock"
REPORT_SECONDS = 60.0
CLAIM_BATCH = 16  # stable inbox files looked at per loop turn
LOOP_SECONDS = 0.25  # longest wait per loop turn; shorter when an inbox file is about to become ready


@contextmanager
def intake_lock(cfg: Config) -> Iterator[None]:
    """Hold the data home's intake lock (one 'watch' or 'ingest' at a time); released even on kill -9."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no lock, documented limitation
        yield
        return
    cfg.home.mkdir(parents=True, exist_ok=True)
    path = cfg.home / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise RefusedError(
                f"another Chartfile intake (watch or ingest, pid {holder}) is running on this data home",
                hint="Wait for it to finish, or drop the files into the watched inbox instead.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)


def index_hook(db: Database, index: SearchIndex) -> Callable[[], int | None]:
    """The intake service's way to the index writer: drain pending documents if the lock is free."""
    return lambda: drain(db, index, wait=False)


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, EntryKind]]]:
    """Files named, and regular files inside folders named (recursively, links never followed).

    Returns (files, refused): entries inside a folder that are not regular
    files (links, pipes, devices) are refused and left alone; temporary and
    system files are skipped.  A path named that is not a regular file or a
    folder is refused too (:func:`chartfile.service.intake.ingest_paths`
    refuses the whole command for those, by name).
    """
    files: list[Path] = []
    refused: list[tuple[Path, EntryKind]] = []
    for path in paths:
        kind = classify(path)
        if kind is EntryKind.DIRECTORY:
            for root, dirs, names in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(names) + [d for d in dirs if Path(root, d).is_symlink()]:
                    entry = Path(root) / name
                    entry_kind = classify(entry)
                    if is_ignored(name) or entry_kind is None:
                        continue
                    if entry_kind in (EntryKind.FILE, EntryKind.EMPTY):
                        files.append(entry)
                    else:
                        refused.append((entry, entry_kind))
        elif kind in (EntryKind.FILE, EntryKind.EMPTY):
            files.append(path)
        elif kind is not None:
            refused.append((path, kind))
    return files, refused


def ingest(cfg: Config, db: Database, files: list[Path],
           on_outcome: Callable[[int, str], None] | None = None,
           stop_event: threading.Event | None = None, worker_hook: str | None = None) -> dict[int, str]:
    """Process ``files`` once (copied into the spool) and return item id → outcome for them.

    Unfinished items from an interrupted earlier run are finished first (they
    are reported to ``on_outcome`` but not returned).  A set ``stop_event``
    stops taking files; work in hand is finished.
    """
    outcomes: dict[int, str] = {}
    claimed: set[int] = set()

    def done(item_id: int, outcome: str) -> None:
        if item_id in claimed:
            outcomes[item_id] = outcome
        if on_outcome is not None:
            on_outcome(item_id, outcome)

    with intake_lock(cfg):
        service = IntakeService(cfg, db, index_hook(db, SearchIndex(cfg)), on_outcome=done, worker_hook=worker_hook)
        try:
            for resumed in recover(db, cfg):
                service.enqueue(resumed)
            queue = deque((path, 0) for path in files)
            if queue or not service.idle():
                service.start()
            while True:
                if stop_event is not None and stop_event.is_set() and service.feeding:
                    log.warning("stop requested: %d files not taken", len(queue))
                    queue.clear()
                    service.stop_feeding()
                while queue and service.has_capacity():
                    new_id = _ingest_one(cfg, db, queue)
                    if new_id is not None:
                        claimed.add(new_id)
                        service.enqueue(new_id)
                if not queue and service.idle():
                    break
                service.pump(0.2)
            service.index_now()
        finally:
            service.close()
    return outcomes


def _ingest_one(cfg: Config, db: Database, queue: deque[tuple[Path, int]]) -> int | None:
    """Claim the next file; on a transient error put it back (bounded); returns the item id."""
    path, tries = queue.popleft()
    try:
        return claim(db, cfg, path, origin="ingest").item_id
    except FileNotFoundError:
        log.error("a file given to ingest disappeared before it was taken")
    except Exception as exc:  # noqa: BLE001 - disk full, database locked: try again a few times
        if not failures.is_transient(exc) or tries + 1 >= cfg.intake.max_attempts:
            log.error("a file given to ingest could not be taken (%s)", failures.describe(exc))
            return None
        time.sleep(failures.backoff(tries + 1))
        queue.append((path, tries + 1))
    return None


class WatchLoop:
    """The hot-folder service: watch, claim, process, until asked to stop."""

    def __init__(self, cfg: Config, db: Database, inbox: Path | None = None,
                 worker_hook: str | None = None, observer: str | None = None) -> None:
        self.cfg = cfg
        self.db = db
        self.watcher = InboxWatcher(cfg, inbox, observer=observer)
        self.service = IntakeService(cfg, db, index_hook(db, SearchIndex(cfg)), worker_hook=worker_hook,
                                     on_outcome=self._finished, source_unchanged=self._source_unchanged)
        self.stop_event = threading.Event()
        self.abandon_event = threading.Event()
        self.started = threading.Event()
        self._last_report = time.monotonic()
        self._last_sweep = time.monotonic()
        self._claim_backoff: dict[Path, tuple[int, float]] = {}
        self._retake: dict[Path, int] = {}  # inbox file -> item whose abandoned claim takes it again

    def request_stop(self) -> None:
        """First call: finish the work in hand, then stop.  Second call: stop now (work is resumed later)."""
        if self.stop_event.is_set():
            self.abandon_event.set()
        self.stop_event.set()

    def run(self, drain_seconds: float = 60.0) -> None:
        """Run until :meth:`request_stop`; then finish work in hand (bounded) and return."""
        with intake_lock(self.cfg):
            found = sources.reconcile(self.db, self.watcher.inbox)
            pending = recover(self.db, self.cfg, inbox=self.watcher.inbox)
            for path, (item_id, taken) in found.hold.items():
                self.watcher.hold(path, item_id, taken)
            self._retake.update(found.retake)
            for item_id in pending:
                self.service.enqueue(item_id)
            self.service.start()
            self.watcher.start()
            self.started.set()
            log.info("watch started; %d unfinished items resumed", len(pending))
            try:
                self._loop()
                self._drain(drain_seconds)
            finally:
                self.watcher.stop()
                self.service.close()
                log.info("watch stopped")

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self._changed_sources()
            if self.service.has_capacity():
                self._claim_ready()
            self.service.pump(self._wait())
            self._sweep()
            self._report()

    def _wait(self) -> float:
        """How long this loop turn may wait: until the next inbox file may be ready, at most LOOP_SECONDS."""
        due = self.watcher.next_due()
        if due is None or due <= 0:  # nothing waiting, or waiting only for capacity
            return LOOP_SECONDS
        return min(LOOP_SECONDS, due + 0.005)

    def _drain(self, drain_seconds: float) -> None:
        self.service.stop_feeding()
        deadline = time.monotonic() + drain_seconds
        while not self.service.idle() and time.monotonic() < deadline and not self.abandon_event.is_set():
            self._changed_sources()
            self.service.pump(0.25)
        if not self.service.idle():
            log.warning("stopping with work in hand; it is resumed at the next start")
        self.service.index_now()

    def _claim_ready(self) -> None:
        now = time.monotonic()
        for path in self.watcher.ready(limit=CLAIM_BATCH):
            if not self.service.has_capacity() or self.stop_event.is_set():
                return
            tries, due = self._claim_backoff.get(path, (0, 0.0))
            if due > now:
                continue
            item_id = self._retake.get(path)
            try:
                claimed = claim(self.db, self.cfg, path) if item_id is None else retake(self.db, self.cfg,
                                                                                           item_id, path)
            except FileNotFoundError:
                self.watcher.taken(path)
                self._claim_backoff.pop(path, None)
                continue
            except SourceChanged:
                self.watcher.touch(str(path))  # written to while it was copied: it waits its quiet period again
                continue
            except Exception as exc:  # noqa: BLE001 - the file stays in the inbox; try again later
                delay = failures.backoff(tries + 1)
                log.error("cannot take a file from the inbox (%s); retrying in %.0f s",
                          failures.describe(exc), delay)
                self._claim_backoff[path] = (tries + 1, now + delay)
                continue
            self._claim_backoff.pop(path, None)
            self._retake.pop(path, None)
            self._hold(path, claimed)
            self.service.enqueue(claimed.item_id)

    def _hold(self, path: Path, claimed: Claimed) -> None:
        if claimed.source is not None:
            self.watcher.hold(path, claimed.item_id, claimed.source)
        else:
            self.watcher.taken(path)

    # ----- the inbox files of items in work (indexer.sources) -------------------------
    def _source_unchanged(self, item_id: int) -> bool:
        """Asked before an outcome is recorded: is the item's inbox file still the version that was taken?"""
        held = self.watcher.hold_of(item_id)
        if held is None:
            return True
        path, taken = held
        now = Fingerprint.of_path(path)
        if now is None or now == taken:
            return True  # unchanged, or removed by its sender (the copy is what there is)
        self.watcher.note_changed(path)
        return False

    def _changed_sources(self) -> None:
        """Held inbox files their sender changed or removed: abandon and take again, or go on with the copy."""
        for path, item_id in self.watcher.changed_holds():
            try:
                if Fingerprint.of_path(path) is None:
                    source_removed(self.db, item_id)  # removed by its sender: processing goes on
                    self.watcher.release(path)
                    continue
                self.service.forget(item_id)
                if abandon(self.db, item_id):
                    self._retake[path] = item_id
                else:  # the outcome was recorded first: the changed file is a new one
                    source_removed(self.db, item_id)
            except Exception as exc:  # noqa: BLE001 - database busy: next loop turn
                log.error("intake item %s: cannot record that its file changed (%s)", item_id,
                          failures.describe(exc))
                continue
            self.watcher.release(path)

    def _finished(self, item_id: int, _outcome: str) -> None:
        """The item's outcome is committed: remove its inbox file (if it is still the version taken)."""
        held = self.watcher.hold_of(item_id)
        if held is None:
            return
        path, taken = held
        try:
            if sources.remove_source(path, taken):
                source_removed(self.db, item_id)
        except Exception as exc:  # noqa: BLE001 - found and removed at the next start
            log.error("intake item %s: inbox file not removed yet (%s)", item_id, failures.describe(exc))
        self.watcher.release(path)

    def _sweep(self) -> None:
        """Now and then: pick up items re-queued by a clerk, finish claims and file moves that failed."""
        if time.monotonic() - self._last_sweep < self.cfg.intake.rescan_seconds:
            return
        self._last_sweep = time.monotonic()
        try:
            finish_claims(self.db, self.cfg, self.watcher.inbox, busy=set(self._retake.values()))
            self._lost_retakes()
            self.service.requeue_unfinished()
            settle_files(self.db, self.cfg)
        except Exception as exc:  # noqa: BLE001 - database busy: next sweep
            log.error("periodic ledger sweep failed (%s)", failures.describe(exc))

    def _lost_retakes(self) -> None:
        """An abandoned claim whose file its sender then removed: its last copy is processed (nothing lost)."""
        for path, item_id in list(self._retake.items()):
            if Fingerprint.of_path(path) is not None:
                continue
            with self.db.session() as s:
                stored = stored_digest(self.cfg, s.get_one(IntakeItem, item_id))
            finish_claim(self.db, item_id, stored)
            del self._retake[path]
            self.service.enqueue(item_id)

    def _report(self) -> None:
        if time.monotonic() - self._last_report < REPORT_SECONDS:
            return
        self._last_report = time.monotonic()
        st = self.service.stats
        log.info("throughput %.1f pages/min; %d files done; %d pages in flight", st.pages_per_minute(),
                 st.files_done, self.service.inflight_pages)
