"""Anchors: the audit chain head written to an append-only file outside the database.

Owns ``<home>/audit/anchors.log``: one line per anchor,
``seq<TAB>sha256<TAB>UTC time<TAB>reason``.  Lines are only ever appended
(``O_APPEND`` plus ``fsync``); nothing in Chartfile rewrites the file.  An
anchor lets ``audit verify`` detect a truncated tail or a re-hashed rewrite of
the trail that the chain alone cannot show.  Copy the file (or the chain head
printed in every export) somewhere the database administrator cannot write.

Write an anchor only for a head that is committed: anchoring an event of a
transaction that later rolls back would raise a false alarm.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.audit.trail import now_iso

AUDIT_DIR = "audit"
ANCHOR_FILE = "anchors.log"
_HASH = re.compile(r"^[0-9a-f]{64}$")


class AnchorFileError(ValueError):
    """The anchor file has a line that is not an anchor (damaged or edited)."""


@dataclass(frozen=True)
class Anchor:
    """One recorded chain head."""

    seq: int
    hash: str
    time: str
    reason: str

    def line(self) -> str:
        reason = " ".join(self.reason.split())[:120]
        return f"{self.seq}\t{self.hash}\t{self.time}\t{reason}\n"

    @property
    def pair(self) -> tuple[int, str]:
        return self.seq, self.hash


def anchors_path(home: Path) -> Path:
    """Where the anchors of the data home ``home`` are kept."""
    return home / AUDIT_DIR / ANCHOR_FILE


def parse_line(text: str, lineno: int) -> Anchor:
    """One line of the anchor file, or :class:`AnchorFileError` naming the line."""
    parts = text.rstrip("\r\n").split("\t")
    if len(parts) < 3 or not parts[0].isdigit() or not _HASH.match(parts[1]):
        raise AnchorFileError(f"anchors.log line {lineno} is not an anchor")
    return Anchor(int(parts[0]), parts[1], parts[2], parts[3] if len(parts) > 3 else "")


def parse_pair(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as printed by exports) → (seq, hash); ValueError when malformed."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or not _HASH.match(digest.lower()):
        raise ValueError(f"not an anchor (expected SEQ:SHA256): {text!r}")
    return int(seq), digest.lower()


def read_anchors(home: Path) -> list[Anchor]:
    """Every anchor in the file (none when it does not exist).

    A final line without its newline is a write cut short by a crash and is
    ignored; any other malformed line raises :class:`AnchorFileError`.
    """
    path = anchors_path(home)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    complete, partial = lines[:-1], lines[-1]
    anchors = [parse_line(line, n) for n, line in enumerate(complete, start=1) if line.strip()]
    if partial.strip():
        try:
            anchors.append(parse_line(partial, len(lines)))
        except AnchorFileError:
            pass
    return anchors


def _ends_mid_line(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except (FileNotFoundError, OSError):
        return False


def write_anchor(home: Path, seq: int, digest: str, reason: str) -> Anchor | None:
    """Append an anchor for the committed head (seq, digest); nothing for an empty trail."""
    if seq <= 0:
        return None
    anchor = Anchor(seq, digest, now_iso(), reason)
    path = anchors_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = anchor.line().encode("utf-8")
    if _ends_mid_line(path):
        data = b"\n" + data  # never glue a new anchor onto a line cut short by a crash
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor
