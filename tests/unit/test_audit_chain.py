"""The pure hash chain: every single-row alteration, deletion, insertion, reordering is caught."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.audit.chain import CHAIN_FIELDS, GENESIS, event_hash, row_fields, verify_rows


@dataclass(frozen=True)
class Ev:
    seq: int
    ts: str
    actor: str
    action: str
    event_type: str
    patient_mrn: str | None
    document_ids: str
    outcome: str
    source: str
    detail: str
    prev_hash: str
    hash: str


def make_chain(n: int, start_prev: str = GENESIS) -> list[Ev]:
    rows: list[Ev] = []
    prev = start_prev
    for i in range(1, n + 1):
        fields: dict[str, object] = {
            "seq": i, "ts": f"2026-01-01T00:00:{i % 60:02d}.000000Z", "actor": f"user{i % 3}", "action": "R",
            "event_type": "patient.chart_view", "patient_mrn": f"CF{i:06d}" if i % 2 else None,
            "document_ids": f"{i},{i + 1}", "outcome": "success", "source": "host/pid1", "detail": f"d{i}",
        }
        digest = event_hash(fields, prev)
        rows.append(Ev(**fields, prev_hash=prev, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return rows


def rehash_from(rows: list[Ev], start: int) -> list[Ev]:
    """Recompute hashes from index ``start`` on (what a careful forger would do)."""
    out = rows[:start]
    prev = out[-1].hash if out else GENESIS
    for r in rows[start:]:
        digest = event_hash(row_fields(r), prev)
        out.append(replace(r, prev_hash=prev, hash=digest))
        prev = digest
    return out


def test_intact_chain_verifies_and_reports_head() -> None:
    rows = make_chain(10)
    result = verify_rows(rows)
    assert result.ok and result.checked == 10 and result.head_seq == 10 and result.head_hash == rows[-1].hash


def test_empty_chain_is_ok() -> None:
    result = verify_rows([])
    assert result.ok and result.head_seq == 0 and result.head_hash == GENESIS


@pytest.mark.parametrize("field", [f for f in CHAIN_FIELDS if f != "seq"])
def test_altering_any_field_is_detected_at_that_event(field: str) -> None:
    rows = make_chain(6)
    rows[3] = replace(rows[3], **{field: "tampered"})  # type: ignore[arg-type]
    result = verify_rows(rows)
    assert not result.ok and result.bad_seq == 4 and "altered" in (result.problem or "")


def test_altered_and_rehashed_event_breaks_the_next_link() -> None:
    rows = rehash_from(make_chain(6), 6)
    forged = replace(rows[2], detail="nothing to see")
    rows[2] = replace(forged, hash=event_hash(row_fields(forged), forged.prev_hash))
    result = verify_rows(rows)
    assert not result.ok and result.bad_seq == 4 and "does not link" in (result.problem or "")


@pytest.mark.parametrize("index", [0, 3, 5])
def test_deleting_an_event_is_detected(index: int) -> None:
    rows = make_chain(8)
    del rows[index]
    result = verify_rows(rows)
    assert not result.ok and result.bad_seq == index + 1 and "deleted" in (result.problem or "")


def test_deleting_the_last_event_needs_an_anchor() -> None:
    rows = make_chain(8)
    anchor = (8, rows[-1].hash)
    assert verify_rows(rows[:-1]).ok  # the chain alone cannot see a shorter tail
    result = verify_rows(rows[:-1], anchor=anchor)
    assert not result.ok and "truncated" in (result.problem or "") and result.bad_seq == 8


def test_inserting_an_event_with_renumbering_is_detected() -> None:
    rows = make_chain(6)
    fake = replace(rows[2], detail="forged", seq=4)
    renumbered = rows[:3] + [fake] + [replace(r, seq=r.seq + 1) for r in rows[3:]]
    result = verify_rows(renumbered)
    assert not result.ok and result.bad_seq == 4


def test_inserting_a_row_before_the_first_is_detected() -> None:
    rows = make_chain(3)
    result = verify_rows([replace(rows[0], seq=0), *rows])
    assert not result.ok and "inserted" in (result.problem or "") and result.bad_seq == 0


def test_reordering_two_events_is_detected() -> None:
    rows = make_chain(6)
    swapped = rows[:2] + [replace(rows[3], seq=3), replace(rows[2], seq=4)] + rows[4:]
    result = verify_rows(swapped)
    assert not result.ok and result.bad_seq == 3


def test_full_rewrite_after_an_anchor_is_caught_by_the_anchor() -> None:
    rows = make_chain(10)
    anchor = (7, rows[6].hash)
    rows[4] = replace(rows[4], detail="rewritten")
    forged = rehash_from(rows, 4)
    assert verify_rows(forged).ok  # a consistent forgery …
    result = verify_rows(forged, anchors=[anchor])
    assert not result.ok and result.bad_seq == 7 and "anchored" in (result.problem or "")


def test_anchors_are_all_checked_and_counted() -> None:
    rows = make_chain(10)
    result = verify_rows(rows, anchors=[(3, rows[2].hash), (10, rows[9].hash), (3, rows[2].hash)])
    assert result.ok and result.anchors_checked == 2


def test_conflicting_anchors_are_reported() -> None:
    rows = make_chain(4)
    result = verify_rows(rows, anchors=[(2, rows[1].hash), (2, rows[2].hash)])
    assert not result.ok and "two anchors" in (result.problem or "")


def _stream(n: int) -> Iterator[Ev]:
    prev = GENESIS
    for i in range(1, n + 1):
        fields: dict[str, object] = {"seq": i, "ts": "t", "actor": "a", "action": "R", "event_type": "x",
                                     "patient_mrn": None, "document_ids": "", "outcome": "success",
                                     "source": "s", "detail": ""}
        digest = event_hash(fields, prev)
        yield Ev(**fields, prev_hash=prev, hash=digest)  # type: ignore[arg-type]
        prev = digest


def test_memory_does_not_grow_with_the_trail() -> None:
    """verify_rows keeps only the anchors it still has to meet, not every hash it has seen."""
    n = 12_000
    tracemalloc.start()
    try:
        result = verify_rows(_stream(n), anchors=[(n, "0" * 64)])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.ok and result.bad_seq == n  # the fake anchor is met at the very end
    assert peak < 500_000, f"peak {peak} bytes for {n} events"


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=2, max_value=25), data=st.data())
def test_any_single_mutation_is_detected(n: int, data: st.DataObject) -> None:
    rows = make_chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    kind = data.draw(st.sampled_from(["alter", "delete", "swap", "rehash_alter"]), label="kind")
    anchor = (n, rows[-1].hash)
    if kind == "alter":
        field = data.draw(st.sampled_from([f for f in CHAIN_FIELDS if f != "seq"]), label="field")
        rows[i] = replace(rows[i], **{field: "x"})  # type: ignore[arg-type]
    elif kind == "delete":
        del rows[i]  # deleting the last row is caught by the anchor
    elif kind == "swap":
        j = (i + 1) % n
        lo, hi = min(i, j), max(i, j)
        rows[lo], rows[hi] = replace(rows[hi], seq=rows[lo].seq), replace(rows[lo], seq=rows[hi].seq)
    else:
        rows[i] = replace(rows[i], detail="x")
        rows = rehash_from(rows, i)
    assert not verify_rows(rows, anchor=anchor).ok
