"""Pure chain logic of the audit trail: canonical form, keyed MACs, and the walk that finds the first break.

Each event's ``hash`` authenticates its canonical fields and the previous
event's ``hash``.  Events written since migration 0006 carry a ``key_id`` and
their hash is HMAC-SHA256 under the audit key (:mod:`indexer.audit.keys`),
which is kept outside the data home: without it nobody can alter, insert,
renumber or append an event that verifies.  Older events (``key_id`` empty)
are plain SHA-256 ("legacy"); a legacy event after a keyed one is itself
evidence of a rewrite.  Checkpoints — signed (seq, hash) pairs published
outside the data home — catch what a MAC cannot: a cut-off tail, and a rewrite
by someone who holds the key.  No database access here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any, Protocol

GENESIS = "0" * 64
CHAIN_FIELDS = (
    "seq",
    "ts",
    "actor",
    "action",
    "event_type",
    "patient_mrn",
    "document_ids",
    "outcome",
    "source",
    "detail",
)
IDENTITY_FIELDS = ("os_login", "acting_for", "channel", "role")
KEYED_FIELDS = (*CHAIN_FIELDS, *IDENTITY_FIELDS, "key_id")


class ChainRow(Protocol):
    """What verification reads of a stored event (plus every name in :data:`CHAIN_FIELDS`)."""

    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _encode(values: Sequence[object], prev_hash: str) -> bytes:
    return _ENCODER.encode([*values, prev_hash]).encode("utf-8")


def canonical(fields: dict[str, object], prev_hash: str) -> bytes:
    """The exact bytes authenticated for one event: a compact JSON array of its fields, then prev_hash.

    Keyed events (``key_id`` set) cover the identity fields and the key id too.
    """
    names = KEYED_FIELDS if fields.get("key_id") else CHAIN_FIELDS
    return _encode([fields.get(name) for name in names], prev_hash)


def event_hash(fields: dict[str, object], prev_hash: str, mac_key: bytes | None = None) -> str:
    """SHA-256 (legacy) or HMAC-SHA256 under ``mac_key`` (keyed event) of ``fields`` chained to ``prev_hash``."""
    data = canonical(fields, prev_hash)
    if fields.get("key_id"):
        if mac_key is None:
            raise ValueError("a keyed audit event needs the audit key")
        return hmac.new(mac_key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def row_fields(row: object) -> dict[str, object]:
    """The chained fields of an ORM row, a result row or any object with those attributes."""
    names = KEYED_FIELDS if getattr(row, "key_id", None) else CHAIN_FIELDS
    return {name: getattr(row, name) for name in names}


@dataclass(frozen=True)
class MacKey:
    """The part of the audit key verification needs."""

    key_id: str
    secret: bytes


_LEGACY_VALUES = attrgetter(*CHAIN_FIELDS)
_KEYED_VALUES = attrgetter(*KEYED_FIELDS)


def _digest(row: Any, key_id: str | None, key: MacKey | None, seq: int | None = None) -> str:
    values = list(_KEYED_VALUES(row) if key_id else _LEGACY_VALUES(row))  # one C-level call per row
    if seq is not None:
        values[0] = seq
    values.append(row.prev_hash)
    data = _ENCODER.encode(values).encode("utf-8")
    if key_id:
        assert key is not None
        return hmac.digest(key.secret, data, "sha256").hex()
    return hashlib.sha256(data).hexdigest()


def authentic(row: Any, key: MacKey | None, seq: int | None = None) -> bool:
    """Whether ``row``'s stored hash is the right one for its fields (optionally as if it stood at ``seq``)."""
    key_id = getattr(row, "key_id", None)
    if key_id and (key is None or key.key_id != key_id):
        return False
    return hmac.compare_digest(_digest(row, key_id, key, seq), str(row.hash))


class Break(StrEnum):
    """Where the streaming walk stopped (the classifier turns this into an attack)."""

    GAP = "gap"  # a seq is missing
    ORDER = "order"  # a seq repeats or goes backwards
    MAC = "mac"  # the row's hash does not authenticate its fields
    LINK = "link"  # an authentic row whose prev_hash is not the previous row's hash
    UNKEYED = "unkeyed"  # a legacy (unkeyed) row after keyed ones
    UNKNOWN_KEY = "unknown-key"  # a row authenticated with another key than ours
    CHECKPOINT = "checkpoint"  # a genuine checkpoint records another hash for this seq


class CheckpointLookup(Protocol):
    """Checkpoints the walk compares with: ``check`` → True matched, False contradicted, None none."""

    def check(self, seq: int, digest: str) -> bool | None: ...


@dataclass
class Walk:
    """Result of walking the chain in seq order up to the first break."""

    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    legacy: int = 0
    keyed: int = 0
    matched: int = 0
    brk: Break | None = None
    bad_seq: int | None = None  # the expected seq where the break is
    found_seq: int | None = None  # the seq actually found there (GAP/ORDER)
    key_ids: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.brk is None


