"""Is a file still open for writing by some process?  (Linux ``/proc``, best effort.)

Owns the one question sizes and times cannot answer: a sender that created a
file and paused before writing, or pauses in the middle, still holds it open
for writing.  On Linux every process's open files are listed in
``/proc/PID/fd`` and their open flags in ``/proc/PID/fdinfo/FD``; a
descriptor opened ``O_WRONLY`` or ``O_RDWR`` on the file means a writer is
still at work.

The answer for each path is one of:

* ``True``: some process has it open for writing;
* ``False``: no process has it open for writing, and every process that
  could be its writer was visible (we run as root, or as the file's owner:
  the process that created a file owns it);
* ``None``: cannot tell (not Linux, no ``/proc``, or the file belongs to
  another user whose processes hide their descriptors from us).

Nothing is opened but ``/proc`` entries; the files themselves are only stat-ed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
_ACCESS_MODE = 0o3
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


def available(proc: Path = PROC) -> bool:
    """True when this system lists open files in ``/proc`` (Linux)."""
    return (proc / "self" / "fd").is_dir() and (proc / "self" / "fdinfo").is_dir()


def _flags(proc: Path, pid: str, fd: str) -> int | None:
    try:
        text = (proc / pid / "fdinfo" / fd).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags:"):
            try:
                return int(line.split(":", 1)[1].strip(), 8)
            except ValueError:
                return None
    return None


def _scan(proc: Path, targets: dict[str, str]) -> tuple[set[str], set[int]]:
    """Paths (keys of ``targets``) open for writing, and the uids of processes we could not look into."""
    writing: set[str] = set()
    blind: set[int] = set()
    by_real = {real: path for path, real in targets.items()}
    try:
        pids = [e.name for e in os.scandir(proc) if e.name.isdigit()]
    except OSError:
        return writing, blind
    for pid in pids:
        fd_dir = proc / pid / "fd"
        try:
            fds = list(os.scandir(fd_dir))
        except PermissionError:
            try:
                blind.add((proc / pid).stat().st_uid)
            except OSError:
                pass  # the process ended
            continue
        except OSError:
            continue  # the process ended
        for entry in fds:
            try:
                target = os.readlink(entry.path)
            except OSError:
                continue
            path = by_real.get(target)
            if path is None or path in writing:
                continue
            flags = _flags(proc, pid, entry.name)
            if flags is not None and flags & _ACCESS_MODE in _WRITE_MODES:
                writing.add(path)
    return writing, blind


def open_for_writing(paths: Iterable[str], proc: Path = PROC) -> dict[str, bool | None]:
    """For each path: True (open for writing somewhere), False (certainly not) or None (cannot tell)."""
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return {}
    if not available(proc):
        return {p: None for p in wanted}
    owners: dict[str, int] = {}
    targets: dict[str, str] = {}
    for path in wanted:
        try:
            owners[path] = os.stat(path, follow_symlinks=False).st_uid
            targets[path] = os.path.realpath(path)
        except OSError:
            continue
    writing, blind = _scan(proc, targets)
    me = os.geteuid()
    out: dict[str, bool | None] = {}
    for path in wanted:
        if path in writing:
            out[path] = True
        elif path not in owners:
            out[path] = None
        elif me == 0 or not blind or owners[path] == me or owners[path] not in blind:
            out[path] = False
        else:
            out[path] = None
    return out
