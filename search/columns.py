"""Ordering by date and counting facets over a set of matches, without visiting every document.

Owns the two questions a records clerk's result page asks of *all* matches:
which are the newest (or oldest) N, and how many are there of each document
type and sender.  Both read each segment's column values once into a list
kept in the :class:`~search.filters.DocSetCache` (a few hundred kB per field at
100,000 documents), so a count or a date is a list lookup per match; very
large sets use cached per-term document sets instead: the newest documents
are found by walking month terms from the latest back until N are found, and
facet counts are set intersections with each type's / sender's documents.
Also owns the distinct name words of the index (for :mod:`search.names`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

from whoosh.reading import IndexReader

from search.filters import DocSetCache, Matches, Part
from search.store import leaves

DIRECT_LIMIT = 2000  # up to this many documents, order by each one's date
COLUMN_LIMIT = 20_000  # up to this many documents, count facets from the column values; more: by set intersections
DATE_COLUMN = "date"  # day number of the document date (or received date)
MONTH_FIELD, MONTH_PREFIX = "date_terms", "m"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")


def facet_counts(cache: DocSetCache, matches: Matches, field: str) -> Counter[str]:
    """How many matching documents have each value of an ID field (empty values not counted)."""
    raw: Counter[Any] = Counter()
    out: Counter[str] = Counter()
    for part in matches.parts:
        if len(part.docs) <= COLUMN_LIMIT:
            raw.update(map(cache.column(part.leaf, field).__getitem__, part.docs))
            continue
        for term in cache.lexicon(part.leaf, field):  # very many: intersect with each value's documents
            n = len(part.docs & cache.term_docs(part.leaf, field, term))
            if n:
                out[term] += n
    for value, n in raw.items():
        out[_text(value)] += n
    out.pop("", None)
    return out


def ordered(cache: DocSetCache, matches: Matches, n: int, newest: bool = True) -> list[int]:
    """Global numbers of the ``n`` newest (or oldest) matches by date; ties: later-indexed first (newest)."""
    candidates = matches.parts if len(matches) <= max(n, DIRECT_LIMIT) else _by_month(cache, matches, n, newest)
    keyed: list[tuple[int, int]] = []
    for part in candidates:
        values = cache.column(part.leaf, DATE_COLUMN)
        keyed.extend((values[d] or 0, part.base + d) for d in part.docs)
    pick = heapq.nlargest if newest else heapq.nsmallest
    return [d for _, d in pick(n, keyed)]


def _by_month(cache: DocSetCache, matches: Matches, n: int, newest: bool) -> list[Part]:
    """The matches of the latest (earliest) months, month by month, until at least ``n`` are found."""
    months = sorted({m for p in matches.parts for m in cache.lexicon(p.leaf, MONTH_FIELD, MONTH_PREFIX)},
                    reverse=newest)
    found: dict[int, set[int]] = {}
    count = 0
    for month in months:
        for i, p in enumerate(matches.parts):
            hit = p.docs & cache.term_docs(p.leaf, MONTH_FIELD, month) if p.docs else frozenset()
            if hit:
                found.setdefault(i, set()).update(hit)
                count += len(hit)
        if count >= n:  # every match of a later month is newer than every match of this one
            break
    return [Part(matches.parts[i].leaf, matches.parts[i].base, frozenset(docs)) for i, docs in found.items()]


def segment_ids(reader: IndexReader) -> tuple[str, ...]:
    """Identifies the reader's set of segments (changes when a commit adds or merges segments)."""
    return tuple(str(leaf.segment().segment_id()) for leaf, _ in leaves(reader))


def vocabulary(cache: DocSetCache, reader: IndexReader, field: str) -> frozenset[str]:
    """Distinct terms of ``field`` over all segments; each segment's terms are read once."""
    words: set[str] = set()
    for leaf, _ in leaves(reader):
        words.update(cache.lexicon(leaf, field))
    return frozenset(words)
