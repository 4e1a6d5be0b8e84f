"""Verifying the whole trail: MACs, chain links, signed checkpoints, legacy anchors, the audit switch.

Owns what ``chartfile audit verify`` checks, in this order: the checkpoint
sources are read first (so every checkpoint refers to a committed event),
then the chain is walked from the first event in batches (memory bounded),
each keyed event's HMAC checked with the audit key and each checkpoint met
compared; the first break is explained by :mod:`indexer.audit.classify`.
Then: a genuine checkpoint beyond the end of the trail means the tail was
cut off; a keyed trail with no checkpoint at all in the sources means the
checkpoints were removed (or the wrong source was given); and the persisted
audit switch must agree with the last ``audit.stop``/``audit.start`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from indexer.audit import context
from indexer.audit.anchors import AnchorFileError, read_anchors
from indexer.audit.chain import AnchorMap, MacKey, VerifyResult, walk
from indexer.audit.checkpoints import trail_id
from indexer.audit.classify import Attack, classify
from indexer.audit.query import EVENT_COLUMNS, EventRow, stream_chain
from indexer.audit.sources import CheckpointIndex
from indexer.audit.switch import status
from indexer.db.engine import Database
from indexer.db.models import AuditEvent
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
    with db.read() as s:
        found = int(s.execute(text(query)).scalar_one())
    return found >= _GUARDS_EXPECTED[dialect]


def load_anchor_pairs(db: Database, extra: Iterable[tuple[int, str]] = ()) -> list[tuple[int, str]]:
    """Unsigned anchors: ``<home>/audit/anchors.log`` of earlier versions, plus any given on the command line."""
    try:
        anchors = [a.pair for a in read_anchors(db.cfg.home)]
    except AnchorFileError as exc:
        raise IntegrityError(str(exc), hint="The anchor file was damaged or edited; keep a copy of it "
                             "for the investigation, then compare with exported chain heads.") from exc
    return anchors + list(extra)


class DbTable:
    """Random access to ``audit_events`` for the classifier (only used once something is wrong)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.columns = [getattr(AuditEvent, c) for c in EVENT_COLUMNS]

    def row(self, seq: int) -> Any | None:
        with self.db.read() as s:
            found = s.execute(select(*self.columns).where(AuditEvent.seq == seq)).first()
        return EventRow._make(found) if found is not None else None

    def seq_of_hash(self, digest: str) -> int | None:
        with self.db.read() as s:
            return s.execute(select(AuditEvent.seq).where(AuditEvent.hash == digest).limit(1)).scalar_one_or_none()

    def rows_from(self, seq: int, limit: int) -> Iterator[Any]:
        with self.db.read() as s:
            rows = [EventRow._make(r) for r in s.execute(select(*self.columns).where(AuditEvent.seq >= seq)
                                                         .order_by(AuditEvent.seq).limit(limit))]
        yield from rows


@dataclass
class _Both:
    """Signed checkpoints and unsigned anchors as one lookup for the walk."""

    index: CheckpointIndex
    anchors: AnchorMap

    def check(self, seq: int, digest: str) -> bool | None:
        a = self.anchors.check(seq, digest)
        c = self.index.check(seq, digest)
        if a is False or c is False:
            return False
        return True if (a or c) else None


def _first_hash(db: Database) -> str | None:
    with db.read() as s:
        return s.execute(select(AuditEvent.hash).where(AuditEvent.seq == 1)).scalar_one_or_none()


def default_sources(db: Database) -> list[str]:
    """The checkpoint files this data home writes that exist (its own copy, the configured folder's)."""
    sinks = context.for_config(db.cfg).sinks
    return [str(p) for p in sinks.files() if p.exists()]


def _fail(result: VerifyResult, kind: Attack, problem: str, bad_seq: int | None) -> VerifyResult:
    result.ok, result.kind, result.problem, result.bad_seq = False, kind.value, problem, bad_seq
    return result


def _warnings(index: CheckpointIndex) -> list[str]:
    out = []
    if index.forged:
        out.append(f"{index.forged} checkpoint line(s) in the sources do not carry a valid signature of the audit "
                   "key: someone wrote forged checkpoints (they were ignored)")
    for key_id, n in sorted(index.foreign_keys.items()):
        out.append(f"{n} checkpoint(s) of this trail are signed by another key ({key_id})")
    for trail, seen in sorted(index.other_trails.items()):
        if seen.newest is None:
            out.append(f"the sources also hold {seen.count} checkpoint(s) of trail {trail} signed by other keys "
                       f"(up to seq {seen.max_seq}): another data home's, or forged")
    return out


