"""The inbox as a folder: what is in it, what is never taken, and where it may be.

Owns three rules of the hot folder:

* **Only regular files directly in the inbox are taken.**  Symbolic links,
  named pipes (FIFOs), devices, sockets and subfolders are *refused*: never
  opened or followed, left exactly where they are, reported by ``status``
  and ``intake check``, and explained to the clerk in a ``NAME.reason.txt``
  beside them (removed again once the entry is gone).
* **An empty file waits.**  A sender that created the file has not written
  it yet; it is listed as waiting, never taken.
* **The inbox is not the data home.**  It may not be the data home, lie
  inside it (``--inbox HOME/quarantine`` would eat its own quarantine) or
  contain it.

The watcher records the inbox it watches in the data home (``watch.json``)
so that ``status`` and ``intake check`` look at the same folder.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from intake.errors import ConfigError
from intake.spool import display_name, reason_sidecar, write_text_atomic
from intake.stability import is_ignored

log = logging.getLogger(__name__)

WATCH_RECORD = "watch.json"
NOTE_SUFFIX = ".reason.txt"
SIDECAR_MARK = "Chartfile did not take this from the inbox."


class EntryKind(StrEnum):
    """What an inbox entry is, from ``lstat`` (never following a link)."""

    FILE = "file"
    EMPTY = "empty file"
    SYMLINK = "symbolic link"
    DIRECTORY = "folder"
    FIFO = "named pipe"
    DEVICE = "device"
    SOCKET = "socket"
    OTHER = "special file"


REFUSALS: dict[EntryKind, str] = {
    EntryKind.SYMLINK: "It is a shortcut (symbolic link) to another place. Chartfile takes only real files, "
                       "never what a link points to. Put the file itself into the inbox.",
    EntryKind.DIRECTORY: "It is a folder. Chartfile takes only files placed directly in the inbox. "
                         "Move the files out of the folder into the inbox.",
    EntryKind.FIFO: "It is a named pipe, not a file. Chartfile never reads from pipes.",
    EntryKind.DEVICE: "It is a device, not a file. Chartfile never reads from devices.",
    EntryKind.SOCKET: "It is a socket, not a file.",
    EntryKind.OTHER: "It is not a regular file.",
}


def classify_mode(mode: int, size: int) -> EntryKind:
    """The kind of an entry from its ``lstat`` mode and size."""
    if stat.S_ISREG(mode):
        return EntryKind.FILE if size > 0 else EntryKind.EMPTY
    if stat.S_ISLNK(mode):
        return EntryKind.SYMLINK
    if stat.S_ISDIR(mode):
        return EntryKind.DIRECTORY
    if stat.S_ISFIFO(mode):
        return EntryKind.FIFO
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return EntryKind.DEVICE
    if stat.S_ISSOCK(mode):
        return EntryKind.SOCKET
    return EntryKind.OTHER


def classify(path: Path) -> EntryKind | None:
    """The kind of ``path`` without following links; None when it does not exist."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return classify_mode(st.st_mode, st.st_size)


def refusal(kind: EntryKind) -> str | None:
    """Why an entry of this kind is never taken (None for files)."""
    return REFUSALS.get(kind)


@dataclass
class RefusedEntry:
    """An inbox entry that is not a regular file."""

    name: str  # display name (safe to show)
    kind: EntryKind
    reason: str


@dataclass
class InboxReport:
    """What is in the inbox now."""

    inbox: Path
    waiting: int = 0  # regular files with content, not taken yet
    empty: list[str] = field(default_factory=list)  # display names of empty files
    refused: list[RefusedEntry] = field(default_factory=list)
    missing: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"inbox": str(self.inbox), "missing": self.missing, "waiting": self.waiting, "empty": self.empty,
                "refused": [{"name": r.name, "kind": str(r.kind), "reason": r.reason} for r in self.refused]}

    def problems(self) -> list[str]:
        """Entries that will never be taken, as ``intake check`` problems."""
        return [f"inbox entry {r.name!r} is a {r.kind} and is never taken: {r.reason}" for r in self.refused]


