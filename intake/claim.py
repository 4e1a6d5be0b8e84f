"""The file side of intake's first steps: taking a file into the spool, hashing it, sniffing it.

Owns what the ``claim``, ``hash``, ``duplicate`` and ``sniff`` steps of
:mod:`intake.steps` do to and with a file — no database here: the ledger
(:mod:`indexer.ledger`) records each result in its own transaction.  A file is
*copied* into the spool — from a watched inbox as from ``ingest`` — and hashed
from the very bytes written (:func:`intake.spool.copy_hashing`), so the
ledger's hash always describes the stored copy that is processed and
archived; a source that changes while it is copied is refused
(:class:`intake.spool.SourceChanged`) and taken again later.  A watched
inbox's file stays where it is until the item's outcome is committed
(:mod:`indexer.sources`).  The duplicate rule is a pure decision over the
other items with the same content.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from intake.config import Config
from intake.errors import FileRejected
from intake.sniff import sniff_file
from intake.spool import Copied, copy_hashing, sha256_file


def take(src: Path, dest: Path) -> Copied:
    """Claim: copy the regular file ``src`` into the spool as ``dest``; the hash and size of what was written.

    Raises :class:`intake.spool.NotRegularFile` for a link, pipe, device or
    folder and :class:`intake.spool.SourceChanged` when the source changed
    while it was read (nothing is left in the spool then).
    """
    return copy_hashing(src, dest)


@dataclass(frozen=True)
class Digest:
    """What the ledger records of a stored file's content."""

    sha256: str
    size: int


def digest(path: Path) -> Digest:
    """Hash of a stored file: its sha256 and size (recovery, ``intake retry``)."""
    size = path.stat().st_size
    return Digest(sha256_file(path), size)


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
