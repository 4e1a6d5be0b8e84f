"""Pure hash-chain logic of the audit trail: canonical form, hashing, verification.

Each event's hash is SHA-256 over its canonical fields and the previous event's
hash, so altering, deleting, inserting or reordering any row breaks the chain
from that row on.  Anchors — (seq, hash) pairs kept outside the database —
make a truncated tail or a re-hashed rewrite detectable too.  No database
access here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Protocol

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


class ChainRow(Protocol):
    """What verification reads of a stored event (plus every name in :data:`CHAIN_FIELDS`)."""

    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_ROW_VALUES = attrgetter(*CHAIN_FIELDS, "prev_hash", "hash")


def _canonical_values(values: Sequence[object], prev_hash: str) -> bytes:
    return _ENCODER.encode([*values, prev_hash]).encode("utf-8")


def canonical(fields: dict[str, object], prev_hash: str) -> bytes:
    """The exact bytes hashed for one event: a compact JSON array of the fields, then prev_hash."""
    return _canonical_values([fields.get(name) for name in CHAIN_FIELDS], prev_hash)


def event_hash(fields: dict[str, object], prev_hash: str) -> str:
    """SHA-256 hex digest chaining ``fields`` to ``prev_hash``."""
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


@dataclass
class VerifyResult:
    """Outcome of walking the chain.

    ``head_seq``/``head_hash`` describe the last event that verified; on a
    failure ``bad_seq`` is the first event (or missing seq) that did not.
    """

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None
    anchors_checked: int = 0


def row_fields(row: object) -> dict[str, object]:
    """Pull the chained fields off an ORM row or any object with those attributes."""
    return {name: getattr(row, name) for name in CHAIN_FIELDS}


def _anchor_map(anchor: tuple[int, str] | None,
                anchors: Iterable[tuple[int, str]]) -> tuple[dict[int, str], str | None]:
    """Anchors keyed by seq, or a problem when two anchors disagree about one seq."""
    wanted: dict[int, str] = {}
    for a_seq, a_hash in [*([anchor] if anchor else []), *anchors]:
        if wanted.get(a_seq, a_hash) != a_hash:
            return wanted, f"two anchors record different hashes for seq {a_seq}"
        wanted[a_seq] = a_hash
    return wanted, None


def _fail(checked: int, head_seq: int, head_hash: str, problem: str, bad_seq: int | None,
          anchors_checked: int) -> VerifyResult:
    return VerifyResult(False, checked, head_seq, head_hash, problem, bad_seq, anchors_checked)


def verify_rows(
    rows: Iterable[ChainRow],
    anchor: tuple[int, str] | None = None,
    anchors: Iterable[tuple[int, str]] = (),
) -> VerifyResult:
    """Walk rows in ``seq`` order and report the first break.

    ``anchor``/``anchors`` are (seq, hash) pairs recorded elsewhere (anchor
    file, export).  A chain shorter than an anchor was truncated; a different
    hash at an anchored seq means the chain was rewritten.  Memory use is
    bounded by the number of anchors, not the length of the trail.
    """
    wanted, clash = _anchor_map(anchor, anchors)
    if clash:
        return _fail(0, 0, GENESIS, clash, None, 0)
    prev, expected_seq, checked, matched = GENESIS, 1, 0, 0
    n_fields = len(CHAIN_FIELDS)
    for row in rows:
        values = _ROW_VALUES(row)  # one C-level call instead of a getattr per field
        seq = int(values[0])
        row_prev, row_hash = values[n_fields], values[n_fields + 1]
        if seq != expected_seq:
            kind = "deleted" if seq > expected_seq else "inserted or reordered"
            return _fail(checked, expected_seq - 1, prev,
                         f"expected event seq {expected_seq}, found seq {seq}: an event was {kind}",
                         min(seq, expected_seq), matched)
        if row_prev != prev:
            return _fail(checked, seq - 1, prev,
                         f"event seq {seq} does not link to event seq {seq - 1}: an event was altered "
                         "and re-hashed, or an event was inserted or removed here", seq, matched)
        if hashlib.sha256(_canonical_values(values[:n_fields], prev)).hexdigest() != row_hash:
            return _fail(checked, seq - 1, prev, f"event seq {seq} was altered", seq, matched)
        prev = str(row_hash)
        if seq in wanted:
            if wanted.pop(seq) != prev:
                return _fail(checked, seq - 1, prev,
                             f"event seq {seq} differs from its anchored hash: the trail was rewritten",
                             seq, matched)
            matched += 1
        checked += 1
        expected_seq += 1
    head_seq = expected_seq - 1
    if wanted:
        a_seq = min(wanted)
        return _fail(checked, head_seq, prev,
                     f"events from seq {head_seq + 1} on are missing: the trail ends at seq {head_seq} "
                     f"but an anchor records seq {a_seq} (the tail was truncated)", head_seq + 1, matched)
    return VerifyResult(True, checked, head_seq, prev, anchors_checked=matched)