def _replaced(index: CheckpointIndex, head_seq: int) -> tuple[Attack, str, int | None] | None:
    """Checkpoints signed by this home's key for a trail that is not this one: replaced, or emptied."""
    mine = index.own_key_trails()
    if not mine:
        return None
    trail, seen = max(mine.items(), key=lambda kv: kv[1].last_time)
    if head_seq == 0:
        return Attack.TRUNCATED, (f"the trail is empty, but checkpoints signed by the audit key record seq "
                                  f"{seen.max_seq} (last {seen.last_time}): every event was deleted"), 1
    return Attack.REPLACED, (f"the sources hold checkpoints signed by the audit key for another trail {trail} (up "
                             f"to seq {seen.max_seq}, last {seen.last_time}): this data home's trail was replaced, "
                             "or its first event rewritten (give each data home its own key)"), 1


def verify_trail(db: Database, sources: list[str] | None = None, extra_anchors: Iterable[tuple[int, str]] = (),
                 public_key: bytes | None = None, batch: int = 5000) -> VerifyResult:
    """Walk the chain against the checkpoints and anchors; then check the switch.  Never raises for tampering.

    ``sources`` default to the checkpoint files this data home writes;
    ``public_key`` pins the key whose checkpoints count (default: the
    configured key's public half).
    """
    ctx = context.for_config(db.cfg)
    mac = MacKey(ctx.key.key_id, ctx.key.mac_key)
    anchors = AnchorMap(load_anchor_pairs(db, extra_anchors))
    result = VerifyResult(True, 0, 0, "0" * 64, key_id=ctx.key.key_id)
    if public_key is not None and public_key != ctx.key.public:
        return _fail(result, Attack.KEY_MISMATCH, "the configured audit key is not the key you pinned with "
                     "--public-key: the key file was replaced or the configuration points elsewhere", None)
    if anchors.clash is not None:
        return _fail(result, Attack.ANCHOR_CONFLICT, f"two anchors record different hashes for seq {anchors.clash}",
                     anchors.clash)
    first = _first_hash(db)
    index = CheckpointIndex(trail_id(first) if first else None, public_key or ctx.key.public)
    for source in (default_sources(db) if sources is None else sources):
        index.read(source)
    result.checkpoints = dict(index.per_source)
    w = walk(stream_chain(db, batch), mac, _Both(index, anchors))
    result.checked, result.head_seq, result.head_hash = w.checked, w.head_seq, w.head_hash
    result.anchors_checked, result.legacy, result.keyed = w.matched, w.legacy, w.keyed
    result.warnings = _warnings(index)
    if not w.ok:
        newest = index.newest_genuine()
        kind, problem = classify(w, DbTable(db), mac, index.contradiction(w.bad_seq or 0),
                                 newest.seq if newest is not None else 0)
        return _fail(result, kind, problem, w.bad_seq)
    newest = index.newest_genuine()
    replaced = _replaced(index, w.head_seq)
    result.warnings = _warnings(index)
    if replaced is not None:
        return _fail(result, *replaced)
    if newest is not None and newest.seq > w.head_seq:
        return _fail(result, Attack.TRUNCATED, f"events seq {w.head_seq + 1}..{newest.seq} are missing: a checkpoint "
                     f"published {newest.time} records seq {newest.seq} but the trail ends at seq {w.head_seq} "
                     "(the tail was cut off)", w.head_seq + 1)
    if anchors.wanted:
        a_seq = max(anchors.wanted)
        return _fail(result, Attack.TRUNCATED, f"events from seq {w.head_seq + 1} on are missing: the trail ends at "
                     f"seq {w.head_seq} but an anchor records seq {a_seq} (the tail was truncated)", w.head_seq + 1)
    if w.keyed and newest is None:
        where = ", ".join(index.per_source) or "no source at all"
        return _fail(result, Attack.NO_CHECKPOINTS, f"no genuine checkpoint of this trail ({index.trail}) in {where}, "
                     f"although each of its {w.keyed} keyed events was checkpointed when committed: the checkpoints "
                     "were removed, the wrong source was given, or the trail was replaced", None)
    with db.read() as s:
        sw = status(s)
    if not sw.consistent:
        state = "off" if not sw.enabled else "on"
        return _fail(result, Attack.SWITCH_FLIPPED, f"the audit switch is {state} but the last switch event in the "
                     f"trail is {sw.last_switch_event or 'none'}: it was changed outside Chartfile", None)
    return result
