"""Stable-file detection: decide when a file in the inbox is completely written.

Pure logic with an injectable clock.  A file is *ready* once its size and
mtime have stayed the same for ``quiet_seconds`` and it can be opened for
reading - or sooner, once unchanged for ``settle_seconds``, when a
completeness check (:func:`intake.completeness.looks_complete`, injected)
says its format is whole.  Temporary and system files are never ready.  The
watcher feeds observations in (from watchdog events and periodic rescans)
and asks which paths are ready, and how long until the next one may be.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart", ".swp", ".lock", ".reason.txt")


def is_ignored(name: str) -> bool:
    """True for temporary, hidden and system files that are never taken."""
    low = name.lower()
    if not name or name.startswith(".") or name.startswith("~$") or name.startswith("~"):
        return True
    if low in IGNORED_NAMES:
        return True
    return low.endswith(IGNORED_SUFFIXES)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # clock time when this (size, mtime) was first observed
    complete: bool | None = None  # completeness verdict for this (size, mtime), once asked


class StabilityTracker:
    """Tracks candidate files until they have been quiet long enough."""

    def __init__(self, quiet_seconds: float, clock: Callable[[], float] = time.monotonic,
                 settle_seconds: float | None = None) -> None:
        self.quiet_seconds = quiet_seconds
        self.settle_seconds = quiet_seconds if settle_seconds is None else min(settle_seconds, quiet_seconds)
        self.clock = clock
        self._seen: dict[str, _Seen] = {}

    def observe(self, path: str, size: int, mtime_ns: int) -> None:
        """Record the current size/mtime of ``path``; a change restarts its quiet period."""
        if is_ignored(Path(path).name):
            return
        now = self.clock()
        prev = self._seen.get(path)
        if prev is None or prev.size != size or prev.mtime_ns != mtime_ns:
            self._seen[path] = _Seen(size, mtime_ns, now)

    def forget(self, path: str) -> None:
        """Stop tracking ``path`` (taken, deleted or moved away)."""
        self._seen.pop(path, None)

    def pending(self) -> list[str]:
        return sorted(self._seen)

    def ready(self, can_open: Callable[[str], bool] | None = None, limit: int | None = None,
              is_complete: Callable[[str], bool] | None = None) -> list[str]:
        """Paths quiet long enough (oldest first) that can be opened for reading.

        Quiet for ``quiet_seconds``, or for ``settle_seconds`` when
        ``is_complete`` says the file is whole (asked once per size/mtime).
        ``limit`` stops after that many (so a burst of files is not opened all
        at once when only a few can be taken).
        """
        now = self.clock()
        out: list[str] = []
        for path, seen in sorted(self._seen.items(), key=lambda kv: kv[1].since):
            if limit is not None and len(out) >= limit:
                break
            if not self._due(path, seen, now - seen.since, is_complete):
                continue
            if can_open is not None and not can_open(path):
                seen.since = now  # still locked by the writer: wait another period
                seen.complete = None
                continue
            out.append(path)
        return out

    def _due(self, path: str, seen: _Seen, quiet: float, is_complete: Callable[[str], bool] | None) -> bool:
        if quiet >= self.quiet_seconds:
            return True
        if is_complete is None or quiet < self.settle_seconds:
            return False
        if seen.complete is None:
            seen.complete = bool(is_complete(path))
        return seen.complete

    def next_due(self) -> float | None:
        """Seconds until some tracked file may next become ready (0 = now); None when nothing is tracked."""
        if not self._seen:
            return None
        now = self.clock()
        waits = []
        for seen in self._seen.values():
            quiet = now - seen.since
            checkpoint = self.settle_seconds if seen.complete is None and quiet < self.settle_seconds \
                else self.quiet_seconds
            waits.append(max(0.0, checkpoint - quiet))
        return min(waits)


def can_open_for_reading(path: str) -> bool:
    """True when the file exists and can be opened and read (not locked, not a directory)."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except OSError:
        return False
