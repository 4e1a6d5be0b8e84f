"""Verified archive: every stored original still has the bytes its ledger hash names.

Owns the check "the original is what we received".  The ledger's ``sha256``
is computed from the exact bytes stored in the data home (the spool copy
that was processed, then archived); this module rehashes stored originals
and compares:

* :func:`verify_original` for one item, before any byte of it leaves
  (release packets, downloads, page images), and :func:`verify_originals`
  for many (``documents export``): a missing or altered original raises
  :class:`OriginalDamaged` (exit 7, HTTP 409) with a clear message — the
  one check every path out of the archive uses;
* :func:`verify_archive` for all finished items (processed originals in
  ``archive/``, re-sends in ``archive/duplicates/``, quarantined files):
  the scrub run by ``intake check`` and ``chartfile archive verify`` (from
  cron).  The report names item ids only, never file names or content.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from intake.config import Config
from intake.errors import IntegrityError
from intake.spool import NotRegularFile, sha256_file

log = logging.getLogger(__name__)

VERIFIED_STATES = ("processed", "duplicate", "quarantined")
FIX_HINT = ("Restore the file from the last good backup ('chartfile restore' into a new home, then copy "
            "the original back), and report the incident to the privacy officer.")


class OriginalDamaged(IntegrityError):
    """A stored original is missing or no longer matches its ledger hash (exit 7; HTTP 409: nothing is served)."""

    hint = FIX_HINT
    http_status = 409


@dataclass
class ArchiveReport:
    """What a scrub found (item ids only)."""

    checked: int = 0
    bytes: int = 0
    seconds: float = 0.0
    mismatched: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    unhashed: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.missing or self.unhashed)

    def problems(self) -> list[str]:
        out = []
        if self.mismatched:
            out.append(f"stored originals that no longer match their hash: items {self.mismatched[:50]}")
        if self.missing:
            out.append(f"stored originals missing from the data home: items {self.missing[:50]}")
        if self.unhashed:
            out.append(f"finished items without a recorded hash: items {self.unhashed[:50]}")
        return out

    def as_dict(self) -> dict[str, object]:
        return {"checked": self.checked, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "mismatched": self.mismatched, "missing": self.missing, "unhashed": self.unhashed, "ok": self.ok}


def stored_file(cfg: Config, item: IntakeItem) -> Path | None:
    """Where the ledger says the item's file is (None when it records no place)."""
    return (cfg.home / item.stored_path) if item.stored_path else None


def _digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return sha256_file(path)
    except (FileNotFoundError, NotRegularFile, IsADirectoryError):
        return None


def verify_original(cfg: Config, item: IntakeItem) -> Path:
    """The item's stored original, after checking it against the ledger hash; raises :class:`OriginalDamaged`."""
    path = stored_file(cfg, item)
    if not item.sha256:
        raise OriginalDamaged(f"intake item {item.id} has no recorded hash; its original cannot be verified")
    digest = _digest(path)
    if digest is None:
        log.error("intake item %s: stored original missing", item.id)
        raise OriginalDamaged(f"the original of intake item {item.id} is missing from the data home")
    if digest != item.sha256:
        log.error("intake item %s: stored original does not match its hash", item.id)
        raise OriginalDamaged(f"the original of intake item {item.id} has been altered since it was received "
                              "(its SHA-256 no longer matches the ledger); nothing was released or exported")
    assert path is not None
    return path


def verify_originals(cfg: Config, items: Iterable[IntakeItem]) -> None:
    """Check the originals of many items before an export; :class:`OriginalDamaged` naming every failing item."""
    report = ArchiveReport()
    for item in items:
        check_item(cfg, item, report)
    if not report.ok:
        raise OriginalDamaged("; ".join(report.problems()) + "; nothing was exported")


def check_item(cfg: Config, item: IntakeItem, report: ArchiveReport) -> None:
    """Rehash one finished item's file into ``report``."""
    report.checked += 1
    if not item.sha256:
        report.unhashed.append(item.id)
        return
    path = stored_file(cfg, item)
    digest = _digest(path)
    if digest is None:
        report.missing.append(item.id)
        return
    assert path is not None
    report.bytes += path.stat().st_size
    if digest != item.sha256:
        report.mismatched.append(item.id)


def verify_archive(cfg: Config, db: Database, states: Iterable[str] = VERIFIED_STATES,
                   progress: Callable[[int, int], None] | None = None) -> ArchiveReport:
    """Rehash every finished item's stored file; mismatches and missing files are reported, never changed."""
    started = time.monotonic()
    with db.session() as s:
        items = list(s.scalars(select(IntakeItem).where(IntakeItem.state.in_(tuple(states)))
                               .order_by(IntakeItem.id)))
        s.expunge_all()
    report = ArchiveReport()
    for n, item in enumerate(items, 1):
        check_item(cfg, item, report)
        if progress is not None:
            progress(n, len(items))
    report.seconds = time.monotonic() - started
    if not report.ok:
        log.error("archive verify: %d altered, %d missing, %d without hash of %d checked",
                  len(report.mismatched), len(report.missing), len(report.unhashed), report.checked)
    return report
