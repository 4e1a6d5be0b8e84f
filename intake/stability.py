"""Stable-file detection: decide when the writer of a file in the inbox is done with it.

Pure logic with an injectable clock.  The watcher feeds in what it sees
(sizes and mtimes from events and rescans; "written" and "closed after
writing" events from the kernel) and asks which paths are ready.  A file is
*ready* when every one of these holds:

* **it is not empty.**  A 0-byte file is a writer that has not started yet
  (it created the file and paused): it is never taken, however long it waits.
* **it has been unchanged (size and mtime) for its wait**, which is

  - the format's own least quiet time when one is configured
    (``intake.quiet_by_format``; a TIFF waits 60 s by default, because a fax
    TIFF is structurally whole after every page) — unless the kernel said
    the file *arrived whole*: it appeared by a rename into the inbox (or
    was created) and was never written in place since (no modify or
    close-after-write event), as when a scanner or fax server writes
    elsewhere and moves the finished file in;
  - else ``settle_seconds`` when the format shows that it is complete (PDF
    ``%%EOF``, PNG/JPEG end marker), no writer is known to have it open and
    it has not shrunk;
  - else ``quiet_seconds`` (the rule for network shares, where no event says
    anything about writers).

  A file that *shrinks* (truncated to be written again) starts over and may
  no longer take the settle shortcut.
* **no writer still has it open.**  The injected ``writer_open`` check
  (``/proc``, :mod:`intake.openfiles`) answers for every writer it can see;
  where it cannot tell (another user's process), the native (inotify)
  observer's events do: a modify event marks the file "being written" until
  the kernel's close-after-write event.  A file that
  stays unchanged but open for writing for ``writer_timeout_seconds`` is
  taken anyway (a lost event or a hung sender; it is logged).
* **it can be opened for reading.**

Temporary and system files are never considered.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from intake.completeness import Inspection

log = logging.getLogger(__name__)

IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart", ".swp", ".lock", ".reason.txt")
OPEN_RECHECK_SECONDS = 1.0  # a file found open for writing is asked about again after this long

WriterCheck = Callable[[list[str]], dict[str, "bool | None"]]


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
    inspection: Inspection | None = None  # content type / completeness for this (size, mtime), once asked
    writing: bool = False  # a create/modify event came after the last close-after-write event
    whole: bool = False  # arrived by a rename (or creation) and never written in place since (kernel events)
    shrank: bool = False  # the file got smaller at some point: a rewrite, never the settle shortcut
    open_until: float = 0.0  # found open for writing: not asked again before this time


class StabilityTracker:
    """Tracks candidate files until their writer is done with them."""

    def __init__(self, quiet_seconds: float, clock: Callable[[], float] = time.monotonic,
                 settle_seconds: float | None = None,
                 format_quiet: Callable[[str | None], float] | None = None,
                 writer_timeout: float = 300.0) -> None:
        self.quiet_seconds = quiet_seconds
        self.settle_seconds = quiet_seconds if settle_seconds is None else min(settle_seconds, quiet_seconds)
        self.format_quiet = format_quiet or (lambda kind: 0.0)
        self.writer_timeout = max(writer_timeout, quiet_seconds)
        self.clock = clock
        self._seen: dict[str, _Seen] = {}

    # ----- what is seen ---------------------------------------------------------
    def observe(self, path: str, size: int, mtime_ns: int) -> None:
        """Record the current size/mtime of ``path``; a change restarts its quiet period."""
        if is_ignored(Path(path).name):
            return
        now = self.clock()
        prev = self._seen.get(path)
        if prev is None:
            self._seen[path] = _Seen(size, mtime_ns, now)
        elif prev.size != size or prev.mtime_ns != mtime_ns:
            shrank = prev.shrank or size < prev.size
            self._seen[path] = _Seen(size, mtime_ns, now, writing=prev.writing, shrank=shrank, whole=prev.whole)

    def arrived(self, path: str) -> None:
        """A kernel event says the file appeared (renamed into the inbox, or created): not written here yet."""
        seen = self._seen.get(path)
        if seen is not None:
            seen.whole, seen.writing, seen.shrank = True, False, False

    def wrote(self, path: str) -> None:
        """A kernel event says a writer modified the file (it is being written until it is closed)."""
        seen = self._seen.get(path)
        if seen is not None:
            seen.writing, seen.whole = True, False

    def closed(self, path: str) -> None:
        """The kernel's close-after-write event: the writer closed the file."""
        seen = self._seen.get(path)
        if seen is not None:
            seen.writing, seen.whole = False, False  # it was written in place
            seen.open_until = 0.0

    def forget(self, path: str) -> None:
        """Stop tracking ``path`` (taken, deleted or moved away)."""
        self._seen.pop(path, None)

    def pending(self) -> list[str]:
        return sorted(self._seen)

    def state(self, path: str) -> _Seen | None:
        return self._seen.get(path)

    # ----- what is ready --------------------------------------------------------
    def wait_for(self, seen: _Seen) -> float:
        """How long this file must stay unchanged, from what is known about it so far."""
        kind = seen.inspection.kind if seen.inspection else None
        own = self.format_quiet(kind)
        if own > 0 and not seen.whole:
            return own
        if seen.inspection is not None and seen.inspection.complete and not seen.writing and not seen.shrank:
            return self.settle_seconds
        return self.quiet_seconds

    def ready(self, can_open: Callable[[str], bool] | None = None, limit: int | None = None,
              inspect: Callable[[str], Inspection] | None = None,
              writer_open: WriterCheck | None = None) -> list[str]:
        """Paths whose writer is done (oldest first) and that can be opened for reading.

        ``inspect`` (content type and completeness) is asked once per
        size/mtime and only once the settle period has passed; ``writer_open``
        is asked for all candidates at once (and, about once a second, for
        files a modify event marked as being written); ``limit`` stops after
        that many (so a burst of files is not opened all at once when only a
        few can be taken).
        """
        now = self.clock()
        due = [(path, seen) for path, seen in sorted(self._seen.items(), key=lambda kv: kv[1].since)
               if self._candidate(path, seen, now, inspect)]
        if limit is not None:
            due = due[: max(limit, 0) * 2 + 4]  # a few spare in case some turn out to be open
        verdicts = self._ask_writers(due, now, writer_open)
        out: list[str] = []
        for path, seen in due:
            if limit is not None and len(out) >= limit:
                break
            if not self._writer_done(seen, now, verdicts.get(path)):
                continue
            if now - seen.since < self.wait_for(seen):
                continue
            if can_open is not None and not can_open(path):
                seen.since = now  # still locked by the writer: wait another period
                seen.inspection = None
                continue
            out.append(path)
        return out

    def _candidate(self, path: str, seen: _Seen, now: float,
                   inspect: Callable[[str], Inspection] | None) -> bool:
        """Quiet long enough to be taken, or marked as being written and due for a writer check."""
        quiet = now - seen.since
        if seen.size <= 0 or quiet < self.settle_seconds or seen.open_until > now:
            return False
        if seen.inspection is None and inspect is not None:
            seen.inspection = inspect(path)
        return seen.writing or quiet >= self.wait_for(seen)

    def _ask_writers(self, due: Iterable[tuple[str, _Seen]], now: float,
                     writer_open: WriterCheck | None) -> dict[str, bool | None]:
        if writer_open is None:
            return {}
        ask = [path for path, seen in due if now - seen.since < self.writer_timeout]
        return writer_open(ask) if ask else {}

    def _writer_done(self, seen: _Seen, now: float, open_now: bool | None) -> bool:
        """``open_now`` from /proc decides when it can (False = certainly closed); else the events do."""
        if open_now is False:
            seen.writing = False  # the close event may simply not be processed yet
            return True
        if open_now is None and not seen.writing:
            return True
        quiet = now - seen.since
        if quiet >= self.writer_timeout:
            log.warning("a file in the inbox has been open for writing but unchanged for %.0f s; taken anyway",
                        quiet)
            return True
        seen.open_until = now + OPEN_RECHECK_SECONDS
        return False

    def next_due(self) -> float | None:
        """Seconds until some tracked file may next become ready (0 = now); None when none can."""
        now = self.clock()
        waits = []
        for seen in self._seen.values():
            if seen.size <= 0:
                continue  # only a change (an event or a rescan) can make an empty file ready
            quiet = now - seen.since
            if seen.inspection is None and quiet < self.settle_seconds:
                checkpoint = self.settle_seconds
            elif seen.writing:
                checkpoint = self.writer_timeout
            else:
                checkpoint = self.wait_for(seen)
            waits.append(max(0.0, checkpoint - quiet, seen.open_until - now))
        return min(waits) if waits else None


def can_open_for_reading(path: str) -> bool:
    """True when the path is a regular file that can be opened and read (not locked, not a link)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        os.read(fd, 1)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
