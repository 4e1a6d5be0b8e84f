"""Verifying the whole trail: the chain, the anchors, and the audit switch.

Owns what ``chartfile audit verify`` checks, in this order: the anchor file is
read first (so every anchor refers to a committed event), then the chain is
walked from the first event in batches (memory bounded by the number of
anchors), then the persisted audit switch is compared with the last
``audit.stop``/``audit.start`` event (a switch flipped behind the
application's back is tampering too).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text

from indexer.audit.anchors import AnchorFileError, read_anchors
from indexer.audit.chain import VerifyResult, verify_rows
from indexer.audit.query import stream_chain
from indexer.audit.switch import status
from indexer.db.engine import Database
from intake.errors import IntegrityError

VERIFY_EVENT = "audit.verify"


_GUARD_QUERIES = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'",
    "postgresql": "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal",
}
_GUARDS_EXPECTED = {"sqlite": 2, "postgresql": 2}


def guards_present(db: Database) -> bool | None:
    """Whether the append-only triggers of migration 0003 exist (None: unknown for this database)."""
    dialect = db.engine.dialect.name
    query = _GUARD_QUERIES.get(dialect)
    if query is None:
        return None
    with db.session() as s:
        found = int(s.execute(text(query)).scalar_one())
    return found >= _GUARDS_EXPECTED[dialect]


def load_anchor_pairs(home: Path, extra: Iterable[tuple[int, str]] = ()) -> list[tuple[int, str]]:
    """Anchors from ``<home>/audit/anchors.log`` plus any given on the command line."""
    try:
        anchors = [a.pair for a in read_anchors(home)]
    except AnchorFileError as exc:
        raise IntegrityError(str(exc), hint="The anchor file was damaged or edited; keep a copy of it "
                             "for the investigation, then compare with exported chain heads.") from exc
    return anchors + list(extra)


def verify_trail(db: Database, home: Path, extra_anchors: Iterable[tuple[int, str]] = (),
                 batch: int = 5000) -> VerifyResult:
    """Walk the chain against the anchors; then check the switch.  Never raises for a broken chain."""
    pairs = load_anchor_pairs(home, extra_anchors)
    result = verify_rows(stream_chain(db, batch), anchors=pairs)
    if not result.ok:
        return result
    with db.session() as s:
        sw = status(s)
    if not sw.consistent:
        state = "off" if not sw.enabled else "on"
        result.ok = False
        result.problem = (f"the audit switch is {state} but the last switch event in the trail is "
                          f"{sw.last_switch_event or 'none'}: it was changed outside Chartfile")
    return result
