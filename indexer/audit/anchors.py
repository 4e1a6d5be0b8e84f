"""Legacy anchors: unsigned chain heads in ``<home>/audit/anchors.log`` and ``SEQ:HASH`` pairs.

Owns reading the anchor file earlier versions wrote (one line per anchor,
``seq<TAB>sha256<TAB>UTC time<TAB>reason``) and parsing the ``SEQ:HASH`` chain
heads printed in every export.  Chartfile no longer writes this file: the
signed checkpoints of :mod:`indexer.audit.checkpoints`, published outside the
data home, replace it.  ``audit verify`` still honours the old lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