def walk(rows: Iterable[Any], key: MacKey | None = None, checkpoints: CheckpointLookup | None = None) -> Walk:
    """Walk ``rows`` (seq order) and stop at the first break.  Memory is constant in the trail length."""
    w = Walk()
    prev, expected = GENESIS, 1
    our_key = key.key_id if key is not None else None
    for row in rows:
        seq, key_id = int(row.seq), getattr(row, "key_id", None)
        brk: Break | None = None
        if seq != expected:
            brk = Break.GAP if seq > expected else Break.ORDER
        elif not key_id and w.keyed:
            brk = Break.UNKEYED
        elif key_id and key_id != our_key:
            brk = Break.UNKNOWN_KEY
        elif _digest(row, key_id, key) != row.hash:
            brk = Break.MAC
        elif row.prev_hash != prev:
            brk = Break.LINK
        elif checkpoints is not None:
            seen = checkpoints.check(seq, row.hash)
            brk = Break.CHECKPOINT if seen is False else None
            w.matched += seen is True
        if brk is not None:
            w.brk, w.bad_seq, w.found_seq = brk, expected, seq
            return w
        if key_id:
            w.keyed += 1
            w.key_ids.add(key_id)
        else:
            w.legacy += 1
        prev, expected = str(row.hash), expected + 1
        w.checked, w.head_seq, w.head_hash = w.checked + 1, seq, prev
    return w


# ----- the legacy API: plain anchors, problems as text --------------------------------------

@dataclass
class VerifyResult:
    """Outcome of walking the chain.

    ``head_seq``/``head_hash`` describe the last event that verified; on a
    failure ``bad_seq`` is the first event (or missing seq) that did not, and
    ``kind`` names the attack (see :mod:`indexer.audit.classify`).
    """

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None
    anchors_checked: int = 0
    kind: str | None = None
    legacy: int = 0
    keyed: int = 0
    key_id: str | None = None
    checkpoints: dict[str, int] = field(default_factory=dict)  # source → checkpoints of this trail read
    warnings: list[str] = field(default_factory=list)


class AnchorMap:
    """Plain (seq, hash) anchors as a :class:`CheckpointLookup` that remembers which it met."""

    def __init__(self, pairs: Iterable[tuple[int, str]]) -> None:
        self.wanted: dict[int, str] = {}
        self.clash: int | None = None
        for seq, digest in pairs:
            if self.wanted.get(seq, digest) != digest:
                self.clash = seq
            self.wanted[seq] = digest

    def check(self, seq: int, digest: str) -> bool | None:
        if seq not in self.wanted:
            return None
        return self.wanted.pop(seq) == digest


_LEGACY_TEXT = {
    Break.MAC: "event seq {n} was altered",
    Break.LINK: "event seq {n} does not link to event seq {p}: an event was altered and re-hashed, or an event "
                "was inserted or removed here",
    Break.CHECKPOINT: "event seq {n} differs from its anchored hash: the trail was rewritten",
    Break.UNKEYED: "event seq {n} carries no key although earlier events do: rewritten without the audit key",
    Break.UNKNOWN_KEY: "event seq {n} was authenticated with another key than the audit key",
}


def describe_break(w: Walk) -> str:
    """A one-line description of a walk's break without looking at the database."""
    n = w.bad_seq or 0
    if w.brk is Break.GAP:
        return f"expected event seq {n}, found seq {w.found_seq}: an event was deleted"
    if w.brk is Break.ORDER:
        return f"expected event seq {n}, found seq {w.found_seq}: an event was inserted or reordered"
    assert w.brk is not None
    return _LEGACY_TEXT[w.brk].format(n=n, p=n - 1)


def verify_rows(
    rows: Iterable[Any],
    anchor: tuple[int, str] | None = None,
    anchors: Iterable[tuple[int, str]] = (),
    key: MacKey | None = None,
) -> VerifyResult:
    """Walk rows in ``seq`` order against plain anchors and report the first break as text.

    A chain shorter than an anchor was truncated; a different hash at an
    anchored seq means the chain was rewritten.  Memory use is bounded by the
    number of anchors, not the length of the trail.
    """
    amap = AnchorMap([*([anchor] if anchor else []), *anchors])
    if amap.clash is not None:
        return VerifyResult(False, 0, 0, GENESIS, f"two anchors record different hashes for seq {amap.clash}")
    w = walk(rows, key, amap)
    result = VerifyResult(w.ok, w.checked, w.head_seq, w.head_hash, None, None, w.matched,
                          legacy=w.legacy, keyed=w.keyed)
    if not w.ok:
        result.problem = describe_break(w)
        result.bad_seq = min(w.bad_seq or 0, w.found_seq or 0) if w.brk is Break.ORDER else w.bad_seq
        return result
    if amap.wanted:
        a_seq = min(amap.wanted)
        result.ok, result.bad_seq = False, w.head_seq + 1
        result.problem = (f"events from seq {w.head_seq + 1} on are missing: the trail ends at seq {w.head_seq} "
                          f"but an anchor records seq {a_seq} (the tail was truncated)")
    return result
