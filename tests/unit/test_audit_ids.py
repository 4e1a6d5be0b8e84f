"""Compact document ids in audit events: runs as ranges, old comma lists read the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.audit.ids import decode, encode


def test_runs_become_ranges() -> None:
    assert encode([5, 3, 7, 8, 9, 12, 4, 4]) == "3-5,7-9,12"
    assert encode([1, 2]) == "1,2" and encode([]) == ""
    assert encode(range(1, 100_001)) == "1-100000"


def test_old_lists_and_junk() -> None:
    assert decode("1,2,3") == {1, 2, 3}
    assert decode("") == set() and decode(None) == set()
    assert decode("x,4,-3,5-x,9-7,10-12") == {4, 10, 11, 12}


@given(st.sets(st.integers(min_value=1, max_value=10_000), max_size=200))
def test_round_trip(ids: set[int]) -> None:
    assert decode(encode(ids)) == ids
