"""Pure hash-chain logic of the audit trail: canonical form, hashing, verification.

Each event's hash is SHA-256 over its canonical fields and the previous event's
hash, so altering, deleting, inserting or reordering any row breaks the chain
from that row on.  No database access here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
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
    """What verification needs of a stored event."""

    seq: int
    prev_hash: str
    hash: str


def canonical(fields: dict[str, object], prev_hash: str) -> bytes:
    """The exact bytes that are hashed for one event."""
    payload = [fields.get(name) for name in CHAIN_FIELDS] + [prev_hash]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def event_hash(fields: dict[str, object], prev_hash: str) -> str:
    """SHA-256 hex digest chaining ``fields`` to ``prev_hash``."""
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


@dataclass
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None


def row_fields(row: object) -> dict[str, object]:
    """Pull the chained fields off an ORM row or any object with those attributes."""
    return {name: getattr(row, name) for name in CHAIN_FIELDS}


def verify_rows(rows: Iterable[object], anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk rows in ``seq`` order and report the first break.

    ``anchor`` is a (seq, hash) pair recorded elsewhere (anchor file, export);
    a chain shorter than the anchor, or with a different hash at that seq, was
    truncated or rewritten.
    """
    prev = GENESIS
    expected_seq = 1
    checked = 0
    seen: dict[int, str] = {}
    for row in rows:
        seq = int(getattr(row, "seq"))
        if seq != expected_seq:
            kind = "deleted" if seq > expected_seq else "inserted or reordered"
            return VerifyResult(False, checked, expected_seq - 1, prev,
                                f"event seq {expected_seq} expected, found {seq}: an event was {kind}", seq)
        if getattr(row, "prev_hash") != prev:
            return VerifyResult(False, checked, seq - 1, prev,
                                f"event seq {seq} does not link to the previous event", seq)
        if event_hash(row_fields(row), prev) != getattr(row, "hash"):
            return VerifyResult(False, checked, seq - 1, prev, f"event seq {seq} was altered", seq)
        prev = str(getattr(row, "hash"))
        seen[seq] = prev
        checked += 1
        expected_seq += 1
    head_seq = expected_seq - 1
    if anchor is not None:
        a_seq, a_hash = anchor
        if a_seq > head_seq:
            return VerifyResult(False, checked, head_seq, prev,
                                f"trail ends at seq {head_seq} but an anchor records seq {a_seq}: "
                                "the tail was truncated", head_seq + 1)
        if seen.get(a_seq) != a_hash:
            return VerifyResult(False, checked, head_seq, prev,
                                f"event seq {a_seq} differs from its anchored hash", a_seq)
    return VerifyResult(True, checked, head_seq, prev)
