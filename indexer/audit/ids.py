"""The compact form of an event's document ids: ``"3,7-9,12"`` (ranges for runs).

Owns how ``audit_events.document_ids`` is written and read.  A bulk export
names every document it contained — tens of thousands — so consecutive ids
are stored as ranges; events written before this form (plain comma lists)
read the same way.  Pure functions, no database access.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

MAX_EXPANDED = 1_000_000  # a range claiming more documents than this is not ours: read as nothing


def encode(ids: Iterable[int]) -> str:
    """Sorted, de-duplicated ids with consecutive runs of three or more as ``a-b``."""
    parts: list[str] = []
    run: list[int] = []
    for value in sorted({int(i) for i in ids}):
        if run and value == run[-1] + 1:
            run.append(value)
            continue
        parts.extend(_run(run))
        run = [value]
    parts.extend(_run(run))
    return ",".join(parts)


def _run(run: list[int]) -> list[str]:
    if len(run) >= 3:
        return [f"{run[0]}-{run[-1]}"]
    return [str(v) for v in run]


def iter_ids(text: str | None) -> Iterator[int]:
    """Every id the stored text names (malformed parts are skipped)."""
    for part in (text or "").split(","):
        first, sep, last = part.strip().partition("-")
        if not first.isdigit():
            continue
        if not sep:
            yield int(first)
        elif last.isdigit() and 0 <= int(last) - int(first) <= MAX_EXPANDED:
            yield from range(int(first), int(last) + 1)


def decode(text: str | None) -> set[int]:
    return set(iter_ids(text))
