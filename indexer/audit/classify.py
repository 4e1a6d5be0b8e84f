"""Naming the attack behind a broken chain: deletion, insertion, reordering, truncation, forgery, rewrite.

Owns the :class:`Attack` vocabulary of ``audit verify`` and how the first
break of the walk (:func:`indexer.audit.chain.walk`) is explained by looking
at the rows around it.  A keyed event's MAC covers its own seq, so an event
that was renumbered after a deletion or insertion still authenticates at its
*original* seq — searching a window of seqs recovers it, which tells a
deletion (it moved down) from an insertion (it moved up) and counts the
events involved.  Everything here reads through a small :class:`Table`, so
the logic is testable without a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Protocol

from indexer.audit.chain import Break, MacKey, Walk, authentic

RECOVER_WINDOW = 10_000  # seqs searched either side for a renumbered event's original seq
TAIL_SCAN_LIMIT = 10_000
SWITCH_OFF = "audit.stop"


class Attack(StrEnum):
    """What ``audit verify`` says happened (the ``kind`` of a failed verification)."""

    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORGED_APPEND = "forged-append"
    FORGED_SWITCH_OFF = "forged-switch-off"
    SWITCH_FLIPPED = "switch-flipped"
    REWRITTEN = "rewritten"
    UNKNOWN_KEY = "unknown-key"
    NO_CHECKPOINTS = "no-checkpoints"
    REPLACED = "replaced"
    KEY_MISMATCH = "key-mismatch"
    ANCHOR_CONFLICT = "anchor-conflict"


class Table(Protocol):
    """Random access to the stored events (by seq, and which seq holds a given hash)."""

    def row(self, seq: int) -> Any | None: ...
    def seq_of_hash(self, digest: str) -> int | None: ...
    def rows_from(self, seq: int, limit: int) -> Iterator[Any]: ...


def recover_seq(row: Any, key: MacKey | None, window: int = RECOVER_WINDOW) -> int | None:
    """The seq at which ``row`` (a keyed event) authenticates, searching outwards from its stored seq."""
    if key is None or not getattr(row, "key_id", None) or row.key_id != key.key_id:
        return None
    stored = int(row.seq)
    for delta in range(1, window + 1):
        for candidate in (stored + delta, stored - delta):
            if candidate >= 1 and authentic(row, key, seq=candidate):
                return candidate
    return None


def _switch_kind(rows: list[Any], default: Attack) -> Attack:
    return Attack.FORGED_SWITCH_OFF if any(r.event_type == SWITCH_OFF for r in rows) else default


def trusted(row: Any, key: MacKey | None) -> bool:
    """Keyed with our key and authentic (a legacy row's plain hash proves nothing once keys are in use)."""
    return key is not None and getattr(row, "key_id", None) == key.key_id and authentic(row, key)


def _tail_forged(table: Table, seq: int, key: MacKey | None) -> list[Any] | None:
    """The rows from ``seq`` to the end when none of them authenticates (a forged tail), else None."""
    rows = list(table.rows_from(seq, TAIL_SCAN_LIMIT + 1))
    if not rows or len(rows) > TAIL_SCAN_LIMIT:
        return None
    return rows if not any(trusted(r, key) for r in rows) else None


def _forged_tail(tail: list[Any], n: int, checkpointed: int) -> tuple[Attack, str]:
    """Unauthenticated events from ``n`` to the end: appended, or a rewrite of events a checkpoint vouches for."""
    last = int(tail[-1].seq)
    if checkpointed >= n:
        if last < checkpointed:
            return Attack.DELETED, (f"events from seq {n} on were rewritten without the audit key and the trail "
                                    f"now ends at seq {last}, but a checkpoint records seq {checkpointed}: events "
                                    "were deleted and the rest renumbered")
        return Attack.REWRITTEN, (f"events seq {n}..{last} were rewritten without the audit key (a checkpoint "
                                  f"vouches for seq {checkpointed})")
    kind = _switch_kind(tail, Attack.FORGED_APPEND)
    return kind, (f"events seq {n}..{last} were appended without the audit key (forged"
                  f"{', including a switch-off' if kind is Attack.FORGED_SWITCH_OFF else ''})")


def _unauthentic(w: Walk, table: Table, key: MacKey | None, checkpointed: int) -> tuple[Attack, str]:
    n = w.bad_seq or 0
    row = table.row(n)
    assert row is not None
    before = table.row(n - 1)
    prev = before.hash if before is not None else "0" * 64
    owner = table.seq_of_hash(row.prev_hash)
    if owner is not None and owner > n:
        return Attack.REORDERED, (f"event seq {n} links to event seq {owner}, which comes after it: "
                                  "events were reordered")
    original = recover_seq(row, key)
    if original is not None and original > n:
        return Attack.DELETED, (f"{original - n} event(s) before seq {n} were deleted and the later events "
                                f"renumbered (the event now at seq {n} was seq {original})")
    if original is not None:
        return Attack.INSERTED, (f"{n - original} event(s) were inserted before seq {n} (the event now at "
                                 f"seq {n} was seq {original})")
    after = table.row(n + 1)
    if after is not None and after.prev_hash == prev:
        return _switch_kind([row], Attack.INSERTED), (
            f"event seq {n} ({row.event_type}) was inserted: it does not authenticate, and the next event "
            f"links past it to seq {n - 1}")
    tail = _tail_forged(table, n, key)
    if tail is not None and row.prev_hash == prev:
        return _forged_tail(tail, n, checkpointed)
    if row.prev_hash != prev and owner is None:
        return Attack.DELETED, (f"event seq {n} links to an event that is no longer in the trail: events "
                                f"before it were deleted (or replaced) and the trail renumbered")
    return _switch_kind([row], Attack.ALTERED), (
        f"event seq {n} ({row.event_type}) was altered: its content no longer matches its MAC")


def classify(w: Walk, table: Table, key: MacKey | None, contradiction: Any = None,
             checkpointed: int = 0) -> tuple[Attack, str]:
    """The attack behind the walk's break, and a one-line explanation naming the seqs.

    ``checkpointed`` is the seq of the newest genuine checkpoint (0: none): it
    tells a forged append from a rewrite of events that did exist.
    """
    n = w.bad_seq or 0
    if w.brk is Break.GAP:
        missing = (w.found_seq or n) - n
        return Attack.DELETED, (f"events seq {n}..{n + missing - 1} are missing: {missing} event(s) were deleted"
                                if missing > 1 else f"event seq {n} is missing: it was deleted")
    if w.brk is Break.ORDER:
        return Attack.INSERTED, f"expected event seq {n}, found seq {w.found_seq}: an event was inserted"
    if w.brk is Break.UNKNOWN_KEY:
        row = table.row(n)
        return Attack.UNKNOWN_KEY, (f"event seq {n} was authenticated with key {getattr(row, 'key_id', '?')}, "
                                    f"not the audit key {key.key_id if key else '(none)'}: the key was replaced "
                                    "or the events were forged with another key")
    if w.brk is Break.CHECKPOINT:
        when = f" published {contradiction.time}" if contradiction is not None else ""
        return Attack.REWRITTEN, (f"event seq {n} differs from the checkpoint{when}: the trail was rewritten "
                                  "by someone holding the audit key, or restored from an older backup")
    if w.brk is Break.LINK:
        return Attack.ALTERED, (f"event seq {n} does not link to event seq {n - 1}: an unkeyed (legacy) event "
                                "before it was altered and re-hashed, or events were removed here")
    return _unauthentic(w, table, key, checkpointed)  # MAC, UNKEYED
