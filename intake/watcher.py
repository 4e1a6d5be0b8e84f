"""Inbox watching: watchdog events plus a periodic full rescan, fed to the stability tracker.

Owns noticing files.  It never opens a file for writing, moves or records
anything: it answers "which inbox files has their writer finished?".
Native observers are used by default (on Linux inotify, whose modify and
close-after-write events tell when a writer still has a file open);
``intake.polling`` selects watchdog's PollingObserver for SMB/NFS shares
where change notifications do not arrive (the quiet period then decides
alone); ``observer="none"`` relies on the rescan alone (also how missed
events are survived).  Files already in the inbox at start are found by the
first rescan.

Only regular files directly in the inbox are considered.  Symlinks, folders,
FIFOs and devices are refused (:mod:`intake.inbox`): never opened, left in
place, explained in a ``.reason.txt``.  The inbox may not be inside the data
home.  A file being processed can be *held* (still in the inbox, not offered
again); :meth:`InboxWatcher.changed_holds` says when its sender wrote to it
again.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from intake import openfiles
from intake.completeness import inspect
from intake.config import Config
from intake.inbox import InboxReport, check_location, explain_refused, record_inbox, refusal, scan_inbox
from intake.inbox import classify_mode as entry_kind
from intake.spool import Fingerprint
from intake.stability import StabilityTracker, can_open_for_reading, is_ignored

log = logging.getLogger(__name__)

OBSERVER_MODES = ("native", "polling", "none")
POLL_SECONDS = 1.0  # PollingObserver interval
_WRITE_EVENTS = frozenset({"modified"})
_ARRIVAL_EVENTS = frozenset({"created", "moved"})  # a rename into the inbox is reported as created
_CLOSE_EVENTS = frozenset({"closed"})
_QUIET_EVENTS = frozenset({"opened", "closed_no_write"})  # our own reads cause these


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _QUIET_EVENTS:
            return
        if event.is_directory:
            if event.event_type in ("created", "moved"):
                self.watcher.rescan_soon()
            return
        for attr in ("src_path", "dest_path"):
            path = getattr(event, attr, None)
            if path:
                self.watcher.touch(os.fsdecode(path), event.event_type)


class InboxWatcher:
    """Tells which files in the inbox are stable and ready to be taken."""

    def __init__(self, cfg: Config, inbox: Path | None = None, observer: str | None = None) -> None:
        self.cfg = cfg
        self.inbox = (inbox or cfg.inbox_dir).resolve()
        check_location(self.inbox, cfg.home)
        intake = cfg.intake
        self.tracker = StabilityTracker(intake.quiet_seconds, settle_seconds=intake.settle_seconds,
                                        format_quiet=intake.quiet_by_format.seconds,
                                        writer_timeout=intake.writer_timeout_seconds)
        self.mode = observer or ("polling" if intake.polling else "native")
        if self.mode not in OBSERVER_MODES:
            raise ValueError(f"observer must be one of {OBSERVER_MODES}")
        # only the kernel's own events say anything about writers (a polling diff does not)
        self.kernel_events = self.mode == "native" and sys.platform.startswith("linux")
        self._lock = threading.Lock()
        self._observer: Observer | PollingObserver | None = None  # type: ignore[valid-type]
        self._last_scan = 0.0
        self._held: dict[str, tuple[int, Fingerprint]] = {}  # path -> (item id, fingerprint when taken)
        self._changed: set[str] = set()
        self.refused: dict[str, str] = {}  # inbox entries never taken: name -> kind

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        check_location(self.inbox, self.cfg.home)  # now that both exist, links resolved
        if self.mode != "none":
            observer = PollingObserver(timeout=POLL_SECONDS) if self.mode == "polling" else Observer()
            observer.schedule(_Handler(self), str(self.inbox), recursive=False)
            observer.daemon = True
            observer.start()
            self._observer = observer
        if self.cfg.home.is_dir():
            record_inbox(self.cfg.home, self.inbox)
        self.rescan()
        log.info("watching inbox (%s observer)", self.mode)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def rescan_soon(self) -> None:
        self._last_scan = 0.0

    def touch(self, path: str, event: str = "scan") -> None:
        """Record the current size/mtime of a regular file (from an event or a scan)."""
        p = Path(path)
        if p.parent != self.inbox and p.parent.resolve() != self.inbox:
            return
        if is_ignored(p.name):
            return
        try:
            st = p.lstat()
        except OSError:
            st = None
        with self._lock:
            if path in self._held:
                self._note_held(path, st)
                return
            if st is None or not stat.S_ISREG(st.st_mode):
                self.tracker.forget(path)
                if st is not None and refusal(entry_kind(st.st_mode, st.st_size)):
                    self._last_scan = 0.0  # explained at the next loop turn
                return
            self.tracker.observe(path, st.st_size, st.st_mtime_ns)
            if self.kernel_events and event in _ARRIVAL_EVENTS:
                self.tracker.arrived(path)
            elif self.kernel_events and event in _WRITE_EVENTS:
                self.tracker.wrote(path)
            elif self.kernel_events and event in _CLOSE_EVENTS:
                self.tracker.closed(path)

    def _note_held(self, path: str, st: os.stat_result | None) -> None:
        _item, taken = self._held[path]
        if st is None or Fingerprint.of(st) != taken:
            self._changed.add(path)

    def rescan(self) -> None:
        """Look at every entry in the inbox (the safety net for missed events); explain refused ones."""
        self._last_scan = time.monotonic()
        try:
            entries = list(os.scandir(self.inbox))
        except OSError as exc:
            log.error("cannot list the inbox: %s", exc.strerror)
            return
        present = set()
        refused: dict[str, str] = {}
        for entry in entries:
            if is_ignored(entry.name):
                continue
            if entry.is_file(follow_symlinks=False):
                present.add(entry.path)
                self.touch(entry.path)
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            kind = entry_kind(st.st_mode, st.st_size)
            if refusal(kind):
                refused[entry.name] = str(kind)
        with self._lock:
            for path in self.tracker.pending():
                if path not in present:
                    self.tracker.forget(path)
            for path in list(self._held):
                if path not in present:
                    self._note_held(path, None)
        new = set(refused) - set(self.refused)
        self.refused = refused
        if new or any(not (self.inbox / f"{name}.reason.txt").exists() for name in refused):
            explain_refused(self.inbox)

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
            return [Path(p) for p in self.tracker.ready(can_open_for_reading, limit, inspect,
                                                        openfiles.open_for_writing)]

    def next_due(self) -> float | None:
        """Seconds until a file in the inbox may become ready; None when none is waiting."""
        with self._lock:
            return self.tracker.next_due()

    def taken(self, path: Path) -> None:
        """The file left the inbox (moved into the spool): stop tracking it."""
        with self._lock:
            self.tracker.forget(str(path))

    # ----- files being processed while still in the inbox ------------------------------
    def hold(self, path: Path, item_id: int, taken: Fingerprint) -> None:
        """``path`` was copied for item ``item_id`` and stays in the inbox until its outcome is committed."""
        with self._lock:
            self.tracker.forget(str(path))
            self._held[str(path)] = (item_id, taken)
            self._changed.discard(str(path))

    def release(self, path: Path) -> None:
        """The held file's item is finished (its source removed) or abandoned (offered again)."""
        with self._lock:
            self._held.pop(str(path), None)
            self._changed.discard(str(path))
        self.touch(str(path))

    def changed_holds(self) -> list[tuple[Path, int]]:
        """Held files the sender changed or removed since they were taken: (path, item id)."""
        with self._lock:
            return [(Path(p), self._held[p][0]) for p in sorted(self._changed) if p in self._held]

    def held(self) -> dict[Path, int]:
        with self._lock:
            return {Path(p): item for p, (item, _fp) in self._held.items()}

    def hold_of(self, item_id: int) -> tuple[Path, Fingerprint] | None:
        """The inbox file held for ``item_id`` and its fingerprint when taken (None when none is held)."""
        with self._lock:
            for path, (item, taken) in self._held.items():
                if item == item_id:
                    return Path(path), taken
        return None

    def note_changed(self, path: Path) -> None:
        """A held file was found changed (before an outcome): report it by :meth:`changed_holds`."""
        with self._lock:
            if str(path) in self._held:
                self._changed.add(str(path))

    def report(self) -> InboxReport:
        """What is in the inbox now (waiting, empty, refused entries)."""
        return scan_inbox(self.inbox)
