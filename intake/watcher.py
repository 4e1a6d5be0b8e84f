"""Inbox watching: watchdog events plus a periodic full rescan, fed to the stability tracker.

Owns noticing files.  It never opens, moves or records anything: it only
answers "which inbox files are completely written now?".  Native observers
are used by default; ``intake.polling`` selects watchdog's PollingObserver for
SMB/NFS shares where change notifications do not arrive; ``observer="none"``
relies on the rescan alone (also how missed events are survived).  Files
already in the inbox at start are found by the first rescan.  Only regular
files directly in the inbox are considered: symlinks, folders and devices
never are, so a link cannot make Chartfile take a file from elsewhere.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from intake.completeness import looks_complete
from intake.config import Config
from intake.stability import StabilityTracker, can_open_for_reading, is_ignored

log = logging.getLogger(__name__)

OBSERVER_MODES = ("native", "polling", "none")
POLL_SECONDS = 1.0  # PollingObserver interval


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for attr in ("src_path", "dest_path"):
            path = getattr(event, attr, None)
            if path:
                self.watcher.touch(os.fsdecode(path))


class InboxWatcher:
    """Tells which files in the inbox are stable and ready to be taken."""

    def __init__(self, cfg: Config, inbox: Path | None = None, observer: str | None = None) -> None:
        self.cfg = cfg
        self.inbox = (inbox or cfg.inbox_dir).resolve()
        self.tracker = StabilityTracker(cfg.intake.quiet_seconds, settle_seconds=cfg.intake.settle_seconds)
        self.mode = observer or ("polling" if cfg.intake.polling else "native")
        if self.mode not in OBSERVER_MODES:
            raise ValueError(f"observer must be one of {OBSERVER_MODES}")
        self._lock = threading.Lock()
        self._observer: Observer | PollingObserver | None = None  # type: ignore[valid-type]
        self._last_scan = 0.0

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        if self.mode != "none":
            observer = PollingObserver(timeout=POLL_SECONDS) if self.mode == "polling" else Observer()
            observer.schedule(_Handler(self), str(self.inbox), recursive=False)
            observer.daemon = True
            observer.start()
            self._observer = observer
        self.rescan()
        log.info("watching inbox (%s observer)", self.mode)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def touch(self, path: str) -> None:
        """Record the current size/mtime of a regular file (from an event or a scan)."""
        p = Path(path)
        if p.parent.resolve() != self.inbox or is_ignored(p.name):
            return
        try:
            st = p.lstat()
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            with self._lock:
                self.tracker.forget(path)
            return
        with self._lock:
            self.tracker.observe(str(p), st.st_size, st.st_mtime_ns)

    def rescan(self) -> None:
        """Look at every file in the inbox (the safety net for missed events)."""
        self._last_scan = time.monotonic()
        try:
            entries = list(os.scandir(self.inbox))
        except OSError as exc:
            log.error("cannot list the inbox: %s", exc.strerror)
            return
        present = set()
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                present.add(entry.path)
                self.touch(entry.path)
        with self._lock:
            for path in self.tracker.pending():
                if path not in present:
                    self.tracker.forget(path)

    def ready(self, limit: int | None = None) -> list[Path]:
        """Stable files (at most ``limit``), oldest first; a rescan runs first when it is due."""
        if time.monotonic() - self._last_scan >= self.cfg.intake.rescan_seconds:
            self.rescan()
        else:
            with self._lock:
                pending = self.tracker.pending()
            for path in pending:  # refresh size/mtime so a still-growing file keeps waiting
                self.touch(path)
        with self._lock:
            return [Path(p) for p in self.tracker.ready(can_open_for_reading, limit, looks_complete)]

    def next_due(self) -> float | None:
        """Seconds until a file in the inbox may become ready; None when none is waiting."""
        with self._lock:
            return self.tracker.next_due()

    def taken(self, path: Path) -> None:
        with self._lock:
            self.tracker.forget(str(path))
