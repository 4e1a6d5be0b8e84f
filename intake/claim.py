"""The file side of intake's first steps: taking a file into the spool, hashing it, sniffing it.

Owns what the ``claim``, ``hash``, ``duplicate`` and ``sniff`` steps of
:mod:`intake.steps` do to and with a file — no database here: the ledger
(:mod:`indexer.ledger`) records each result in its own transaction.  A watched
inbox's file is moved atomically; a file given to ``ingest`` is copied
durably.  The duplicate rule is a pure decision over the other items with the
same content.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from intake.config import Config
from intake.errors import FileRejected
from intake.sniff import sniff_file
from intake.spool import copy_durably, move_atomic, sha256_file


def take(src: Path, dest: Path, origin: str) -> None:
    """Claim: move (``watch``) or durably copy (``ingest``) ``src`` into the spool as ``dest``."""
    if origin == "watch":
        move_atomic(src, dest)
    else:
        copy_durably(src, dest)


@dataclass(frozen=True)
class Fingerprint:
    sha256: str
    size: int


def fingerprint(path: Path) -> Fingerprint:
    """Hash: the spooled file's sha256 and size."""
    return Fingerprint(sha256_file(path), path.stat().st_size)


class SameContent(StrEnum):
    NONE = "none"  # no other item decides this one's fate
    DUPLICATE = "duplicate"  # an exact re-send of a processed file
    WAIT = "wait"  # an earlier item with the same content is still in flight


@dataclass(frozen=True)
class Other:
    """Another intake item with the same sha256."""

    item_id: int
    processed: bool  # False: still in flight (received or processing)


def same_content(item_id: int, others: list[Other]) -> tuple[SameContent, int | None]:
    """Duplicate: a processed one (any id) makes this a duplicate; an earlier one in flight means wait."""
    processed = sorted(o.item_id for o in others if o.processed and o.item_id != item_id)
    if processed:
        return SameContent.DUPLICATE, processed[0]
    earlier = sorted(o.item_id for o in others if not o.processed and o.item_id < item_id)
    return (SameContent.WAIT, earlier[0]) if earlier else (SameContent.NONE, None)


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # the content type, or None when rejected
    reason: str | None = None  # a clerk-readable quarantine reason


def sniff(path: Path, cfg: Config, original_name: str) -> Sniffed:
    """Sniff: content type from the first bytes, or the reason to quarantine the file."""
    try:
        return Sniffed(sniff_file(path, cfg, original_name))
    except FileRejected as exc:
        return Sniffed(None, exc.reason)