def _classified(entries: Iterable[os.DirEntry[str]]) -> Iterator[tuple[os.DirEntry[str], EntryKind]]:
    """Each entry that is not a temporary or system name, with what it is (a vanished one is skipped)."""
    for entry in entries:
        if is_ignored(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        yield entry, classify_mode(st.st_mode, st.st_size)


def scan_inbox(inbox: Path) -> InboxReport:
    """Classify every entry directly in the inbox (temporary and hidden names are skipped)."""
    report = InboxReport(inbox)
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        report.missing = True
        return report
    except OSError as exc:
        log.error("cannot list the inbox: %s", exc.strerror)
        return report
    for entry, kind in _classified(sorted(entries, key=lambda e: e.name)):
        reason = refusal(kind)
        if kind is EntryKind.FILE:
            report.waiting += 1
        elif kind is EntryKind.EMPTY:
            report.empty.append(display_name(entry.name))
        elif reason is not None:
            report.refused.append(RefusedEntry(display_name(entry.name), kind, reason))
    return report


def sidecar_text(name: str, kind: EntryKind, reason: str) -> str:
    return (f"{SIDECAR_MARK}\n\nEntry: {display_name(name)}\nWhat it is: {kind}\nReason: {reason}\n\n"
            "It was left exactly as it is. This note disappears once the entry is removed.\n")


def explain_refused(inbox: Path) -> list[str]:
    """Write a ``.reason.txt`` beside every refused entry; remove our notes whose entry is gone.

    Returns the names of entries newly explained.  Only notes Chartfile wrote
    (they start with :data:`SIDECAR_MARK`) are ever removed.
    """
    try:
        names = {e.name: e for e in os.scandir(inbox)}
    except OSError:
        return []
    new: list[str] = []
    refused: set[str] = set()
    for entry, kind in _classified(names.values()):
        name = entry.name
        reason = refusal(kind)
        if reason is None:
            continue
        refused.add(name)
        note = reason_sidecar(inbox / name)
        if note.name in names:
            continue
        try:
            write_text_atomic(note, sidecar_text(name, kind, reason))
            new.append(name)
            log.warning("inbox entry that is a %s left in place and explained in a reason file", kind)
        except OSError as exc:
            log.error("cannot write a reason file in the inbox (%s)", exc.strerror)
    for name in names:
        if name.endswith(NOTE_SUFFIX) and name[: -len(NOTE_SUFFIX)] not in refused:
            _remove_our_note(inbox / name)
    return new


def _remove_our_note(note: Path) -> None:
    try:
        if note.is_file() and not note.is_symlink():
            with open(note, encoding="utf-8", errors="replace") as fh:
                ours = fh.read(len(SIDECAR_MARK)) == SIDECAR_MARK
            if ours:
                note.unlink()
    except OSError:
        pass


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_location(inbox: Path, home: Path) -> None:
    """Refuse an inbox that is the data home, lies inside it, or contains it (exit 5 with a hint)."""
    box, data = inbox.resolve(), home.resolve()
    if _inside(box, data):
        where = "is the data home" if box == data else f"is inside the data home ({data})"
        raise ConfigError(f"the inbox {box} {where}; Chartfile would take its own files",
                          hint="Choose a folder outside the data home, e.g. --inbox ./inbox "
                               "(the data home holds the database, archive and quarantine).")
    if _inside(data, box):
        raise ConfigError(f"the data home {data} is inside the inbox {box}",
                          hint="Keep the data home and the inbox apart, e.g. /srv/chartfile/data and "
                               "/srv/chartfile/inbox.")


def record_inbox(home: Path, inbox: Path) -> None:
    """Remember which inbox the watcher watches (read by ``status`` and ``intake check``)."""
    data = {"inbox": str(inbox.resolve()), "pid": os.getpid(),
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        write_text_atomic(home / WATCH_RECORD, json.dumps(data) + "\n")
    except OSError as exc:
        log.warning("cannot record the watched inbox (%s)", exc.strerror)


def recorded_inbox(home: Path) -> Path | None:
    """The inbox the last ``watch`` of this data home watched (None when never recorded)."""
    try:
        data = json.loads((home / WATCH_RECORD).read_text(encoding="utf-8"))
        return Path(str(data["inbox"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
