"""Entry points of the intake service: the long-running watch loop and one-shot ingest.

Both run exactly the same pipeline (:class:`indexer.service.IntakeService`);
they differ only in where files come from (a watched inbox whose files are
moved in, or paths given on the command line whose files are copied in).
A stop request finishes the work in hand; unfinished items are resumed on
the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from indexer.db.engine import Database
from indexer.ledger import claim, recover
from indexer.searchindex import SearchIndex
from indexer.service import IntakeService
from intake.config import Config
from intake.stability import is_ignored
from intake.watcher import InboxWatcher

log = logging.getLogger(__name__)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and files inside folders named (recursively), skipping temp/system files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and not is_ignored(p.name)))
        elif path.is_file():
            out.append(path)
    return out


def ingest(cfg: Config, db: Database, files: list[Path],
           on_outcome: Callable[[int, str], None] | None = None) -> dict[int, str]:
    """Process ``files`` once (copied into the spool) and return item id → outcome."""
    outcomes: dict[int, str] = {}

    def done(item_id: int, outcome: str) -> None:
        outcomes[item_id] = outcome
        if on_outcome is not None:
            on_outcome(item_id, outcome)

    service = IntakeService(cfg, db, SearchIndex(cfg), on_outcome=done)
    try:
        pending = list(recover(db, cfg))
        queue = list(files)
        while queue or pending or not service.idle():
            while (queue or pending) and service.has_capacity():
                if pending:
                    service.submit(pending.pop(0))
                else:
                    claimed = claim(db, cfg, queue.pop(0), origin="ingest")
                    service.submit(claimed.item_id)
            service.pump(0.2)
    finally:
        service.close()
    return outcomes


class WatchLoop:
    """The hot-folder service: watch, claim, process, until asked to stop."""

    def __init__(self, cfg: Config, db: Database, inbox: Path | None = None) -> None:
        self.cfg = cfg
        self.db = db
        self.watcher = InboxWatcher(cfg, inbox)
        self.service = IntakeService(cfg, db, SearchIndex(cfg))
        self.stop_event = threading.Event()
        self._last_report = time.monotonic()

    def request_stop(self) -> None:
        self.stop_event.set()

    def run(self, drain_seconds: float = 60.0) -> None:
        """Run until :meth:`request_stop`; then finish work in hand (bounded) and exit."""
        pending = list(recover(self.db, self.cfg))
        self.watcher.start()
        log.info("watch started; %d unfinished items resumed", len(pending))
        try:
            while not self.stop_event.is_set():
                while pending and self.service.has_capacity():
                    self.service.submit(pending.pop(0))
                if self.service.has_capacity():
                    self._claim_ready()
                self.service.pump(0.25)
                self._report()
            deadline = time.monotonic() + drain_seconds
            while not self.service.idle() and time.monotonic() < deadline:
                self.service.pump(0.25)
        finally:
            self.watcher.stop()
            self.service.close()
            log.info("watch stopped")

    def _claim_ready(self) -> None:
        for path in self.watcher.ready():
            if not self.service.has_capacity() or self.stop_event.is_set():
                return
            try:
                claimed = claim(self.db, self.cfg, path, origin="watch")
            except FileNotFoundError:
                self.watcher.taken(path)
                continue
            except OSError as exc:
                log.error("cannot take a file from the inbox (%s); will retry", exc.strerror)
                continue
            self.watcher.taken(path)
            self.service.submit(claimed.item_id)

    def _report(self) -> None:
        if time.monotonic() - self._last_report < 60:
            return
        self._last_report = time.monotonic()
        st = self.service.stats
        log.info("throughput %.1f pages/min; %d files done; %d pages in flight", st.pages_per_minute(),
                 st.files_done, self.service.inflight_pages)
