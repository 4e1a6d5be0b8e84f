"""Private by default: every folder in the data home is 0700 and every file 0600.

Owns the check behind ``chartfile doctor`` (and the warning in ``intake
check``): walk the data home without following links and list what other
local users could read, write or enter; :func:`tighten` makes it private
(only what this user owns can be changed).  New files are private anyway
(umask 077, explicit modes in :mod:`intake.spool`); this finds homes made
before, or files put there by hand.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from intake.spool import DIR_MODE, FILE_MODE

log = logging.getLogger(__name__)

GROUP_OTHER = 0o077


@dataclass(frozen=True)
class LoosePath:
    """A path in the data home that others can access."""

    path: str  # relative to the data home ("." for the home itself)
    mode: int
    is_dir: bool

    @property
    def expected(self) -> int:
        return DIR_MODE if self.is_dir else FILE_MODE

    def describe(self) -> str:
        kind = "folder" if self.is_dir else "file"
        return f"{kind} {self.path} is {self.mode:04o}, should be {self.expected:04o}"


def _walk(home: Path) -> list[tuple[Path, os.stat_result]]:
    out: list[tuple[Path, os.stat_result]] = []
    try:
        out.append((home, home.lstat()))
    except OSError:
        return out
    for root, dirs, files in os.walk(home, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            try:
                out.append((path, path.lstat()))
            except OSError:
                continue
    return out


def loose_paths(home: Path) -> list[LoosePath]:
    """Folders and files in the data home that group or others can access (links are not followed)."""
    found: list[LoosePath] = []
    for path, st in _walk(home):
        if stat.S_ISLNK(st.st_mode) or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & GROUP_OTHER:
            rel = path.relative_to(home).as_posix() if path != home else "."
            found.append(LoosePath(rel, mode, stat.S_ISDIR(st.st_mode)))
    return found


def tighten(home: Path) -> tuple[int, list[LoosePath]]:
    """Make the data home private; returns (paths changed, paths that could not be changed)."""
    changed = 0
    failed: list[LoosePath] = []
    for loose in loose_paths(home):
        path = home / loose.path
        try:
            if not path.is_symlink():
                os.chmod(path, loose.expected)
            changed += 1
        except OSError:
            failed.append(loose)
    if changed:
        log.warning("made %d paths in the data home private", changed)
    return changed, failed
